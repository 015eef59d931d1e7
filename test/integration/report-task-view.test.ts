// report.html as a person uses it, in headless Chromium driven through the DevTools protocol at 1400 and 800 px:
// the matrix, the filters, a task opened by a click (its numbers equal results.jsonl and its trajectory), hostile
// text in a trajectory shown as text, no console message. Screenshots go to /tmp/bench-shots/.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cellDirName } from "../../src/report/types.js";
import { renderHtmlReport } from "../../src/report/html.js";
import { loadTaskFiles } from "../../src/report/html/data.js";
import { rebuildReports, runCellOrder, writeHtmlReport, type SummaryJson } from "../../src/report/write.js";
import type { TaskResult } from "../../src/report/types.js";
import { writeSyntheticRun } from "../../scripts/synthetic-run.js";
import { Browser, type CdpPage } from "./chromium.js";

const SHOTS = "/tmp/bench-shots";
const hostile = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script></pre></script>`;
const hostileId = `h"><img src=x onerror=window.__pwned=3>`;
// Cells in config order, not by name: "z…" first.
const cells = ["zeta/model-z", "alpha/model-a"];
const dir = path.join(mkdtempSync(path.join(os.tmpdir(), "bench-view-")), "view-run");
let results: TaskResult[] = [];
let summary: SummaryJson;
let browser: Browser;

