// The pure planning of a run (src/runner/plan.ts) and run.json's documents (src/runner/run-json.ts), exact values.
import { describe, expect, it } from "vitest";
import { resolveRunOptions } from "../../src/config/options.js";
import type { Predictions } from "../../src/datasets/predictions.js";
import type { Dataset, Task } from "../../src/datasets/types.js";
import { defaultRunId, fingerprintOf, hashJson, planCells, planRun, priceOverrideOf } from "../../src/runner/plan.js";
import { pullsJson, redactConfig, redactUrl, runJsonAtStart, runStartedAt } from "../../src/runner/run-json.js";
import { runFingerprint } from "../../src/runner/resume.js";

const task = (id: string): Task => ({
  instance_id: id,
  repo: "r",
  problem_statement: "p",
  patch: "",
  test_patch: "",
  FAIL_TO_PASS: [],
  PASS_TO_PASS: [],
  test_framework: "pytest",
});
const PREDICTIONS: Predictions = {
  source: "preds.jsonl",
  hash: "ph",
  byModel: new Map([
    ["m-a", new Map()],
    ["m-b", new Map()],
  ]),
};

describe("planRun, defaultRunId", () => {
  it("interleaves cells per task", () => {
    const cells = planCells({ model: ["mock/oracle", "mock/lazy"], region: [] }, undefined, "us-east-1");
    const plan = planRun(cells, [task("t1"), task("t2")]);
    expect(plan.jobs.map((j) => `${j.task.instance_id}:${j.cell.cell}`)).toEqual([
      "t1:mock/oracle",
      "t1:mock/lazy",
      "t2:mock/oracle",
      "t2:mock/lazy",
    ]);
  });
  it("names a run by its UTC start, to the second", () => {
    expect(defaultRunId(new Date("2026-03-04T05:06:07.890Z"))).toBe("20260304-050607Z");
  });
});

describe("planCells", () => {
  it("predictions: one cell per model, provider predictions; they win over --model", () => {
    expect(planCells({ model: ["mock/oracle"], region: [] }, PREDICTIONS, "us-east-1")).toEqual([
      { cell: "m-a", provider: "predictions", model: "m-a" },
      { cell: "m-b", provider: "predictions", model: "m-b" },
    ]);
  });
  it("--model; a bedrock model without a region runs in the default one, or each --region", () => {
    expect(planCells({ model: ["mock/oracle", "bedrock/claude"], region: [] }, undefined, "eu-west-1").map((c) => c.cell)).toEqual([
      "mock/oracle",
      "bedrock/claude@eu-west-1",
    ]);
    expect(planCells({ model: ["bedrock/claude"], region: ["us-west-2", "eu-west-1"] }, undefined, "us-east-1").map((c) => c.cell)).toEqual(
      ["bedrock/claude@us-west-2", "bedrock/claude@eu-west-1"],
    );
  });
  it("config cells stand in for --model", () => {
    const cells = planCells(
      { model: ["mock/lazy"], region: [], cells: [{ label: "cold", model: "mock/oracle", temperature: 0 }] },
      undefined,
      "us-east-1",
    );
    expect(cells.map((c) => [c.cell, c.model, c.options])).toEqual([["cold", "oracle", { temperature: 0 }]]);
  });
});

describe("fingerprintOf, priceOverrideOf", () => {
  const options = resolveRunOptions({ model: ["mock/oracle"], dataset: "d" }, {}, {});
  const cells = planCells(options, undefined, "us-east-1");
  it("the options' fingerprint plus predictions, image template and specs only when given", () => {
    const base = runFingerprint(options, "dh", cells);
    expect(fingerprintOf(options, { hash: "dh" }, cells, {})).toEqual(base);
    const specs = { "o/r": { "1.0": { test_cmd: "pytest" } } };
    expect(fingerprintOf({ ...options, imageTemplate: "reg/{id}:v1" }, { hash: "dh" }, cells, { predictions: PREDICTIONS, specs })).toEqual(
      {
        ...base,
        predictions_hash: "ph",
        image_template: "reg/{id}:v1",
        specs_hash: hashJson(specs),
      },
    );
    expect(hashJson({ a: 1 })).toBe("015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862");
  });
  it("a price override only when some price is given", () => {
    expect(priceOverrideOf({})).toBeUndefined();
    expect(priceOverrideOf({ outputCostPerToken: 2e-6 })).toEqual({
      input: undefined,
      output: 2e-6,
      cacheRead: undefined,
      cacheWrite: undefined,
    });
  });
});

