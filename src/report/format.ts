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
