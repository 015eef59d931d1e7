import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { UsageError } from "../../src/errors.js";
import { ResultsStore } from "../../src/report/store.js";
import { runWallSeconds, summarize } from "../../src/report/summary.js";
import type { TaskResult } from "../../src/report/types.js";
import { formatSummaryTable } from "../../src/report/format.js";
import { rebuildReports, renderReports, writeReports } from "../../src/report/write.js";
import { makeResult } from "./report-fixtures.js";
import { parseCsv } from "../helpers/csv.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "bench-report-write-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cellA = { cell: "bedrock/claude@us-east-1", provider: "bedrock", model: "claude", region: "us-east-1" };
const results: TaskResult[] = [
  makeResult({ ...cellA, instance_id: "a1", cost_usd: 0.1, llm_latencies_s: [1.0001, 2], wall_s: 10 }),
  makeResult({ ...cellA, instance_id: "a2", status: "unresolved", resolved: false, cost_usd: 0.2, wall_s: 20 }),
  makeResult({
    instance_id: "m1",
    status: "error",
    resolved: false,
    end_reason: "error",
    error_class: "invalid_request",
    error_message: "=cmd|' /C calc'!A0",
    cost_usd: null,
    cost_source: "unknown",
    llm_latencies_s: [],
    ttfts_s: [],
  }),
  makeResult({ ...cellA, instance_id: "a3", cost_usd: 0.3, wall_s: 30 }),
];
const started = "2025-01-01T00:00:00.000Z";
const finished = "2025-01-01T00:02:03.456Z";

describe("renderReports", () => {
  it("renders summary.csv and summary.json with the same rounded figures", () => {
    const out = renderReports(results, { runId: "run-1", runWallS: 123.456 });
    expect(out.summaryCsv).toBe(
      [
        "run_id,cell,provider,model,region,tasks,resolved,unresolved,errors,resolve_rate,resolve_rate_ci_low," +
          "resolve_rate_ci_high,cost_usd_total,cost_usd_mean,cost_per_resolved,input_tokens,output_tokens," +
          "cache_read_tokens,cache_write_tokens,reasoning_tokens,llm_calls,llm_retries,throttle_events," +
          "throttle_wait_s,llm_latency_s_p50,llm_latency_s_p95,ttft_s_p50,wall_s_p50,wall_s_p95,run_wall_s",
        "run-1,bedrock/claude@us-east-1,bedrock,claude,us-east-1,3,2,1,0,0.666667,0.20766,0.938508,0.6,0.2,0.3," +
          "300,60,0,0,0,9,0,0,0,1,1.65,0.5,20,29,123.456",
        "run-1,mock/oracle,mock,oracle,,1,0,0,1,0,0,0.793451,,,,100,20,0,0,0,3,0,0,0,,,,8,8,123.456",
        "",
      ].join("\n"),
    );
    expect(JSON.parse(out.summaryJson)).toEqual({
      run_id: "run-1",
      cells: [
        {
          run_id: "run-1",
          ...cellA,
          tasks: 3,
          resolved: 2,
          unresolved: 1,
          errors: 0,
          resolve_rate: 0.666667,
          resolve_rate_ci_low: 0.20766,
          resolve_rate_ci_high: 0.938508,
          cost_usd_total: 0.6,
          cost_usd_mean: 0.2,
          cost_per_resolved: 0.3,
          input_tokens: 300,
          output_tokens: 60,
          cache_read_tokens: 0,
          cache_write_tokens: 0,
          reasoning_tokens: 0,
          llm_calls: 9,
          llm_retries: 0,
          throttle_events: 0,
          throttle_wait_s: 0,
          llm_latency_s_p50: 1,
          llm_latency_s_p95: 1.65, // 1.650035 over all 8 calls of the cell
          ttft_s_p50: 0.5,
          wall_s_p50: 20,
          wall_s_p95: 29,
          run_wall_s: 123.456,
        },
        {
          run_id: "run-1",
          cell: "mock/oracle",
          provider: "mock",
          model: "oracle",
          region: null,
          tasks: 1,
          resolved: 0,
          unresolved: 0,
          errors: 1,
          resolve_rate: 0,
          resolve_rate_ci_low: 0,
          resolve_rate_ci_high: 0.793451,
          cost_usd_total: null,
          cost_usd_mean: null,
          cost_per_resolved: null,
          input_tokens: 100,
          output_tokens: 20,
          cache_read_tokens: 0,
          cache_write_tokens: 0,
          reasoning_tokens: 0,
          llm_calls: 3,
          llm_retries: 0,
          throttle_events: 0,
          throttle_wait_s: 0,
          llm_latency_s_p50: null,
          llm_latency_s_p95: null,
          ttft_s_p50: null,
          wall_s_p50: 8,
          wall_s_p95: 8,
          run_wall_s: 123.456,
        },
      ],
    });
  });

  it("renders report.csv rows sorted by cell then instance_id, with the injection guard", () => {
    const reportCsv = renderReports(results, { runId: "run-1", runWallS: null }).reportCsv;
    const lines = reportCsv.split("\n");
    expect(parseCsv(reportCsv).map((record) => record.slice(1, 7).join(","))).toEqual([
      "cell,provider,model,region,instance_id,status",
      "bedrock/claude@us-east-1,bedrock,claude,us-east-1,a1,resolved",
      "bedrock/claude@us-east-1,bedrock,claude,us-east-1,a2,unresolved",
      "bedrock/claude@us-east-1,bedrock,claude,us-east-1,a3,resolved",
      "mock/oracle,mock,oracle,,m1,error",
    ]);
    expect(lines.at(-1)).toBe(""); // a line break ends the last record
    expect(lines[4]).toContain(",error,invalid_request,'=cmd|' /C calc'!A0,3,");
  });
});

