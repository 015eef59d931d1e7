// `bench compare`: cells of one or more runs side by side on the tasks they share, and paired
// statistics for every pair of cells (McNemar, paired bootstrap) → compare.csv rows and a stderr table.
// Pure: inputs are already loaded (compare-load.ts reads the files).

import { getOrInsert } from "../util/maps.js";
import { toCsv } from "./csv.js";
import { formatRate, formatTable, formatUsd, MOCK_COST_NOTE } from "./format.js";
import { compareText, latestResults } from "./latest.js";
import { BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, mcnemarExactP, pairedBootstrap } from "./paired-stats.js";
import { summarize, type SummaryRow } from "./summary.js";
import type { TaskResult } from "./types.js";

/** What one command-line argument held: per-task results (a run dir, results.jsonl) or only a summary.json. */
export type CompareInput =
  | { kind: "results"; source: string; runId: string; results: readonly TaskResult[] }
  | { kind: "summary"; source: string; runId: string; cells: readonly SummaryRow[] };

/** compare.csv columns, in order (documented in docs/ARCHITECTURE.md; add at the end, never reorder). */
export const COMPARE_COLUMNS = [
  "kind",
  "label",
  "label_b",
  "run_id",
  "cell",
  "provider",
  "model",
  "region",
  "basis",
  "tasks",
  "tasks_not_shared",
  "resolved",
  "unresolved",
  "errors",
  "resolve_rate",
  "resolve_rate_ci_low",
  "resolve_rate_ci_high",
  "cost_usd_total",
  "cost_usd_mean",
  "cost_per_resolved",
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "reasoning_tokens",
  "llm_latency_s_p50",
  "llm_latency_s_p95",
  "resolved_b",
  "only_a",
  "only_b",
  "mcnemar_p",
  "rate_diff",
  "rate_diff_ci_low",
  "rate_diff_ci_high",
] as const;

/**
 * A cell in the side-by-side table. With `basis: "shared_tasks"` every figure is over the tasks
 * all result-backed cells share; with `basis: "summary"` (a summary.json input) the figures are the
 * file's own, over that cell's tasks, and the cell has no paired statistics.
 */
export interface CompareCellRow {
  kind: "cell";
  /** The cell's name, prefixed with `<run_id>:` when two inputs have a cell of that name. */
  label: string;
  run_id: string;
  cell: string;
  provider: string;
  model: string;
  region: string | null;
  basis: "shared_tasks" | "summary";
  tasks: number;
  /** The cell's tasks left out because some other cell did not run them; null for summary cells. */
  tasks_not_shared: number | null;
  resolved: number;
  unresolved: number;
  errors: number;
  resolve_rate: number | null;
  resolve_rate_ci_low: number | null;
  resolve_rate_ci_high: number | null;
  cost_usd_total: number | null;
  cost_usd_mean: number | null;
  cost_per_resolved: number | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  llm_latency_s_p50: number | null;
  llm_latency_s_p95: number | null;
}

/** Paired statistics of cells A (`label`) and B (`label_b`) over the tasks both ran. */
export interface ComparePairRow {
  kind: "pair";
  label: string;
  label_b: string;
  /** Tasks both cells ran. */
  tasks: number;
  /** Of those, resolved by A / by B. */
  resolved: number;
  resolved_b: number;
  /** Resolved by A and not by B (McNemar's b) / by B and not by A (c). An error counts as not resolved. */
  only_a: number;
  only_b: number;
  /** Exact two-sided McNemar p-value on (only_a, only_b). */
  mcnemar_p: number;
  /** A's resolve rate minus B's, on the shared tasks; null when they share none. */
  rate_diff: number | null;
  /** Paired bootstrap percentile interval of rate_diff (seeded: BOOTSTRAP_SEED, BOOTSTRAP_RESAMPLES). */
  rate_diff_ci_low: number | null;
  rate_diff_ci_high: number | null;
}

