// report.html's SVG charts: resolve rate with intervals, cost vs resolve rate, model-call latency. Axis ticks on
// round values (ticks.ts), scatter labels placed so they do not overlap. Pure: rows in, markup out.

import { formatRate } from "../format.js";
import type { SummaryRow } from "../summary.js";
import { percentile } from "../stats.js";
import type { TaskResult } from "../types.js";
import { colourOf, esc, n2, secs, usd } from "./common.js";
import { niceTicks, placeLabels } from "./ticks.js";

/** A cell's resolve rate and 95% interval in the one format every report uses (`62.5% [40.9–80.0]`). */
const rateText = (c: SummaryRow): string => formatRate(c.resolve_rate, c.resolve_rate_ci_low, c.resolve_rate_ci_high);

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

/** A percentage tick label: 0%, 20%, 12.5%. */
const pctTick = (t: number): string => `${Number((t * 100).toFixed(4))}%`;

export function resolveRateChart(cells: readonly SummaryRow[]): string {
  if (cells.length === 0) return `<p class="note">No cells.</p>`;
  const lw = labelWidth(cells.map((c) => c.cell));
  const pw = 420;
  const rowH = 28;
  const top = 10;
  const width = lw + pw + 170;
  const height = top + rowH * cells.length + 30;
  const x = (v: number): number => lw + v * pw;
  const parts: string[] = [];
  for (const t of niceTicks(0, 1)) {
    parts.push(`<line class="grid" x1="${n2(x(t))}" y1="${top}" x2="${n2(x(t))}" y2="${top + rowH * cells.length}"/>`);
    parts.push(`<text x="${n2(x(t))}" y="${top + rowH * cells.length + 16}" text-anchor="middle">${pctTick(t)}</text>`);
  }
  cells.forEach((c, i) => {
    const y = top + i * rowH;
    const mid = y + rowH / 2;
    const tip = `${c.cell}: ${rateText(c)} (${c.resolved}/${c.tasks}; 95% interval)`;
    const lo = n2(x(c.resolve_rate_ci_low));
    const hi = n2(x(c.resolve_rate_ci_high));
    parts.push(
      `<g class="bar" data-cell="${esc(c.cell)}"><title>${esc(tip)}</title>` +
        `<text x="${lw - 8}" y="${n2(mid + 4)}" text-anchor="end">${esc(shorten(c.cell, fits(lw)))}</text>` +
        `<rect x="${lw}" y="${y + 5}" width="${n2(c.resolve_rate * pw)}" height="${rowH - 10}" fill="${colourOf(i)}" fill-opacity="0.75"/>` +
        `<line x1="${lo}" y1="${n2(mid)}" x2="${hi}" y2="${n2(mid)}" stroke="#222" stroke-width="1.5"/>` +
        `<line x1="${lo}" y1="${mid - 6}" x2="${lo}" y2="${mid + 6}" stroke="#222" stroke-width="1.5"/>` +
        `<line x1="${hi}" y1="${mid - 6}" x2="${hi}" y2="${mid + 6}" stroke="#222" stroke-width="1.5"/>` +
        `<text x="${lw + pw + 8}" y="${n2(mid + 4)}">${esc(rateText(c))}</text></g>`,
    );
  });
  return svg(width, height, "Resolve rate per cell with 95% Wilson interval", parts);
}

export function costScatter(cells: readonly SummaryRow[]): string {
  const priced = cells.map((c, i) => ({ c, i })).filter(({ c }) => c.cost_usd_mean !== null);
  const unknown = cells.filter((c) => c.cost_usd_mean === null).map((c) => c.cell);
  const note = unknown.length > 0 ? `<p class="note">Cost unknown (not plotted): ${esc(unknown.join(", "))}.</p>` : "";
  if (priced.length === 0) return `<p class="note">No cell has a known cost.</p>${note}`;
  const [left, pw, ph, top] = [60, 520, 300, 24];
  const width = left + pw + 300;
  const height = top + ph + 40;
  const xTicks = niceTicks(0, Math.max(...priced.map(({ c }) => c.cost_usd_mean as number)));
  const xMax = xTicks.at(-1) as number;
  const x = (v: number): number => left + (v / xMax) * pw;
  const y = (v: number): number => top + (1 - v) * ph;
  const parts: string[] = [];
  for (const t of niceTicks(0, 1)) {
    parts.push(`<line class="grid" x1="${left}" y1="${n2(y(t))}" x2="${left + pw}" y2="${n2(y(t))}"/>`);
    parts.push(`<text x="${left - 6}" y="${n2(y(t) + 4)}" text-anchor="end">${pctTick(t)}</text>`);
  }
  for (const t of xTicks) {
    parts.push(`<line class="grid" x1="${n2(x(t))}" y1="${top}" x2="${n2(x(t))}" y2="${top + ph}"/>`);
    parts.push(`<text x="${n2(x(t))}" y="${top + ph + 16}" text-anchor="middle">${t === 0 ? "$0" : `$${t}`}</text>`);
  }
  parts.push(`<line class="axis" x1="${left}" y1="${top + ph}" x2="${left + pw}" y2="${top + ph}"/>`);
  parts.push(`<line class="axis" x1="${left}" y1="${top}" x2="${left}" y2="${top + ph}"/>`);
  parts.push(`<text x="${left + pw / 2}" y="${top + ph + 34}" text-anchor="middle">cost per task (USD)</text>`);
  const texts = priced.map(({ c }) => shorten(c.cell, 40));
  const spots = placeLabels(
    priced.map(({ c }, k) => ({
      x: x(c.cost_usd_mean as number),
      y: y(c.resolve_rate),
      width: 7 * [...(texts[k] as string)].length,
      height: 14,
    })),
    { width, height },
  );
  priced.forEach(({ c, i }, k) => {
    const cx = x(c.cost_usd_mean as number);
    const spot = spots[k] as { x: number; y: number };
    const tip = `${c.cell}: ${usd(c.cost_usd_mean)} per task, ${rateText(c)} resolved (95% interval)`;
    parts.push(
      `<g class="point" data-cell="${esc(c.cell)}"><title>${esc(tip)}</title>` +
        `<line x1="${n2(cx)}" y1="${n2(y(c.resolve_rate_ci_low))}" x2="${n2(cx)}" y2="${n2(y(c.resolve_rate_ci_high))}" stroke="${colourOf(i)}" stroke-width="1.5"/>` +
        `<circle cx="${n2(cx)}" cy="${n2(y(c.resolve_rate))}" r="5" fill="${colourOf(i)}"/>` +
        `<text class="label" x="${n2(spot.x)}" y="${n2(spot.y + 11)}">${esc(texts[k] as string)}</text></g>`,
    );
  });
  return svg(width, height, "Cost per task against resolve rate, one point per cell, with the 95% interval", parts) + note;
}

