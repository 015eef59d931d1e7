// CI gates over a run's summary (--fail-under, --baseline with --max-regression, --max-infra-errors):
// parsing the thresholds and evaluating them. Pure; the CLI turns a failed report into exit 3 (or 1).

import type { SummaryRow } from "./summary.js";

/** `--fail-under RATE` (cell null: every cell) or `--fail-under CELL=RATE`. */
export interface FailUnderGate {
  cell: string | null;
  /** Lowest passing resolve rate, 0 to 1. */
  rate: number;
}

/** `--max-infra-errors N` (a count) or `--max-infra-errors 0.05` / `5%` (a fraction of the run's tasks). */
export type InfraErrorLimit = { kind: "count"; max: number } | { kind: "rate"; max: number };

/** A baseline cell: the figures the regression gate compares with. */
export interface BaselineCell {
  cell: string;
  resolve_rate: number;
}

/** Every gate of a run; an absent gate is not evaluated. */
export interface GateSpec {
  failUnder: FailUnderGate[];
  /** From `--baseline`: where it came from (for messages) and its cells. */
  baseline?: { source: string; cells: BaselineCell[] };
  /** Allowed drop in percentage points per cell against the baseline. @default 0 */
  maxRegression?: number;
  maxInfraErrors?: InfraErrorLimit;
}

export type GateName = "fail_under" | "max_regression" | "max_infra_errors";

/** One evaluated gate: per cell for fail_under and max_regression, per run (cell null) for max_infra_errors. */
export interface GateResult {
  gate: GateName;
  cell: string | null;
  passed: boolean;
  /** What was measured: resolve rate (0–1), drop in points, or error count / error rate; null when the cell has no results. */
  actual: number | null;
  /** The limit it was held to, in the same unit. */
  threshold: number;
  /** One line, the same whether it passed or failed. */
  message: string;
}

export interface GateReport {
  passed: boolean;
  /** 0 all passed; 1 the infrastructure-error gate failed (the run cannot be trusted); 3 another gate failed. */
  exitCode: 0 | 1 | 3;
  results: GateResult[];
}

const RATE_HINT = "RATE (0 to 1, e.g. 0.8, or a percentage, e.g. 80%) or CELL=RATE (e.g. mock/oracle=0.9)";

/** A rate "0.8" or "80%" → 0.8; null when it is not one, or outside 0–1. */
function parseRate(text: string): number | null {
  const t = text.trim();
  const percent = t.endsWith("%");
  const body = percent ? t.slice(0, -1).trim() : t;
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(body)) return null;
  const value = percent ? Number(body) / 100 : Number(body);
  return value >= 0 && value <= 1 ? value : null;
}

/**
 * Parses one `--fail-under` value: `RATE` or `CELL=RATE` (the last `=` splits, cell names have none).
 * @throws Error naming the flag, what was expected and what was given.
 */
export function parseFailUnder(raw: string | number): FailUnderGate {
  const text = String(raw);
  const eq = text.lastIndexOf("=");
  const cell = eq >= 0 ? text.slice(0, eq).trim() : null;
  const rate = parseRate(eq >= 0 ? text.slice(eq + 1) : text);
  if (rate === null || cell === "") throw new Error(`--fail-under: expected ${RATE_HINT}, got ${JSON.stringify(raw)}`);
  return { cell, rate };
}

/**
 * Parses `--max-infra-errors`: a whole number is a count of tasks; a value with a decimal point or a
 * `%` is a fraction of the run's tasks (so `1` allows one error and `1.0` allows all of them).
 * @throws Error naming the flag, what was expected and what was given.
 */
export function parseMaxInfraErrors(raw: string | number): InfraErrorLimit {
  const text = String(raw).trim();
  const bad = new Error(
    `--max-infra-errors: expected a count N (e.g. 3) or a fraction of tasks (e.g. 0.05 or 5%), got ${JSON.stringify(raw)}`,
  );
  if (typeof raw === "number" ? Number.isInteger(raw) : /^\d+$/.test(text)) {
    const max = Number(text);
    if (!Number.isSafeInteger(max) || max < 0) throw bad;
    return { kind: "count", max };
  }
  const rate = parseRate(text);
  if (rate === null) throw bad;
  return { kind: "rate", max: rate };
}

