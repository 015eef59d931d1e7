// Viewer load-time benchmark (`npm run bench:view [-- --tasks N]`): a synthetic run of 1,000 tasks × 2 cells with
// 20–60 trajectory events each (5% large outputs), then in headless Chromium (DevTools protocol): `bench report --html`
// (which embeds the task files or not as EMBED_LIMIT_BYTES decides) load + matrix ready, the same page with every task
// file embedded (what the threshold avoids), `bench view`'s page load, opening one task, applying a filter. Medians
// of 3 loads, each in a fresh tab.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { startViewServer } from "../src/report/view-server.js";
import { renderHtmlReport } from "../src/report/html.js";
import { EMBED_LIMIT_BYTES, loadTaskFiles } from "../src/report/html/data.js";
import { rebuildReports, runCellOrder } from "../src/report/write.js";
import { Browser, type CdpPage } from "../test/integration/chromium.js";
import { writeSyntheticRun } from "./synthetic-run.js";

const REPEATS = 3;

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name}: expected a positive integer, got ${process.argv[i + 1]}`);
  return v;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return total;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const ms = (x: number): string => `${x.toFixed(0)} ms`;

interface PageTimes {
  /** Navigation start → load event end. */
  load: number;
  /** Navigation start → the script's "bench-viewer-ready" mark (matrix and filters ready). */
  ready: number;
  /** Hash set → the task view filled. */
  openTask: number;
  /** Filter changed → rows hidden and the next frame painted. */
  filter: number;
}

async function measure(browser: Browser, url: string, taskHash: string): Promise<PageTimes> {
  const page: CdpPage = await browser.newPage(1400, 900);
  await page.goto(url, 300_000);
  await page.waitFor("performance.getEntriesByName('bench-viewer-ready').length > 0", 300_000);
  const [load, ready] = await page.evaluate<[number, number]>(
    "[performance.getEntriesByType('navigation')[0].loadEventEnd, performance.getEntriesByName('bench-viewer-ready')[0].startTime]",
  );
  const openTask = await page.evaluate<number>(`(async () => {
    const t0 = performance.now();
    location.hash = ${JSON.stringify(taskHash)};
    while (!document.querySelector('#task-view[data-ready]')) await new Promise((r) => requestAnimationFrame(r));
    return performance.now() - t0;
  })()`);
  await page.evaluate(
    "(async () => { location.hash = '#grid'; while (document.body.classList.contains('viewing')) await new Promise((r) => requestAnimationFrame(r)); })()",
  );
  const filter = await page.evaluate<number>(`(async () => {
    const t0 = performance.now();
    const s = document.querySelector('#filters [name=status]');
    s.value = 'unresolved';
    s.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((r) => requestAnimationFrame(r));
    return performance.now() - t0;
  })()`);
  if (page.messages.length > 0) throw new Error(`${url}: console messages: ${page.messages.join("; ")}`);
  await page.send("Page.close").catch(() => undefined);
  return { load, ready, openTask, filter };
}

async function medianTimes(browser: Browser, url: string, taskHash: string): Promise<PageTimes> {
  const runs: PageTimes[] = [];
  for (let i = 0; i < REPEATS; i++) runs.push(await measure(browser, url, taskHash));
  return {
    load: median(runs.map((r) => r.load)),
    ready: median(runs.map((r) => r.ready)),
    openTask: median(runs.map((r) => r.openTask)),
    filter: median(runs.map((r) => r.filter)),
  };
}

async function main(): Promise<void> {
  const tasks = argValue("tasks", 1000);
  const root = mkdtempSync(path.join(os.tmpdir(), "bench-view-perf-"));
  const dir = path.join(root, "run");
  try {
    let t = performance.now();
    writeSyntheticRun(dir, { tasks, cells: ["openai/gpt-4o", "bedrock/claude@us-east-1"], seed: 11 });
    console.log(`synthetic run: ${tasks} tasks × 2 cells, ${mb(dirBytes(dir))} on disk (${ms(performance.now() - t)} to write)`);

    t = performance.now();
    const cli = spawnSync(process.execPath, [path.resolve("bin/bench.js"), "report", dir, "--html"], { encoding: "utf8" });
    if (cli.status !== 0) throw new Error(`bench report --html exited ${cli.status}: ${cli.stderr}`);
    const reportS = performance.now() - t;
    const reportFile = path.join(dir, "report.html");
    const embedded = readFileSync(reportFile, "utf8").includes('"source":"embedded"');
    const embeddedAll = path.join(root, "report-embedded.html");
    const rebuilt = await rebuildReports(dir);
    writeFileSync(
      embeddedAll,
      renderHtmlReport({
        runId: rebuilt.runId,
        results: rebuilt.results,
        summary: rebuilt.summary,
        cellOrder: await runCellOrder(dir),
        detail: await loadTaskFiles(dir, rebuilt.results, Number.POSITIVE_INFINITY),
      }),
    );

    const browser = await Browser.launch();
    const server = await startViewServer({ runDir: dir });
    try {
      const hash = `#t=1.${Math.floor(tasks / 2)}`;
      const rows: [string, string, PageTimes][] = [
        [
          `report.html (threshold ${mb(EMBED_LIMIT_BYTES)}: task files ${embedded ? "embedded" : "not embedded"})`,
          mb(statSync(reportFile).size),
          await medianTimes(browser, pathToFileURL(reportFile).href, hash),
        ],
        [
          "report.html with every task file embedded",
          mb(statSync(embeddedAll).size),
          await medianTimes(browser, pathToFileURL(embeddedAll).href, hash),
        ],
        ["bench view (task files fetched on open)", "–", await medianTimes(browser, server.url, hash)],
      ];
      console.log(`bench report --html: ${ms(reportS)} (whole CLI: rebuild of the reports + report.html)`);
      console.log(`\n| page | size | load | matrix ready | open one task | apply a filter |\n|---|---|---|---|---|---|`);
      for (const [name, size, p] of rows)
        console.log(`| ${name} | ${size} | ${ms(p.load)} | ${ms(p.ready)} | ${ms(p.openTask)} | ${ms(p.filter)} |`);
      console.log(
        `\nmedians of ${REPEATS} loads in headless Chromium (${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? "?"}); reproduce: npm run bench:view${tasks === 1000 ? "" : ` -- --tasks ${tasks}`}`,
      );
    } finally {
      await server.close();
      await browser.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
