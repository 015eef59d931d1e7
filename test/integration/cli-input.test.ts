// "Fail fast, exit honestly" through the compiled CLI: input errors (exit 2, naming what was typed), resume that would
// change the plan (exit 2), a cell that measured nothing (exit 1, --json still printed), a dead endpoint (exit 1).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { freePort, repoRoot } from "./helpers.js";

const out = mkdtempSync(path.join(os.tmpdir(), "bench-cli-input-"));
const BIN = path.join(repoRoot, "bin/bench.js");
const bench = (args: string[], env: NodeJS.ProcessEnv = {}) => {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, OPENAI_API_KEY: "", ...env },
    timeout: 600_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe("input errors: exit 2 with a sentence naming what was given", () => {
  const file = path.join(out, "a-file");
  writeFileSync(file, "x");
  it.each([
    [["--instances", ""], {}, '--instances: expected comma-separated instance ids, got "" (leave the flag out to run every task)'],
    [["--instances", " , ,"], {}, '--instances: expected comma-separated instance ids, got " , ,"'],
    [["--concurrency", "abc"], {}, '--concurrency: expected a number, got "abc"'],
    [["--temperature", "hot"], {}, '--temperature: expected a number, got "hot"'],
    [["--max-cost=abc"], {}, '--max-cost: expected a number, got "abc"'],
    [[], { BENCH_CONCURRENCY: "abc" }, 'BENCH_CONCURRENCY: expected a positive integer, got "abc"'],
    [["--output-dir", file], {}, `--output-dir ${file}: ${file} is a file, not a directory; give a folder for run directories`],
  ] as [string[], NodeJS.ProcessEnv, string][])("%j %j", (flags, env, message) => {
    const dir = flags.includes("--output-dir") ? [] : ["--output-dir", path.join(out, "bad")];
    const r = bench(["run", "--dataset", "swe-lite", "--limit", "1", ...dir, "--run-id", "bad", ...flags], env);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`bench: ${message}`);
    expect(r.stderr).not.toContain("got null");
    expect(existsSync(path.join(out, "bad"))).toBe(false);
  });

  it("says it uses the built-in mock only when no model was named", () => {
    const implicit = bench(["run", "--dataset", "swe-lite", "--output-dir", file]);
    expect(implicit.stderr).toContain("no --model given: using the built-in mock model (mock/oracle)");
    const explicit = bench(["run", "--dataset", "swe-lite", "--model", "mock/oracle", "--output-dir", file]);
    expect(explicit.code).toBe(2);
    expect(explicit.stderr).not.toContain("no --model given");
  });

  it("bench mock-server on a busy port: exit 2, a sentence", async () => {
    const busy = http.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => busy.listen(port, "127.0.0.1", () => resolve()));
    try {
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        // spawnSync would block the event loop that holds the port open.
        import("node:child_process").then(({ spawn }) => {
          const child = spawn(process.execPath, [BIN, "mock-server", "--port", String(port)], {
            cwd: repoRoot,
            stdio: ["ignore", "ignore", "pipe"],
          });
          let stderr = "";
          child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
          child.on("close", (code) => resolve({ code, stderr }));
        });
      });
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(
        `bench: --port ${port}: 127.0.0.1:${port} is already in use (another server listens there); pick another --port (0: any free port)`,
      );
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });
});

describe("a dead endpoint stops the run before any workspace (exit 1)", () => {
  it("connection refused on --base-url", async () => {
    const port = await freePort();
    const r = bench([
      "run",
      "--dataset",
      "swe-lite",
      "--model",
      "openai/gpt-4o",
      "--base-url",
      `http://127.0.0.1:${port}/v1`,
      "--output-dir",
      path.join(out, "dead"),
      "--run-id",
      "dead",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `bench: openai/gpt-4o: endpoint check failed: GET http://127.0.0.1:${port}/v1/models: connection refused (ECONNREFUSED); is the server up and --base-url right?`,
    );
    expect(existsSync(path.join(out, "dead"))).toBe(false);
  });
});

describe("resume never changes the plan", () => {
  it("refuses a narrower --limit and a different --run-id on bench run and bench grade --resume; the plan stays", () => {
    const first = bench(["run", "--dataset", "swe-lite", "--limit", "2", "--output-dir", out, "--run-id", "planned"]);
    expect(first.code, first.stderr).toBe(0);
    const dir = path.join(out, "planned");
    const narrower = bench(["run", "--resume", dir, "--limit", "1"]);
    expect(narrower.code).toBe(2);
    expect(narrower.stderr).toContain(
      `bench: cannot resume ${dir}: it was planned with --limit 2 (2 task(s)); --limit 1 selects 1 task(s) (1 planned task(s) left out). Resume without --limit, --instances and --shard`,
    );
    const otherId = bench(["run", "--resume", dir, "--run-id", "other"]);
    expect(otherId.code).toBe(2);
    expect(otherId.stderr).toContain(`bench: --run-id other: --resume ${dir} continues run planned; drop --run-id (or give planned)`);
    const run = JSON.parse(readFileSync(path.join(dir, "run.json"), "utf8"));
    expect(run.dataset.instance_ids).toHaveLength(2);

    const graded = bench([
      "grade",
      "--dataset",
      "swe-lite",
      "--predictions",
      "gold",
      "--limit",
      "2",
      "--output-dir",
      out,
      "--run-id",
      "graded",
    ]);
    expect(graded.code, graded.stderr).toBe(0);
    const g = bench(["grade", "--resume", path.join(out, "graded"), "--limit", "1"]);
    expect(g.code).toBe(2);
    expect(g.stderr).toContain("it was planned with --limit 2 (2 task(s)); --limit 1 selects 1 task(s)");
  });
});

describe("a cell that measured nothing is exit 1", () => {
  it("every attempted task ended in an infrastructure error: run failed line, --json still printed", () => {
    const r = bench([
      "run",
      "--dataset",
      "swe-lite",
      "--limit",
      "1",
      "--mock-fault-rate",
      "1",
      "--llm-retries",
      "0",
      "--output-dir",
      out,
      "--run-id",
      "all-errors",
      "--json",
    ]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "completed", cells: [{ cell: "mock/oracle", tasks: 1, errors: 1 }] });
    expect(r.stderr).toMatch(/\nrun failed: cell mock\/oracle: its 1 attempted task ended in an infrastructure error \(transient: .+\)\n/);
    expect(r.stderr).toContain("bench: 1 cell(s) have no graded task");
  });
});
