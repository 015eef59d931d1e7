// Shared pieces of report.html's renderers: escaping, number formats, status styles, cell colours.

import { plainDecimal } from "../format.js";

const HTML_ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text safe in HTML/SVG element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}
export const esc = escapeHtml;

/** Colours per status (also used by the legend); text symbols carry the same meaning without colour. */
export const STATUS_STYLE = {
  resolved: { colour: "#2e7d32", symbol: "✓", text: "resolved" },
  unresolved: { colour: "#c62828", symbol: "✗", text: "unresolved" },
  error: { colour: "#ef6c00", symbol: "!", text: "error" },
} as const;

/** Distinct colours for cells in the charts (cycled). */
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
export const colourOf = (i: number): string => PALETTE[i % PALETTE.length] as string;

export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
export const fixed = (x: number, digits: number): string => plainDecimal(Number(x.toFixed(digits)));
export const n2 = (x: number): string => fixed(x, 2);
export function usd(x: number | null): string {
  if (x === null) return "unknown";
  if (x === 0) return "$0";
  return `$${x < 0.01 ? plainDecimal(Number(x.toPrecision(3))) : x.toFixed(x < 1 ? 4 : 2)}`;
}
export const grouped = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
export const secs = (x: number | null): string => (x === null ? "–" : `${x.toFixed(2)} s`);
