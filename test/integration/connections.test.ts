// Connection reuse over TLS against the mock (self-signed certificate made here with openssl): 50 sequential calls
// open at most 2 connections (Bedrock's HTTP/2 client in process, the OpenAI client through fetch in a child process
// trusting the certificate via NODE_EXTRA_CA_CERTS), the client-side counts match the server's, and a server that
// drops idle connections loses no call.

import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Task } from "../../src/datasets/types.js";
import { startMockServer, type MockServer } from "../../src/mock/index.js";
import { BedrockClient } from "../../src/models/bedrock.js";
import { BedrockClientCache } from "../../src/models/bedrock-runtime-client.js";
import type { Message, ModelRequest } from "../../src/models/types.js";
import { DEFAULT_RETRY_POLICY, generateWithRetry } from "../../src/runner/retry.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const TASK: Task = {
  instance_id: "calc__calc-1",
  repo: "bench/calc",
  problem_statement: "add() returns the difference of its arguments instead of their sum.",
  patch: "",
  test_patch: "",
  FAIL_TO_PASS: ["tests/test_ops.py::test_add"],
  PASS_TO_PASS: [],
  test_framework: "pytest",
};
const MODEL = "us.anthropic.claude-sonnet-4-20250514-v1:0";
const CREDENTIALS = { accessKeyId: "AKIDMOCK", secretAccessKey: "mock-secret" };
const FIRST: Message = { role: "user", content: [{ type: "text", text: `Fix this issue:\n\n${TASK.problem_statement}\n` }] };
const REQUEST: ModelRequest = { system: "You are a coding agent.", messages: [FIRST], tools: [], toolChoice: "auto" };
const CALLS = 50;
// Short backoff: a stale connection is retried at once, as the run's retry layer would (after its backoff).
const POLICY = { ...DEFAULT_RETRY_POLICY, baseMs: 1, capMs: 5 };

let dir: string;
let cert: string;
let key: string;
let mock: MockServer | undefined;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "bench-tls-"));
  // A throwaway certificate for 127.0.0.1, made per run (never committed).
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      path.join(dir, "key.pem"),
      "-out",
      path.join(dir, "cert.pem"),
    ],
    { stdio: "ignore" },
  );
  cert = readFileSync(path.join(dir, "cert.pem"), "utf8");
  key = readFileSync(path.join(dir, "key.pem"), "utf8");
});
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("Bedrock over TLS", () => {
  for (const stream of [true, false]) {
    it(`${CALLS} sequential ${stream ? "ConverseStream" : "Converse"} calls to one region open at most 2 connections`, async () => {
      mock = await startMockServer({ tasks: [TASK], tls: { cert, key } });
      const cache = new BedrockClientCache();
      const client = new BedrockClient({
        model: MODEL,
        region: "us-west-2",
        endpoint: mock.url,
        credentials: CREDENTIALS,
        ca: cert,
        stream,
        cache,
        log: () => undefined,
      });
      try {
        for (let i = 0; i < CALLS; i++) expect((await client.generate(REQUEST)).message.role).toBe("assistant");
        expect(mock.stats.http2Requests).toBe(CALLS);
        expect(mock.stats.connections).toBeLessThanOrEqual(2);
        // The client-side count (run.json's) is the server's.
        expect(cache.connections()).toEqual({ [mock.url]: mock.stats.connections });
      } finally {
        cache.clear();
      }
    });
  }

  it("a server that drops idle connections loses no call (a stale one is retried on a fresh connection)", async () => {
    mock = await startMockServer({ tasks: [TASK], tls: { cert, key }, idleResetMs: 200 });
    const cache = new BedrockClientCache();
    const client = new BedrockClient({
      model: MODEL,
      region: "us-west-2",
      endpoint: mock.url,
      credentials: CREDENTIALS,
      ca: cert,
      cache,
      log: () => undefined,
    });
    let retries = 0;
    try {
      for (let i = 0; i < CALLS; i++) {
        await generateWithRetry(client, REQUEST, POLICY, { onRetry: () => retries++ });
        // Every tenth call, stay idle until the server has dropped the connection: the next call finds it gone.
        if (i % 10 === 9) await mock.whenNoConnections();
      }
      const opened = mock.stats.connections;
      expect(opened).toBeGreaterThanOrEqual(5);
      expect(cache.connections()).toEqual({ [mock.url]: opened });
      // Each attempt is a request the server saw: calls plus retries.
      expect(mock.stats.http2Requests).toBe(CALLS + retries);
      expect(retries).toBeLessThanOrEqual(cache.evictions);
    } finally {
      cache.clear();
    }
  });
});

/** Runs the compiled OpenAI client in a child process that trusts the certificate; resolves its JSON report. */
async function openAiChild(
  baseURL: string,
  calls: number,
  pauseEvery: number,
): Promise<{ ok: number; retries: number; connections: Record<string, number> }> {
  const script = path.join(dir, "openai-calls.mjs");
  writeFileSync(
    script,
    `import { OpenAIChatClient, fetchConnections } from ${JSON.stringify(path.join(ROOT, "dist/models/openai-chat.js"))};
import { generateWithRetry } from ${JSON.stringify(path.join(ROOT, "dist/runner/retry.js"))};
const client = new OpenAIChatClient({ model: "gpt-4o", apiKey: "k", baseURL: ${JSON.stringify(baseURL)} });
const request = ${JSON.stringify(REQUEST)};
let ok = 0, retries = 0;
for (let i = 0; i < ${calls}; i++) {
  await generateWithRetry(client, request, ${JSON.stringify(POLICY)}, { onRetry: () => retries++ });
  ok++;
  // Idle until the test says the server dropped the connection (IPC), so the next call finds it gone.
  if (${pauseEvery} > 0 && i % ${pauseEvery} === ${pauseEvery} - 1) await new Promise((r) => { process.once("message", r); process.send("idle"); });
}
process.stdout.write(JSON.stringify({ ok, retries, connections: fetchConnections() }));
process.disconnect?.();
`,
  );
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(dir, "cert.pem") },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  child.on("message", () => void mock!.whenNoConnections().then(() => child.send("go")));
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  expect(code, err).toBe(0);
  return JSON.parse(out) as { ok: number; retries: number; connections: Record<string, number> };
}

describe("OpenAI client over TLS (fetch keep-alive)", () => {
  beforeAll(() => {
    expect(existsSync(path.join(ROOT, "dist/models/openai-chat.js")), "run `npm run build` first").toBe(true);
  });

  it(`${CALLS} sequential calls open at most 2 connections`, async () => {
    mock = await startMockServer({ tasks: [TASK], tls: { cert, key } });
    const report = await openAiChild(`${mock.url}/v1`, CALLS, 0);
    expect(report.ok).toBe(CALLS);
    expect(report.retries).toBe(0);
    expect(mock.stats.connections).toBeLessThanOrEqual(2);
    expect(report.connections).toEqual({ [mock.url]: mock.stats.connections });
  });

  it("a server that drops idle connections loses no call", async () => {
    mock = await startMockServer({ tasks: [TASK], tls: { cert, key }, idleResetMs: 200 });
    const report = await openAiChild(`${mock.url}/v1`, CALLS, 10);
    expect(report.ok).toBe(CALLS);
    expect(mock.stats.connections).toBeGreaterThanOrEqual(5);
    expect(report.connections).toEqual({ [mock.url]: mock.stats.connections });
    expect(mock.stats.requests).toBe(CALLS + report.retries);
  });
});
