// CI gates: parsing --fail-under / --max-infra-errors, evaluation with exact messages, exit codes,
// and the checks made before a run (gate options, baseline files).
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readConfigFile, resolveRunOptions } from "../../src/config/options.js";
import { UsageError } from "../../src/errors.js";
import { evaluateGates, gateSpecProblems, parseFailUnder, parseMaxInfraErrors, type GateSpec } from "../../src/report/gates.js";
import { loadGateSpec, readBaseline } from "../../src/report/gates-load.js";
import { jsonSummary } from "../../src/report/json-summary.js";
import { summarize } from "../../src/report/summary.js";
import type { TaskResult } from "../../src/report/types.js";
import { makeResult } from "./report-fixtures.js";

/** `n` results of `cell`: the first `resolved` resolved, the next `errors` errors, the rest unresolved. */
function cellResults(cell: string, n: number, resolved: number, errors = 0): TaskResult[] {
  return Array.from({ length: n }, (_, i) => {
    const status = i < resolved ? "resolved" : i < resolved + errors ? "error" : "unresolved";
    return makeResult({
      cell,
      model: cell.split("/")[1]!,
      instance_id: `task-${i}`,
      status,
      resolved: status === "resolved",
      end_reason: status === "error" ? "error" : "finished",
    });
  });
}

const summary = summarize([...cellResults("mock/oracle", 17, 12), ...cellResults("mock/wrong", 10, 0, 2)], { runId: "r", runWallS: 1 });
const cells = ["mock/oracle", "mock/wrong"];

describe("parsing", () => {
  it("reads RATE, a percentage and CELL=RATE", () => {
    expect(parseFailUnder("0.8")).toEqual({ cell: null, rate: 0.8 });
    expect(parseFailUnder(0.5)).toEqual({ cell: null, rate: 0.5 });
    expect(parseFailUnder("85%")).toEqual({ cell: null, rate: 0.85 });
    expect(parseFailUnder("mock/oracle=0.9")).toEqual({ cell: "mock/oracle", rate: 0.9 });
    expect(parseFailUnder("bedrock/m@us-east-1=1")).toEqual({ cell: "bedrock/m@us-east-1", rate: 1 });
  });
  it("rejects anything else, naming the flag and the value", () => {
    for (const bad of ["1.5", "-0.1", "abc", "=0.5", "mock/oracle=", "101%", ""]) {
      expect(() => parseFailUnder(bad)).toThrowError(
        `--fail-under: expected RATE (0 to 1, e.g. 0.8, or a percentage, e.g. 80%) or CELL=RATE (e.g. mock/oracle=0.9), got ${JSON.stringify(bad)}`,
      );
    }
  });
  it("reads a count or a fraction of tasks for --max-infra-errors", () => {
    expect(parseMaxInfraErrors("3")).toEqual({ kind: "count", max: 3 });
    expect(parseMaxInfraErrors(0)).toEqual({ kind: "count", max: 0 });
    expect(parseMaxInfraErrors("0.05")).toEqual({ kind: "rate", max: 0.05 });
    expect(parseMaxInfraErrors(0.25)).toEqual({ kind: "rate", max: 0.25 });
    expect(parseMaxInfraErrors("1.0")).toEqual({ kind: "rate", max: 1 });
    expect(parseMaxInfraErrors("5%")).toEqual({ kind: "rate", max: 0.05 });
    expect(() => parseMaxInfraErrors("lots")).toThrowError(
      '--max-infra-errors: expected a count N (e.g. 3) or a fraction of tasks (e.g. 0.05 or 5%), got "lots"',
    );
    expect(() => parseMaxInfraErrors("-1")).toThrowError(/--max-infra-errors/);
  });
  it("reads the gates (and shard, docker-host) from a config file", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "bench-gates-config-"));
    writeFileSync(
      path.join(dir, "bench.config.yaml"),
      'dataset: swe-lite\nfail-under: [0.8, "mock/oracle=0.9"]\nbaseline: last/summary.json\nmax-regression: 5\nmax-infra-errors: 5%\nshard: 2/3\ndocker-host: unix:///tmp/d.sock?capacity=2\n',
    );
    expect(resolveRunOptions({}, readConfigFile(undefined, dir), {})).toMatchObject({
      failUnder: [0.8, "mock/oracle=0.9"],
      baseline: "last/summary.json",
      maxRegression: 5,
      maxInfraErrors: "5%",
      shard: "2/3",
      dockerHost: ["unix:///tmp/d.sock?capacity=2"],
    });
  });
  it("validates gate options with the other run options (exit 2 before anything runs)", () => {
    expect(resolveRunOptions({ dataset: "d", failUnder: ["0.8", "mock/oracle=0.9"], maxInfraErrors: "5%" }, {}, {})).toMatchObject({
      failUnder: ["0.8", "mock/oracle=0.9"],
      maxInfraErrors: "5%",
    });
    // A config file may give one number instead of a list.
    expect(resolveRunOptions({ dataset: "d" }, { failUnder: 0.7, maxRegression: 2 }, {})).toMatchObject({
      failUnder: [0.7],
      maxRegression: 2,
    });
    expect(() => resolveRunOptions({ dataset: "d", failUnder: ["2"] }, {}, {})).toThrowError(
      '--fail-under: expected RATE (0 to 1, e.g. 0.8, or 80%) or CELL=RATE (e.g. mock/oracle=0.9) (got ["2"])',
    );
    expect(() => resolveRunOptions({ dataset: "d", maxRegression: -1 }, {}, {})).toThrowError(
      "--max-regression: expected 0 or more points (got -1)",
    );
    expect(() => resolveRunOptions({ dataset: "d", maxInfraErrors: "x" }, {}, {})).toThrowError(
      '--max-infra-errors: expected a count N (e.g. 3) or a fraction of tasks (e.g. 0.05 or 5%) (got "x")',
    );
    expect(() => resolveRunOptions({ dataset: "d", shard: "4/3" }, {}, {})).toThrowError(
      '--shard: expected I/N with 1 ≤ I ≤ N (e.g. 2/4) (got "4/3")',
    );
  });
});

