// Progress on stderr while a run goes: the pure renderers (counts → text) and the reporter that owns
// the timer and the terminal. On a TTY (CI unset) a live block redrawn in place; otherwise one plain
// line per finished task and a summary line every 30 s; --quiet prints neither.

import type { TaskResult } from "../report/types.js";

/** One cell's counts. `done` includes results from before a resume; `finishedNow` only this process's. */
export interface CellProgress {
  cell: string;
  total: number;
  done: number;
  running: number;
  resolved: number;
  errors: number;
  /** Sum of the known costs of the done tasks, USD. */
  cost: number;
  /** Done tasks whose cost is unknown. */
  costUnknown: number;
  /** Tasks finished by this process: the ETA's throughput. */
  finishedNow: number;
}

export type ProgressMode = "live" | "plain" | "quiet";

/** `--quiet` → quiet; a TTY with CI unset → live; anything else (a pipe, a CI log) → plain. */
export function progressMode(opts: { quiet: boolean; isTTY: boolean; env: NodeJS.ProcessEnv }): ProgressMode {
  if (opts.quiet) return "quiet";
  const ci = opts.env["CI"];
  return opts.isTTY && (ci === undefined || ci === "" || ci === "0" || ci === "false") ? "live" : "plain";
}

/** 42 → "42s", 185 → "3m05s", 3725 → "1h02m". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** "$0.0421" under a dollar, "$12.34" above; "+?" when some costs are unknown; "$?" when all are. */
export function formatCost(cost: number, known: number, unknown: number): string {
  if (known === 0 && unknown > 0) return "$?";
  const text = `$${cost.toFixed(cost < 1 ? 4 : 2)}`;
  return unknown > 0 ? `${text}+?` : text;
}

/** Seconds left at this process's pace so far; 0 when nothing is left, null before anything finished. */
export function etaSeconds(remaining: number, finishedNow: number, elapsedS: number): number | null {
  if (remaining <= 0) return 0;
  if (finishedNow <= 0 || elapsedS <= 0) return null;
  return (elapsedS / finishedNow) * remaining;
}

function totals(cells: readonly CellProgress[]): CellProgress {
  const t: CellProgress = { cell: "all", total: 0, done: 0, running: 0, resolved: 0, errors: 0, cost: 0, costUnknown: 0, finishedNow: 0 };
  for (const c of cells) {
    t.total += c.total;
    t.done += c.done;
    t.running += c.running;
    t.resolved += c.resolved;
    t.errors += c.errors;
    t.cost += c.cost;
    t.costUnknown += c.costUnknown;
    t.finishedNow += c.finishedNow;
  }
  return t;
}

function figures(c: CellProgress, elapsedS: number): string {
  const eta = etaSeconds(c.total - c.done, c.finishedNow, elapsedS);
  return [
    `${c.done}/${c.total} done`,
    `${c.running} running`,
    `${c.resolved} resolved`,
    `${c.errors} error${c.errors === 1 ? "" : "s"}`,
    formatCost(c.cost, c.done - c.costUnknown, c.costUnknown),
    `ETA ${eta === null ? "?" : formatDuration(eta)}`,
  ].join("  ");
}

const clip = (line: string, width: number): string => (line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line);

/**
 * The live block: a total line, then one line per cell when there are several, each clipped to
 * `width` characters so no line wraps (a wrapped line would break the redraw).
 */
export function renderStatusBlock(cells: readonly CellProgress[], elapsedS: number, width: number): string[] {
  const total = totals(cells);
  const lines = [`bench ${formatDuration(elapsedS)}  ${figures(total, elapsedS)}`];
  if (cells.length > 1) {
    const pad = Math.max(...cells.map((c) => c.cell.length));
    for (const c of cells) lines.push(`  ${c.cell.padEnd(pad)}  ${figures(c, elapsedS)}`);
  }
  return lines.map((l) => clip(l, width));
}

/** The periodic line of plain mode (a CI log): totals, then each cell's done/total and resolved. */
export function renderSummaryLine(cells: readonly CellProgress[], elapsedS: number): string {
  const total = totals(cells);
  const perCell = cells.length > 1 ? ` | ${cells.map((c) => `${c.cell} ${c.done}/${c.total} (${c.resolved} resolved)`).join(", ")}` : "";
  return `progress after ${formatDuration(elapsedS)}: ${figures(total, elapsedS).replace(/  /g, ", ")}${perCell}`;
}

/** What the runner tells the progress display. */
export interface ProgressSink {
  /** The run's cells with their planned totals and the results already there (a resume). */
  begin(cells: readonly { cell: string; total: number }[], existing: readonly TaskResult[]): void;
  taskStarted(cell: string): void;
  /** `line` is the plain one-line report of the task. */
  taskFinished(result: TaskResult, line: string): void;
  /** Stops the timer and removes the live block. Idempotent. */
  end(): void;
}

