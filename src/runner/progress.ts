// Progress on stderr while a run goes: the pure renderers (counts → text) and the reporter that owns
// the timer and the terminal. On a TTY (CI unset) a live block redrawn in place; otherwise one plain
// line per finished task and a summary line every 30 s; --quiet prints neither.

import { abbreviate } from "../report/format.js";
import type { TaskResult } from "../report/types.js";

/** One cell's counts. `done` includes results from before a resume; `finishedNow` only this process's. */
export interface CellProgress {
  cell: string;
  total: number;
  done: number;
  /** Started and not finished: agents at work, plus tasks in their grading phase (`grading`). */
  running: number;
  /** Tasks whose agent is done and whose grading is queued or running. */
  grading: number;
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
  const t: CellProgress = {
    cell: "all",
    total: 0,
    done: 0,
    running: 0,
    grading: 0,
    resolved: 0,
    errors: 0,
    cost: 0,
    costUnknown: 0,
    finishedNow: 0,
  };
  for (const c of cells) {
    t.total += c.total;
    t.done += c.done;
    t.running += c.running;
    t.grading += c.grading;
    t.resolved += c.resolved;
    t.errors += c.errors;
    t.cost += c.cost;
    t.costUnknown += c.costUnknown;
    t.finishedNow += c.finishedNow;
  }
  return t;
}

/**
 * A cell's (or the total's) figures. `compact` (a narrow terminal): no "done", `ok` / `err` for resolved / errors, and
 * no ETA unless asked (the total line keeps it).
 */
function figures(c: CellProgress, elapsedS: number, compact = false, eta = true): string {
  const left = etaSeconds(c.total - c.done, c.finishedNow, elapsedS);
  // A grading dropped by an interrupt never reports its end: the counts stay within the running tasks.
  const grading = Math.min(c.grading, c.running);
  const agents = c.running - grading;
  return [
    compact ? `${c.done}/${c.total}` : `${c.done}/${c.total} done`,
    `${agents} agent${agents === 1 ? "" : "s"}`,
    `${grading} grading`,
    compact ? `${c.resolved} ok` : `${c.resolved} resolved`,
    compact ? `${c.errors} err` : `${c.errors} error${c.errors === 1 ? "" : "s"}`,
    formatCost(c.cost, c.done - c.costUnknown, c.costUnknown),
    ...(eta ? [`ETA ${left === null ? "?" : formatDuration(left)}`] : []),
  ].join("  ");
}

const clip = (line: string, width: number): string => (line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line);

/** Cell names as wide as the longest, but never over `max` (cut in the middle: both ends say the most). */
function cellColumn(cells: readonly CellProgress[], max: number): string[] {
  const pad = Math.min(max, Math.max(...cells.map((c) => c.cell.length)));
  return cells.map((c) => abbreviate(c.cell, pad).padEnd(pad));
}

/**
 * The live block: a total line, then one line per cell when there are several, each clipped to
 * `width` characters so no line wraps (a wrapped line would break the redraw). Long cell names are
 * abbreviated (to a third of the width, a quarter in the compact form), so the figures stay on screen.
 */
export function renderStatusBlock(
  cells: readonly CellProgress[],
  elapsedS: number,
  width: number,
  compact = !fullBlockFits(cells, elapsedS, width),
): string[] {
  return blockLines(cells, elapsedS, width, compact).map((l) => clip(l, width));
}

/** Whether the full form fits `width`; else the compact figures (80 columns, long cell names), then clipping as the last resort. */
export function fullBlockFits(cells: readonly CellProgress[], elapsedS: number, width: number): boolean {
  return blockLines(cells, elapsedS, width, false).every((l) => l.length <= width);
}

function blockLines(cells: readonly CellProgress[], elapsedS: number, width: number, compact: boolean): string[] {
  const lines = [`bench ${formatDuration(elapsedS)}  ${figures(totals(cells), elapsedS, compact)}`];
  if (cells.length > 1) {
    const names = cellColumn(cells, Math.max(12, Math.floor(width / (compact ? 4 : 3))));
    for (const [i, c] of cells.entries()) lines.push(`  ${names[i]}  ${figures(c, elapsedS, compact, !compact)}`);
  }
  return lines;
}