describe("evaluateGates", () => {
  it("fail-under: every cell, a named cell overriding, exact messages and exit 3", () => {
    const report = evaluateGates(summary, cells, {
      failUnder: [
        { cell: null, rate: 0.5 },
        { cell: "mock/oracle", rate: 12 / 17 },
      ],
    });
    expect(report).toEqual({
      passed: false,
      exitCode: 3,
      results: [
        {
          gate: "fail_under",
          cell: "mock/oracle",
          passed: true,
          actual: 12 / 17,
          threshold: 12 / 17,
          message: "fail-under: mock/oracle resolve rate 70.6% (12/17) is at least 70.6%",
        },
        {
          gate: "fail_under",
          cell: "mock/wrong",
          passed: false,
          actual: 0,
          threshold: 0.5,
          message: "fail-under: mock/wrong resolve rate 0.0% (0/10) is below 50.0%",
        },
      ],
    });
  });
  it("fail-under: a planned cell without results fails", () => {
    const report = evaluateGates(summary, [...cells, "mock/lazy"], { failUnder: [{ cell: null, rate: 0 }] });
    expect(report.results.map((r) => [r.cell, r.passed, r.message])).toEqual([
      ["mock/lazy", false, "fail-under: mock/lazy has no results (needs 0.0%)"],
      ["mock/oracle", true, "fail-under: mock/oracle resolve rate 70.6% (12/17) is at least 0.0%"],
      ["mock/wrong", true, "fail-under: mock/wrong resolve rate 0.0% (0/10) is at least 0.0%"],
    ]);
    expect(report.exitCode).toBe(3);
  });
  it("max-regression: cells present in both, drop in points against the allowance", () => {
    const spec: GateSpec = {
      failUnder: [],
      baseline: {
        source: "base.json",
        cells: [
          { cell: "mock/oracle", resolve_rate: 0.8 },
          { cell: "mock/wrong", resolve_rate: 0 },
          { cell: "mock/gone", resolve_rate: 1 },
        ],
      },
      maxRegression: 5,
    };
    const report = evaluateGates(summary, cells, spec);
    expect(report.results).toEqual([
      {
        gate: "max_regression",
        cell: "mock/oracle",
        passed: false,
        actual: (0.8 - 12 / 17) * 100,
        threshold: 5,
        message: "max-regression: mock/oracle resolve rate 70.6% is 9.4 points below the baseline's 80.0% (allowed drop 5.0 points)",
      },
      {
        gate: "max_regression",
        cell: "mock/wrong",
        passed: true,
        actual: 0,
        threshold: 5,
        message: "max-regression: mock/wrong resolve rate 0.0% is equal to the baseline's 0.0% (allowed drop 5.0 points)",
      },
    ]);
    expect(report.exitCode).toBe(3);
    const better = evaluateGates(summary, cells, {
      ...spec,
      baseline: { source: "b", cells: [{ cell: "mock/oracle", resolve_rate: 0.5 }] },
      maxRegression: 0,
    });
    expect(better.results[0]!.message).toBe(
      "max-regression: mock/oracle resolve rate 70.6% is 20.6 points above the baseline's 50.0% (allowed drop 0.0 points)",
    );
    expect(better.passed).toBe(true);
  });
  it("max-infra-errors: count or rate over the whole run; its failure is exit 1 even with other failures", () => {
    expect(evaluateGates(summary, cells, { failUnder: [], maxInfraErrors: { kind: "count", max: 2 } })).toEqual({
      passed: true,
      exitCode: 0,
      results: [
        {
          gate: "max_infra_errors",
          cell: null,
          passed: true,
          actual: 2,
          threshold: 2,
          message: "max-infra-errors: 2 of 27 task(s) ended in error, allowed at most 2",
        },
      ],
    });
    const rate = evaluateGates(summary, cells, { failUnder: [{ cell: null, rate: 0.9 }], maxInfraErrors: { kind: "rate", max: 0.05 } });
    expect(rate.results.at(-1)).toEqual({
      gate: "max_infra_errors",
      cell: null,
      passed: false,
      actual: 2 / 27,
      threshold: 0.05,
      message: "max-infra-errors: 2 of 27 task(s) ended in error (7.4%), allowed at most 5.0%",
    });
    expect(rate.exitCode).toBe(1);
  });
  it("no gates: passes with no results", () => {
    expect(evaluateGates(summary, cells, { failUnder: [] })).toEqual({ passed: true, exitCode: 0, results: [] });
  });
});

