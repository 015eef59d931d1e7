import { describe, expect, it } from "vitest";

import { latestResults } from "../../src/report/latest.js";
import { runWallSeconds, summarize, type SummaryRow } from "../../src/report/summary.js";
import type { TaskResult } from "../../src/report/types.js";
import { makeResult } from "./report-fixtures.js";

const cellA = { cell: "bedrock/claude@us-east-1", provider: "bedrock", model: "claude", region: "us-east-1" };
const cellB = { cell: "openai/gpt", provider: "openai", model: "gpt", region: null };

/** Two cells: A with a resolved, an unresolved and an error task; B with an unknown cost and a re-run. */
const results: TaskResult[] = [
  makeResult({
    ...cellB,
    instance_id: "b1",
    status: "error",
    resolved: false,
    end_reason: "error",
    cost_usd: 9,
    llm_latencies_s: [100],
    wall_s: 100,
  }),
  makeResult({
    ...cellA,
    instance_id: "a1",
    cost_usd: 0.1,
    input_tokens: 100,
    output_tokens: 50,
    cache_read_tokens: 10,
    cache_write_tokens: 5,
    reasoning_tokens: 3,
    llm_calls: 2,
    llm_retries: 1,
    throttle_events: 1,
    throttle_wait_s: 2.5,
    llm_latencies_s: [1, 2],
    ttfts_s: [0.5],
    wall_s: 10,
  }),
  makeResult({
    ...cellA,
    instance_id: "a2",
    status: "unresolved",
    resolved: false,
    cost_usd: 0.2,
    input_tokens: 200,
    output_tokens: 60,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    reasoning_tokens: 0,
    llm_calls: 3,
    llm_retries: null,
    throttle_events: 0,
    throttle_wait_s: null,
    llm_latencies_s: [3, 4, 5],
    ttfts_s: [0.25, 0.75],
    wall_s: 20,
  }),
  makeResult({
    ...cellA,
    instance_id: "a3",
    status: "error",
    resolved: false,
    end_reason: "error",
    error_class: "transient",
    cost_usd: 0.3,
    input_tokens: 1,
    output_tokens: 0,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    reasoning_tokens: 0,
    llm_calls: 0,
    llm_retries: 0,
    throttle_events: 2,
    throttle_wait_s: 0.5,
    llm_latencies_s: [],
    ttfts_s: [],
    wall_s: 30,
  }),
  // The re-run of b1 replaces the error above.
  makeResult({
    ...cellB,
    instance_id: "b1",
    attempt: 2,
    cost_usd: null,
    cost_source: "unknown",
    input_tokens: 10,
    output_tokens: 1,
    llm_calls: 1,
    llm_retries: null,
    throttle_wait_s: null,
    llm_latencies_s: [2],
    ttfts_s: [],
    wall_s: 5,
  }),
  makeResult({
    ...cellB,
    instance_id: "b2",
    cost_usd: 0.05,
    input_tokens: 20,
    output_tokens: 2,
    llm_calls: 1,
    llm_retries: null,
    throttle_wait_s: null,
    llm_latencies_s: [1.5],
    ttfts_s: [],
    wall_s: 7,
  }),
];