/** The whole comparison. */
export interface Comparison {
  cells: CompareCellRow[];
  pairs: ComparePairRow[];
  /** Tasks every result-backed cell ran (the basis of the shared_tasks rows). */
  sharedTasks: number;
  /** Things the reader must know (left-out tasks, cells without paired statistics), one line each. */
  notes: string[];
}

/** Options of compareRuns(). */
export interface CompareOptions {
  /** @default BOOTSTRAP_SEED */
  seed?: number;
  /** @default BOOTSTRAP_RESAMPLES */
  resamples?: number;
}

interface Source {
  runId: string;
  cell: string;
  provider: string;
  model: string;
  region: string | null;
  /** Latest result per instance (results inputs), or the summary row (summary inputs). */
  results?: Map<string, TaskResult>;
  summary?: SummaryRow;
  input: number;
}

/**
 * Compares the cells of `inputs`, in input order (and cell-name order within an input).
 * Cell rows: result-backed cells are summarized (summarize()) over the tasks every result-backed
 * cell ran; summary.json cells keep their own figures. Pair rows: every pair of result-backed
 * cells, in that order, over the tasks the two share. An `error` task counts as not resolved.
 */
export function compareRuns(inputs: readonly CompareInput[], opts: CompareOptions = {}): Comparison {
  const sources: Source[] = [];
  inputs.forEach((input, i) => {
    if (input.kind === "summary") {
      for (const row of input.cells) {
        sources.push({
          runId: input.runId,
          cell: row.cell,
          provider: row.provider,
          model: row.model,
          region: row.region,
          summary: row,
          input: i,
        });
      }
      return;
    }
    const byCell = new Map<string, Map<string, TaskResult>>();
    for (const r of latestResults(input.results)) {
      getOrInsert(byCell, r.cell, () => new Map()).set(r.instance_id, r);
    }
    for (const [cell, results] of byCell) {
      const first = results.values().next().value as TaskResult;
      sources.push({ runId: input.runId, cell, provider: first.provider, model: first.model, region: first.region, results, input: i });
    }
  });
  const labels = labelSources(sources);
  const notes: string[] = [];

  const backed = sources.filter((s) => s.results !== undefined);
  let shared: Set<string> = new Set();
  if (backed.length > 0) {
    shared = new Set(backed[0]?.results?.keys());
    for (const s of backed.slice(1)) shared = new Set([...shared].filter((id) => s.results?.has(id)));
  }

  const cells: CompareCellRow[] = sources.map((s, i) => {
    const label = labels[i] as string;
    if (s.summary !== undefined) return cellRow(label, s, s.summary, "summary", null);
    const kept = [...(s.results as Map<string, TaskResult>).values()].filter((r) => shared.has(r.instance_id));
    const left = (s.results as Map<string, TaskResult>).size - kept.length;
    if (left > 0) notes.push(`${label}: ${left} task(s) not run by every cell left out of the side-by-side table`);
    const row = summarize(kept, { runId: s.runId, runWallS: null })[0];
    return row === undefined ? emptyCellRow(label, s, left) : cellRow(label, s, row, "shared_tasks", left);
  });

  const summaryOnly = sources.map((s, i) => (s.summary !== undefined ? labels[i] : undefined)).filter((l) => l !== undefined);
  if (summaryOnly.length > 0) {
    notes.push(
      `${summaryOnly.join(", ")}: from summary.json, which has no per-task results: figures are over that cell's own tasks, ` +
        "and paired statistics (McNemar, bootstrap) need run directories or results.jsonl",
    );
  }

  const pairs: ComparePairRow[] = [];
  const backedIdx = sources.flatMap((s, i) => (s.results !== undefined ? [i] : []));
  for (let x = 0; x < backedIdx.length; x++) {
    for (let y = x + 1; y < backedIdx.length; y++) {
      const ia = backedIdx[x] as number;
      const ib = backedIdx[y] as number;
      pairs.push(pairRow(labels[ia] as string, labels[ib] as string, sources[ia] as Source, sources[ib] as Source, opts));
    }
  }
  return { cells, pairs, sharedTasks: shared.size, notes };
}

