// `bench compare` and `bench report --html` as users run them: the compiled CLI on a real two-model
// run against the built-in mock (Docker), then the page in headless Chromium.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { COMPARE_COLUMNS } from "../../src/report/compare.js";
import { wilsonInterval } from "../../src/report/stats.js";
import type { SummaryJson } from "../../src/report/write.js";
import { cellsTableValues, loadPage } from "./chromium.js";
import { repoRoot } from "./helpers.js";
import { readCsv } from "../helpers/csv.js";

const out = mkdtempSync(path.join(os.tmpdir(), "bench-compare-e2e-"));
const runDir = path.join(out, "two");
const bench = (args: string[]) => {
  const r = spawnSync(process.execPath, [path.join(repoRoot, "bin/bench.js"), ...args], {
    cwd: out,
    encoding: "utf8",
    env: { ...process.env, OPENAI_API_KEY: "" },
    timeout: 600_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

beforeAll(() => {
  const r = bench([
    "run",
    "--dataset",
    "swe-lite",
    "--model",
    "mock/oracle",
    "--model",
    "mock/wrong",
    "--limit",
    "3",
    "--output-dir",
    out,
    "--run-id",
    "two",
  ]);
  expect(r.stderr).toContain("run two:");
  expect(r.code).toBe(0);
}, 600_000);

describe("bench compare on a two-model mock run", () => {
  it("writes compare.csv with both cells and their paired statistics, and the table on stdout", () => {
    const csvFile = path.join(out, "nested", "compare.csv");
    const r = bench(["compare", runDir, "--out", csvFile]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`compare: ${csvFile}\n`);
    const [header, ...records] = readCsv(csvFile);
    expect(header).toEqual([...COMPARE_COLUMNS]);
    const col = (record: string[], name: string) => record[COMPARE_COLUMNS.indexOf(name as never)];
    const [oracle, wrong, pair] = records;
    const ci = wilsonInterval(3, 3)!;
    expect([
      col(oracle!, "label"),
      col(oracle!, "basis"),
      col(oracle!, "tasks"),
      col(oracle!, "resolved"),
      col(oracle!, "resolve_rate"),
    ]).toEqual(["mock/oracle", "shared_tasks", "3", "3", "1"]);
    expect(Number(col(oracle!, "resolve_rate_ci_low"))).toBeCloseTo(ci.low, 6);
    expect(Number(col(oracle!, "cost_usd_mean"))).toBeGreaterThan(0);
    expect(Number(col(oracle!, "cost_per_resolved"))).toBeCloseTo(Number(col(oracle!, "cost_usd_total")) / 3, 9);
    expect([col(wrong!, "label"), col(wrong!, "resolved"), col(wrong!, "resolve_rate"), col(wrong!, "cost_per_resolved")]).toEqual([
      "mock/wrong",
      "0",
      "0",
      "",
    ]);
    // Every task: oracle solved, wrong did not → b = 3, c = 0, p = 2·(1/2)^3 = 0.25; the difference is 1 in every resample.
    expect(pair).toEqual("pair,mock/oracle,mock/wrong,,,,,,,3,,3,,,,,,,,,,,,,,,,0,3,0,0.25,1,1,1".split(","));
    expect(r.stdout).toContain("cells (on the 3 task(s) every run-backed cell ran)");
    expect(r.stdout).toMatch(/mock\/oracle\s+mock\/wrong\s+3\s+3\s+0\s+0\.2500\s+\+100\.0% \[\+100\.0–\+100\.0\]/);
    // Mock cells' costs come from a made-up price: marked, with a footnote.
    expect(r.stdout).toMatch(/\nmock\/oracle\s+3\s+3\s+100\.0% \[\d+\.\d–100\.0\]\s+\$\d+\.\d{4}\*/);
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("* mock cell: cost from a made-up price, not a real one");
  });

  it("without --out writes compare.csv into the first run's directory, not the current folder; --json replaces the table", () => {
    const r = bench(["compare", runDir, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(`compare: ${path.join(runDir, "compare.csv")}\n`);
    expect(existsSync(path.join(runDir, "compare.csv"))).toBe(true);
    expect(existsSync(path.join(out, "compare.csv"))).toBe(false);
    const json = JSON.parse(r.stdout) as { cells: { label: string }[]; pairs: unknown[]; sharedTasks: number };
    expect([json.cells.map((c) => c.label), json.pairs.length, json.sharedTasks]).toEqual([["mock/oracle", "mock/wrong"], 1, 3]);
  });

  it("accepts a summary.json next to a results.jsonl and says paired statistics need per-task data", () => {
    const r = bench([
      "compare",
      path.join(runDir, "summary.json"),
      path.join(runDir, "results.jsonl"),
      "--out",
      path.join(out, "mixed.csv"),
    ]);
    expect(r.code).toBe(0);
    // Same run twice: labels carry the run id and the argument's position.
    expect(r.stdout).toContain("two:mock/oracle#1 (summary)");
    expect(r.stdout).toContain("paired statistics (McNemar, bootstrap) need run directories or results.jsonl");
    const kinds = readCsv(path.join(out, "mixed.csv"))
      .slice(1)
      .map((r) => `${r[0]} ${r[1]}`);
    expect(kinds).toEqual([
      "cell two:mock/oracle#1",
      "cell two:mock/wrong#1",
      "cell two:mock/oracle#2",
      "cell two:mock/wrong#2",
      "pair two:mock/oracle#2",
    ]);
  });

  it("rejects what is not a run, with exit 2", () => {
    const r = bench(["compare", path.join(out, "no-such-run")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no such file or directory \(expected a run directory, results\.jsonl or summary\.json\)/);
  });
});

describe("bench report --html on the same run", () => {
  it("writes a self-contained report.html that Chromium renders with summary.json's figures, byte-identical on rebuild", () => {
    const r = bench(["report", runDir, "--html"]);
    expect(r.code).toBe(0);
    // The table on stdout, the file written on stderr; a finished run gets no "still running" notice.
    expect(r.stdout.split("\n")[0]).toBe("cell         tasks  resolved  rate [95% CI]            cost  p50 llm");
    expect(r.stderr).toBe(`report: ${path.join(runDir, "report.html")}\n`);
    const file = path.join(runDir, "report.html");
    expect(existsSync(file)).toBe(true);
    const first = readFileSync(file, "utf8");
    expect(bench(["report", runDir, "--html"]).code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(first);

    const page = loadPage(file);
    expect(page.console).toEqual([]);
    const summary = JSON.parse(readFileSync(path.join(runDir, "summary.json"), "utf8")) as SummaryJson;
    expect(summary.cells.map((c) => c.cell)).toEqual(["mock/oracle", "mock/wrong"]);
    for (const cell of summary.cells) {
      const shown = cellsTableValues(page.dom, cell.cell);
      for (const col of [
        "tasks",
        "resolved",
        "resolve_rate",
        "resolve_rate_ci_low",
        "resolve_rate_ci_high",
        "cost_usd_total",
        "cost_usd_mean",
        "llm_latency_s_p50",
        "llm_latency_s_p95",
      ] as const) {
        const expected = cell[col];
        expect(shown[col], `${cell.cell} ${col}`).toBe(expected === null ? "" : String(expected));
      }
    }
    expect(page.dom.match(/data-status="resolved"/g)).toHaveLength(3);
    expect(page.dom.match(/data-status="unresolved"/g)).toHaveLength(3);
  });
});

describe("price overrides from flags", () => {
  it("re-price every cell: cost_source override, cost = tokens × the given prices", () => {
    const r = bench([
      "run",
      "--dataset",
      "swe-lite",
      "--model",
      "mock/oracle",
      "--limit",
      "1",
      "--output-dir",
      out,
      "--run-id",
      "priced",
      "--input-cost-per-token",
      "0.000002",
      "--output-cost-per-token",
      "1e-5",
      "--cache-read-cost-per-token",
      "5e-7",
      "--cache-write-cost-per-token",
      "0",
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("warning: no price");
    const [row] = readFileSync(path.join(out, "priced", "results.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(row.cost_source).toBe("override");
    expect(row.input_tokens).toBeGreaterThan(0);
    expect(row.cost_usd).toBeCloseTo(row.input_tokens * 2e-6 + row.cache_read_tokens * 5e-7 + row.output_tokens * 1e-5, 15);
    const runJson = JSON.parse(readFileSync(path.join(out, "priced", "run.json"), "utf8"));
    expect(runJson.config).toMatchObject({
      inputCostPerToken: 2e-6,
      outputCostPerToken: 1e-5,
      cacheReadCostPerToken: 5e-7,
      cacheWriteCostPerToken: 0,
    });
  });

  it("rejects a negative or non-numeric price with exit 2", () => {
    const neg = bench(["run", "--dataset", "swe-lite", "--input-cost-per-token", "-1", "--output-dir", out, "--run-id", "neg"]);
    expect(neg.code).toBe(2);
    expect(neg.stderr).toMatch(/--input-cost-per-token: expected 0 or more/);
    const nan = bench(["run", "--dataset", "swe-lite", "--output-cost-per-token", "cheap", "--output-dir", out, "--run-id", "nan"]);
    expect(nan.code).toBe(2);
    expect(nan.stderr).toMatch(/--output-cost-per-token: expected a number/);
  });
});
