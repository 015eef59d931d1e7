import { describe, expect, it } from "vitest";

import { COMPARE_COLUMNS, compareCsv, compareRuns, formatCompareTable, type CompareInput } from "../../src/report/compare.js";
import { summarize } from "../../src/report/summary.js";
import type { TaskResult } from "../../src/report/types.js";
import { makeResult } from "./report-fixtures.js";

const oracle = { cell: "mock/oracle", provider: "mock", model: "oracle" };
const wrong = { cell: "mock/wrong", provider: "mock", model: "wrong" };
const unresolved = { status: "unresolved", resolved: false } as const;

// A: t1-t3 resolved, t4 an error. B: t1 resolved, t2-t4 unresolved, and t5 (resolved) that A did not run.
const run1: TaskResult[] = [
  makeResult({ ...oracle, instance_id: "t1", cost_usd: 0.25, llm_latencies_s: [1, 2] }),
  makeResult({ ...oracle, instance_id: "t2", cost_usd: 0.5, llm_latencies_s: [3] }),
  makeResult({ ...oracle, instance_id: "t3", cost_usd: 0.125, llm_latencies_s: [4] }),
  makeResult({
    ...oracle,
    instance_id: "t4",
    status: "error",
    resolved: false,
    end_reason: "error",
    error_class: "sandbox",
    cost_usd: 0.125,
    llm_latencies_s: [],
  }),
  makeResult({ ...wrong, instance_id: "t1", cost_usd: 0.5, llm_latencies_s: [5] }),
  makeResult({ ...wrong, instance_id: "t2", ...unresolved, cost_usd: 0.5, llm_latencies_s: [6] }),
  makeResult({ ...wrong, instance_id: "t3", ...unresolved, cost_usd: null, cost_source: "unknown", llm_latencies_s: [7] }),
  makeResult({ ...wrong, instance_id: "t4", ...unresolved, cost_usd: 0.5, llm_latencies_s: [8] }),
  makeResult({ ...wrong, instance_id: "t5", cost_usd: 0.5, llm_latencies_s: [100] }),
];
const input1: CompareInput = { kind: "results", source: "results/run-1", runId: "run-1", results: run1 };

describe("compareRuns", () => {
  it("puts cells side by side on the shared tasks and pairs them (McNemar, bootstrap)", () => {
    const c = compareRuns([input1]);
    expect(c.sharedTasks).toBe(4);
    expect(c.cells).toEqual([
      {
        kind: "cell",
        label: "mock/oracle",
        run_id: "run-1",
        cell: "mock/oracle",
        provider: "mock",
        model: "oracle",
        region: null,
        basis: "shared_tasks",
        tasks: 4,
        tasks_not_shared: 0,
        resolved: 3,
        unresolved: 0,
        errors: 1,
        resolve_rate: 0.75,
        resolve_rate_ci_low: 0.30064184258240184,
        resolve_rate_ci_high: 0.9544127391902995,
        cost_usd_total: 1,
        cost_usd_mean: 0.25,
        cost_per_resolved: 1 / 3,
        input_tokens: 400,
        output_tokens: 80,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        reasoning_tokens: 0,
        llm_latency_s_p50: 2.5,
        llm_latency_s_p95: 3.8499999999999996,
      },
      {
        kind: "cell",
        label: "mock/wrong",
        run_id: "run-1",
        cell: "mock/wrong",
        provider: "mock",
        model: "wrong",
        region: null,
        basis: "shared_tasks",
        tasks: 4,
        tasks_not_shared: 1,
        resolved: 1,
        unresolved: 3,
        errors: 0,
        resolve_rate: 0.25,
        resolve_rate_ci_low: 0.04558726080970055,
        resolve_rate_ci_high: 0.6993581574175981,
        // t3's cost is unknown: the total is unknown, never a partial sum.
        cost_usd_total: null,
        cost_usd_mean: null,
        cost_per_resolved: null,
        input_tokens: 400,
        output_tokens: 80,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        reasoning_tokens: 0,
        llm_latency_s_p50: 6.5,
        llm_latency_s_p95: 7.85,
      },
    ]);
    // t2 and t3: A only; t4 (A's error) counts as not resolved, so it is concordant.
    expect(c.pairs).toEqual([
      {
        kind: "pair",
        label: "mock/oracle",
        label_b: "mock/wrong",
        tasks: 4,
        resolved: 3,
        resolved_b: 1,
        only_a: 2,
        only_b: 0,
        mcnemar_p: 0.5,
        rate_diff: 0.5,
        rate_diff_ci_low: 0,
        rate_diff_ci_high: 1,
      },
    ]);
    expect(c.notes).toEqual(["mock/wrong: 1 task(s) not run by every cell left out of the side-by-side table"]);
  });

  it("does not depend on the order of results.jsonl lines", () => {
    const reversed: CompareInput = { ...input1, results: [...run1].reverse() };
    expect(compareRuns([reversed])).toEqual(compareRuns([input1]));
  });

  it("labels same-named cells of different runs by run id and pairs across runs", () => {
    const run2 = run1
      .filter((r) => r.cell === "mock/oracle")
      .map((r) => ({ ...r, run_id: "run-2", status: "unresolved" as const, resolved: false }));
    const c = compareRuns([input1, { kind: "results", source: "run-2/results.jsonl", runId: "run-2", results: run2 }]);
    expect(c.cells.map((x) => x.label)).toEqual(["run-1:mock/oracle", "mock/wrong", "run-2:mock/oracle"]);
    expect(c.pairs.map((p) => [p.label, p.label_b, p.only_a, p.only_b])).toEqual([
      ["run-1:mock/oracle", "mock/wrong", 2, 0],
      ["run-1:mock/oracle", "run-2:mock/oracle", 3, 0],
      ["mock/wrong", "run-2:mock/oracle", 1, 0],
    ]);
    expect(c.pairs[1]?.mcnemar_p).toBe(0.25);
  });

  it("takes a summary.json's figures as they are, without paired statistics, and says so", () => {
    const rows = summarize(
      run1.filter((r) => r.cell === "mock/wrong"),
      { runId: "run-0", runWallS: 12 },
    );
    const c = compareRuns([{ kind: "summary", source: "old/summary.json", runId: "run-0", cells: rows }, input1]);
    expect(c.cells.map((x) => [x.label, x.basis, x.tasks, x.tasks_not_shared])).toEqual([
      ["run-0:mock/wrong", "summary", 5, null],
      ["mock/oracle", "shared_tasks", 4, 0],
      ["run-1:mock/wrong", "shared_tasks", 4, 1],
    ]);
    expect(c.pairs.map((p) => [p.label, p.label_b])).toEqual([["mock/oracle", "run-1:mock/wrong"]]);
    expect(c.notes).toContain(
      "run-0:mock/wrong: from summary.json, which has no per-task results: figures are over that cell's own tasks, " +
        "and paired statistics (McNemar, bootstrap) need run directories or results.jsonl",
    );
  });

  it("reports a cell that shares no task with the others with unknown rates", () => {
    const other = [makeResult({ ...wrong, instance_id: "x9" })];
    const c = compareRuns([
      { kind: "results", source: "a", runId: "a", results: [makeResult({ instance_id: "t1" })] },
      { kind: "results", source: "b", runId: "b", results: other },
    ]);
    expect(c.sharedTasks).toBe(0);
    expect(c.cells.map((x) => [x.label, x.tasks, x.resolve_rate, x.tasks_not_shared])).toEqual([
      ["mock/oracle", 0, null, 1],
      ["mock/wrong", 0, null, 1],
    ]);
    expect(c.pairs[0]).toMatchObject({ tasks: 0, only_a: 0, only_b: 0, mcnemar_p: 1, rate_diff: null, rate_diff_ci_low: null });
  });
});

