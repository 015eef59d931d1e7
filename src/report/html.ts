// report.html: one self-contained page (inline CSS and SVG, no script, no network) from a run's
// results and summary. Pure: results + summary → string; every text from the data is escaped.

import { normalizeRow, plainDecimal } from "./format.js";
import { compareText, latestResults } from "./latest.js";
import { percentile } from "./stats.js";
import type { SummaryRow } from "./summary.js";
import { SUMMARY_COLUMNS, type SummaryColumn, type TaskResult } from "./types.js";

/** What the page shows. */
export interface HtmlReportInput {
  runId: string;
  /** Every result of the run (only the latest per cell × instance counts). */
  results: readonly TaskResult[];
  /** The summary rows of the same results (summarize()), unrounded. */
  summary: readonly SummaryRow[];
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text safe in HTML/SVG element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}
const esc = escapeHtml;

/** Colours per status (also used by the legend); text symbols carry the same meaning without colour. */
const STATUS_STYLE = {
  resolved: { colour: "#2e7d32", symbol: "✓", text: "resolved" },
  unresolved: { colour: "#c62828", symbol: "✗", text: "unresolved" },
  error: { colour: "#ef6c00", symbol: "!", text: "error" },
} as const;

/** Distinct colours for cells in the charts (cycled). */
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const colourOf = (i: number): string => PALETTE[i % PALETTE.length] as string;

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const fixed = (x: number, digits: number): string => plainDecimal(Number(x.toFixed(digits)));
function usd(x: number | null): string {
  if (x === null) return "unknown";
  if (x === 0) return "$0";
  return `$${x < 0.01 ? plainDecimal(Number(x.toPrecision(3))) : x.toFixed(x < 1 ? 4 : 2)}`;
}
const grouped = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
const secs = (x: number | null): string => (x === null ? "–" : `${x.toFixed(2)} s`);

