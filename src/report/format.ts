// How report values are rendered: the one table of number formats per column, and cell-to-text rules
// shared by the CSV writer and summary.json (so both show the same figures).

import type { ReportColumn, SummaryColumn } from "./types.js";
import { round, roundSignificant } from "./stats.js";

/**
 * Number kinds and their display rule:
 * - `count`   integers (tasks, tokens, calls): printed as is.
 * - `seconds` durations: rounded to 3 decimals (milliseconds).
 * - `usd`     money: rounded to 10 significant digits, which removes float noise from sums of
 *             per-call prices while keeping sub-cent figures exact.
 * - `ratio`   rates and interval bounds in [0, 1]: rounded to 6 decimals.
 * A numeric column not listed in COLUMN_NUMBER_KINDS gets 15 significant digits (float noise off,
 * nothing meaningful lost). Every number prints in plain decimal notation, never `1e-7`.
 */
export type NumberKind = "count" | "seconds" | "usd" | "ratio";

const KIND_RULES: Record<NumberKind, (n: number) => number> = {
  count: (n) => (Number.isInteger(n) ? n : roundSignificant(n, 15)),
  seconds: (n) => round(n, 3),
  usd: (n) => roundSignificant(n, 10),
  ratio: (n) => round(n, 6),
};

const defaultRule = (n: number): number => roundSignificant(n, 15);

/** The number kind of every numeric column of report.csv and summary.csv (the one place to decide). */
export const COLUMN_NUMBER_KINDS: Readonly<Partial<Record<ReportColumn | SummaryColumn, NumberKind>>> = {
  // report.csv
  iterations: "count",
  fake_user_responses: "count",
  tool_calls: "count",
  llm_calls: "count",
  llm_retries: "count",
  throttle_wait_s: "seconds",
  input_tokens: "count",
  output_tokens: "count",
  cache_read_tokens: "count",
  cache_write_tokens: "count",
  reasoning_tokens: "count",
  cost_usd: "usd",
  llm_latency_s_total: "seconds",
  llm_latency_s_p50: "seconds",
  llm_latency_s_p95: "seconds",
  ttft_s_p50: "seconds",
  sandbox_start_s: "seconds",
  agent_s: "seconds",
  grading_s: "seconds",
  wall_s: "seconds",
  patch_lines: "count",
  // summary.csv (columns shared with report.csv are above)
  tasks: "count",
  resolved: "count", // a count in summary.csv; a boolean in report.csv, and booleans print as true/false
  unresolved: "count",
  errors: "count",
  resolve_rate: "ratio",
  resolve_rate_ci_low: "ratio",
  resolve_rate_ci_high: "ratio",
  cost_usd_total: "usd",
  cost_usd_mean: "usd",
  cost_per_resolved: "usd",
  throttle_events: "count",
  wall_s_p50: "seconds",
  wall_s_p95: "seconds",
  run_wall_s: "seconds",
};

/**
 * Text that a spreadsheet would run as a formula gets a leading `'` (CSV injection guard, OWASP):
 * `= + - @`, tab, CR, and the full-width `＝ ＋ － ＠` that Apple Numbers folds into them.
 */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/** A cell value a report may hold. */
export type CellValue = string | number | boolean | null | undefined;

/**
 * `n` rounded by its column's rule (see NumberKind).
 * @throws TypeError for NaN or ±Infinity: a non-finite figure is a bug upstream, not a blank.
 */
export function formatNumber(column: string, n: number): number {
  if (!Number.isFinite(n)) throw new TypeError(`column ${column}: expected a finite number, got ${n}`);
  const kind = (COLUMN_NUMBER_KINDS as Readonly<Record<string, NumberKind | undefined>>)[column];
  const rounded = kind === undefined ? defaultRule(n) : KIND_RULES[kind](n);
  return rounded === 0 ? 0 : rounded; // no "-0"
}

/** `n` in plain decimal notation (String(n) without the exponent form it uses below 1e-6 / from 1e21). */
export function plainDecimal(n: number): string {
  const text = String(n);
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (match === null) return text;
  const [, sign = "", lead = "", rest = "", exp = "0"] = match;
  const digits = lead + rest;
  const point = 1 + Number(exp); // position of the decimal point within `digits`
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * The CSV text of one cell: null/undefined → empty (never "0"); booleans → `true`/`false`;
 * numbers by their column's rule in plain decimal; strings guarded against formula injection
 * (numbers are never guarded: `-5` is a number, `-x` a string). Quoting is the CSV writer's job.
 * @throws TypeError for a non-finite number or a value of another type (object, bigint...).
 */
export function renderCell(column: string, value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return plainDecimal(formatNumber(column, value));
  if (typeof value === "string") return FORMULA_START.test(value) ? `'${value}` : value;
  throw new TypeError(`column ${column}: expected a string, number, boolean or null, got ${typeof value}`);
}

/**
 * A copy of `row` with exactly `columns` as keys, in that order, numbers rounded as in the CSV
 * and undefined turned into null: the machine-readable twin of a CSV row (summary.json).
 */
export function normalizeRow<R extends object, C extends keyof R & string>(columns: readonly C[], row: R): Pick<R, C> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const column of columns) {
    const value: unknown = row[column];
    if (value === null || value === undefined) out[column] = null;
    else if (typeof value === "number") out[column] = formatNumber(column, value);
    else if (typeof value === "string" || typeof value === "boolean") out[column] = value;
    else throw new TypeError(`column ${column}: expected a string, number, boolean or null, got ${typeof value}`);
  }
  // Numbers stay numbers and strings stay strings, so every field keeps its type in R.
  return out as Pick<R, C>;
}

