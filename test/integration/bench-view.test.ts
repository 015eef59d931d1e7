// `bench view <run-dir>` (the compiled CLI) serving a real run directory: the URL on stdout, the page in Chromium,
// a task whose files are fetched only when it opens, read-only and path-traversal-proof, Ctrl-C stops it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { request } from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeSyntheticRun } from "../../scripts/synthetic-run.js";
import type { TaskResult } from "../../src/report/types.js";
import { Browser } from "./chromium.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dir = path.join(mkdtempSync(path.join(os.tmpdir(), "bench-serve-")), "served-run");
const cells = ["openai/gpt-4o", "bedrock/claude@us-east-1"];
let results: TaskResult[] = [];
let server: ChildProcess;
let url = "";
let stderr = "";

/** A raw GET (the path sent as given: no client-side normalisation of `..`). */
function rawGet(
  pathname: string,
  method = "GET",
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; type: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: pathname, method, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers["content-type"] ?? "") }));
    });
    req.on("error", reject);
    req.end();
  });
}

beforeAll(async () => {
  results = writeSyntheticRun(dir, { tasks: 30, cells, seed: 3 });
  server = spawn(process.execPath, [path.join(repoRoot, "bin/bench.js"), "view", dir, "--port", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  url = await new Promise<string>((resolve, reject) => {
    let out = "";
    server.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.startsWith("http://"));
      if (line) resolve(line.trim());
    });
    server.once("exit", (code) => reject(new Error(`bench view exited ${code}: ${stderr}`)));
  });
}, 120_000);
afterAll(() => {
  if (server.exitCode === null) server.kill("SIGKILL");
});

describe("bench view", () => {
  it("prints a 127.0.0.1 URL and serves the page with the task index, no task file embedded", async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await rawGet("/");
    expect(page.status).toBe(200);
    expect(page.type).toBe("text/html; charset=utf-8");
    expect(page.body).toContain("connect-src 'self'");
    expect(page.body).toContain('"source":"fetch"');
    expect(page.body).not.toContain("def frobnicate(items)");
  });

  it("refuses path traversal, raw or percent-encoded, and anything outside the run directory", async () => {
    for (const p of [
      "/../run.json",
      "/tasks/../../etc/passwd",
      "/%2e%2e/run.json",
      "/tasks/%2E%2E/%2e%2e/etc/passwd",
      "/..%2f..%2fetc%2fpasswd",
      "/tasks%2f..%2f..%2fetc%2fpasswd",
      "/%00",
      "/./run.json",
    ]) {
      const r = await rawGet(p);
      expect([403, 404], `${p} → ${r.status}`).toContain(r.status);
      expect(r.body).not.toContain("root:");
    }
    expect((await rawGet("/no-such-file")).status).toBe(404);
    expect((await rawGet("/tasks")).status).toBe(404); // a directory is not a file
    expect((await rawGet("/run.json", "POST")).status).toBe(405);
    // A page of another site whose name was rebound to 127.0.0.1 sends its own Host: refused.
    expect((await rawGet("/run.json", "GET", { host: "evil.example:80" })).status).toBe(403);
    expect((await rawGet("/run.json", "GET", { host: `localhost:${new URL(url).port}` })).status).toBe(200);
    const run = await rawGet("/run.json");
    expect(run.status).toBe(200);
    expect(JSON.parse(run.body).cells.map((c: { cell: string }) => c.cell)).toEqual(cells);
  });

  it("in Chromium: the matrix loads, a clicked task's trajectory is fetched then, with the numbers of results.jsonl", async () => {
    const browser = await Browser.launch();
    try {
      const page = await browser.newPage(1400, 900);
      await page.goto(url);
      await page.waitFor("document.getElementById('filter-count')?.textContent");
      expect(await page.evaluate("document.querySelectorAll('#task-grid tbody tr').length")).toBe(30);
      const before = await page.evaluate<number>(
        "performance.getEntriesByType('resource').filter((e) => e.name.includes('/tasks/')).length",
      );
      expect(before).toBe(0);
      await page.click('#task-grid a[href="#t=1.4"]');
      await page.waitFor("document.querySelector('#task-view[data-ready]') !== null");
      const fetched = await page.evaluate<string[]>(
        "performance.getEntriesByType('resource').map((e) => decodeURIComponent(new URL(e.name).pathname)).filter((p) => p.startsWith('/tasks/'))",
      );
      expect(fetched.sort()).toEqual(
        ["report.json", "patch.diff", "test_output.txt", "trajectory.jsonl"]
          .map((f) => `/tasks/bedrock_claude@us-east-1/task-0004/${f}`)
          .sort(),
      );
      const r = results.find((x) => x.cell === cells[1] && x.instance_id === "task-0004")!;
      expect(await page.evaluate("document.querySelectorAll('#task-view .step-call').length")).toBe(r.llm_calls);
      const facts = await page.evaluate<Record<string, string>>(
        "Object.fromEntries([...document.querySelectorAll('#task-view .fact')].map((e) => [e.dataset.k, e.dataset.v]))",
      );
      expect(facts["trajectory_calls"]).toBe(String(r.llm_calls));
      expect(facts["input_tokens"]).toBe(String(r.input_tokens));
      expect(Number(facts["trajectory_cost"])).toBeCloseTo(r.cost_usd!, 8);
      const statement = readFileSync(path.join(dir, "tasks/bedrock_claude@us-east-1/task-0004/trajectory.jsonl"), "utf8").includes(
        "task-0004: calling frobnicate()",
      );
      expect(statement).toBe(true);
      expect(await page.evaluate("document.querySelector('#task-view pre.statement').textContent")).toContain(
        "task-0004: calling frobnicate()",
      );
      expect(page.messages).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it("stops on SIGINT", async () => {
    const exited = new Promise<number | null>((resolve) => server.once("exit", (code) => resolve(code)));
    server.kill("SIGINT");
    expect(await exited).toBe(0);
  });
});
