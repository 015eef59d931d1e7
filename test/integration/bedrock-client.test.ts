// The Bedrock provider with the real @aws-sdk/client-bedrock-runtime (default HTTP/2 handler) against the mock server:
// streaming and not, a whole oracle conversation, the retry layer, faults, stale connections, deadlines, auth.

import { rmSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Task } from "../../src/datasets/types.js";
import { faults, startMockServer, type MockServer } from "../../src/mock/index.js";
import { BedrockClient, type BedrockClientOptions } from "../../src/models/bedrock.js";
import { BedrockClientCache } from "../../src/models/bedrock-runtime-client.js";
import { ModelError } from "../../src/models/errors.js";
import type { Message, ModelRequest, ModelResponse, ToolSpec } from "../../src/models/types.js";
import { DEFAULT_RETRY_POLICY, generateWithRetry } from "../../src/runner/retry.js";

const TASK: Task = {
  instance_id: "calc__calc-1",
  repo: "bench/calc",
  problem_statement: "add() returns the difference of its arguments instead of their sum.",
  patch:
    "diff --git a/calc/ops.py b/calc/ops.py\n--- a/calc/ops.py\n+++ b/calc/ops.py\n@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a - b\n+    return a + b\n",
  test_patch: "",
  FAIL_TO_PASS: ["tests/test_ops.py::test_add"],
  PASS_TO_PASS: [],
  test_framework: "pytest",
};
const MODEL = "us.anthropic.claude-sonnet-4-20250514-v1:0";
const REGION = "us-west-2";
const WHERE = `bedrock/${MODEL}@${REGION}`;
const CREDENTIALS = { accessKeyId: "AKIDMOCK", secretAccessKey: "mock-secret" };
const obj = (properties: Record<string, unknown>) => ({ type: "object", properties });
const TOOLS: ToolSpec[] = [
  { name: "bash", description: "Run a command", parameters: obj({ command: { type: "string" } }) },
  {
    name: "str_replace_editor",
    description: "View and edit files",
    parameters: obj({ command: { type: "string" }, path: { type: "string" } }),
  },
  { name: "finish", description: "Finish", parameters: obj({ message: { type: "string" } }) },
];
const FIRST: Message = { role: "user", content: [{ type: "text", text: `Fix this issue:\n\n${TASK.problem_statement}\n` }] };
const request = (messages: Message[]): ModelRequest => ({ system: "You are a coding agent.", messages, tools: TOOLS, toolChoice: "auto" });

let server: MockServer;
const cache = new BedrockClientCache();
const logs: string[] = [];
const client = (extra: Partial<BedrockClientOptions> = {}): BedrockClient =>
  new BedrockClient({
    model: MODEL,
    region: REGION,
    endpoint: server.url,
    credentials: CREDENTIALS,
    cache,
    log: (l) => logs.push(l),
    ...extra,
  });
const failure = async (p: Promise<unknown>): Promise<ModelError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelError);
  return err as ModelError;
};

/** Plays the oracle to its finish call, answering every tool call with "ok"; returns every response. */
async function playOracle(c: BedrockClient): Promise<ModelResponse[]> {
  const messages: Message[] = [FIRST];
  const responses: ModelResponse[] = [];
  for (let turn = 0; turn < 8; turn++) {
    const res = await c.generate(request(messages));
    responses.push(res);
    messages.push(res.message);
    if (res.message.toolCalls.some((t) => t.name === "finish")) break;
    if (res.message.toolCalls.length === 0) messages.push({ role: "user", content: [{ type: "text", text: "Please continue." }] });
    for (const call of res.message.toolCalls)
      messages.push({ role: "tool", toolCallId: call.id, toolName: call.name, content: [{ type: "text", text: "ok" }], isError: false });
  }
  return responses;
}

beforeAll(async () => {
  server = await startMockServer({ tasks: [TASK] });
});
afterAll(async () => {
  cache.clear();
  await server.close();
});
afterEach(() => {
  server.faults.clear();
});