/** A rate with its 95% interval, the one format of every table and summary line: `62.5% [40.9–80.0]`. */
export function formatRate(rate: number, low: number, high: number): string {
  const p = (x: number): string => (x * 100).toFixed(1);
  return `${p(rate)}% [${p(low)}–${p(high)}]`;
}

/** "$0.0421" under a dollar, "$12.34" above; `unknown` for null. */
export function formatUsd(x: number | null): string {
  return x === null ? "unknown" : `$${x.toFixed(x < 1 ? 4 : 2)}`;
}

/** Cuts the middle out of `text` to fit `width` ("bedrock/us.anth…v1:0@us-west-2"): both ends say the most. */
export function abbreviate(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return text.slice(0, width);
  const tail = Math.floor((width - 1) / 2);
  return `${text.slice(0, width - 1 - tail)}…${text.slice(text.length - tail)}`;
}

/** Columns padded to their widest cell, two spaces apart; `right` holds the right-aligned column indexes. No trailing newline. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], right: ReadonlySet<number>): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all
    .map((r) =>
      r
        .map((c, i) => (right.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** The figures formatSummaryTable reads from a summary row. */
export interface SummaryTableRow {
  cell: string;
  provider: string;
  tasks: number;
  resolved: number;
  resolve_rate: number;
  resolve_rate_ci_low: number;
  resolve_rate_ci_high: number;
  cost_usd_total: number | null;
  llm_latency_s_p50: number | null;
}

export interface SummaryTableOptions {
  /** Terminal width: the cell column is abbreviated in the middle so no line is wider. @default no limit (a pipe, a file) */
  width?: number | undefined;
  /** Every cell of the run, in order: one with no finished task still gets a row. @default the rows' cells */
  cells?: readonly string[];
}

export const MOCK_COST_NOTE = "* mock cell: cost from a made-up price, not a real one";

/**
 * The final results table (stdout): cell, tasks, resolved, resolve rate with its 95% interval, total cost (`unknown`
 * when any task's is; `*` for a mock cell's made-up price, with a footnote) and the p50 model-call latency. Ends with a newline.
 */
export function formatSummaryTable(rows: readonly SummaryTableRow[], opts: SummaryTableOptions = {}): string {
  const byCell = new Map(rows.map((r) => [r.cell, r]));
  const cells = [...(opts.cells ?? []), ...rows.map((r) => r.cell)].filter((c, i, all) => all.indexOf(c) === i);
  const body = cells.map((cell) => {
    const row = byCell.get(cell);
    if (!row) return [cell, "0", "0", "-", "-", "-"];
    const mock = row.provider === "mock" && row.cost_usd_total !== null;
    return [
      cell,
      String(row.tasks),
      String(row.resolved),
      formatRate(row.resolve_rate, row.resolve_rate_ci_low, row.resolve_rate_ci_high),
      `${formatUsd(row.cost_usd_total)}${mock ? "*" : ""}`,
      row.llm_latency_s_p50 === null ? "-" : `${row.llm_latency_s_p50.toFixed(2)}s`,
    ];
  });
  const header = ["cell", "tasks", "resolved", "rate [95% CI]", "cost", "p50 llm"];
  if (opts.width !== undefined && opts.width > 0) {
    // Everything but the cell column, as wide as it will print, then the cell column gets what is left (at least 12).
    const others = header.slice(1).map((h, i) => Math.max(h.length, ...body.map((r) => r[i + 1]!.length)) + 2);
    const room = Math.max(12, opts.width - others.reduce((a, b) => a + b, 0));
    for (const r of body) r[0] = abbreviate(r[0]!, room);
  }
  const notes = [
    ...(body.some((r) => r[4]!.endsWith("*")) ? [MOCK_COST_NOTE] : []),
    ...(cells.some((c) => !byCell.has(c)) ? ["- no task of this cell finished"] : []),
  ];
  return `${[formatTable(header, body, new Set([1, 2, 4, 5])), ...notes].join("\n")}\n`;
}