beforeAll(async () => {
  results = writeSyntheticRun(dir, {
    tasks: 12,
    cells,
    seed: 7,
    events: [12, 30],
    injectText: hostile,
    ids: [...Array.from({ length: 11 }, (_, i) => `task-${i}`), hostileId],
  });
  const rebuilt = await rebuildReports(dir);
  await writeHtmlReport(dir, rebuilt.runId, rebuilt.results, rebuilt.summary);
  summary = JSON.parse(readFileSync(path.join(dir, "summary.json"), "utf8")) as SummaryJson;
  browser = await Browser.launch();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

const trajectoryCalls = (cell: string, id: string): number =>
  readFileSync(path.join(dir, "tasks", cellDirName(cell), id, "trajectory.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.includes('"type":"model_call"')).length;

async function open(width: number): Promise<CdpPage> {
  const page = await browser.newPage(width, 900);
  await page.goto(pathToFileURL(path.join(dir, "report.html")).href);
  await page.waitFor("document.getElementById('filter-count')?.textContent");
  return page;
}

/** Opens task × cell by clicking its mark in the grid; returns the facts shown (data-k → data-v). */
async function clickTask(page: CdpPage, ti: number, ci: number): Promise<Record<string, string>> {
  await page.click(`#task-grid a[href="#t=${ci}.${ti}"]`);
  await page.waitFor("document.querySelector('#task-view[data-ready]') !== null");
  return page.evaluate("Object.fromEntries([...document.querySelectorAll('#task-view .fact')].map((e) => [e.dataset.k, e.dataset.v]))");
}

it("the console capture sees a CSP-blocked script and an uncaught exception (control)", async () => {
  const page = await browser.newPage(800, 600);
  const html = `<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-AAAA'"><script>window.ran = 1</script>`;
  await page.goto(`data:text/html,${encodeURIComponent(html)}`);
  await page.waitFor("document.readyState === 'complete'");
  expect(await page.evaluate("typeof window.ran")).toBe("undefined");
  await page.evaluate("setTimeout(() => { throw new Error('boom') }, 0), 1");
  const deadline = Date.now() + 10_000;
  while (page.messages.length < 2 && Date.now() < deadline) await page.evaluate("new Promise((r) => setTimeout(r, 0))");
  expect(page.messages.join("\n")).toMatch(/Content Security Policy/);
  expect(page.messages.join("\n")).toMatch(/boom/);
});

it("a rebuild of report.html gives the same bytes (task files embedded)", async () => {
  const first = readFileSync(path.join(dir, "report.html"), "utf8");
  expect(first).toContain('"source":"embedded"');
  const rebuilt = await rebuildReports(dir);
  await writeHtmlReport(dir, rebuilt.runId, rebuilt.results, rebuilt.summary);
  expect(readFileSync(path.join(dir, "report.html"), "utf8")).toBe(first);
});

it("over the embedding threshold the grid and filters still work and a task says to use bench view", async () => {
  const rebuilt = await rebuildReports(dir);
  const detail = await loadTaskFiles(dir, rebuilt.results, 10_000);
  expect(detail.source).toBe("none");
  const file = path.join(dir, "report-small-limit.html");
  writeFileSync(
    file,
    renderHtmlReport({
      runId: rebuilt.runId,
      results: rebuilt.results,
      summary: rebuilt.summary,
      cellOrder: await runCellOrder(dir),
      detail,
    }),
  );
  const page = await browser.newPage(1400, 900);
  await page.goto(pathToFileURL(file).href);
  await page.waitFor("document.getElementById('filter-count')?.textContent");
  expect(await page.evaluate("document.querySelector('.lead').textContent")).toContain("bench view <run-dir>");
  const facts = await clickTask(page, 0, 1);
  expect(facts["llm_calls"]).toBeDefined();
  expect(await page.evaluate("document.getElementById('task-view').textContent")).toContain("bench view <run-dir>");
  expect(page.messages).toEqual([]);
});

describe.each([1400, 800])("report.html at %i px", (width) => {
  it("shows the matrix in run.json's cell order, fits the window, and filters", async () => {
    const page = await open(width);
    expect(await page.evaluate("[...document.querySelectorAll('#task-grid thead th')].slice(1).map((t) => t.textContent)")).toEqual(cells);
    expect(await page.evaluate("[...document.querySelectorAll('#cells-table tbody tr')].map((t) => t.dataset.cell)")).toEqual(cells);
    expect(summary.cells.map((c) => c.cell).sort()).toEqual([...cells].sort());
    if (width === 1400) {
      // The cells table needs no horizontal scrolling at 1400 px (its default columns).
      expect(
        await page.evaluate(
          "(() => { const t = document.getElementById('cells-table'); return t.scrollWidth <= t.parentElement.clientWidth; })()",
        ),
      ).toBe(true);
    }
    // The page itself never scrolls sideways (wide tables scroll in their own box).
    expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(width);
    await page.screenshot(path.join(SHOTS, `matrix-${width}.png`));

    const visible = "document.querySelectorAll('#task-grid tbody tr:not([hidden])').length";
    expect(await page.evaluate(visible)).toBe(12);
    await page.evaluate(
      `(() => { const s = document.querySelector('#filters [name=status]'); s.value = 'unresolved'; const c = document.querySelector('#filters [name=cell]'); c.value = '0'; s.dispatchEvent(new Event('input', { bubbles: true })); })()`,
    );
    const unresolvedInFirst = results.filter((r) => r.cell === cells[0] && r.status === "unresolved").length;
    expect(await page.evaluate(visible)).toBe(unresolvedInFirst);
    // Only the chosen cell's column shows.
    expect(
      await page.evaluate("[...document.querySelectorAll('#task-grid thead th')].filter((t) => !t.hidden).map((t) => t.textContent)"),
    ).toEqual(["task", cells[0]]);
    // A task opened from the filtered grid links to the next one of the filtered grid.
    const shownIds = await page.evaluate<string[]>(
      "[...document.querySelectorAll('#task-grid tbody tr:not([hidden])')].map((r) => r.dataset.i)",
    );
    expect(shownIds.length).toBeGreaterThanOrEqual(2);
    await clickTask(page, Number(shownIds[0]), 0);
    await page.click("#task-view a.next");
    await page.waitFor(`location.hash === '#t=0.${shownIds[1]}' && document.querySelector('#task-view[data-ready]') !== null`);
    await page.click("#task-view a[href='#grid']");
    await page.waitFor("!document.body.classList.contains('viewing')");
    await page.evaluate(
      `(() => { const f = document.getElementById('filters'); f.querySelector('[name=status]').value = ''; f.querySelector('[name=cell]').value = '-1'; const d = f.querySelector('[name=disagree]'); d.checked = true; d.dispatchEvent(new Event('input', { bubbles: true })); })()`,
    );
    const ids = [...new Set(results.map((r) => r.instance_id))];
    const disagree = ids.filter(
      (id) => new Set(results.filter((r) => r.instance_id === id).map((r) => r.status === "resolved")).size === 2,
    );
    expect(await page.evaluate(`document.getElementById('filter-count').textContent`)).toBe(`${disagree.length} of 12 task(s)`);
    expect(page.messages).toEqual([]);
  });

  it("opens a task's story: the same numbers as results.jsonl and the trajectory; hostile text stays text", async () => {
    const page = await open(width);
    const order = await page.evaluate<string[]>("[...document.querySelectorAll('#task-grid tbody tr')].map((t) => t.dataset.task)");
    for (const [ti, id] of order.entries()) {
      if (id !== hostileId && ti !== 3) continue;
      for (const [ci, cell] of cells.entries()) {
        const facts = await clickTask(page, ti, ci);
        const r = results.find((x) => x.cell === cell && x.instance_id === id)!;
        expect(facts["llm_calls"]).toBe(String(r.llm_calls));
        expect(facts["trajectory_calls"]).toBe(String(trajectoryCalls(cell, id)));
        expect(facts["input_tokens"]).toBe(String(r.input_tokens));
        expect(facts["output_tokens"]).toBe(String(r.output_tokens));
        expect(facts["cost_usd"]).toBe(String(r.cost_usd));
        expect(await page.evaluate("document.querySelectorAll('#task-view .step-call').length")).toBe(r.llm_calls);
        expect(await page.evaluate("document.querySelector('#task-view h2').textContent")).toContain(id);
        // The calls' own cost_usd add up to the task's.
        expect(Number(facts["trajectory_cost"])).toBeCloseTo(r.cost_usd!, 8);
        expect(await page.evaluate("document.querySelector('#task-view pre.diff .d-add') !== null")).toBe(true);
        expect(await page.evaluate("document.querySelectorAll('#task-view table.tests tr.bad').length")).toBe(
          r.status === "resolved" ? 0 : 1,
        );
        // Hostile text from the trajectory is on screen as text; nothing was created from it or ran.
        expect(await page.evaluate("document.getElementById('task-view').textContent.includes('onerror=\"window.__pwned=1\"')")).toBe(true);
        expect(await page.evaluate("document.querySelectorAll('img').length")).toBe(0);
        expect(await page.evaluate("typeof window.__pwned")).toBe("undefined");
        if (ti === 3 && ci === 0) await page.screenshot(path.join(SHOTS, `task-${width}.png`));
      }
    }
    // Back to the matrix.
    await page.click("#task-view a[href='#grid']");
    await page.waitFor("!document.body.classList.contains('viewing')");
    expect(await page.evaluate("document.getElementById('task-view').childElementCount")).toBe(0);
    if (width === 800) expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(width);
    expect(page.messages).toEqual([]);
  });
});
