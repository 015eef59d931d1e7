// Per-cell summary of a run (summary.csv / summary.json): counts, resolve rate with its Wilson
// interval, cost, tokens, throttling and exact latency percentiles over every model call.

import { latestResults } from "./latest.js";
import { percentile, sum, wilsonInterval } from "./stats.js";
import type { SummaryColumn, TaskResult } from "./types.js";

/**
 * One summary.csv row. Values are exact (unrounded); rounding for display happens when a row is
 * written (format.ts). `null` means unknown and prints blank.
 */
export interface SummaryRow {
  run_id: string;
  cell: string;
  provider: string;
  model: string;
  region: string | null;
  /** Every latest result of the cell, errors included. */
  tasks: number;
  resolved: number;
  unresolved: number;
  errors: number;
  /** resolved / tasks. */
  resolve_rate: number;
  /** 95% Wilson interval over (resolved, tasks). */
  resolve_rate_ci_low: number;
  resolve_rate_ci_high: number;
  /** null when any task's cost is unknown: a partial total would understate the cost. */
  cost_usd_total: number | null;
  /** cost_usd_total / tasks; null with the total. */
  cost_usd_mean: number | null;
  /** cost_usd_total / resolved; null with the total or when nothing was resolved. */
  cost_per_resolved: number | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  llm_calls: number;
  /** Sum over the tasks that measured it; null when none did. */
  llm_retries: number | null;
  throttle_events: number;
  /** Sum over the tasks that measured it; null when none did. */
  throttle_wait_s: number | null;
  /** Percentiles over all model calls of the cell (not an average of per-task percentiles). */
  llm_latency_s_p50: number | null;
  llm_latency_s_p95: number | null;
  ttft_s_p50: number | null;
  wall_s_p50: number | null;
  wall_s_p95: number | null;
  /** Wall time of the whole run (the same on every row); null while it is unfinished. */
  run_wall_s: number | null;
}

// SummaryRow must have exactly the SUMMARY_COLUMNS as keys; this fails to compile otherwise.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type SummaryRowMatchesColumns = Assert<Same<keyof SummaryRow, SummaryColumn>>;

/** Options of summarize(). */
export interface SummarizeOptions {
  /** Run id printed on every row. */
  runId: string;
  /** Wall time of the whole run in seconds (see runWallSeconds); null while unfinished. */
  runWallS: number | null;
}

/** Sum of the known values; null when every value is unknown (or there are none). */
function sumKnown(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : sum(known);
}

/** Sum of all values; null as soon as one is unknown. */
function sumAll(values: readonly (number | null)[]): number | null {
  return values.includes(null) ? null : sum(values as number[]);
}

/**
 * One row per cell, cells sorted by name (code-unit order, so the order does not depend on which
 * task happened to finish first). Only the latest result of each (cell, instance_id) counts
 * (latestResults), and results are aggregated in sorted order, so the output is a function of
 * the set of latest results alone. A task's outcome is read from `status`.
 */
export function summarize(results: readonly TaskResult[], opts: SummarizeOptions): SummaryRow[] {
  const byCell = new Map<string, TaskResult[]>();
  for (const result of latestResults(results)) {
    const cell = byCell.get(result.cell);
    if (cell === undefined) byCell.set(result.cell, [result]);
    else cell.push(result);
  }
  return [...byCell.values()].map((tasks) => summarizeCell(tasks, opts));
}

function summarizeCell(tasks: readonly TaskResult[], opts: SummarizeOptions): SummaryRow {
  const first = tasks[0];
  if (first === undefined) throw new Error("summarizeCell: a cell without results");
  const count = (status: TaskResult["status"]): number => tasks.filter((t) => t.status === status).length;
  const resolved = count("resolved");
  // n ≥ 1 here, so the interval exists.
  const ci = wilsonInterval(resolved, tasks.length) ?? { low: 0, high: 1 };
  const costTotal = sumAll(tasks.map((t) => t.cost_usd));
  const latencies = tasks.flatMap((t) => t.llm_latencies_s);
  const walls = tasks.map((t) => t.wall_s);
  return {
    run_id: opts.runId,
    cell: first.cell,
    provider: first.provider,
    model: first.model,
    region: first.region,
    tasks: tasks.length,
    resolved,
    unresolved: count("unresolved"),
    errors: count("error"),
    resolve_rate: resolved / tasks.length,
    resolve_rate_ci_low: ci.low,
    resolve_rate_ci_high: ci.high,
    cost_usd_total: costTotal,
    cost_usd_mean: costTotal === null ? null : costTotal / tasks.length,
    cost_per_resolved: costTotal === null || resolved === 0 ? null : costTotal / resolved,
    input_tokens: sum(tasks.map((t) => t.input_tokens)),
    output_tokens: sum(tasks.map((t) => t.output_tokens)),
    cache_read_tokens: sum(tasks.map((t) => t.cache_read_tokens)),
    cache_write_tokens: sum(tasks.map((t) => t.cache_write_tokens)),
    reasoning_tokens: sum(tasks.map((t) => t.reasoning_tokens)),
    llm_calls: sum(tasks.map((t) => t.llm_calls)),
    llm_retries: sumKnown(tasks.map((t) => t.llm_retries)),
    throttle_events: sum(tasks.map((t) => t.throttle_events)),
    throttle_wait_s: sumKnown(tasks.map((t) => t.throttle_wait_s)),
    llm_latency_s_p50: percentile(latencies, 50),
    llm_latency_s_p95: percentile(latencies, 95),
    ttft_s_p50: percentile(
      tasks.flatMap((t) => t.ttfts_s),
      50,
    ),
    wall_s_p50: percentile(walls, 50),
    wall_s_p95: percentile(walls, 95),
    run_wall_s: opts.runWallS,
  };
}

/**
 * Wall time of a run in seconds from its run.json timestamps (ISO 8601); null while unfinished.
 * The runner should compute run_wall_s with this too, so `bench report` rebuilds the same bytes.
 * @throws RangeError for a timestamp that does not parse.
 */
export function runWallSeconds(startedAt: string, finishedAt: string | null | undefined): number | null {
  if (finishedAt === null || finishedAt === undefined) return null;
  const start = Date.parse(startedAt);
  const end = Date.parse(finishedAt);
  if (Number.isNaN(start)) throw new RangeError(`started_at: expected an ISO 8601 timestamp, got ${JSON.stringify(startedAt)}`);
  if (Number.isNaN(end)) throw new RangeError(`finished_at: expected an ISO 8601 timestamp, got ${JSON.stringify(finishedAt)}`);
  return (end - start) / 1000;
}
