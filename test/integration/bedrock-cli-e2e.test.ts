// `bench run` with a Bedrock model in two regions, as users run it: the compiled CLI in a child process, real Docker,
// the real AWS SDK (SigV4 with fake keys, HTTP/2) talking to the mock server through --bedrock-endpoint.

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDataset } from "../../src/datasets/load.js";
import { startMockServer, type MockServer } from "../../src/mock/index.js";
import { REPORT_COLUMNS, SUMMARY_COLUMNS } from "../../src/report/types.js";
import { repoRoot } from "./helpers.js";
import { readCsv } from "../helpers/csv.js";

const MODEL = "us.anthropic.claude-sonnet-4-20250514-v1:0";
const REGIONS = ["us-west-2", "eu-central-1"];
const out = mkdtempSync(path.join(os.tmpdir(), "bench-bedrock-e2e-"));
const sweLite = loadDataset(path.join(repoRoot, "datasets/swe-lite"));

/** Runs the CLI without blocking this process (the mock server lives here and must keep answering). */
function bench(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, "bin/bench.js"), ...args], { cwd: repoRoot, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The environment with every AWS setting removed, then fake keys: no real credential or endpoint can leak in. */
function fakeAwsEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AWS_")) env[k] = v;
  return {
    ...env,
    AWS_ACCESS_KEY_ID: "AKIDMOCKE2E",
    AWS_SECRET_ACCESS_KEY: "mock-secret",
    AWS_EC2_METADATA_DISABLED: "true",
    OPENAI_API_KEY: "",
  };
}

let server: MockServer;
beforeAll(async () => {
  // The model id names no policy, so the server's default policy (oracle) answers.
  server = await startMockServer({ tasks: sweLite.tasks });
});
afterAll(async () => {
  await server.close();
});