/** Cell names as labels; `<run_id>:<cell>` where two inputs share a name, `#<input>` appended if still ambiguous. */
function labelSources(sources: readonly Source[]): string[] {
  const count = (xs: string[], x: string): number => xs.filter((y) => y === x).length;
  const names = sources.map((s) => s.cell);
  const withRun = sources.map((s, i) => (count(names, s.cell) > 1 ? `${s.runId}:${s.cell}` : (names[i] as string)));
  return withRun.map((l, i) => (count(withRun, l) > 1 ? `${l}#${(sources[i] as Source).input + 1}` : l));
}

/** The columns that name a cell row: which run, cell, provider, model and region it stands for. */
function cellIdentity(label: string, s: Source) {
  return { kind: "cell" as const, label, run_id: s.runId, cell: s.cell, provider: s.provider, model: s.model, region: s.region };
}

function cellRow(label: string, s: Source, row: SummaryRow, basis: CompareCellRow["basis"], left: number | null): CompareCellRow {
  return {
    ...cellIdentity(label, s),
    basis,
    tasks: row.tasks,
    tasks_not_shared: left,
    resolved: row.resolved,
    unresolved: row.unresolved,
    errors: row.errors,
    resolve_rate: row.resolve_rate,
    resolve_rate_ci_low: row.resolve_rate_ci_low,
    resolve_rate_ci_high: row.resolve_rate_ci_high,
    cost_usd_total: row.cost_usd_total,
    cost_usd_mean: row.cost_usd_mean,
    cost_per_resolved: row.cost_per_resolved,
    input_tokens: row.input_tokens,
    output_tokens: row.output_tokens,
    cache_read_tokens: row.cache_read_tokens,
    cache_write_tokens: row.cache_write_tokens,
    reasoning_tokens: row.reasoning_tokens,
    llm_latency_s_p50: row.llm_latency_s_p50,
    llm_latency_s_p95: row.llm_latency_s_p95,
  };
}

/** A result-backed cell that shares no task with the others: counts 0, rates unknown. */
function emptyCellRow(label: string, s: Source, left: number): CompareCellRow {
  return {
    ...cellIdentity(label, s),
    basis: "shared_tasks",
    tasks: 0,
    tasks_not_shared: left,
    resolved: 0,
    unresolved: 0,
    errors: 0,
    resolve_rate: null,
    resolve_rate_ci_low: null,
    resolve_rate_ci_high: null,
    cost_usd_total: 0,
    cost_usd_mean: null,
    cost_per_resolved: null,
    input_tokens: 0,
    output_tokens: 0,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    reasoning_tokens: 0,
    llm_latency_s_p50: null,
    llm_latency_s_p95: null,
  };
}

function pairRow(labelA: string, labelB: string, a: Source, b: Source, opts: CompareOptions): ComparePairRow {
  const resultsA = a.results as Map<string, TaskResult>;
  const resultsB = b.results as Map<string, TaskResult>;
  // Sorted ids: the bootstrap's resampling order must not depend on file order.
  const ids = [...resultsA.keys()].filter((id) => resultsB.has(id)).sort(compareText);
  const solvedA = ids.map((id) => resultsA.get(id)?.status === "resolved");
  const solvedB = ids.map((id) => resultsB.get(id)?.status === "resolved");
  const onlyA = ids.filter((_, i) => solvedA[i] && !solvedB[i]).length;
  const onlyB = ids.filter((_, i) => !solvedA[i] && solvedB[i]).length;
  const interval = pairedBootstrap(solvedA, solvedB, {
    seed: opts.seed ?? BOOTSTRAP_SEED,
    resamples: opts.resamples ?? BOOTSTRAP_RESAMPLES,
  });
  return {
    kind: "pair",
    label: labelA,
    label_b: labelB,
    tasks: ids.length,
    resolved: solvedA.filter(Boolean).length,
    resolved_b: solvedB.filter(Boolean).length,
    only_a: onlyA,
    only_b: onlyB,
    mcnemar_p: mcnemarExactP(onlyA, onlyB),
    rate_diff: ids.length === 0 ? null : (onlyA - onlyB) / ids.length,
    rate_diff_ci_low: interval?.low ?? null,
    rate_diff_ci_high: interval?.high ?? null,
  };
}