/** What stays in the scrollback after a live run: one short line per cell (done, resolved, errors, cost). */
export function renderFinalLines(cells: readonly CellProgress[], elapsedS: number, width: number): string[] {
  const names = cellColumn(cells, Math.max(12, Math.floor(width / 3)));
  const line = (c: CellProgress, name: string): string =>
    `${name}  ${c.done}/${c.total} done  ${c.resolved} resolved  ${c.errors} error${c.errors === 1 ? "" : "s"}  ${formatCost(c.cost, c.done - c.costUnknown, c.costUnknown)}`;
  return [`bench finished in ${formatDuration(elapsedS)}`, ...cells.map((c, i) => `  ${line(c, names[i]!)}`)].map((l) => clip(l, width));
}

/** The periodic line of plain mode (a CI log): totals, then each cell's done/total and resolved. */
export function renderSummaryLine(cells: readonly CellProgress[], elapsedS: number): string {
  const total = totals(cells);
  const perCell = cells.length > 1 ? ` | ${cells.map((c) => `${c.cell} ${c.done}/${c.total} (${c.resolved} resolved)`).join(", ")}` : "";
  return `progress after ${formatDuration(elapsedS)}: ${figures(total, elapsedS).replace(/ {2}/g, ", ")}${perCell}`;
}

/** What the runner tells the progress display. */
export interface ProgressSink {
  /** The run's cells with their planned totals and the results already there (a resume). */
  begin(cells: readonly { cell: string; total: number }[], existing: readonly TaskResult[]): void;
  taskStarted(cell: string): void;
  /** The task's agent is done and its grading is queued (optional: sinks that do not show phases leave it out). */
  gradingQueued?(cell: string): void;
  /** Its grading ended (graded, or failed); the task finishes right after. */
  gradingFinished?(cell: string): void;
  /** `line` is the plain one-line report of the task. */
  taskFinished(result: TaskResult, line: string): void;
  /** Stops the timer and removes the live block. Idempotent. */
  end(): void;
}

/**
 * Wraps a task's grading work for the grading queue so the sink sees the phase: queued now, finished when the work
 * settles. The runner's one call: `grading: (work) => gradingQueue.add(trackGrading(progress, cell, work))`.
 */
export function trackGrading<T>(sink: ProgressSink | undefined, cell: string, work: () => Promise<T>): () => Promise<T> {
  sink?.gradingQueued?.(cell);
  return async () => {
    try {
      return await work();
    } finally {
      sink?.gradingFinished?.(cell);
    }
  };
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
  /** The live block has needed its compact form. */
  #compact = false;

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
    this.#cells = new Map(
      cells.map(({ cell, total }) => [
        cell,
        { cell, total, done: 0, running: 0, grading: 0, resolved: 0, errors: 0, cost: 0, costUnknown: 0, finishedNow: 0 },
      ]),
    );
    const latest = new Map<string, TaskResult>();
    for (const r of existing) latest.set(JSON.stringify([r.cell, r.instance_id]), r);
    for (const r of latest.values()) this.#count(r, false);
    this.#startedAt = this.#o.now();
    this.end();
    this.#compact = false;
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

  gradingQueued(cell: string): void {
    const c = this.#cells.get(cell);
    if (c) c.grading++;
    if (this.#o.mode === "live") this.#redraw();
  }

  gradingFinished(cell: string): void {
    const c = this.#cells.get(cell);
    if (c) c.grading = Math.max(0, c.grading - 1);
  }

  taskFinished(result: TaskResult, line: string): void {
    const c = this.#cells.get(result.cell);
    if (c) c.running = Math.max(0, c.running - 1);
    this.#count(result, true);
    // Live: the block shows the counts; only errors, which need a look, get their own line.
    if (this.#o.mode === "plain" || (this.#o.mode === "live" && result.status === "error")) this.log(line);
    else if (this.#o.mode === "live") this.#redraw();
  }

  /** Stops the timer and removes the live block; after a live run, one short line per cell stays in the scrollback. */
  end(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#shown > 0) this.#o.write(`${this.#clear()}${renderFinalLines(this.snapshot(), this.#elapsed(), this.#width()).join("\n")}\n`);
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

  /**
   * Lines are kept 3 columns short of the terminal: the terminal echoes `^C` after the block's last line, and a line
   * that wrapped would leave a stale line behind on the next redraw. A pty without a size reports 0 columns: 80 then.
   */
  #width(): number {
    return Math.max(20, (this.#o.columns() || 80) - 3);
  }

  #block(): string {
    const cells = this.snapshot();
    // Once the compact form was needed it stays, so the block does not flip between forms as counts grow and shrink.
    this.#compact ||= !fullBlockFits(cells, this.#elapsed(), this.#width());
    const lines = renderStatusBlock(cells, this.#elapsed(), this.#width(), this.#compact);
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