describe("checks before the run", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-gates-"));
  const base = path.join(dir, "summary.json");
  writeFileSync(base, JSON.stringify({ run_id: "old", cells: [{ cell: "mock/oracle", resolve_rate: 0.9, tasks: 17 }] }));

  it("names unknown cells and a baseline with nothing in common", () => {
    expect(
      gateSpecProblems(
        { failUnder: [{ cell: "mock/lazy", rate: 0.5 }], baseline: { source: "b.json", cells: [{ cell: "x/y", resolve_rate: 1 }] } },
        cells,
      ),
    ).toEqual([
      '--fail-under mock/lazy=0.5: the run has no cell "mock/lazy" (cells: mock/oracle, mock/wrong)',
      "--baseline b.json: no cell in common with this run (baseline: x/y; run: mock/oracle, mock/wrong)",
    ]);
  });
  it("loads a baseline from a summary.json, a run directory, or a --json output", () => {
    expect(readBaseline(base)).toEqual({ source: base, cells: [{ cell: "mock/oracle", resolve_rate: 0.9 }] });
    expect(readBaseline(dir).cells).toEqual([{ cell: "mock/oracle", resolve_rate: 0.9 }]);
    const json = path.join(dir, "out.json");
    writeFileSync(json, JSON.stringify(jsonSummary({ runId: "r", runDir: "/x", status: "completed", shard: null, summary, gates: null })));
    expect(readBaseline(json).cells).toEqual([
      { cell: "mock/oracle", resolve_rate: 0.705882 },
      { cell: "mock/wrong", resolve_rate: 0 },
    ]);
  });
  it("refuses a missing or malformed baseline and --max-regression alone, as usage errors", () => {
    expect(() => readBaseline(path.join(dir, "nope.json"))).toThrowError(UsageError);
    expect(() => readBaseline(path.join(dir, "nope.json"))).toThrowError(/--baseline .*nope\.json: no such file or directory/);
    const bad = path.join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ cells: [{ cell: "a" }] }));
    expect(() => readBaseline(bad)).toThrowError(/--baseline .*bad\.json: not a summary\.json: cells\.0\.resolve_rate/);
    expect(() => loadGateSpec({ maxRegression: 3 }, cells)).toThrowError(
      "--max-regression 3: needs --baseline <summary.json> to compare with",
    );
    expect(() => loadGateSpec({ failUnder: ["mock/lazy=0.5"] }, cells)).toThrowError(UsageError);
  });
  it("builds the spec: baseline read, max-regression defaulting to 0", () => {
    expect(loadGateSpec({ failUnder: ["0.5"], baseline: base, maxInfraErrors: "2" }, cells)).toEqual({
      failUnder: [{ cell: null, rate: 0.5 }],
      baseline: { source: base, cells: [{ cell: "mock/oracle", resolve_rate: 0.9 }] },
      maxRegression: 0,
      maxInfraErrors: { kind: "count", max: 2 },
    });
  });
});