describe("bench run --model bedrock/... --region ×2 --bedrock-endpoint <mock>", () => {
  it("resolves every task in both cells, with tokens, latency and TTFT per cell", async () => {
    const r = await bench(
      [
        "run",
        "--dataset",
        "swe-lite",
        "--limit",
        "3",
        "--model",
        `bedrock/${MODEL}`,
        ...REGIONS.flatMap((x) => ["--region", x]),
        "--bedrock-endpoint",
        server.url,
        "--output-dir",
        out,
        "--run-id",
        "bedrock",
      ],
      fakeAwsEnv(),
    );
    expect(r.stderr).toContain("run bedrock:");
    expect(r.code).toBe(0);
    // The AWS SDK's 9-line Node-version warning never reaches the user; on Node < 22 bench says it in one line, once.
    expect(r.stderr).not.toContain("NodeVersionSupportWarning");
    const major = Number(process.versions.node.split(".")[0]);
    expect(r.stderr.match(/^note: Node v\S+ is past its end of life; AWS SDK releases/gm) ?? []).toHaveLength(major < 22 ? 1 : 0);
    // The us. profile does not serve eu-central-1: the user is told, once, and the (mock) calls still go out.
    expect(r.stderr.match(/"us\." inference profile does not serve region eu-central-1/g)).toHaveLength(1);

    const dir = path.join(out, "bedrock");
    const [header, ...rows] = readCsv(path.join(dir, "report.csv"));
    expect(header).toEqual([...REPORT_COLUMNS]);
    const col = (row: string[], name: string) => row[REPORT_COLUMNS.indexOf(name as never)] ?? "";
    expect(rows.map((row) => [col(row, "cell"), col(row, "region"), col(row, "status")]).sort()).toEqual(
      REGIONS.flatMap((region) => sweLite.tasks.slice(0, 3).map(() => [`bedrock/${MODEL}@${region}`, region, "resolved"])).sort(),
    );
    for (const row of rows) {
      expect(col(row, "provider")).toBe("bedrock");
      expect(col(row, "model")).toBe(MODEL);
      expect(col(row, "end_reason")).toBe("finished");
      expect(col(row, "llm_calls")).toBe("5");
      expect(col(row, "llm_retries")).toBe("0");
      expect(Number(col(row, "input_tokens"))).toBeGreaterThan(0);
      expect(Number(col(row, "output_tokens"))).toBeGreaterThan(0);
      expect(Number(col(row, "llm_latency_s_total"))).toBeGreaterThan(0);
      expect(col(row, "llm_latency_s_p50")).not.toBe("");
      expect(col(row, "ttft_s_p50")).not.toBe("");
      expect(col(row, "cost_source")).toBe("price_table");
      expect(Number(col(row, "cost_usd"))).toBeGreaterThan(0);
    }
    const [sHeader, ...cells] = readCsv(path.join(dir, "summary.csv"));
    expect(sHeader).toEqual([...SUMMARY_COLUMNS]);
    const s = (row: string[], name: string) => row[SUMMARY_COLUMNS.indexOf(name as never)] ?? "";
    expect(cells.map((c) => [s(c, "cell"), s(c, "region"), s(c, "tasks"), s(c, "resolved"), s(c, "resolve_rate")])).toEqual(
      [...REGIONS].sort().map((region) => [`bedrock/${MODEL}@${region}`, region, "3", "3", "1"]),
    );
    for (const c of cells) {
      expect(Number(s(c, "input_tokens"))).toBeGreaterThan(0);
      expect(s(c, "llm_latency_s_p50")).not.toBe("");
      expect(s(c, "ttft_s_p50")).not.toBe("");
    }

    // Every call went through the real SDK: HTTP/2, SigV4 scoped to the cell's region, SDK retries off.
    const calls = server.requests.filter((q) => q.route === "bedrock.converse-stream");
    expect(calls).toHaveLength(2 * 3 * 5);
    expect(new Set(calls.map((q) => [q.status, q.httpVersion, q.headers["amz-sdk-request"]].join(" ")))).toEqual(
      new Set(["200 2.0 attempt=1; max=1"]),
    );
    const scopes = calls.map(
      (q) => /Credential=AKIDMOCKE2E\/\d{8}\/([a-z0-9-]+)\/bedrock\/aws4_request/.exec(q.headers["authorization"] ?? "")?.[1],
    );
    expect(REGIONS.map((region) => scopes.filter((x) => x === region).length)).toEqual([15, 15]);

    // run.json keeps option values only: the endpoint, never a key.
    const runJson = readFileSync(path.join(dir, "run.json"), "utf8");
    expect(JSON.parse(runJson).config.bedrockEndpoint).toBe(new URL(server.url).href);
    // 30 model calls (2 regions × 3 tasks × 5) over pooled connections: one client per region, not one connection per call.
    const connections = JSON.parse(runJson).connections as Record<string, number>;
    expect(Object.keys(connections)).toEqual([server.url]);
    expect(connections[server.url]).toBeGreaterThanOrEqual(REGIONS.length);
    expect(connections[server.url]).toBeLessThanOrEqual(REGIONS.length * 2);
    expect(runJson).not.toContain("mock-secret");
    const left = spawnSync("docker", ["ps", "-aq", "--filter", "label=bench.run-id=bedrock"], { encoding: "utf8" });
    expect(left.stdout.trim()).toBe("");
  }, 600_000);

  it("without any AWS credentials the run stops with exit 1 before any sandbox starts, naming the options", async () => {
    const env = fakeAwsEnv();
    delete env["AWS_ACCESS_KEY_ID"];
    delete env["AWS_SECRET_ACCESS_KEY"];
    const home = mkdtempSync(path.join(os.tmpdir(), "bench-nohome-"));
    const before = server.requests.length;
    const r = await bench(
      [
        "run",
        "--dataset",
        "swe-lite",
        "--limit",
        "1",
        "--model",
        `bedrock/${MODEL}@us-east-1`,
        "--bedrock-endpoint",
        server.url,
        "--output-dir",
        out,
        "--run-id",
        "nocreds",
      ],
      { ...env, HOME: home, AWS_CONFIG_FILE: "/nonexistent", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent" },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bedrock\/us\.anthropic\.claude-sonnet-4-20250514-v1:0@us-east-1: no AWS credentials for Bedrock/);
    expect(r.stderr).toMatch(/AWS_BEARER_TOKEN_BEDROCK.*AWS_ACCESS_KEY_ID.*AWS_PROFILE/);
    expect(server.requests.length).toBe(before);
    const left = spawnSync("docker", ["ps", "-aq", "--filter", "label=bench.run-id=nocreds"], { encoding: "utf8" });
    expect(left.stdout.trim()).toBe("");
  }, 120_000);
});