describe("compareCsv", () => {
  it("writes the COMPARE_COLUMNS header, cell rows, then pair rows, blank for unknown", () => {
    const lines = compareCsv(compareRuns([input1])).split("\n");
    expect(lines[0]).toBe(COMPARE_COLUMNS.join(","));
    expect(lines[1]).toBe(
      "cell,mock/oracle,,run-1,mock/oracle,mock,oracle,,shared_tasks,4,0,3,0,1,0.75,0.300642,0.954413,1,0.25,0.3333333333,400,80,0,0,0,2.5,3.85,,,,,,,",
    );
    expect(lines[2]).toBe(
      "cell,mock/wrong,,run-1,mock/wrong,mock,wrong,,shared_tasks,4,1,1,3,0,0.25,0.045587,0.699358,,,,400,80,0,0,0,6.5,7.85,,,,,,,",
    );
    expect(lines[3]).toBe("pair,mock/oracle,mock/wrong,,,,,,,4,,3,,,,,,,,,,,,,,,,1,2,0,0.5,0.5,0,1");
    expect(lines.slice(4)).toEqual([""]);
  });
});

describe("formatCompareTable", () => {
  it("prints the cells, the pairs and the notes", () => {
    expect(formatCompareTable(compareRuns([input1]))).toBe(
      [
        "cells (on the 4 task(s) every run-backed cell ran)",
        "cell         tasks  resolved  rate [95% CI]        $/task  $/resolved  tokens in  tokens out  p50 llm  p95 llm",
        "mock/oracle      4         3  75.0% [30.1–95.4]  $0.2500*    $0.3333*        400          80    2.50s    3.85s",
        "mock/wrong       4         1  25.0% [4.6–69.9]    unknown     unknown        400          80    6.50s    7.85s",
        "",
        "pairs (tasks both ran; diff = A − B, 95% paired bootstrap interval)",
        "A            B           shared  A only  B only  McNemar p  diff [95% CI]",
        "mock/oracle  mock/wrong       4       2       0     0.5000  +50.0% [0.0–+100.0]",
        "note: mock/wrong: 1 task(s) not run by every cell left out of the side-by-side table",
        "* mock cell: cost from a made-up price, not a real one",
        "",
      ].join("\n"),
    );
  });
});
