// report.html in a real browser (headless Chromium): it renders, produces no console message (no blocked
// script or network request, no error) and shows the figures of summary.json. The task view (report-task-view.test.ts)
// is driven through the DevTools protocol.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderHtmlReport } from "../../src/report/html.js";
import type { SummaryJson } from "../../src/report/write.js";
import { renderReports } from "../../src/report/write.js";
import type { TaskResult } from "../../src/report/types.js";
import { makeResult } from "../unit/report-fixtures.js";
import { cellsTableValues, countColour, loadPage, screenshot } from "./chromium.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "bench-html-"));
const hostileId = `x"><img src=x onerror=alert(1)><script>alert('id')</script>`;
const other = { cell: "openai/gpt-4o", provider: "openai", model: "gpt-4o" };
const results: TaskResult[] = [
  makeResult({ instance_id: "t1", llm_latencies_s: [0.5, 1.5, 2.5] }),
  makeResult({ instance_id: "t2", cost_usd: 0.0125, llm_latencies_s: [0.25, 4] }),
  makeResult({ instance_id: hostileId, status: "unresolved", resolved: false, cost_usd: 0.02 }),
  makeResult({
    ...other,
    instance_id: "t1",
    status: "error",
    resolved: false,
    end_reason: "error",
    error_class: "auth",
    error_message: "<script>alert(2)</script>",
    llm_latencies_s: [],
  }),
  makeResult({ ...other, instance_id: "t2", status: "unresolved", resolved: false, cost_usd: 0.5, llm_latencies_s: [3, 9] }),
];

describe("report.html in headless Chromium", () => {
  it("the console check catches a page that runs a script or reaches the network (control)", () => {
    const bad = path.join(dir, "bad.html");
    writeFileSync(
      bad,
      `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'"></head>` +
        `<body><img src="http://example.invalid/a.png"><script>console.log(1)</script></body></html>`,
    );
    const page = loadPage(bad);
    expect(page.console.length).toBeGreaterThanOrEqual(2);
    expect(page.console.join("\n")).toMatch(/example\.invalid\/a\.png/);
  });

  it("renders without a console message, shows summary.json's figures and escapes hostile ids", () => {
    const rendered = renderReports(results, { runId: "html-run", runWallS: 60 });
    const summaryJson = JSON.parse(rendered.summaryJson) as SummaryJson;
    const file = path.join(dir, "report.html");
    writeFileSync(file, renderHtmlReport({ runId: "html-run", results, summary: rendered.summary }));

    const page = loadPage(file);
    expect(page.console).toEqual([]);
    expect(page.dom).toContain("<h1>bench report");
    // The hostile instance id is text, not markup: no element was created from it (the two scripts are the page's:
    // its data blob and its own code).
    expect(page.dom).not.toMatch(/<img/i);
    expect(page.dom.match(/<script/gi)).toHaveLength(2);
    expect(page.dom).toContain("onerror=alert(1)&gt;&lt;script&gt;");

    for (const cell of summaryJson.cells) {
      const shown = cellsTableValues(page.dom, cell.cell);
      for (const [col, value] of Object.entries(shown)) {
        const expected = (cell as unknown as Record<string, unknown>)[col];
        expect(value, `${cell.cell} ${col}`).toBe(expected === null ? "" : String(expected));
      }
      expect(Object.keys(shown)).toEqual(
        expect.arrayContaining(["resolve_rate", "resolve_rate_ci_low", "resolve_rate_ci_high", "cost_usd_total", "llm_latency_s_p50"]),
      );
    }
    expect(page.dom.match(/<g class="bar" /g)).toHaveLength(2);
    expect(page.dom.match(/data-status="error"/g)).toHaveLength(1);
  });

  it("paints the charts and the task grid (status colours and cell colours are on screen)", () => {
    const file = path.join(dir, "report.html");
    const png = screenshot(file);
    expect(png.width).toBe(1400);
    for (const colour of ["#2e7d32", "#c62828", "#ef6c00"]) expect(countColour(png, colour), colour).toBeGreaterThan(200);
    // The resolve-rate bar of the first cell (palette colour #1f77b4 at 75% opacity on white ≈ #5799c7).
    expect(countColour(png, "#5799c7", 10)).toBeGreaterThan(200);
  });
});