describe("summarize", () => {
  it("computes every column per cell, cells sorted by name", () => {
    const expected: SummaryRow[] = [
      {
        run_id: "run-9",
        ...cellA,
        tasks: 3,
        resolved: 1,
        unresolved: 1,
        errors: 1,
        resolve_rate: 1 / 3,
        resolve_rate_ci_low: 0.06149194472039621,
        resolve_rate_ci_high: 0.7923403991979522,
        cost_usd_total: 0.6000000000000001, // 0.1 + 0.2 + 0.3; rounded to 0.6 when written
        cost_usd_mean: 0.20000000000000004,
        cost_per_resolved: 0.6000000000000001,
        input_tokens: 301,
        output_tokens: 110,
        cache_read_tokens: 10,
        cache_write_tokens: 5,
        reasoning_tokens: 3,
        llm_calls: 5,
        llm_retries: 1, // the unknown count of a2 is left out
        throttle_events: 3,
        throttle_wait_s: 3,
        llm_latency_s_p50: 3, // over [1, 2, 3, 4, 5]; per-task p50s would average to 2.75
        llm_latency_s_p95: 4.8,
        ttft_s_p50: 0.5,
        wall_s_p50: 20,
        wall_s_p95: 29,
        run_wall_s: 123.5,
      },
      {
        run_id: "run-9",
        ...cellB,
        tasks: 2,
        resolved: 2,
        unresolved: 0,
        errors: 0,
        resolve_rate: 1,
        resolve_rate_ci_low: 0.34238022750665303,
        resolve_rate_ci_high: 1,
        cost_usd_total: null, // b1's cost is unknown
        cost_usd_mean: null,
        cost_per_resolved: null,
        input_tokens: 30,
        output_tokens: 3,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        reasoning_tokens: 0,
        llm_calls: 2,
        llm_retries: null,
        throttle_events: 0,
        throttle_wait_s: null,
        llm_latency_s_p50: 1.75,
        llm_latency_s_p95: 1.975,
        ttft_s_p50: null,
        wall_s_p50: 6,
        wall_s_p95: 6.9,
        run_wall_s: 123.5,
      },
    ];
    expect(summarize(results, { runId: "run-9", runWallS: 123.5 })).toEqual(expected);
  });

  it("gives cost_per_resolved null when nothing was resolved, and no rows for no results", () => {
    const [row] = summarize([makeResult({ status: "unresolved", resolved: false, cost_usd: 0.25 })], {
      runId: "r",
      runWallS: null,
    });
    expect(row).toMatchObject({
      tasks: 1,
      resolved: 0,
      resolve_rate: 0,
      resolve_rate_ci_low: 0,
      cost_usd_total: 0.25,
      cost_usd_mean: 0.25,
      cost_per_resolved: null,
      run_wall_s: null,
    });
    expect(summarize([], { runId: "r", runWallS: null })).toEqual([]);
  });

  it("does not depend on the order of the lines beyond which one is last", () => {
    const shuffled = [results[3], results[1], results[0], results[5], results[2], results[4]] as TaskResult[];
    expect(summarize(shuffled, { runId: "x", runWallS: 1 })).toEqual(summarize(results, { runId: "x", runWallS: 1 }));
  });
});

describe("latestResults", () => {
  it("keeps the last line per (cell, instance_id), sorted by cell then instance_id", () => {
    const latest = latestResults(results);
    expect(latest.map((r) => [r.cell, r.instance_id, r.attempt])).toEqual([
      ["bedrock/claude@us-east-1", "a1", 1],
      ["bedrock/claude@us-east-1", "a2", 1],
      ["bedrock/claude@us-east-1", "a3", 1],
      ["openai/gpt", "b1", 2],
      ["openai/gpt", "b2", 1],
    ]);
    expect(latest[3]).toBe(results[4]);
  });

  it("a later line wins even with a lower attempt number, and pairs never collide", () => {
    const latest = latestResults([
      makeResult({ cell: "c", instance_id: "t", attempt: 2, wall_s: 1 }),
      makeResult({ cell: "c", instance_id: "t", attempt: 1, wall_s: 2 }),
      makeResult({ cell: "c\u0000t", instance_id: "x" }),
      makeResult({ cell: "c", instance_id: "t\u0000x" }),
    ]);
    expect(latest.map((r) => [r.cell, r.instance_id, r.wall_s])).toEqual([
      ["c", "t", 2],
      ["c", "t\u0000x", 8],
      ["c\u0000t", "x", 8],
    ]);
  });
});

describe("runWallSeconds", () => {
  it("is finished - started in seconds, null while unfinished", () => {
    expect(runWallSeconds("2025-01-01T00:00:00.000Z", "2025-01-01T01:00:01.250Z")).toBe(3601.25);
    expect(runWallSeconds("2025-01-01T00:00:00.000Z", null)).toBeNull();
    expect(runWallSeconds("2025-01-01T00:00:00.000Z", undefined)).toBeNull();
    expect(() => runWallSeconds("yesterday", "2025-01-01T00:00:00Z")).toThrow(
      'started_at: expected an ISO 8601 timestamp, got "yesterday"',
    );
  });
});
