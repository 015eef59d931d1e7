import { describe, expect, it } from "vitest";

import { escapeHtml, renderHtmlReport } from "../../src/report/html.js";
import { summarize } from "../../src/report/summary.js";
import type { TaskResult } from "../../src/report/types.js";
import { renderReports } from "../../src/report/write.js";
import { makeResult } from "./report-fixtures.js";

const hostileId = `x"><img src=x onerror=alert(1)><script>alert('id')</script>`;
const hostileCell = { cell: "openai/<b>evil</b>&'\"", provider: "openai", model: "<b>evil</b>&'\"" };
const results: TaskResult[] = [
  makeResult({ instance_id: "t1", llm_latencies_s: [0.5, 1.5, 2.5] }),
  makeResult({ instance_id: hostileId, status: "unresolved", resolved: false, cost_usd: 0.02 }),
  makeResult({ ...hostileCell, instance_id: "t1", status: "error", resolved: false, end_reason: "error", error_class: "auth", error_message: "</title><script>alert(2)</script>", cost_usd: null, cost_source: "unknown", llm_latencies_s: [] }),
];
const summary = summarize(results, { runId: "run<1>", runWallS: 3 });
const html = renderHtmlReport({ runId: "run<1>", results, summary });

describe("escapeHtml", () => {
  it("escapes the five characters that matter in content and quoted attributes", () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
    expect(escapeHtml("plain ✓ text")).toBe("plain ✓ text");
  });
});

describe("renderHtmlReport", () => {
  it("escapes every text from the data (instance ids, cell and model names, error messages, run id)", () => {
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>evil");
    expect(html).not.toContain("</title><script>");
    expect(html).toContain("x&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(&#39;id&#39;)&lt;/script&gt;");
    expect(html).toContain("<title>bench report run&lt;1&gt;</title>");
    expect(html).toContain('data-cell="openai/&lt;b&gt;evil&lt;/b&gt;&amp;&#39;&quot;"');
  });

  it("is self-contained: no script, no external resource, a CSP that forbids both", () => {
    // Benign names, so that escaped text (like the hostile id's "src=") is not what is searched.
    const plain = renderHtmlReport({ runId: "r", results: results.slice(0, 1), summary: summarize(results.slice(0, 1), { runId: "r", runWallS: null }) });
    for (const banned of ["<script", "<link", "<iframe", "<object", "<embed", "<img", "src=", "href=", "url(", "@import", "http:", "https:", "//"]) {
      expect(plain.toLowerCase(), banned).not.toContain(banned);
    }
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
  });

  it("shows every summary.json figure of the cells table in data-value", () => {
    const json = JSON.parse(renderReports(results, { runId: "run<1>", runWallS: 3 }).summaryJson) as { cells: Record<string, unknown>[] };
    const first = json.cells.find((c) => c["cell"] === "mock/oracle")!;
    const row = html.split("\n").find((l) => l.startsWith('<tr data-cell="mock/oracle">'))!;
    for (const col of ["tasks", "resolved", "resolve_rate", "resolve_rate_ci_low", "resolve_rate_ci_high", "cost_usd_total", "llm_latency_s_p50", "llm_latency_s_p95"]) {
      expect(row, col).toContain(`data-col="${col}" data-value="${String(first[col])}"`);
    }
    expect(row).toContain('<td data-col="resolve_rate" data-value="0.5">50.0%</td>');
    expect(row).toContain('<td data-col="cost_usd_total" data-value="0.03">$0.0300</td>');
    // Unknown cost: blank value, "unknown" shown, never $0.
    expect(html).toContain('<td data-col="cost_usd_total" data-value="">unknown</td>');
  });

  it("draws the charts and the task grid with one mark per cell and a status per task × cell", () => {
    expect(html.match(/<g class="bar" /g)).toHaveLength(2);
    expect(html.match(/<g class="point" /g)).toHaveLength(1); // the cell with unknown cost is listed, not plotted
    expect(html).toContain("Cost unknown (not plotted): openai/&lt;b&gt;evil&lt;/b&gt;&amp;&#39;&quot;.");
    expect(html.match(/<g class="box" /g)).toHaveLength(2);
    expect(html).toContain(">no model calls</text>");
    expect(html.match(/data-status="resolved"/g)).toHaveLength(1);
    expect(html.match(/data-status="unresolved"/g)).toHaveLength(1);
    expect(html.match(/data-status="error"/g)).toHaveLength(1);
    expect(html.match(/class="s s-missing"/g)).toHaveLength(1); // the hostile id was not run in the second cell
  });

  it("is deterministic and handles a run without results", () => {
    expect(renderHtmlReport({ runId: "run<1>", results: [...results].reverse(), summary })).toBe(html);
    const empty = renderHtmlReport({ runId: "r", results: [], summary: [] });
    expect(empty).toContain("No results yet.");
    expect(empty).not.toContain("<svg");
  });
});