describe("run.json", () => {
  const options = resolveRunOptions({ model: ["mock/oracle"], dataset: "d", baseUrl: "https://u:pw@host/v1?api_key=k&x=1" }, {}, {});
  const dataset: Dataset = { name: "d", dir: "/d", file: "/d/tasks.jsonl", tasks: [task("t1"), task("t2")], hash: "dh" };
  it("at the start: identity, dataset, cells, no secret", () => {
    const doc = runJsonAtStart({
      runId: "r1",
      startedAt: new Date("2026-01-01T00:00:00.000Z"),
      dockerVersion: "27.0",
      dataset,
      tasks: [task("t2")],
      cells: [{ cell: "mock/oracle", provider: "mock", model: "oracle" }],
      image: "bench-python:abc",
      fingerprint: { f: 1 },
      previous: null,
      options,
    });
    expect(Object.keys(doc)).toEqual([
      "run_id",
      "bench_version",
      "started_at",
      "finished_at",
      "status",
      "host",
      "pid",
      "versions",
      "dataset",
      "predictions",
      "pull",
      "shard",
      "image",
      "cells",
      "fingerprint",
      "resumes",
      "config",
    ]);
    expect(doc).toMatchObject({
      run_id: "r1",
      started_at: "2026-01-01T00:00:00.000Z",
      finished_at: null,
      status: "running",
      pid: process.pid,
      versions: { node: process.version, docker: "27.0" },
      dataset: { name: "d", file: "/d/tasks.jsonl", hash: "dh", tasks: 1, instance_ids: ["t2"] },
      predictions: null,
      shard: null,
      image: "bench-python:abc",
      cells: [{ cell: "mock/oracle", provider: "mock", model: "oracle", region: null, label: null, options: null }],
      fingerprint: { f: 1 },
      resumes: [],
    });
    expect((doc["config"] as Record<string, unknown>)["baseUrl"]).toBe("https://REDACTED@host/v1?api_key=REDACTED&x=1");
  });
  it("a resume appends to resumes and keeps the first start", () => {
    const previous = { started_at: "2025-12-31T23:00:00.000Z", resumes: [{ at: "x", pid: 1 }] };
    const doc = runJsonAtStart({
      runId: "r1",
      startedAt: runStartedAt(previous),
      dockerVersion: "27.0",
      dataset,
      tasks: [],
      cells: [],
      image: "",
      fingerprint: {},
      previous,
      options,
    });
    expect(doc["started_at"]).toBe("2025-12-31T23:00:00.000Z");
    expect((doc["resumes"] as unknown[]).length).toBe(2);
    expect((doc["resumes"] as { pid: number }[])[1]!.pid).toBe(process.pid);
    const now = new Date("2026-02-02T00:00:00.000Z");
    expect(runStartedAt(null, now)).toBe(now);
    expect(runStartedAt({ started_at: 5 }, now)).toBe(now);
  });
  it("pulls and redaction", () => {
    expect(pullsJson({ pulls: 2, bytes: 300, pullMs: 1500, waitedMs: 250 }, new Set(["a:1", "b:2"]))).toEqual({
      pulled: ["a:1", "b:2"],
      pulls: 2,
      bytes: 300,
      pull_s: 1.5,
      waited_s: 0.25,
    });
    expect(pullsJson(undefined, [])).toBeNull();
    expect(redactUrl("not a url")).toBe("not a url");
    expect(redactUrl("http://h:1/p?token=t&sig=s&q=1")).toBe("http://h:1/p?token=REDACTED&sig=REDACTED&q=1");
    expect(redactConfig({ ...options, baseUrl: undefined, bedrockEndpoint: "https://a:b@br" })["bedrockEndpoint"]).toBe(
      "https://REDACTED@br/",
    );
  });
});
