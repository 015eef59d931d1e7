// Chat Completions parity with the real openai SDK against the mock: generation options on the wire, reasoning and
// cached tokens, the drop_params retry for strict servers (both providers), images in tool results, deadlines.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Task } from "../../src/datasets/types.js";
import { faults, startMockServer, type MockServer } from "../../src/mock/index.js";
import { ModelError } from "../../src/models/errors.js";
import { OpenAIChatClient, type OpenAIChatOptions } from "../../src/models/openai-chat.js";
import { OpenAIResponsesClient } from "../../src/models/openai-responses.js";
import type { Message, ModelRequest, ToolSpec } from "../../src/models/types.js";

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
const TOOLS: ToolSpec[] = [
  {
    name: "bash",
    description: "Run a command",
    parameters: { type: "object", properties: { command: { type: "string" } }, required: ["command"] },
  },
  {
    name: "str_replace_editor",
    description: "Edit",
    parameters: { type: "object", properties: { command: { type: "string" }, path: { type: "string" } } },
  },
  { name: "finish", description: "Finish", parameters: { type: "object", properties: { message: { type: "string" } } } },
];
const user = (text: string): Message => ({ role: "user", content: [{ type: "text", text }] });
const FIRST = user(`Fix this issue:\n\n${TASK.problem_statement}\n`);
const request = (messages: Message[]): ModelRequest => ({
  system: "You are a coding agent. The repository is at /testbed.",
  messages,
  tools: TOOLS,
  toolChoice: "auto",
});

let server: MockServer;
let strict: MockServer;
const chat = (model: string, options: Partial<OpenAIChatOptions> = {}, on: MockServer = server): OpenAIChatClient =>
  new OpenAIChatClient({ model, apiKey: "test", baseURL: `${on.url}/v1`, timeoutMs: 10_000, ...options });

beforeAll(async () => {
  server = await startMockServer({ tasks: [TASK] });
  // A strict OpenAI-compatible server: it refuses `seed` (and temperature) like OpenAI refuses unknown arguments.
  strict = await startMockServer({ tasks: [TASK], rejectParams: ["seed", "temperature"] });
});
afterAll(async () => {
  await server.close();
  await strict.close();
});

async function threeTurns(c: OpenAIChatClient | OpenAIResponsesClient) {
  const r1 = await c.generate(request([FIRST]));
  const history: Message[] = [FIRST, r1.message, user("Please continue.")];
  const r2 = await c.generate(request(history));
  history.push(r2.message);
  for (const call of r2.message.toolCalls)
    history.push({ role: "tool", toolCallId: call.id, toolName: call.name, content: [{ type: "text", text: "ok" }], isError: false });
  const r3 = await c.generate(request(history));
  return { r1, r2, r3 };
}