describe("Converse and ConverseStream with the real SDK", () => {
  it("streams the oracle's whole conversation over HTTP/2: text turn, parallel tool calls, patch, check, finish", async () => {
    const first = server.requests.length;
    const responses = await playOracle(client());
    expect(responses.map((r) => [r.stopReason, r.message.toolCalls.map((t) => t.name)])).toEqual([
      ["end_turn", []],
      ["tool_use", ["bash", "str_replace_editor"]],
      ["tool_use", ["str_replace_editor", "bash"]],
      ["tool_use", ["bash"]],
      ["tool_use", ["finish"]],
    ]);
    expect(responses[0]!.message).toEqual({ role: "assistant", text: "Let me look at the repository first.", toolCalls: [] });
    expect(responses[1]!.message.toolCalls[0]).toEqual({
      id: expect.stringMatching(/^tooluse_[A-Za-z0-9]+$/),
      name: "bash",
      arguments: JSON.stringify({ command: "cd /testbed && git status && ls" }),
    });
    for (const r of responses) {
      expect(r.usage.inputTokens).toBeGreaterThan(50);
      expect(r.usage.outputTokens).toBeGreaterThan(0);
      expect(r.usage).toMatchObject({ cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
      expect(r.ttftMs).toBeGreaterThan(0);
      expect(r.ttftMs!).toBeLessThanOrEqual(r.latencyMs);
      expect(r.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
    const sent = server.requests.slice(first);
    expect(sent.map((r) => [r.route, r.status, r.httpVersion, r.taskId, r.policy])).toEqual(
      Array.from({ length: 5 }, () => ["bedrock.converse-stream", 200, "2.0", TASK.instance_id, "oracle"]),
    );
    expect(sent[0]!.path).toBe("/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream");
    expect(sent[0]!.headers["authorization"]).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDMOCK\/\d{8}\/us-west-2\/bedrock\/aws4_request, /);
    // SDK retries are off: every attempt is the first and only one.
    expect(new Set(sent.map((r) => r.headers["amz-sdk-request"]))).toEqual(new Set(["attempt=1; max=1"]));
    // Claude gets toolResult.status; the mock refuses it for other models, so the round trip checks the rule.
    expect(JSON.stringify(sent[2]!.body)).toContain('"status":"success"');
  });

  it("Converse (stream off) gives the same answers, without a time to first token", async () => {
    const streamed = await playOracle(client());
    const first = server.requests.length;
    const plain = await playOracle(client({ stream: false }));
    expect(plain.map((r) => r.message)).toEqual(streamed.map((r) => r.message));
    expect(plain.map((r) => r.usage)).toEqual(streamed.map((r) => r.usage));
    for (const r of plain) expect(r.ttftMs).toBeUndefined();
    expect(new Set(server.requests.slice(first).map((r) => r.route))).toEqual(new Set(["bedrock.converse"]));
  });

  it("a non-Claude model gets no toolResult.status (the mock would refuse it)", async () => {
    const responses = await playOracle(client({ model: "amazon.nova-pro-v1:0", region: "us-east-1" }));
    expect(responses.at(-1)!.message.toolCalls[0]!.name).toBe("finish");
  });

  it("prompt caching: cache points reach the service; the first call writes, later calls read", async () => {
    const c = client({ promptCaching: true });
    const one = await c.generate(request([FIRST]));
    const two = await c.generate(request([FIRST, one.message, { role: "user", content: [{ type: "text", text: "go on" }] }]));
    expect(one.usage.cacheWriteTokens).toBeGreaterThan(0);
    expect(one.usage.cacheReadTokens).toBe(0);
    expect(two.usage.cacheReadTokens).toBe(one.usage.cacheWriteTokens);
    expect(two.usage.cacheWriteTokens).toBe(0);
    const body = server.requests.at(-1)!.body as { system: unknown[]; toolConfig: { tools: unknown[] } };
    expect(body.system.at(-1)).toEqual({ cachePoint: { type: "default" } });
    expect(body.toolConfig.tools.at(-1)).toEqual({ cachePoint: { type: "default" } });
  });
});

describe("errors, retries and connections", () => {
  it("throttling, then success, through the harness's retry layer", async () => {
    server.faults.push(faults.rateLimit());
    const first = server.requests.length;
    const retries: [string, string][] = [];
    const res = await generateWithRetry(
      client(),
      request([FIRST]),
      { ...DEFAULT_RETRY_POLICY, maxRetries: 2 },
      {
        sleep: async () => undefined,
        onRetry: (err) => retries.push([err.errorClass, err.message]),
      },
    );
    expect(res.message.text).toBe("Let me look at the repository first.");
    expect(retries).toEqual([["rate_limit", `${WHERE}: ThrottlingException: Too many tokens, please wait before trying again.`]]);
    expect(server.requests.slice(first).map((r) => [r.status, r.headers["amz-sdk-request"]])).toEqual([
      [429, "attempt=1; max=1"],
      [200, "attempt=1; max=1"],
    ]);
  });

  it("an exception frame mid-stream: ModelStreamErrorException → transient; a throttling frame → rate_limit", async () => {
    server.faults.push(faults.streamError(1));
    const e = await failure(client().generate(request([FIRST])));
    expect(e.errorClass).toBe("transient");
    expect(e.message).toBe(
      `${WHERE}: ModelStreamErrorException: The model stream had an error while processing the request. Try your request again.`,
    );
    expect(e.staleConnection).toBe(false);
    server.faults.push({
      kind: "stream-error",
      afterChunks: 2,
      errorType: "ThrottlingException",
      message: "Too many tokens, please wait before trying again.",
    });
    expect((await failure(client().generate(request([FIRST])))).errorClass).toBe("rate_limit");
  });

  it("a stream cut cleanly before messageStop is transient, never a silent success", async () => {
    server.faults.push(faults.cut());
    const e = await failure(client().generate(request([FIRST])));
    expect(e).toMatchObject({
      errorClass: "transient",
      message: `${WHERE}: stream ended without messageStop (cut off mid-answer)`,
      staleConnection: false,
    });
  });

  it("a connection reset evicts the region's client: the retry opens a new connection with a fresh client", async () => {
    const c = client();
    await c.generate(request([FIRST]));
    const before = { created: cache.created, evictions: cache.evictions, connections: server.stats.connections };
    server.faults.push(faults.reset());
    const retries: ModelError[] = [];
    const res = await generateWithRetry(c, request([FIRST]), DEFAULT_RETRY_POLICY, {
      sleep: async () => undefined,
      onRetry: (err) => retries.push(err),
    });
    expect(res.message.text).toBe("Let me look at the repository first.");
    expect(retries.map((r) => [r.errorClass, r.staleConnection])).toEqual([["transient", true]]);
    expect(retries[0]!.message).toMatch(new RegExp(`^${WHERE.replace(/[.]/g, "\\.")}: `));
    expect(cache.evictions).toBe(before.evictions + 1);
    expect(cache.created).toBe(before.created + 1);
    // The reset attempt reused the pooled connection; the retry's fresh client opened one.
    expect(server.stats.connections).toBe(before.connections + 1);
  });

  it("a reset in the middle of a stream is stale too", async () => {
    server.faults.push(faults.cutReset(2));
    const e = await failure(client().generate(request([FIRST])));
    expect(e).toMatchObject({ errorClass: "transient", staleConnection: true });
  });

  it("every call has a deadline: a server that never answers, or stalls mid-stream, ends in a transient error", async () => {
    for (const fault of [faults.hang(), faults.hang(2)]) {
      server.faults.push(fault);
      const started = performance.now();
      const e = await failure(client({ timeoutMs: 400 }).generate(request([FIRST])));
      expect(e).toMatchObject({ errorClass: "transient", staleConnection: true, message: `${WHERE}: call deadline of 400 ms exceeded` });
      expect(performance.now() - started).toBeLessThan(3000);
    }
  });

  it("HTTP errors in Bedrock's shapes: context overflow, access denied, on-demand throughput, unavailable", async () => {
    server.faults.push(
      faults.contextLengthExceeded(),
      faults.unauthorized(),
      {
        kind: "http",
        status: 400,
        errorType: "ValidationException",
        message: "Invocation of model ID anthropic.claude-3-5-sonnet-20241022-v2:0 with on-demand throughput isn’t supported.",
      },
      faults.overloaded(),
    );
    const errors = [];
    for (let i = 0; i < 4; i++) errors.push(await failure(client({ stream: i % 2 === 0 }).generate(request([FIRST]))));
    expect(errors.map((e) => [e.errorClass, e.status])).toEqual([
      ["context_overflow", 400],
      ["auth", 403],
      ["invalid_request", 400],
      ["transient", 503],
    ]);
    expect(errors[0]!.message).toBe(`${WHERE}: ValidationException: Input is too long for requested model.`);
    expect(errors[1]!.message).toMatch(
      /AccessDeniedException: You don't have access to the model with the specified model ID\. — model access: enable anthropic\.claude-sonnet-4/,
    );
    expect(errors[2]!.message).toMatch(/use --model bedrock\/us\.anthropic\.claude-sonnet-4-20250514-v1:0/);
    expect(errors.map((e) => e.requestId)).toEqual(errors.map(() => expect.stringMatching(/^[0-9a-f-]{36}$/)));
  });

  it("a profile of another geography is warned about, once per client", () => {
    logs.length = 0;
    client({ region: "eu-central-1" });
    client({ region: "eu-central-1" });
    expect(logs.filter((l) => l.includes('"us." inference profile does not serve region eu-central-1'))).toHaveLength(2);
    expect(logs[0]).toMatch(/^warning: bedrock\/us\.anthropic/);
  });
});

describe("auth", () => {
  it("a Bedrock API key goes as Authorization: Bearer, without AWS credentials", async () => {
    const res = await client({ credentials: undefined, bearerToken: "bedrock-api-key-abc123" }).generate(request([FIRST]));
    expect(res.message.text).toBe("Let me look at the repository first.");
    expect(server.requests.at(-1)!.headers["authorization"]).toBe("Bearer bedrock-api-key-abc123");
    expect(server.requests.at(-1)!.headers["x-amz-date"]).toBeUndefined();
  });
});

describe("no credentials anywhere", () => {
  const home = mkdtempSync(path.join(os.tmpdir(), "bench-nohome-"));
  const saved: Record<string, string | undefined> = {};
  const NONE: Record<string, string | undefined> = {
    HOME: home,
    AWS_CONFIG_FILE: "/nonexistent/config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_BEARER_TOKEN_BEDROCK: undefined,
    AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
  };
  beforeAll(() => {
    for (const [k, v] of Object.entries(NONE)) {
      saved[k] = process.env[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(home, { recursive: true, force: true });
  });

  it("checkCredentials stops the run (InfraError, exit 1) naming every option, before anything starts", async () => {
    const { checkCredentials } = await import("../../src/models/factory.js");
    const cells = [{ provider: "bedrock" as const, model: MODEL, region: REGION, cell: `bedrock/${MODEL}@${REGION}` }];
    const err = await checkCredentials(cells, { apiKeyEnv: "OPENAI_API_KEY", stream: true, timeoutMs: 1000, env: process.env }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ name: "InfraError", exitCode: 1 });
    expect((err as Error).message).toMatch(
      new RegExp(
        `^bedrock/us\\.anthropic\\.claude-sonnet-4-20250514-v1:0@us-west-2: no AWS credentials for Bedrock \\(Could not load credentials from any providers\\): ` +
          "set AWS_BEARER_TOKEN_BEDROCK .*AWS_ACCESS_KEY_ID \\+ AWS_SECRET_ACCESS_KEY .*AWS_PROFILE .*SSO .*instance-role",
      ),
    );
  });

  it("a call without credentials is an auth error and never reaches the service", async () => {
    const before = server.requests.length;
    const e = await failure(client({ credentials: undefined }).generate(request([FIRST])));
    expect(e.errorClass).toBe("auth");
    expect(e.message).toMatch(new RegExp(`^${WHERE.replace(/[.]/g, "\\.")}: no AWS credentials`));
    expect(server.requests.length).toBe(before);
  });

  it("AWS_BEARER_TOKEN_BEDROCK alone is enough: the check passes and the factory's client sends the bearer token", async () => {
    const { checkCredentials, createClient } = await import("../../src/models/factory.js");
    const env = { ...process.env, AWS_BEARER_TOKEN_BEDROCK: "env-bedrock-key" };
    const cell = { provider: "bedrock" as const, model: MODEL, region: REGION, cell: `bedrock/${MODEL}@${REGION}` };
    await expect(checkCredentials([cell], { apiKeyEnv: "OPENAI_API_KEY", stream: true, timeoutMs: 1000, env })).resolves.toBeUndefined();
    const c = createClient(cell, { apiKeyEnv: "OPENAI_API_KEY", stream: true, timeoutMs: 10_000, env, bedrockEndpoint: server.url });
    expect(c).toMatchObject({ provider: "bedrock", model: MODEL, region: REGION });
    await c.generate(request([FIRST]));
    expect(server.requests.at(-1)!.headers["authorization"]).toBe("Bearer env-bedrock-key");
  });

  it("env keys resolve through the default chain", async () => {
    const { checkCredentials } = await import("../../src/models/factory.js");
    process.env["AWS_ACCESS_KEY_ID"] = "AKIDFROMENV";
    process.env["AWS_SECRET_ACCESS_KEY"] = "env-secret";
    try {
      const cell = { provider: "bedrock" as const, model: MODEL, region: REGION, cell: `bedrock/${MODEL}@${REGION}` };
      await expect(
        checkCredentials([cell], { apiKeyEnv: "OPENAI_API_KEY", stream: true, timeoutMs: 1000, env: process.env }),
      ).resolves.toBeUndefined();
      await client({ credentials: undefined }).generate(request([FIRST]));
      expect(server.requests.at(-1)!.headers["authorization"]).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDFROMENV\//);
    } finally {
      delete process.env["AWS_ACCESS_KEY_ID"];
      delete process.env["AWS_SECRET_ACCESS_KEY"];
    }
  });
});