interface LatencyStats {
  cell: string;
  n: number;
  q: [number, number, number, number, number, number] | null;
}

function latencyStats(cells: readonly SummaryRow[], results: readonly TaskResult[]): LatencyStats[] {
  const byCell = new Map<string, number[]>();
  for (const r of results) {
    const list = byCell.get(r.cell);
    if (list === undefined) byCell.set(r.cell, [...r.llm_latencies_s]);
    else list.push(...r.llm_latencies_s);
  }
  return cells.map((c) => {
    const v = byCell.get(c.cell) ?? [];
    const q = [0, 25, 50, 75, 95, 100].map((p) => percentile(v, p));
    return { cell: c.cell, n: v.length, q: q.every((x) => x !== null) ? (q as LatencyStats["q"]) : null };
  });
}

export function latencyChart(cells: readonly SummaryRow[], results: readonly TaskResult[]): string {
  if (cells.length === 0) return `<p class="note">No cells.</p>`;
  const stats = latencyStats(cells, results);
  const ticks = niceTicks(0, Math.max(0, ...stats.map((s) => s.q?.[5] ?? 0)));
  const xMax = ticks.at(-1) as number;
  const lw = labelWidth(cells.map((c) => c.cell));
  const [pw, rowH, top] = [420, 30, 10];
  const width = lw + pw + 230;
  const height = top + rowH * cells.length + 36;
  const x = (v: number): number => lw + (v / xMax) * pw;
  const parts: string[] = [];
  for (const t of ticks) {
    parts.push(`<line class="grid" x1="${n2(x(t))}" y1="${top}" x2="${n2(x(t))}" y2="${top + rowH * cells.length}"/>`);
    parts.push(`<text x="${n2(x(t))}" y="${top + rowH * cells.length + 16}" text-anchor="middle">${t} s</text>`);
  }
  stats.forEach((s, i) => {
    const y = top + i * rowH;
    const mid = y + rowH / 2;
    const label = `<text x="${lw - 8}" y="${n2(mid + 4)}" text-anchor="end">${esc(shorten(s.cell, fits(lw)))}</text>`;
    if (s.q === null) {
      parts.push(
        `<g class="box" data-cell="${esc(s.cell)}"><title>${esc(`${s.cell}: no model calls`)}</title>${label}<text x="${lw}" y="${n2(mid + 4)}" fill="#777">no model calls</text></g>`,
      );
      return;
    }
    const [min, p25, p50, p75, p95, max] = s.q;
    const tip = `${s.cell}: ${s.n} call(s); min ${secs(min)}, p25 ${secs(p25)}, median ${secs(p50)}, p75 ${secs(p75)}, p95 ${secs(p95)}, max ${secs(max)}`;
    parts.push(
      `<g class="box" data-cell="${esc(s.cell)}"><title>${esc(tip)}</title>${label}` +
        `<line x1="${n2(x(min))}" y1="${n2(mid)}" x2="${n2(x(max))}" y2="${n2(mid)}" stroke="#555"/>` +
        `<line x1="${n2(x(min))}" y1="${mid - 5}" x2="${n2(x(min))}" y2="${mid + 5}" stroke="#555"/>` +
        `<line x1="${n2(x(max))}" y1="${mid - 5}" x2="${n2(x(max))}" y2="${mid + 5}" stroke="#555"/>` +
        `<rect x="${n2(x(p25))}" y="${y + 6}" width="${n2(Math.max(1, x(p75) - x(p25)))}" height="${rowH - 12}" fill="${colourOf(i)}" fill-opacity="0.35" stroke="${colourOf(i)}"/>` +
        `<line x1="${n2(x(p50))}" y1="${y + 6}" x2="${n2(x(p50))}" y2="${y + rowH - 6}" stroke="#111" stroke-width="2"/>` +
        `<circle cx="${n2(x(p95))}" cy="${n2(mid)}" r="3" fill="#111"/>` +
        `<text x="${lw + pw + 8}" y="${n2(mid + 4)}">${esc(`p50 ${secs(p50)} · p95 ${secs(p95)} · n=${s.n}`)}</text></g>`,
    );
  });
  return (
    svg(width, height, "Distribution of model-call latencies per cell", parts) +
    `<p class="note">Box: p25–p75; bar: median; dot: p95; whiskers: min–max, over every model call of the cell.</p>`
  );
}

function svg(width: number, height: number, title: string, parts: readonly string[]): string {
  return (
    `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">` +
    `<title>${esc(title)}</title>\n${parts.join("\n")}\n</svg>`
  );
}