/** The page. Deterministic (no timestamps), so a rebuild gives the same bytes. */
export function renderHtmlReport(input: HtmlReportInput): string {
  const results = latestResults(input.results);
  const cells = input.summary;
  const taskCount = new Set(results.map((r) => r.instance_id)).size;
  const body = [
    `<h1>bench report <span class="run">${esc(input.runId)}</span></h1>`,
    `<p class="lead">${cells.length} cell(s) × ${taskCount} task(s), ${results.length} result(s). Resolve-rate intervals are 95% Wilson; latency percentiles are exact over every model call.</p>`,
    section("Cells", "cells", cellsTable(cells)),
    section("Resolve rate (95% interval)", "resolve-rate", resolveRateChart(cells)),
    section("Cost per task vs resolve rate", "cost-vs-rate", costScatter(cells)),
    section("Model-call latency", "latency", latencyChart(cells, results)),
    section("Tasks × cells", "grid", taskGrid(cells, results)),
  ].join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bench report ${esc(input.runId)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem; color: #1a1a1a; background: #fff; }
h1 { font-size: 1.5rem; } h1 .run { font-family: ui-monospace, monospace; font-weight: normal; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: .25rem; }
.lead, .note { color: #555; font-size: .9rem; }
table { border-collapse: collapse; font-size: .85rem; }
th, td { padding: .3rem .5rem; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
th { background: #f6f6f6; position: sticky; top: 0; }
th:first-child, td:first-child { text-align: left; }
td.cell, td.task { font-family: ui-monospace, monospace; }
.scroll { overflow-x: auto; }
svg { font-family: system-ui, sans-serif; font-size: 12px; }
svg .axis { stroke: #999; } svg .grid { stroke: #eee; }
table.grid td.s { text-align: center; color: #fff; font-weight: bold; min-width: 1.6rem; }
table.grid td.s-resolved { background: ${STATUS_STYLE.resolved.colour}; }
table.grid td.s-unresolved { background: ${STATUS_STYLE.unresolved.colour}; }
table.grid td.s-error { background: ${STATUS_STYLE.error.colour}; }
table.grid td.s-missing { background: #e0e0e0; color: #777; }
.legend span { display: inline-block; margin-right: 1rem; }
.swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: middle; }
`;

function section(title: string, id: string, content: string): string {
  return `<section id="${id}">\n<h2>${esc(title)}</h2>\n${content}\n</section>`;
}

/** Cells table columns: [summary column, header, display]. data-value holds the summary.json figure. */
const CELL_COLUMNS: readonly [SummaryColumn, string, (row: SummaryRow) => string][] = [
  ["tasks", "tasks", (r) => String(r.tasks)],
  ["resolved", "resolved", (r) => String(r.resolved)],
  ["unresolved", "unresolved", (r) => String(r.unresolved)],
  ["errors", "errors", (r) => String(r.errors)],
  ["resolve_rate", "resolve rate", (r) => pct(r.resolve_rate)],
  ["resolve_rate_ci_low", "95% CI low", (r) => pct(r.resolve_rate_ci_low)],
  ["resolve_rate_ci_high", "95% CI high", (r) => pct(r.resolve_rate_ci_high)],
  ["cost_usd_total", "cost total", (r) => usd(r.cost_usd_total)],
  ["cost_usd_mean", "cost / task", (r) => usd(r.cost_usd_mean)],
  ["cost_per_resolved", "cost / resolved", (r) => (r.resolved === 0 && r.cost_usd_total !== null ? "–" : usd(r.cost_per_resolved))],
  ["input_tokens", "input tok", (r) => grouped(r.input_tokens)],
  ["output_tokens", "output tok", (r) => grouped(r.output_tokens)],
  ["cache_read_tokens", "cache read tok", (r) => grouped(r.cache_read_tokens)],
  ["cache_write_tokens", "cache write tok", (r) => grouped(r.cache_write_tokens)],
  ["reasoning_tokens", "reasoning tok", (r) => grouped(r.reasoning_tokens)],
  ["llm_calls", "llm calls", (r) => String(r.llm_calls)],
  ["llm_retries", "retries", (r) => (r.llm_retries === null ? "–" : String(r.llm_retries))],
  ["throttle_wait_s", "throttle wait", (r) => secs(r.throttle_wait_s)],
  ["llm_latency_s_p50", "llm p50", (r) => secs(r.llm_latency_s_p50)],
  ["llm_latency_s_p95", "llm p95", (r) => secs(r.llm_latency_s_p95)],
  ["ttft_s_p50", "ttft p50", (r) => secs(r.ttft_s_p50)],
  ["wall_s_p50", "task wall p50", (r) => secs(r.wall_s_p50)],
  ["wall_s_p95", "task wall p95", (r) => secs(r.wall_s_p95)],
];

function cellsTable(cells: readonly SummaryRow[]): string {
  if (cells.length === 0) return `<p class="note">No results yet.</p>`;
  const head = `<tr><th>cell</th>${CELL_COLUMNS.map(([, h]) => `<th>${esc(h)}</th>`).join("")}</tr>`;
  const rows = cells.map((row) => {
    // The same rounding as summary.json, so data-value is the figure in that file.
    const json = normalizeRow(SUMMARY_COLUMNS, row) as Readonly<Record<string, string | number | boolean | null>>;
    const tds = CELL_COLUMNS.map(([col, , show]) => {
      const v = json[col];
      const value = v === null || v === undefined ? "" : typeof v === "number" ? plainDecimal(v) : String(v);
      return `<td data-col="${col}" data-value="${esc(value)}">${esc(show(row))}</td>`;
    }).join("");
    return `<tr data-cell="${esc(row.cell)}"><td class="cell">${esc(row.cell)}</td>${tds}</tr>`;
  });
  return `<div class="scroll"><table id="cells-table">\n<thead>${head}</thead>\n<tbody>\n${rows.join("\n")}\n</tbody></table></div>`;
}

/** Width in px that a label column needs (rough: 7 px a character), bounded. */
function labelWidth(labels: readonly string[]): number {
  return Math.min(320, Math.max(120, 7 * Math.max(0, ...labels.map((l) => l.length)) + 16));
}

/** Characters that fit in a label column of `width` px. */
const fits = (width: number): number => Math.floor((width - 16) / 7);

/**
 * `label` cut in the middle to `max` characters ("bedrock/us.anthr…@us-east-1"): both ends name a
 * cell (provider, region). The full name stays in the chart's tooltip.
 */
export function shorten(label: string, max: number): string {
  const chars = [...label];
  if (chars.length <= max) return label;
  const head = Math.ceil((max - 1) / 2);
  const tail = Math.floor((max - 1) / 2);
  return `${chars.slice(0, head).join("")}…${tail > 0 ? chars.slice(-tail).join("") : ""}`;
}

const n2 = (x: number): string => fixed(x, 2);

function resolveRateChart(cells: readonly SummaryRow[]): string {
  if (cells.length === 0) return `<p class="note">No cells.</p>`;
  const lw = labelWidth(cells.map((c) => c.cell));
  const pw = 420;
  const rowH = 28;
  const top = 10;
  const width = lw + pw + 170;
  const height = top + rowH * cells.length + 30;
  const x = (v: number): number => lw + v * pw;
  const parts: string[] = [];
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line class="grid" x1="${n2(x(t))}" y1="${top}" x2="${n2(x(t))}" y2="${top + rowH * cells.length}"/>`);
    parts.push(`<text x="${n2(x(t))}" y="${top + rowH * cells.length + 16}" text-anchor="middle">${t * 100}%</text>`);
  }
  cells.forEach((c, i) => {
    const y = top + i * rowH;
    const mid = y + rowH / 2;
    const tip = `${c.cell}: ${pct(c.resolve_rate)} (${c.resolved}/${c.tasks}), 95% CI ${pct(c.resolve_rate_ci_low)}–${pct(c.resolve_rate_ci_high)}`;
    parts.push(
      `<g class="bar" data-cell="${esc(c.cell)}"><title>${esc(tip)}</title>` +
        `<text x="${lw - 8}" y="${n2(mid + 4)}" text-anchor="end">${esc(shorten(c.cell, fits(lw)))}</text>` +
        `<rect x="${lw}" y="${y + 5}" width="${n2(c.resolve_rate * pw)}" height="${rowH - 10}" fill="${colourOf(i)}" fill-opacity="0.75"/>` +
        `<line x1="${n2(x(c.resolve_rate_ci_low))}" y1="${n2(mid)}" x2="${n2(x(c.resolve_rate_ci_high))}" y2="${n2(mid)}" stroke="#222" stroke-width="1.5"/>` +
        `<line x1="${n2(x(c.resolve_rate_ci_low))}" y1="${mid - 6}" x2="${n2(x(c.resolve_rate_ci_low))}" y2="${mid + 6}" stroke="#222" stroke-width="1.5"/>` +
        `<line x1="${n2(x(c.resolve_rate_ci_high))}" y1="${mid - 6}" x2="${n2(x(c.resolve_rate_ci_high))}" y2="${mid + 6}" stroke="#222" stroke-width="1.5"/>` +
        `<text x="${lw + pw + 8}" y="${n2(mid + 4)}">${esc(`${pct(c.resolve_rate)} [${pct(c.resolve_rate_ci_low)}–${pct(c.resolve_rate_ci_high)}]`)}</text></g>`,
    );
  });
  return svg(width, height, "Resolve rate per cell with 95% Wilson interval", parts);
}

function costScatter(cells: readonly SummaryRow[]): string {
  const priced = cells.map((c, i) => ({ c, i })).filter(({ c }) => c.cost_usd_mean !== null);
  const unknown = cells.filter((c) => c.cost_usd_mean === null).map((c) => c.cell);
  const note = unknown.length > 0 ? `<p class="note">Cost unknown (not plotted): ${esc(unknown.join(", "))}.</p>` : "";
  if (priced.length === 0) return `<p class="note">No cell has a known cost.</p>${note}`;
  const left = 60;
  const pw = 520;
  const ph = 300;
  const top = 24;
  const width = left + pw + 300;
  const height = top + ph + 40;
  const maxCost = Math.max(...priced.map(({ c }) => c.cost_usd_mean as number));
  const xMax = maxCost > 0 ? maxCost * 1.1 : 1;
  const x = (v: number): number => left + (v / xMax) * pw;
  const y = (v: number): number => top + (1 - v) * ph;
  const parts: string[] = [];
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line class="grid" x1="${left}" y1="${n2(y(t))}" x2="${left + pw}" y2="${n2(y(t))}"/>`);
    parts.push(`<text x="${left - 6}" y="${n2(y(t) + 4)}" text-anchor="end">${t * 100}%</text>`);
    parts.push(`<line class="grid" x1="${n2(x(t * xMax))}" y1="${top}" x2="${n2(x(t * xMax))}" y2="${top + ph}"/>`);
    parts.push(`<text x="${n2(x(t * xMax))}" y="${top + ph + 16}" text-anchor="middle">${esc(usd(t * xMax))}</text>`);
  }
  parts.push(`<line class="axis" x1="${left}" y1="${top + ph}" x2="${left + pw}" y2="${top + ph}"/>`);
  parts.push(`<line class="axis" x1="${left}" y1="${top}" x2="${left}" y2="${top + ph}"/>`);
  parts.push(`<text x="${left + pw / 2}" y="${top + ph + 34}" text-anchor="middle">cost per task (USD)</text>`);
  for (const { c, i } of priced) {
    const cx = x(c.cost_usd_mean as number);
    const tip = `${c.cell}: ${usd(c.cost_usd_mean)} per task, ${pct(c.resolve_rate)} resolved (95% CI ${pct(c.resolve_rate_ci_low)}–${pct(c.resolve_rate_ci_high)})`;
    parts.push(
      `<g class="point" data-cell="${esc(c.cell)}"><title>${esc(tip)}</title>` +
        `<line x1="${n2(cx)}" y1="${n2(y(c.resolve_rate_ci_low))}" x2="${n2(cx)}" y2="${n2(y(c.resolve_rate_ci_high))}" stroke="${colourOf(i)}" stroke-width="1.5"/>` +
        `<circle cx="${n2(cx)}" cy="${n2(y(c.resolve_rate))}" r="5" fill="${colourOf(i)}"/>` +
        `<text x="${n2(cx + 8)}" y="${n2(y(c.resolve_rate) - 6)}">${esc(shorten(c.cell, 40))}</text></g>`,
    );
  }
  return svg(width, height, "Cost per task against resolve rate, one point per cell, with the 95% interval", parts) + note;
}

function latencyChart(cells: readonly SummaryRow[], results: readonly TaskResult[]): string {
  if (cells.length === 0) return `<p class="note">No cells.</p>`;
  const byCell = new Map<string, number[]>();
  for (const r of results) {
    const list = byCell.get(r.cell);
    if (list === undefined) byCell.set(r.cell, [...r.llm_latencies_s]);
    else list.push(...r.llm_latencies_s);
  }
  const stats = cells.map((c) => {
    const v = byCell.get(c.cell) ?? [];
    return {
      cell: c.cell,
      n: v.length,
      min: percentile(v, 0),
      p25: percentile(v, 25),
      p50: percentile(v, 50),
      p75: percentile(v, 75),
      p95: percentile(v, 95),
      max: percentile(v, 100),
    };
  });
  const maxAll = Math.max(0, ...stats.map((s) => s.max ?? 0));
  const xMax = maxAll > 0 ? maxAll * 1.05 : 1;
  const lw = labelWidth(cells.map((c) => c.cell));
  const pw = 420;
  const rowH = 30;
  const top = 10;
  const width = lw + pw + 230;
  const height = top + rowH * cells.length + 36;
  const x = (v: number): number => lw + (v / xMax) * pw;
  const parts: string[] = [];
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line class="grid" x1="${n2(x(t * xMax))}" y1="${top}" x2="${n2(x(t * xMax))}" y2="${top + rowH * cells.length}"/>`);
    parts.push(`<text x="${n2(x(t * xMax))}" y="${top + rowH * cells.length + 16}" text-anchor="middle">${esc(secs(t * xMax))}</text>`);
  }
  stats.forEach((s, i) => {
    const y = top + i * rowH;
    const mid = y + rowH / 2;
    const label = `<text x="${lw - 8}" y="${n2(mid + 4)}" text-anchor="end">${esc(shorten(s.cell, fits(lw)))}</text>`;
    if (s.n === 0 || s.min === null || s.p25 === null || s.p50 === null || s.p75 === null || s.p95 === null || s.max === null) {
      parts.push(`<g class="box" data-cell="${esc(s.cell)}"><title>${esc(`${s.cell}: no model calls`)}</title>${label}<text x="${lw}" y="${n2(mid + 4)}" fill="#777">no model calls</text></g>`);
      return;
    }
    const tip = `${s.cell}: ${s.n} call(s); min ${secs(s.min)}, p25 ${secs(s.p25)}, median ${secs(s.p50)}, p75 ${secs(s.p75)}, p95 ${secs(s.p95)}, max ${secs(s.max)}`;
    parts.push(
      `<g class="box" data-cell="${esc(s.cell)}"><title>${esc(tip)}</title>${label}` +
        `<line x1="${n2(x(s.min))}" y1="${n2(mid)}" x2="${n2(x(s.max))}" y2="${n2(mid)}" stroke="#555"/>` +
        `<line x1="${n2(x(s.min))}" y1="${mid - 5}" x2="${n2(x(s.min))}" y2="${mid + 5}" stroke="#555"/>` +
        `<line x1="${n2(x(s.max))}" y1="${mid - 5}" x2="${n2(x(s.max))}" y2="${mid + 5}" stroke="#555"/>` +
        `<rect x="${n2(x(s.p25))}" y="${y + 6}" width="${n2(Math.max(1, x(s.p75) - x(s.p25)))}" height="${rowH - 12}" fill="${colourOf(i)}" fill-opacity="0.35" stroke="${colourOf(i)}"/>` +
        `<line x1="${n2(x(s.p50))}" y1="${y + 6}" x2="${n2(x(s.p50))}" y2="${y + rowH - 6}" stroke="#111" stroke-width="2"/>` +
        `<circle cx="${n2(x(s.p95))}" cy="${n2(mid)}" r="3" fill="#111"/>` +
        `<text x="${lw + pw + 8}" y="${n2(mid + 4)}">${esc(`p50 ${secs(s.p50)} · p95 ${secs(s.p95)} · n=${s.n}`)}</text></g>`,
    );
  });
  return (
    svg(width, height, "Distribution of model-call latencies per cell", parts) +
    `<p class="note">Box: p25–p75; bar: median; dot: p95; whiskers: min–max, over every model call of the cell.</p>`
  );
}

function taskGrid(cells: readonly SummaryRow[], results: readonly TaskResult[]): string {
  if (cells.length === 0) return `<p class="note">No results yet.</p>`;
  const byKey = new Map<string, TaskResult>();
  for (const r of results) byKey.set(JSON.stringify([r.instance_id, r.cell]), r);
  const tasks = [...new Set(results.map((r) => r.instance_id))].sort(compareText);
  const legend = Object.values(STATUS_STYLE)
    .map((s) => `<span><span class="swatch" style="background:${s.colour}"></span>${s.symbol} ${s.text}</span>`)
    .join("");
  const head = `<tr><th>task</th>${cells.map((c) => `<th>${esc(c.cell)}</th>`).join("")}</tr>`;
  const rows = tasks.map((task) => {
    const tds = cells.map((c) => {
      const r = byKey.get(JSON.stringify([task, c.cell]));
      if (r === undefined) return `<td class="s s-missing" data-cell="${esc(c.cell)}" title="${esc(`${task} · ${c.cell}: not run`)}">–</td>`;
      const style = STATUS_STYLE[r.status];
      const detail = [
        `${task} · ${c.cell}: ${r.status}`,
        `end: ${r.end_reason}`,
        r.error_class === null ? null : `error: ${r.error_class}${r.error_message ? ` — ${r.error_message.slice(0, 300)}` : ""}`,
        r.fail_to_pass === null ? null : `FAIL_TO_PASS ${r.fail_to_pass}, PASS_TO_PASS ${r.pass_to_pass ?? "–"}`,
        `${r.llm_calls} model call(s), cost ${usd(r.cost_usd)}, wall ${secs(r.wall_s)}`,
      ]
        .filter((l) => l !== null)
        .join("\n");
      return `<td class="s s-${r.status}" data-cell="${esc(c.cell)}" data-status="${r.status}" title="${esc(detail)}">${style.symbol}</td>`;
    });
    return `<tr data-task="${esc(task)}"><td class="task">${esc(task)}</td>${tds.join("")}</tr>`;
  });
  return `<p class="legend">${legend}</p>\n<div class="scroll"><table class="grid" id="task-grid">\n<thead>${head}</thead>\n<tbody>\n${rows.join("\n")}\n</tbody></table></div>`;
}

function svg(width: number, height: number, title: string, parts: readonly string[]): string {
  return (
    `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">` +
    `<title>${esc(title)}</title>\n${parts.join("\n")}\n</svg>`
  );
}
