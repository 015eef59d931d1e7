// report.html: one self-contained page from a run's results and summary: tables and SVG charts rendered here, a
// data blob (the task index, and the task files of a small run) and one inline script (html/client.ts) for the
// grid's filters and each task's story. Pure: inputs → string; every text from the data is escaped (markup) or
// JSON-encoded with `<` escaped (the blob); the script builds its DOM from text nodes only.

import { costScatter, latencyChart, resolveRateChart } from "./html/charts.js";
import { esc } from "./html/common.js";
import { buildViewData, jsonForScript, type Detail } from "./html/data.js";
import { pageScript } from "./html/script.js";
import { CSS } from "./html/style.js";
import { cellsTable, gridTasks, taskGrid } from "./html/tables.js";
import { compareText, latestResults } from "./latest.js";
import type { SummaryRow } from "./summary.js";
import type { TaskResult } from "./types.js";

export { escapeHtml } from "./html/common.js";
export { shorten } from "./html/charts.js";

/** What the page shows. */
export interface HtmlReportInput {
  runId: string;
  /** Every result of the run (only the latest per cell × instance counts). */
  results: readonly TaskResult[];
  /** The summary rows of the same results (summarize()), unrounded. */
  summary: readonly SummaryRow[];
  /** run.json's cell names in their order (the config / command line); other cells follow by name. @default by name */
  cellOrder?: readonly string[];
  /** Where a task's files come from. @default none: the page says they were not included */
  detail?: Detail;
}

/** The summary rows in `order` (run.json's cells), then any other by name. */
export function orderCells(summary: readonly SummaryRow[], order: readonly string[] = []): SummaryRow[] {
  const rank = new Map(order.map((c, i) => [c, i]));
  const at = (c: string): number => rank.get(c) ?? Number.MAX_SAFE_INTEGER;
  return [...summary].sort((a, b) => at(a.cell) - at(b.cell) || compareText(a.cell, b.cell));
}

/** The Content-Security-Policy: nothing but this page's own script, inline styles, data: images, and (bench view) its server. */
export function contentSecurityPolicy(scriptHash: string, fetch: boolean): string {
  return `default-src 'none'; script-src ${scriptHash}; style-src 'unsafe-inline'; img-src data:${fetch ? "; connect-src 'self'" : ""}`;
}

/** The page. Deterministic (no timestamps), so a rebuild gives the same bytes. */
export function renderHtmlReport(input: HtmlReportInput): string {
  const results = latestResults(input.results);
  const cells = orderCells(input.summary, input.cellOrder);
  const tasks = gridTasks(results, compareText);
  const detail: Detail = input.detail ?? { source: "none", note: "This page was rendered without the run's task files." };
  const data = buildViewData(
    input.runId,
    cells.map((c) => c.cell),
    results,
    tasks,
    detail,
  );
  const script = pageScript();
  const lead =
    `${cells.length} cell(s) × ${tasks.length} task(s), ${results.length} result(s). Resolve-rate intervals are 95% Wilson; latency percentiles are exact over every model call.` +
    (detail.source === "none" ? ` ${detail.note}` : " Click a task's mark in the grid to read its story.");
  const body = [
    `<section id="task-view" aria-live="polite"></section>`,
    `<h1>bench report <span class="run">${esc(input.runId)}</span></h1>`,
    `<p class="lead">${esc(lead)}</p>`,
    section("Cells", "cells", cellsTable(cells)),
    section("Resolve rate (95% interval)", "resolve-rate", resolveRateChart(cells)),
    section("Cost per task vs resolve rate", "cost-vs-rate", costScatter(cells)),
    section("Model-call latency", "latency", latencyChart(cells, results)),
    section("Tasks × cells", "grid", taskGrid(cells, results, tasks)),
  ].join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(script.hash, detail.source === "fetch")}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bench report ${esc(input.runId)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
<script type="application/json" id="bench-data">${jsonForScript(data)}</script>
<script>${script.text}</script>
</body>
</html>
`;
}

function section(title: string, id: string, content: string): string {
  return `<section id="${id}">\n<h2>${esc(title)}</h2>\n${content}\n</section>`;
}
