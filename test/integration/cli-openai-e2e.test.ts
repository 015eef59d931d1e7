// `bench run` with OpenAI providers as users run it: the compiled CLI in a child process, real Docker, and the mock
// server standing in for api.openai.com behind --base-url (Chat Completions and the Responses API on one endpoint).

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDataset } from "../../src/datasets/load.js";
import { startMockServer, type MockServer } from "../../src/mock/index.js";
import { REPORT_COLUMNS } from "../../src/report/types.js";
import { repoRoot } from "./helpers.js";
import { readCsv } from "../helpers/csv.js";

const out = mkdtempSync(path.join(os.tmpdir(), "bench-openai-e2e-"));
const sweLite = loadDataset(path.join(repoRoot, "datasets/swe-lite"));
let server: MockServer;

/** Runs the CLI without blocking this process: the mock server it talks to lives here. */
function bench(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, "bin/bench.js"), ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  // Any key is accepted except a missing one: the run must send OPENAI_API_KEY.
  server = await startMockServer({ tasks: sweLite.tasks, apiKey: "test" });
});
afterAll(async () => {
  await server.close();
});

describe("bench run with openai/gpt-4o and openai-responses/o4-mini against the mock (--base-url)", () => {
  it("resolves every task in both cells, with cached tokens in both and reasoning tokens from the reasoning model", async () => {
    const r = await bench(
      [
        "run",
        "--dataset",
        "swe-lite",
        "--limit",
        "3",
        "--model",
        "openai/gpt-4o",
        "--model",
        "openai-responses/o4-mini",
        "--base-url",
        `${server.url}/v1`,
        "--output-dir",
        out,
        "--run-id",
        "openai",
      ],
      { OPENAI_API_KEY: "test" },
    );
    expect(r.stderr).toContain("run openai:");
    expect(r.code).toBe(0);
    const dir = path.join(out, "openai");
    const [header, ...rows] = readCsv(path.join(dir, "report.csv"));
    expect(header).toEqual([...REPORT_COLUMNS]);
    const col = (row: string[], name: string) => row[REPORT_COLUMNS.indexOf(name as never)]!;
    expect(rows.map((row) => col(row, "cell")).sort()).toEqual([
      ...Array(3).fill("openai-responses/o4-mini"),
      ...Array(3).fill("openai/gpt-4o"),
    ]);
    for (const row of rows) {
      const cell = col(row, "cell");
      expect([cell, col(row, "status"), col(row, "end_reason"), col(row, "error_class")]).toEqual([cell, "resolved", "finished", ""]);
      expect(Number(col(row, "cache_read_tokens"))).toBeGreaterThan(0);
      expect(Number(col(row, "input_tokens"))).toBeGreaterThan(0);
      // gpt-4o is no reasoning model; o4-mini reasons before every answer.
      if (cell === "openai-responses/o4-mini") expect(Number(col(row, "reasoning_tokens"))).toBeGreaterThan(0);
      else expect(col(row, "reasoning_tokens")).toBe("0");
      expect(Number(col(row, "output_tokens"))).toBeGreaterThan(Number(col(row, "reasoning_tokens")));
      expect(col(row, "cost_source")).toBe("price_table");
      expect(Number(col(row, "cost_usd"))).toBeGreaterThan(0);
    }

    // Both wires were used, with the key, and the Responses calls carried reasoning back statelessly.
    expect(server.stats.byRoute).toMatchObject({ "openai.chat.completions": expect.any(Number), "openai.responses": expect.any(Number) });
    expect(server.requests.every((q) => q.headers["authorization"] === "Bearer test")).toBe(true);
    const responsesCalls = server.requests.filter((q) => q.route === "openai.responses").map((q) => q.body as Record<string, unknown>);
    expect(responsesCalls.every((b) => b["store"] === false)).toBe(true);
    const carried = responsesCalls.flatMap((b) => (b["input"] as Record<string, unknown>[]).filter((i) => i["type"] === "reasoning"));
    expect(carried.length).toBeGreaterThan(0);
    expect(carried.every((i) => typeof i["encrypted_content"] === "string")).toBe(true);

    // Reasoning summaries are in the trajectory.
    const task = sweLite.tasks[0]!.instance_id;
    const events = readFileSync(path.join(dir, "tasks", "openai-responses_o4-mini", task, "trajectory.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; response?: { reasoning?: { text: string }[] } });
    const calls = events.filter((e) => e.type === "model_call");
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((e) => e.response?.reasoning?.[0]?.text.startsWith("**Planning the next step**"))).toBe(true);
  }, 600_000);
});