describe("generation options on the wire", () => {
  it("sends reasoning_effort, seed, temperature, top_p, max_completion_tokens and stream_options.include_usage", async () => {
    await chat("o4-mini", { reasoningEffort: "low", seed: 7, temperature: 1, topP: 0.9, maxOutputTokens: 4096 }).generate(request([FIRST]));
    expect(server.requests.at(-1)!.body).toMatchObject({
      model: "o4-mini",
      reasoning_effort: "low",
      seed: 7,
      temperature: 1,
      top_p: 0.9,
      max_completion_tokens: 4096,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("a request's own temperature wins over the client's; nothing optional is sent when nothing is set", async () => {
    await chat("gpt-4o", { temperature: 1 }).generate({ ...request([FIRST]), temperature: 0 });
    expect(server.requests.at(-1)!.body).toMatchObject({ temperature: 0 });
    await chat("gpt-4o").generate(request([FIRST]));
    const body = server.requests.at(-1)!.body as Record<string, unknown>;
    expect([body["reasoning_effort"], body["seed"], body["temperature"], body["top_p"], body["max_completion_tokens"]]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("reasoning models report reasoning tokens (inside output) and cached prompt tokens, streamed or not", async () => {
    for (const stream of [true, false]) {
      const { r1, r3 } = await threeTurns(chat("o4-mini", { stream }));
      expect(r1.usage.reasoningTokens).toBeGreaterThan(0);
      expect(r1.usage.outputTokens).toBeGreaterThan(r1.usage.reasoningTokens);
      expect(r3.usage.cacheReadTokens).toBeGreaterThan(0);
      // Chat Completions returns no reasoning content, only its token count.
      expect(r1.message.reasoning).toBeUndefined();
    }
    const plain = await threeTurns(chat("gpt-4o"));
    expect(plain.r1.usage.reasoningTokens).toBe(0);
  });

  it("moves an image observation into a user message after the tool messages", async () => {
    const history: Message[] = [
      FIRST,
      { role: "assistant", text: "", toolCalls: [{ id: "call_1", name: "str_replace_editor", arguments: "{}" }] },
      {
        role: "tool",
        toolCallId: "call_1",
        toolName: "str_replace_editor",
        content: [{ type: "image", mediaType: "image/png", data: "iVBORw0KGgo=" }],
        isError: false,
      },
    ];
    await chat("gpt-4o").generate(request(history));
    const messages = (server.requests.at(-1)!.body as { messages: Record<string, unknown>[] }).messages;
    expect(messages.slice(-2)).toEqual([
      { role: "tool", tool_call_id: "call_1", content: "(image attached below)" },
      {
        role: "user",
        content: [
          { type: "text", text: "Images from the tool results above:" },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
        ],
      },
    ]);
  });
});

describe("drop_params: a server that rejects an optional parameter", () => {
  it("Chat: retries without each parameter the server names, says so once per parameter, and leaves them out from then on", async () => {
    const lines: string[] = [];
    const c = chat(
      "gpt-4o",
      { seed: 7, temperature: 0.5, reasoningEffort: "low", maxOutputTokens: 4096, log: (l) => lines.push(l) },
      strict,
    );
    const before = strict.requests.length;
    const r = await c.generate(request([FIRST]));
    expect(r.message.text).toBe("Let me look at the repository first.");
    // The strict server takes neither seed nor temperature, and names one per answer.
    const [first, second, third] = strict.requests.slice(before);
    expect(first).toMatchObject({ status: 400, body: { seed: 7, temperature: 0.5, reasoning_effort: "low" } });
    expect(second).toMatchObject({ status: 400, body: { temperature: 0.5, reasoning_effort: "low" } });
    expect((second!.body as Record<string, unknown>)["seed"]).toBeUndefined();
    expect(third).toMatchObject({ status: 200 });
    const body = third!.body as Record<string, unknown>;
    // What the server takes is still sent: reasoning_effort and the output cap.
    expect([body["seed"], body["temperature"], body["reasoning_effort"], body["max_completion_tokens"]]).toEqual([
      undefined,
      undefined,
      "low",
      4096,
    ]);
    expect(lines).toEqual([
      "openai/gpt-4o: the server rejected seed (400 Unrecognized request argument supplied: seed); retrying without it, and leaving it out of this model's calls from now on",
      "openai/gpt-4o: the server rejected temperature (400 Unrecognized request argument supplied: temperature); retrying without it, and leaving it out of this model's calls from now on",
    ]);
    // Later calls: one request each, without the rejected parameters, no more notices.
    await c.generate(request([FIRST]));
    expect(strict.requests.length - before).toBe(4);
    expect(strict.requests.at(-1)).toMatchObject({ status: 200, body: { reasoning_effort: "low" } });
    expect((strict.requests.at(-1)!.body as Record<string, unknown>)["seed"]).toBeUndefined();
    expect(lines).toHaveLength(2);
  });

  it("Responses: the same switch drops temperature and keeps the reasoning request", async () => {
    const lines: string[] = [];
    const c = new OpenAIResponsesClient({
      model: "o4-mini",
      apiKey: "test",
      baseURL: `${strict.url}/v1`,
      temperature: 1,
      log: (l) => lines.push(l),
    });
    const before = strict.requests.length;
    const r = await c.generate(request([FIRST]));
    expect(r.message.text).toBe("Let me look at the repository first.");
    const [rejected, retried] = strict.requests.slice(before);
    expect(rejected).toMatchObject({ status: 400, body: { temperature: 1, reasoning: { summary: "auto" } } });
    expect(retried).toMatchObject({ status: 200, body: { reasoning: { summary: "auto" }, include: ["reasoning.encrypted_content"] } });
    expect((retried!.body as Record<string, unknown>)["temperature"]).toBeUndefined();
    expect(lines).toHaveLength(1);
  });

  it("a client that sends no optional parameter is not retried, and other 400s never trigger the switch", async () => {
    const c = chat("gpt-4o", { log: () => expect.unreachable("no notice expected") });
    server.faults.push(faults.contextLengthExceeded());
    const before = server.requests.length;
    const err = await chat("gpt-4o", { seed: 1, log: () => expect.unreachable("no notice expected") })
      .generate(request([FIRST]))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ errorClass: "context_overflow" });
    expect(server.requests.length - before).toBe(1);
    server.faults.push({ kind: "http", status: 400, message: "Unrecognized request argument supplied: foo" });
    expect(await c.generate(request([FIRST])).catch((e: unknown) => e)).toMatchObject({ errorClass: "invalid_request" });
    expect(server.requests.length - before).toBe(2);
  });
});

describe("Chat Completions deadlines and cut streams", () => {
  it("a stream that stalls mid-body runs into the call deadline: transient", async () => {
    server.faults.push(faults.hang(2));
    const err = await chat("gpt-4o", { timeoutMs: 400 })
      .generate(request([FIRST]))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect(err).toMatchObject({ errorClass: "transient", message: "openai/gpt-4o: call deadline of 400 ms exceeded" });
  });

  it("a stream without finish_reason / [DONE] is transient", async () => {
    server.faults.push(faults.cut(2));
    expect(
      await chat("gpt-4o")
        .generate(request([FIRST]))
        .catch((e: unknown) => e),
    ).toMatchObject({
      errorClass: "transient",
      message: "openai/gpt-4o: stream ended without finish_reason",
    });
  });

  it("a 429 keeps its retry-after hint on the error", async () => {
    server.faults.push(faults.rateLimit({ retryAfterS: 3 }));
    expect(
      await chat("gpt-4o")
        .generate(request([FIRST]))
        .catch((e: unknown) => e),
    ).toMatchObject({ errorClass: "rate_limit", retryAfterMs: 3000 });
  });
});