export interface ProgressReporterOptions {
  mode: ProgressMode;
  /** Writes text to the terminal (stderr), as is. */
  write: (text: string) => void;
  /** Terminal width; @default 80 when unknown */
  columns?: () => number | undefined;
  /** Clock in ms. @default Date.now */
  now?: () => number;
  /** Plain mode: ms between summary lines. @default 30000 */
  summaryEveryMs?: number;
  /** Live mode: ms between redraws (the elapsed time and ETA move). @default 1000 */
  redrawEveryMs?: number;
}

/** The impure side: counts, a timer, and the terminal; also the run's `log`, so log lines and the live block do not overwrite each other. */
export class ProgressReporter implements ProgressSink {
  readonly #o: Required<ProgressReporterOptions>;
  #cells = new Map<string, CellProgress>();
  #startedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Lines of the live block on screen now (0: none). */
  #shown = 0;

  constructor(options: ProgressReporterOptions) {
    this.#o = { columns: () => undefined, now: Date.now, summaryEveryMs: 30_000, redrawEveryMs: 1_000, ...options };
  }

  /** One log line to stderr; in live mode above the block. */
  log = (line: string): void => {
    if (this.#shown === 0) {
      this.#o.write(`${line}\n`);
      return;
    }
    this.#o.write(`${this.#clear()}${line}\n${this.#block()}`);
  };

  begin(cells: readonly { cell: string; total: number }[], existing: readonly TaskResult[]): void {
    this.#cells = new Map(cells.map(({ cell, total }) => [cell, { cell, total, done: 0, running: 0, resolved: 0, errors: 0, cost: 0, costUnknown: 0, finishedNow: 0 }]));
    const latest = new Map<string, TaskResult>();
    for (const r of existing) latest.set(JSON.stringify([r.cell, r.instance_id]), r);
    for (const r of latest.values()) this.#count(r, false);
    this.#startedAt = this.#o.now();
    this.end();
    if (this.#o.mode === "live") {
      this.#redraw();
      this.#timer = setInterval(() => this.#redraw(), this.#o.redrawEveryMs);
    } else if (this.#o.mode === "plain") {
      this.#timer = setInterval(() => this.#o.write(`${renderSummaryLine(this.snapshot(), this.#elapsed())}\n`), this.#o.summaryEveryMs);
    }
    this.#timer?.unref();
  }

  taskStarted(cell: string): void {
    const c = this.#cells.get(cell);
    if (c) c.running++;
    if (this.#o.mode === "live") this.#redraw();
  }

  taskFinished(result: TaskResult, line: string): void {
    const c = this.#cells.get(result.cell);
    if (c) c.running = Math.max(0, c.running - 1);
    this.#count(result, true);
    // Live: the block shows the counts; only errors, which need a look, get their own line.
    if (this.#o.mode === "plain" || (this.#o.mode === "live" && result.status === "error")) this.log(line);
    else if (this.#o.mode === "live") this.#redraw();
  }

  end(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#shown > 0) this.#o.write(this.#clear());
    this.#shown = 0;
  }

  /** The counts now, cells in the order given to begin(). */
  snapshot(): CellProgress[] {
    return [...this.#cells.values()].map((c) => ({ ...c }));
  }

  #count(r: TaskResult, now: boolean): void {
    const c = this.#cells.get(r.cell);
    if (!c) return;
    c.done++;
    if (now) c.finishedNow++;
    if (r.status === "resolved") c.resolved++;
    if (r.status === "error") c.errors++;
    if (r.cost_usd === null) c.costUnknown++;
    else c.cost += r.cost_usd;
  }

  #elapsed(): number {
    return (this.#o.now() - this.#startedAt) / 1000;
  }

  #block(): string {
    // A pty without a size reports 0 columns: assume 80 then.
    const columns = this.#o.columns() || 80;
    const lines = renderStatusBlock(this.snapshot(), this.#elapsed(), Math.max(20, columns - 1));
    this.#shown = lines.length;
    return lines.join("\n");
  }

  /** Moves to the start of the block and erases it (and everything below). */
  #clear(): string {
    const up = this.#shown > 1 ? `\x1b[${this.#shown - 1}A` : "";
    this.#shown = 0;
    return `${up}\r\x1b[J`;
  }

  #redraw(): void {
    if (this.#o.mode !== "live" || this.#cells.size === 0) return;
    this.#o.write(`${this.#clear()}${this.#block()}`);
  }
}