/** compare.csv: a header of COMPARE_COLUMNS, the cell rows, then the pair rows (same rendering as report.csv). */
export function compareCsv(comparison: Comparison): string {
  return toCsv(COMPARE_COLUMNS, [...comparison.cells, ...comparison.pairs]);
}

const secs = (x: number | null): string => (x === null ? "-" : `${x.toFixed(2)}s`);

/**
 * The readable form (stdout): the cells table, the pairs table (when there are pairs) and the
 * notes. Ends with a newline.
 */
export function formatCompareTable(comparison: Comparison): string {
  const cellTable = formatTable(
    ["cell", "tasks", "resolved", "rate [95% CI]", "$/task", "$/resolved", "tokens in", "tokens out", "p50 llm", "p95 llm"],
    comparison.cells.map((c) => [
      c.basis === "summary" ? `${c.label} (summary)` : c.label,
      String(c.tasks),
      String(c.resolved),
      c.resolve_rate === null ? "-" : formatRate(c.resolve_rate, c.resolve_rate_ci_low ?? 0, c.resolve_rate_ci_high ?? 0),
      mockMark(c, formatUsd(c.cost_usd_mean)),
      c.resolved === 0 && c.cost_usd_total !== null ? "-" : mockMark(c, formatUsd(c.cost_per_resolved)),
      String(c.input_tokens),
      String(c.output_tokens),
      secs(c.llm_latency_s_p50),
      secs(c.llm_latency_s_p95),
    ]),
    new Set([1, 2, 4, 5, 6, 7, 8, 9]),
  );
  const backed = comparison.cells.some((c) => c.basis === "shared_tasks");
  const parts = [
    backed ? `cells (on the ${comparison.sharedTasks} task(s) every run-backed cell ran)` : "cells (from summary.json)",
    cellTable,
  ];
  if (comparison.pairs.length > 0) {
    parts.push(
      "",
      "pairs (tasks both ran; diff = A − B, 95% paired bootstrap interval)",
      formatTable(
        ["A", "B", "shared", "A only", "B only", "McNemar p", "diff [95% CI]"],
        comparison.pairs.map((p) => [
          p.label,
          p.label_b,
          String(p.tasks),
          String(p.only_a),
          String(p.only_b),
          p.mcnemar_p < 0.0001 ? p.mcnemar_p.toExponential(2) : p.mcnemar_p.toFixed(4),
          p.rate_diff === null ? "-" : `${signedPct(p.rate_diff)} [${signed(p.rate_diff_ci_low)}–${signed(p.rate_diff_ci_high)}]`,
        ]),
        new Set([2, 3, 4, 5]),
      ),
    );
  }
  for (const note of comparison.notes) parts.push(`note: ${note}`);
  if (comparison.cells.some((c) => c.provider === "mock" && c.cost_usd_total !== null)) parts.push(MOCK_COST_NOTE);
  return `${parts.join("\n")}\n`;
}

/** A mock cell's known cost is marked: its price is made up (MOCK_COST_NOTE). */
function mockMark(c: Pick<CompareCellRow, "provider" | "cost_usd_total">, text: string): string {
  return c.provider === "mock" && c.cost_usd_total !== null && text.startsWith("$") ? `${text}*` : text;
}

/** A percentage-point difference with its sign: `+12.5`, `-3.0`, `0.0`. */
function signed(x: number | null): string {
  if (x === null) return "-";
  const text = (x * 100).toFixed(1);
  return x > 0 ? `+${text}` : text;
}

function signedPct(x: number | null): string {
  return x === null ? "-" : `${signed(x)}%`;
}
