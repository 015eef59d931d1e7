// report.html's tables: the cells table (summary.json figures in data-value; the less used columns behind a
// "all columns" switch so the table fits a 1400 px window) and the task × cell grid whose cells open a task's story.

import { normalizeRow, plainDecimal } from "../format.js";
import type { SummaryRow } from "../summary.js";
import { SUMMARY_COLUMNS, type SummaryColumn, type TaskResult } from "../types.js";
import { esc, grouped, pct, secs, STATUS_STYLE, usd } from "./common.js";

/** Cells table columns: [summary column, header, display, shown by default]. */
const CELL_COLUMNS: readonly [SummaryColumn, string, (row: SummaryRow) => string, boolean][] = [
  ["tasks", "tasks", (r) => String(r.tasks), true],
  ["resolved", "resolved", (r) => String(r.resolved), true],
  ["unresolved", "unresolved", (r) => String(r.unresolved), true],
  ["errors", "errors", (r) => String(r.errors), true],
  ["resolve_rate", "resolve rate", (r) => pct(r.resolve_rate), true],
  ["resolve_rate_ci_low", "95% CI low", (r) => pct(r.resolve_rate_ci_low), true],
  ["resolve_rate_ci_high", "95% CI high", (r) => pct(r.resolve_rate_ci_high), true],
  ["cost_usd_total", "cost total", (r) => usd(r.cost_usd_total), true],
  ["cost_usd_mean", "cost / task", (r) => usd(r.cost_usd_mean), true],
  ["cost_per_resolved", "cost / resolved", (r) => (r.resolved === 0 && r.cost_usd_total !== null ? "–" : usd(r.cost_per_resolved)), true],
  ["input_tokens", "input tok", (r) => grouped(r.input_tokens), true],
  ["output_tokens", "output tok", (r) => grouped(r.output_tokens), true],
  ["cache_read_tokens", "cache read tok", (r) => grouped(r.cache_read_tokens), false],
  ["cache_write_tokens", "cache write tok", (r) => grouped(r.cache_write_tokens), false],
  ["reasoning_tokens", "reasoning tok", (r) => grouped(r.reasoning_tokens), false],
  ["llm_calls", "llm calls", (r) => String(r.llm_calls), true],
  ["llm_retries", "retries", (r) => (r.llm_retries === null ? "–" : String(r.llm_retries)), false],
  ["throttle_wait_s", "throttle wait", (r) => secs(r.throttle_wait_s), false],
  ["llm_latency_s_p50", "llm p50", (r) => secs(r.llm_latency_s_p50), true],
  ["llm_latency_s_p95", "llm p95", (r) => secs(r.llm_latency_s_p95), true],
  ["ttft_s_p50", "ttft p50", (r) => secs(r.ttft_s_p50), false],
  ["wall_s_p50", "task wall p50", (r) => secs(r.wall_s_p50), true],
  ["wall_s_p95", "task wall p95", (r) => secs(r.wall_s_p95), false],
];

export function cellsTable(cells: readonly SummaryRow[]): string {
  if (cells.length === 0) return `<p class="note">No results yet.</p>`;
  const cls = (shown: boolean): string => (shown ? "" : ` class="opt"`);
  const head = `<tr><th>cell</th>${CELL_COLUMNS.map(([, h, , shown]) => `<th${cls(shown)}>${esc(h)}</th>`).join("")}</tr>`;
  const rows = cells.map((row) => {
    // The same rounding as summary.json, so data-value is the figure in that file.
    const json = normalizeRow(SUMMARY_COLUMNS, row) as Readonly<Record<string, string | number | boolean | null>>;
    const tds = CELL_COLUMNS.map(([col, , show, shown]) => {
      const v = json[col];
      const value = v === null || v === undefined ? "" : typeof v === "number" ? plainDecimal(v) : String(v);
      return `<td${cls(shown)} data-col="${col}" data-value="${esc(value)}">${esc(show(row))}</td>`;
    }).join("");
    return `<tr data-cell="${esc(row.cell)}"><td class="cell">${esc(row.cell)}</td>${tds}</tr>`;
  });
  const hidden = CELL_COLUMNS.filter(([, , , shown]) => !shown).map(([, h]) => h);
  return (
    `<input type="checkbox" id="all-cols" class="toggle"><label for="all-cols" class="note"> all columns (also ${esc(hidden.join(", "))})</label>\n` +
    `<div class="scroll"><table id="cells-table">\n<thead>${head}</thead>\n<tbody>\n${rows.join("\n")}\n</tbody></table></div>`
  );
}

/** The instance ids of the results in the grid's row order. */
export function gridTasks(results: readonly TaskResult[], compare: (a: string, b: string) => number): string[] {
  return [...new Set(results.map((r) => r.instance_id))].sort(compare);
}

/** The grid: one row per task (data-i: its index in the page data), one cell per run cell linking to #t=<cell>.<task>. */
export function taskGrid(cells: readonly SummaryRow[], results: readonly TaskResult[], tasks: readonly string[]): string {
  if (cells.length === 0) return `<p class="note">No results yet.</p>`;
  const byKey = new Map<string, TaskResult>();
  for (const r of results) byKey.set(JSON.stringify([r.instance_id, r.cell]), r);
  const legend = Object.values(STATUS_STYLE)
    .map((s) => `<span><span class="swatch" style="background:${s.colour}"></span>${s.symbol} ${s.text}</span>`)
    .join("");
  const head = `<tr><th>task</th>${cells.map((c) => `<th>${esc(c.cell)}</th>`).join("")}</tr>`;
  const rows = tasks.map((task, ti) => {
    const tds = cells.map((c, ci) => {
      const r = byKey.get(JSON.stringify([task, c.cell]));
      if (r === undefined)
        return `<td class="s s-missing" data-cell="${esc(c.cell)}" title="${esc(`${task} · ${c.cell}: not run`)}">–</td>`;
      const detail = [
        `${task} · ${c.cell}: ${r.status}`,
        `end: ${r.end_reason}`,
        r.error_class === null ? null : `error: ${r.error_class}${r.error_message ? ` — ${r.error_message.slice(0, 300)}` : ""}`,
        r.fail_to_pass === null ? null : `FAIL_TO_PASS ${r.fail_to_pass}, PASS_TO_PASS ${r.pass_to_pass ?? "–"}`,
        `${r.llm_calls} model call(s), cost ${usd(r.cost_usd)}, wall ${secs(r.wall_s)}`,
      ]
        .filter((l) => l !== null)
        .join("\n");
      return `<td class="s s-${r.status}" data-cell="${esc(c.cell)}" data-status="${r.status}" title="${esc(detail)}"><a href="#t=${ci}.${ti}">${STATUS_STYLE[r.status].symbol}</a></td>`;
    });
    return `<tr data-i="${ti}" data-task="${esc(task)}"><td class="task">${esc(task)}</td>${tds.join("")}</tr>`;
  });
  return (
    `<p class="legend">${legend} <span class="note">Click a mark to read the task's story.</span></p>\n` +
    `<div class="scroll"><table class="grid" id="task-grid">\n<thead>${head}</thead>\n<tbody>\n${rows.join("\n")}\n</tbody></table></div>`
  );
}