/** Resolve rate as a percentage with one decimal: 0.70588 → "70.6%". */
export function percentText(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

// Rates are ratios of small integers; a threshold equal to the rate must pass despite float noise.
const EPSILON = 1e-9;

/**
 * The threshold of each cell: a CELL=RATE gate wins over a plain RATE one; among gates for the
 * same target the last one given wins.
 */
function failUnderByCell(gates: readonly FailUnderGate[], cells: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  let all: number | undefined;
  for (const g of gates) if (g.cell === null) all = g.rate;
  if (all !== undefined) for (const cell of cells) out.set(cell, all);
  for (const g of gates) if (g.cell !== null) out.set(g.cell, g.rate);
  return out;
}

/**
 * Evaluates the gates against a run's summary rows. `cells` are the run's planned cells: a
 * planned cell without a summary row (no result at all) fails its fail-under gate. Results come in
 * a fixed order: fail_under and max_regression per cell (sorted by cell), then max_infra_errors.
 */
export function evaluateGates(summary: readonly SummaryRow[], cells: readonly string[], spec: GateSpec): GateReport {
  const rows = new Map(summary.map((r) => [r.cell, r]));
  const allCells = [...new Set([...cells, ...rows.keys()])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const results: GateResult[] = [];

  const thresholds = failUnderByCell(spec.failUnder, allCells);
  const baseline = new Map((spec.baseline?.cells ?? []).map((c) => [c.cell, c]));
  const allowed = spec.maxRegression ?? 0;
  for (const cell of allCells) {
    const row = rows.get(cell);
    const threshold = thresholds.get(cell);
    if (threshold !== undefined) {
      if (!row) {
        results.push({
          gate: "fail_under",
          cell,
          passed: false,
          actual: null,
          threshold,
          message: `fail-under: ${cell} has no results (needs ${percentText(threshold)})`,
        });
      } else {
        const passed = row.resolve_rate >= threshold - EPSILON;
        const measured = `${cell} resolve rate ${percentText(row.resolve_rate)} (${row.resolved}/${row.tasks})`;
        results.push({
          gate: "fail_under",
          cell,
          passed,
          actual: row.resolve_rate,
          threshold,
          message: `fail-under: ${measured} ${passed ? "is at least" : "is below"} ${percentText(threshold)}`,
        });
      }
    }
    const base = baseline.get(cell);
    if (spec.baseline && base && row) {
      const drop = (base.resolve_rate - row.resolve_rate) * 100;
      const passed = drop <= allowed + EPSILON;
      const change =
        drop > EPSILON ? `${drop.toFixed(1)} points below` : drop < -EPSILON ? `${(-drop).toFixed(1)} points above` : "equal to";
      results.push({
        gate: "max_regression",
        cell,
        passed,
        actual: drop,
        threshold: allowed,
        message: `max-regression: ${cell} resolve rate ${percentText(row.resolve_rate)} is ${change} the baseline's ${percentText(base.resolve_rate)} (allowed drop ${allowed.toFixed(1)} points)`,
      });
    }
  }

  if (spec.maxInfraErrors) {
    const tasks = summary.reduce((n, r) => n + r.tasks, 0);
    const errors = summary.reduce((n, r) => n + r.errors, 0);
    const limit = spec.maxInfraErrors;
    const actual = limit.kind === "count" ? errors : tasks === 0 ? 0 : errors / tasks;
    const passed = actual <= limit.max + EPSILON;
    const measured = `${errors} of ${tasks} task(s) ended in error${limit.kind === "rate" ? ` (${percentText(actual)})` : ""}`;
    const cap = limit.kind === "count" ? `${limit.max}` : percentText(limit.max);
    results.push({
      gate: "max_infra_errors",
      cell: null,
      passed,
      actual,
      threshold: limit.max,
      message: `max-infra-errors: ${measured}, allowed at most ${cap}`,
    });
  }

  const failed = results.filter((r) => !r.passed);
  const exitCode = failed.some((r) => r.gate === "max_infra_errors") ? 1 : failed.length > 0 ? 3 : 0;
  return { passed: failed.length === 0, exitCode, results };
}

/** Whether any gate is set. */
export function hasGates(spec: GateSpec): boolean {
  return spec.failUnder.length > 0 || spec.baseline !== undefined || spec.maxInfraErrors !== undefined;
}

/**
 * Problems with the gates that are known before the run starts: a CELL=RATE naming a cell the run
 * does not have, a baseline sharing no cell with the run. Empty when all is well.
 */
export function gateSpecProblems(spec: GateSpec, cells: readonly string[]): string[] {
  const problems: string[] = [];
  const known = new Set(cells);
  for (const g of spec.failUnder) {
    if (g.cell !== null && !known.has(g.cell)) {
      problems.push(`--fail-under ${g.cell}=${g.rate}: the run has no cell ${JSON.stringify(g.cell)} (cells: ${cells.join(", ")})`);
    }
  }
  if (spec.baseline && !spec.baseline.cells.some((c) => known.has(c.cell))) {
    problems.push(
      `--baseline ${spec.baseline.source}: no cell in common with this run (baseline: ${spec.baseline.cells.map((c) => c.cell).join(", ") || "none"}; run: ${cells.join(", ")})`,
    );
  }
  return problems;
}

/** The fields of a result the run-failure rule reads. */
export interface FailureInput {
  cell: string;
  instance_id: string;
  status: string;
  error_class: string | null;
  error_message: string | null;
}

/**
 * The always-on rule of a finished run (no flag needed, unlike the gates): a cell whose every latest result is an
 * infrastructure error (status `error`) measured nothing: a dead endpoint, revoked credentials or a broken sandbox,
 * not a model that failed. One line per such cell; the CLI prints them as `run failed: …` and exits 1.
 * A cell with no result at all (nothing attempted) is not judged here.
 */
export function runFailures(results: readonly FailureInput[]): string[] {
  const latest = new Map<string, FailureInput>();
  for (const r of results) latest.set(`${r.cell}\0${r.instance_id}`, r);
  const byCell = new Map<string, FailureInput[]>();
  for (const r of latest.values()) byCell.set(r.cell, [...(byCell.get(r.cell) ?? []), r]);
  const out: string[] = [];
  for (const [cell, rs] of [...byCell].sort(([a], [b]) => a.localeCompare(b))) {
    if (rs.some((r) => r.status !== "error")) continue;
    // The most frequent error class, with its first message, says what to fix.
    const counts = new Map<string, number>();
    for (const r of rs) counts.set(r.error_class ?? "unknown", (counts.get(r.error_class ?? "unknown") ?? 0) + 1);
    const [top] = [...counts].sort((a, b) => b[1] - a[1]);
    const first = rs
      .find((r) => (r.error_class ?? "unknown") === top![0])
      ?.error_message?.split("\n")[0]
      ?.trim()
      .slice(0, 160);
    const others = counts.size > 1 ? `; ${counts.size - 1} other class(es)` : "";
    const what = rs.length === 1 ? "its 1 attempted task" : `all ${rs.length} attempted tasks`;
    out.push(`cell ${cell}: ${what} ended in an infrastructure error (${top![0]}${first ? `: ${first}` : ""}${others})`);
  }
  return out;
}
