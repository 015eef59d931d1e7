// The throttling and limit flags as users type them: the compiled CLI against the built-in mock (real Docker).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./helpers.js";

const out = mkdtempSync(path.join(os.tmpdir(), "bench-cli-limits-"));
const BIN = path.join(repoRoot, "bin/bench.js");
const bench = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, OPENAI_API_KEY: "" },
    timeout: 600_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe("bench run with a throttling mock", () => {
  it("--mock-rpm: 429s are retried, counted per cell, and the limiter's changes land in run.json", () => {
    const r = bench([
      "run",
      "--dataset",
      "swe-lite",
      "--limit",
      "2",
      "--concurrency",
      "2",
      "--output-dir",
      out,
      "--run-id",
      "throttled",
      "--mock-rpm",
      "120",
      "--mock-latency",
      "uniform:5:20",
      "--llm-backoff-base-ms",
      "100",
      "--llm-backoff-cap-ms",
      "1000",
      "--grading-concurrency",
      "1",
      "--json",
    ]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { cells: { cell: string; resolved: number; throttle_events: number; llm_retries: number }[] };
    expect(summary.cells[0]).toMatchObject({ cell: "mock/oracle", resolved: 2 });
    expect(summary.cells[0]!.throttle_events).toBeGreaterThan(0);
    expect(summary.cells[0]!.llm_retries).toBeGreaterThanOrEqual(summary.cells[0]!.throttle_events);
    const run = JSON.parse(readFileSync(path.join(out, "throttled", "run.json"), "utf8")) as Record<string, Record<string, unknown>>;
    expect(run["config"]).toMatchObject({
      mockRpm: 120,
      llmBackoffBaseMs: 100,
      llmBackoffCapMs: 1000,
      gradingConcurrency: 1,
      llmRetryTimeout: 600,
    });
    const limiter = run["limiter"]!["mock|mock|-|oracle"] as { limit: number; max: number; throttle_events: number; changes: unknown[] };
    expect(limiter.max).toBe(2);
    expect(limiter.throttle_events).toBeGreaterThan(0);
    expect(run["not_run"]).toEqual([]);
  });

  it("refuses bad limit and mock flags with exit 2, naming the flag, before anything runs", () => {
    const base = ["run", "--dataset", "swe-lite", "--limit", "1", "--output-dir", out];
    const cases: [string[], RegExp][] = [
      [
        ["--llm-backoff-base-ms", "5000", "--llm-backoff-cap-ms", "100"],
        /--llm-backoff-cap-ms: expected at least --llm-backoff-base-ms \(5000\), got 100/,
      ],
      [["--mock-latency", "gamma:1:2"], /--mock-latency: expected fixed:MS, .*unknown distribution "gamma"/],
      [["--mock-fault-rate", "2"], /--mock-fault-rate: expected 0 to 1 \(got 2\)/],
      [["--max-cost", "0"], /--max-cost: expected an amount above 0 \(USD\) \(got 0\)/],
      [["--task-retries", "-1"], /--task-retries: expected 0 or more/],
    ];
    for (const [flags, message] of cases) {
      const r = bench([...base, ...flags]);
      expect(r.code, flags.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});

describe("bench mock-server quota flags", () => {
  async function withServer(args: string[], use: (url: string) => Promise<void>): Promise<void> {
    const child = spawn(process.execPath, [BIN, "mock-server", "--port", "0", ...args], {
      cwd: repoRoot,
      stdio: ["ignore", "ignore", "pipe"],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let err = "";
        child.stderr.on("data", (d: Buffer) => {
          err += d.toString();
          const m = /listening on (http:\/\/\S+) /.exec(err);
          if (m) resolve(m[1]!);
        });
        child.on("exit", (code) => reject(new Error(`mock-server exited ${code}: ${err}`)));
      });
      await use(url);
    } finally {
      child.kill("SIGTERM");
    }
  }
  const call = (url: string) =>
    fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer k" },
      body: JSON.stringify({ model: "oracle", messages: [{ role: "user", content: "hi" }] }),
    });

  it("--rpm answers 429 over the quota, with retry hints by default and none with --no-retry-hints", async () => {
    await withServer(["--rpm", "60"], async (url) => {
      expect((await call(url)).status).toBe(200);
      const throttled = await call(url);
      expect(throttled.status).toBe(429);
      expect(Number(throttled.headers.get("retry-after-ms"))).toBeGreaterThan(900);
      expect(throttled.headers.get("retry-after")).toBe("1");
    });
    await withServer(["--rpm", "60", "--no-retry-hints"], async (url) => {
      await call(url);
      const throttled = await call(url);
      expect(throttled.status).toBe(429);
      expect([
        throttled.headers.get("retry-after-ms"),
        throttled.headers.get("retry-after"),
        throttled.headers.get("x-ratelimit-reset-requests"),
      ]).toEqual([null, null, null]);
    });
  });
});
