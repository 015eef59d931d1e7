import { describe, expect, it } from "vitest";

import { createHash } from "node:crypto";
import { escapeHtml, orderCells, renderHtmlReport } from "../../src/report/html.js";
import { pageScript } from "../../src/report/html/script.js";
import { summarize } from "../../src/report/summary.js";
import type { TaskResult } from "../../src/report/types.js";
import { renderReports } from "../../src/report/write.js";
import { makeResult } from "./report-fixtures.js";

const hostileId = `x"><img src=x onerror=alert(1)><script>alert('id')</script>`;
const hostileCell = { cell: "openai/<b>evil</b>&'\"", provider: "openai", model: "<b>evil</b>&'\"" };
const results: TaskResult[] = [
  makeResult({ instance_id: "t1", llm_latencies_s: [0.5, 1.5, 2.5] }),
  makeResult({ instance_id: hostileId, status: "unresolved", resolved: false, cost_usd: 0.02 }),
  makeResult({
    ...hostileCell,
    instance_id: "t1",
    status: "error",
    resolved: false,
    end_reason: "error",
    error_class: "auth",
    error_message: "</title><script>alert(2)</script>",
    cost_usd: null,
    cost_source: "unknown",
    llm_latencies_s: [],
  }),
];
const summary = summarize(results, { runId: "run<1>", runWallS: 3 });
const html = renderHtmlReport({ runId: "run<1>", results, summary });

/** The page cut in three: its markup, the JSON data blob, the inline script. */
function partsOf(page: string): { markup: string; blob: string; script: string } {
  const m =
    /^([\s\S]*)<script type="application\/json" id="bench-data">([\s\S]*?)<\/script>\n<script>([\s\S]*?)<\/script>\n<\/body>\n<\/html>\n$/.exec(
      page,
    );
  if (m === null) throw new Error("page does not end with the data blob and the script");
  return { markup: m[1] as string, blob: m[2] as string, script: m[3] as string };
}

describe("escapeHtml", () => {
  it("escapes the five characters that matter in content and quoted attributes", () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
    expect(escapeHtml("plain ✓ text")).toBe("plain ✓ text");
  });
});

describe("renderHtmlReport", () => {
  it("escapes every text from the data (instance ids, cell and model names, error messages, run id)", () => {
    const { markup, blob, script } = partsOf(html);
    expect(markup).not.toContain("<script");
    expect(markup).not.toContain("<img");
    expect(markup).not.toContain("<b>evil");
    // The blob is JSON with every "<" escaped: no text in it can end the element; the script is the page's own.
    expect(blob).not.toContain("<");
    expect(JSON.parse(blob).tasks.map((t: { id: string }) => t.id)).toContain(hostileId);
    expect(script).toBe(pageScript().text);
    expect(html).toContain("x&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(&#39;id&#39;)&lt;/script&gt;");
    expect(html).toContain("<title>bench report run&lt;1&gt;</title>");
    expect(html).toContain('data-cell="openai/&lt;b&gt;evil&lt;/b&gt;&amp;&#39;&quot;"');
  });

  it("is self-contained: one inline script allowed by its hash, no external resource, a CSP that forbids the rest", () => {
    // Benign names, so that escaped text (like the hostile id's "src=") is not what is searched.
    const plain = renderHtmlReport({
      runId: "r",
      results: results.slice(0, 1),
      summary: summarize(results.slice(0, 1), { runId: "r", runWallS: null }),
    });
    const { markup, script } = partsOf(plain);
    for (const banned of ["<script", "<link", "<iframe", "<object", "<embed", "<img", "src=", "url(", "@import", "http:", "https:"]) {
      expect(markup.toLowerCase(), banned).not.toContain(banned);
      if (banned.startsWith("http")) expect(script.toLowerCase(), banned).not.toContain(banned);
    }
    // Links only within the page (#t=<cell>.<task>, #grid).
    expect([...markup.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!.slice(0, 3))).toEqual(["#t="]);
    const hash = createHash("sha256").update(script, "utf8").digest("base64");
    expect(plain).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; img-src data:">`,
    );
    expect(plain.match(/<script/g)).toHaveLength(2);
  });

  it("orders cells as run.json lists them, then the others by name", () => {
    const rows = ["b", "a", "c", "d"].map((cell) => ({ ...summary[0]!, cell }));
    expect(orderCells(rows, ["c", "a"]).map((r) => r.cell)).toEqual(["c", "a", "b", "d"]);
    expect(orderCells(rows).map((r) => r.cell)).toEqual(["a", "b", "c", "d"]);
  });

  it("shows every summary.json figure of the cells table in data-value", () => {
    const json = JSON.parse(renderReports(results, { runId: "run<1>", runWallS: 3 }).summaryJson) as { cells: Record<string, unknown>[] };
    const first = json.cells.find((c) => c["cell"] === "mock/oracle")!;
    const row = html.split("\n").find((l) => l.startsWith('<tr data-cell="mock/oracle">'))!;
    for (const col of [
      "tasks",
      "resolved",
      "resolve_rate",
      "resolve_rate_ci_low",
      "resolve_rate_ci_high",
      "cost_usd_total",
      "llm_latency_s_p50",
      "llm_latency_s_p95",
    ]) {
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