describe("writeReports and rebuildReports", () => {
  it("rebuilding from results.jsonl + run.json gives the same bytes", async () => {
    await writeFile(join(dir, "run.json"), JSON.stringify({ run_id: "run-1", started_at: started, finished_at: finished, extra: {} }));
    // An earlier attempt of a1, superseded by the later line.
    const lines = [makeResult({ ...cellA, instance_id: "a1", status: "error", resolved: false, end_reason: "error" }), ...results];
    const store = new ResultsStore(dir);
    for (const result of lines) await store.append(result);

    const written = await writeReports(dir, lines, {
      runId: "run-1",
      runWallS: runWallSeconds(started, finished),
    });
    expect(written).toEqual({
      reportCsv: join(dir, "report.csv"),
      summaryCsv: join(dir, "summary.csv"),
      summaryJson: join(dir, "summary.json"),
      summary: summarize(results, { runId: "run-1", runWallS: 123.456 }),
    });
    const original = await Promise.all(["report.csv", "summary.csv", "summary.json"].map((f) => readFile(join(dir, f))));

    // A torn last line, as after a crash mid-append, is left out of the rebuild.
    await writeFile(join(dir, "results.jsonl"), '{"run_id":"run-1","cell":', { flag: "a" });
    const rebuilt = await rebuildReports(dir);
    expect(rebuilt.runId).toBe("run-1");
    expect(rebuilt.runWallS).toBe(123.456);
    expect(rebuilt.skipped).toEqual([{ line: 6, reason: "incomplete last line (no trailing newline)" }]);
    const again = await Promise.all(["report.csv", "summary.csv", "summary.json"].map((f) => readFile(join(dir, f))));
    expect(again.map(String)).toEqual(original.map(String));
    expect(Buffer.concat(again).equals(Buffer.concat(original))).toBe(true);
    expect((await readdir(dir)).sort()).toEqual([
      "predictions.jsonl",
      "report.csv",
      "results.jsonl",
      "run.json",
      "summary.csv",
      "summary.json",
      "swebench",
    ]);
  });

  it("an unfinished run has a blank run_wall_s; no results.jsonl gives header-only reports", async () => {
    await writeFile(join(dir, "run.json"), JSON.stringify({ run_id: "r2", started_at: started, finished_at: null }));
    const rebuilt = await rebuildReports(dir);
    expect(rebuilt.runWallS).toBeNull();
    expect(rebuilt.summary).toEqual([]);
    expect(await readFile(join(dir, "summary.json"), "utf8")).toBe('{\n  "run_id": "r2",\n  "cells": []\n}\n');
    expect((await readFile(join(dir, "report.csv"), "utf8")).split("\n")).toHaveLength(2);

    await new ResultsStore(dir).append(makeResult());
    await rebuildReports(dir);
    const summaryLine = (await readFile(join(dir, "summary.csv"), "utf8")).split("\n")[1];
    expect(summaryLine?.endsWith(",8,8,")).toBe(true);
  });

  it("a missing or invalid run.json is a usage error naming the file", async () => {
    await expect(rebuildReports(dir)).rejects.toBeInstanceOf(UsageError);
    await writeFile(join(dir, "run.json"), JSON.stringify({ started_at: started }));
    await expect(rebuildReports(dir)).rejects.toThrow(`${join(dir, "run.json")}: run_id: `);
    await writeFile(join(dir, "run.json"), JSON.stringify({ run_id: "r", started_at: "soon", finished_at: finished }));
    await expect(rebuildReports(dir)).rejects.toThrow('started_at: expected an ISO 8601 timestamp, got "soon"');
    await writeFile(join(dir, "run.json"), "{");
    await expect(rebuildReports(dir)).rejects.toThrow(/run\.json: invalid JSON: /);
  });
});

describe("formatSummaryTable", () => {
  it("prints an aligned table", () => {
    const rows = summarize(results, { runId: "run-1", runWallS: null });
    expect(formatSummaryTable(rows)).toBe(
      [
        "cell                      tasks  resolved  rate [95% CI]         cost  p50 llm",
        "bedrock/claude@us-east-1      3         2  66.7% [20.8–93.9]  $0.6000    1.00s",
        "mock/oracle                   1         0  0.0% [0.0–79.3]    unknown        -",
        "",
      ].join("\n"),
    );
  });
});
