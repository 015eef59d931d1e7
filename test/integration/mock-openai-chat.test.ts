// The mock server's OpenAI Chat Completions wire format, checked with the real openai SDK (and raw HTTP/1.1 + h2c).

import http2 from "node:http2";
import OpenAI, { type APIError } from "openai";
import type { ChatCompletionChunk, ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Task } from "../../src/datasets/types.js";
import { startMockServer, type MockServer } from "../../src/mock/index.js";

const GOLD_PATCH = `diff --git a/calc/ops.py b/calc/ops.py
--- a/calc/ops.py
+++ b/calc/ops.py
@@ -1,2 +1,2 @@
 def add(a, b):
-    return a - b
+    return a + b
`;

const TASK: Task = {
  instance_id: "calc__calc-1",
  repo: "bench/calc",
  problem_statement: "add() returns the difference of its arguments instead of their sum.",
  patch: GOLD_PATCH,
  test_patch: "",
  FAIL_TO_PASS: ["tests/test_ops.py::test_add"],
  PASS_TO_PASS: [],
  test_framework: "pytest",
};

const TOOLS: ChatCompletionTool[] = [
  {
    type: "function",
    function: {
      name: "bash",
      description: "Run a command",
      parameters: { type: "object", properties: { command: { type: "string" } }, required: ["command"] },
    },
  },
  {
    type: "function",
    function: {
      name: "str_replace_editor",
      description: "View and edit files",
      parameters: { type: "object", properties: { command: { type: "string" }, path: { type: "string" } }, required: ["command", "path"] },
    },
  },
  {
    type: "function",
    function: {
      name: "finish",
      description: "Finish",
      parameters: { type: "object", properties: { message: { type: "string" } }, required: ["message"] },
    },
  },
];

const SYSTEM = "You are a coding agent. The repository is at /testbed.";
const FIRST_USER = `Fix this issue:\n\n${TASK.problem_statement}\n`;
const CONTINUE = "Please continue working on the task. Use the finish tool when you are done. DO NOT ask for human help.";
const NOW = 1_750_000_000_000;

/** The conversation after the oracle's text-only first turn and the harness's fake user reply. */
const AFTER_TURN_1: ChatCompletionMessageParam[] = [
  { role: "system", content: SYSTEM },
  { role: "user", content: FIRST_USER },
  { role: "assistant", content: "Let me look at the repository first." },
  { role: "user", content: CONTINUE },
];

let server: MockServer;
let client: OpenAI;

beforeAll(async () => {
  server = await startMockServer({ tasks: [TASK], now: () => NOW });
  client = new OpenAI({ apiKey: "test", baseURL: `${server.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
});

describe("non-stream", () => {
  it("answers the oracle's first turn with text only, echoing the model", async () => {
    const res = await client.chat.completions.create({
      model: "oracle",
      messages: [
        { role: "system", content: SYSTEM },
        { role: "user", content: FIRST_USER },
      ],
      tools: TOOLS,
    });
    expect(res).toEqual({
      id: expect.stringMatching(/^chatcmpl-[A-Za-z0-9]+$/),
      object: "chat.completion",
      created: NOW / 1000,
      model: "oracle",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Let me look at the repository first.", refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: {
        prompt_tokens: expect.any(Number),
        completion_tokens: 9,
        total_tokens: res.usage!.prompt_tokens + 9,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      },
      service_tier: "default",
      system_fingerprint: expect.stringMatching(/^fp_/),
    });
    expect(res.usage!.prompt_tokens).toBeGreaterThan(100);
  });

  it("returns two parallel tool calls on the oracle's second turn", async () => {
    const res = await client.chat.completions.create({ model: "oracle", messages: AFTER_TURN_1, tools: TOOLS });
    const choice = res.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.tool_calls).toEqual([
      {
        id: expect.stringMatching(/^call_/),
        type: "function",
        function: { name: "bash", arguments: JSON.stringify({ command: "cd /testbed && git status && ls" }) },
      },
      {
        id: expect.stringMatching(/^call_/),
        type: "function",
        function: { name: "str_replace_editor", arguments: JSON.stringify({ command: "view", path: "/testbed/calc/ops.py" }) },
      },
    ]);
    const ids = choice.message.tool_calls!.map((c) => c.id);
    expect(new Set(ids).size).toBe(2);
  });

  it("sends content null when the reply is only tool calls", async () => {
    const res = await client.chat.completions.create({ model: "lazy", messages: [{ role: "user", content: FIRST_USER }], tools: TOOLS });
    expect(res.choices[0]!.message).toEqual({
      role: "assistant",
      content: null,
      refusal: null,
      annotations: [],
      tool_calls: [
        { id: expect.stringMatching(/^call_/), type: "function", function: { name: "bash", arguments: '{"command":"ls /testbed"}' } },
      ],
    });
  });

  it("is deterministic: the same conversation gets the same ids and reply", async () => {
    const a = await client.chat.completions.create({ model: "oracle", messages: AFTER_TURN_1, tools: TOOLS });
    const b = await client.chat.completions.create({ model: "oracle", messages: AFTER_TURN_1, tools: TOOLS });
    expect(b).toEqual(a);
  });

  it("maps mock/<policy> and unknown model names, echoing the name sent", async () => {
    const aliased = await client.chat.completions.create({
      model: "mock/chatty",
      messages: [{ role: "user", content: "hello" }],
      tools: TOOLS,
    });
    expect(aliased.model).toBe("mock/chatty");
    expect(aliased.choices[0]!.message.content).toMatch(/thinking/);
    const unknown = await client.chat.completions.create({ model: "gpt-4o", messages: AFTER_TURN_1, tools: TOOLS });
    expect(unknown.model).toBe("gpt-4o");
    expect(unknown.choices[0]!.message.tool_calls).toHaveLength(2); // the default policy, oracle
    expect(server.requests.at(-1)?.policy).toBe("oracle");
  });

  it("suppresses tool calls when tool_choice is none", async () => {
    const res = await client.chat.completions.create({
      model: "lazy",
      messages: [{ role: "user", content: FIRST_USER }],
      tools: TOOLS,
      tool_choice: "none",
    });
    expect(res.choices[0]!.message.tool_calls).toBeUndefined();
    expect(res.choices[0]!.finish_reason).toBe("stop");
  });

  it("stops at max_tokens with finish_reason length and truncated arguments", async () => {
    const res = await client.chat.completions.create({
      model: "lazy",
      messages: [{ role: "user", content: FIRST_USER }],
      tools: TOOLS,
      max_tokens: 4,
    });
    const choice = res.choices[0]!;
    expect(choice.finish_reason).toBe("length");
    const call = choice.message.tool_calls![0]!;
    expect(call.type === "function" && call.function.arguments).toBe('{"command":"');
    expect(res.usage!.completion_tokens).toBe(4);
  });

  it("simulates prefix caching: 0 on the first call, then the earlier prompt in 64-token blocks", async () => {
    const long = `${FIRST_USER}\n${"Some context about the repository layout. ".repeat(40)}`;
    const first = await client.chat.completions.create({
      model: "lazy",
      messages: [
        { role: "system", content: SYSTEM },
        { role: "user", content: long },
      ],
      tools: TOOLS,
    });
    const call = first.choices[0]!.message.tool_calls![0]!;
    const second = await client.chat.completions.create({
      model: "lazy",
      messages: [
        { role: "system", content: SYSTEM },
        { role: "user", content: long },
        { role: "assistant", content: null, tool_calls: [call] },
        { role: "tool", tool_call_id: call.id, content: "calc\ntests\n" },
      ],
      tools: TOOLS,
    });
    expect(first.usage!.prompt_tokens_details!.cached_tokens).toBe(0);
    const cached = second.usage!.prompt_tokens_details!.cached_tokens!;
    expect(cached).toBeGreaterThan(0);
    expect(cached % 64).toBe(0);
    expect(cached).toBeLessThanOrEqual(first.usage!.prompt_tokens);
    expect(first.usage!.prompt_tokens - cached).toBeLessThan(64);
    expect(second.usage!.prompt_tokens).toBeGreaterThan(first.usage!.prompt_tokens);
  });

  it("logs the request headers and parsed body, and counts it", async () => {
    const before = server.stats.byRoute["openai.chat.completions"] ?? 0;
    await client.chat.completions.create({ model: "chatty", messages: [{ role: "user", content: "log me" }] });
    const record = server.requests.at(-1)!;
    expect(record).toMatchObject({
      method: "POST",
      path: "/v1/chat/completions",
      httpVersion: "1.1",
      route: "openai.chat.completions",
      model: "chatty",
      policy: "chatty",
      status: 200,
      body: { model: "chatty", messages: [{ role: "user", content: "log me" }] },
    });
    expect(record.headers["authorization"]).toBe("Bearer test");
    expect(record.headers["x-stainless-retry-count"]).toBe("0");
    expect(record.taskId).toBeUndefined();
    expect(server.stats.byRoute["openai.chat.completions"]).toBe(before + 1);
  });

  it("matches the task through the first user message", async () => {
    await client.chat.completions.create({ model: "oracle", messages: AFTER_TURN_1, tools: TOOLS });
    expect(server.requests.at(-1)?.taskId).toBe("calc__calc-1");
  });
});

describe("stream", () => {
  async function collect(messages: ChatCompletionMessageParam[], includeUsage: boolean): Promise<ChatCompletionChunk[]> {
    const stream = await client.chat.completions.create({
      model: "oracle",
      messages,
      tools: TOOLS,
      stream: true,
      ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
    });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    return chunks;
  }

  it("streams text in several deltas after a role chunk, then stop", async () => {
    const chunks = await collect([{ role: "user", content: FIRST_USER }], false);
    const deltas = chunks.map((c) => c.choices[0]?.delta);
    expect(deltas[0]).toEqual({ role: "assistant", content: "", refusal: null });
    const texts = deltas.slice(1, -1).map((d) => d?.content);
    expect(texts.length).toBeGreaterThanOrEqual(3);
    expect(texts.join("")).toBe("Let me look at the repository first.");
    expect(chunks.at(-1)!.choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: "stop" });
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({
        object: "chat.completion.chunk",
        model: "oracle",
        created: NOW / 1000,
        system_fingerprint: expect.stringMatching(/^fp_/),
      });
      expect(chunk.id).toBe(chunks[0]!.id);
      expect("usage" in chunk).toBe(false);
    }
  });

  it("streams tool calls as fragments that assemble into whole calls, then a usage chunk", async () => {
    // Turn 3 of the oracle: create the patch file and apply it.
    const two = await client.chat.completions.create({ model: "oracle", messages: AFTER_TURN_1, tools: TOOLS });
    const calls = two.choices[0]!.message.tool_calls!;
    const turn3: ChatCompletionMessageParam[] = [
      ...AFTER_TURN_1,
      { role: "assistant", content: two.choices[0]!.message.content, tool_calls: calls },
      ...calls.map((c): ChatCompletionMessageParam => ({ role: "tool", tool_call_id: c.id, content: "ok" })),
    ];
    const chunks = await collect(turn3, true);

    const usageChunk = chunks.at(-1)!;
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
    expect(usageChunk.usage!.prompt_tokens_details!.cached_tokens).toBeGreaterThan(0);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.usage).toBeNull();
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe("tool_calls");

    // First chunk: role together with the first call's first fragment (no text in this turn).
    expect(chunks[0]!.choices[0]!.delta).toMatchObject({ role: "assistant", content: null });

    const assembled: { id: string; name: string; arguments: string; fragments: number }[] = [];
    for (const chunk of chunks) {
      for (const frag of chunk.choices[0]?.delta.tool_calls ?? []) {
        const slot = assembled[frag.index];
        if (slot === undefined) {
          expect(frag).toEqual({
            index: frag.index,
            id: expect.stringMatching(/^call_/),
            type: "function",
            function: { name: expect.any(String), arguments: "" },
          });
          assembled[frag.index] = { id: frag.id!, name: frag.function!.name!, arguments: "", fragments: 0 };
        } else {
          expect(Object.keys(frag).sort()).toEqual(["function", "index"]);
          expect(Object.keys(frag.function!)).toEqual(["arguments"]);
          slot.arguments += frag.function!.arguments;
          slot.fragments++;
        }
      }
    }
    expect(assembled.map((c) => c.name)).toEqual(["str_replace_editor", "bash"]);
    expect(JSON.parse(assembled[0]!.arguments)).toEqual({ command: "create", path: "/tmp/bench_fix.patch", file_text: GOLD_PATCH });
    expect(JSON.parse(assembled[1]!.arguments)).toEqual({
      command: "cd /testbed && git apply --whitespace=nowarn /tmp/bench_fix.patch && rm /tmp/bench_fix.patch",
    });
    expect(assembled[0]!.fragments).toBeGreaterThan(2);
    expect(assembled[1]!.fragments).toBeGreaterThan(1);
  });

  it("gives the .stream() helper a final completion equal to the non-stream answer", async () => {
    const helper = client.chat.completions.stream({
      model: "oracle",
      messages: AFTER_TURN_1,
      tools: TOOLS,
      stream_options: { include_usage: true },
    });
    const final = await helper.finalChatCompletion();
    const plain = await client.chat.completions.create({ model: "oracle", messages: AFTER_TURN_1, tools: TOOLS });
    expect(final.choices[0]!.message.content).toBe(plain.choices[0]!.message.content);
    expect(final.choices[0]!.message.tool_calls).toEqual(plain.choices[0]!.message.tool_calls);
    expect(final.choices[0]!.finish_reason).toBe("tool_calls");
    expect(final.usage).toEqual(plain.usage);
    expect(final.id).toBe(plain.id);
  });

  it("frames SSE exactly: data lines, blank-line separated, ending with [DONE]", async () => {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer test" },
      body: JSON.stringify({
        model: "chatty",
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: "hi" }],
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    const text = await res.text();
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    const events = text.split("\n\n").filter((e) => e !== "");
    for (const event of events) expect(event).toMatch(/^data: /);
    const last = JSON.parse(events.at(-2)!.slice(6));
    expect(last).toMatchObject({ choices: [], usage: { prompt_tokens: expect.any(Number) } });
  });
});

describe("errors and other routes", () => {
  it("rejects a tool message that answers no tool call, like the real API", async () => {
    const err = await client.chat.completions
      .create({
        model: "oracle",
        messages: [
          { role: "user", content: "x" },
          { role: "tool", tool_call_id: "call_1", content: "out" },
        ],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, type: "invalid_request_error", param: "messages.[1].role", code: null });
    expect((err as APIError).requestID).toMatch(/^req_/);
  });

  it("rejects tool calls left without results", async () => {
    const err = await client.chat.completions
      .create({
        model: "oracle",
        messages: [
          { role: "user", content: "x" },
          {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "call_9", type: "function", function: { name: "bash", arguments: "{}" } }],
          },
          { role: "user", content: CONTINUE },
        ],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as APIError).message).toContain("did not have response messages: call_9");
  });

  it("rejects a request without messages or model", async () => {
    const noMessages = await client.chat.completions.create({ model: "oracle" } as never).catch((e: unknown) => e);
    expect(noMessages).toMatchObject({ status: 400, code: "missing_required_parameter", param: "messages" });
    const noModel = await client.chat.completions.create({ messages: [{ role: "user", content: "x" }] } as never).catch((e: unknown) => e);
    expect(noModel).toMatchObject({ status: 400, message: "400 you must provide a model parameter" });
  });

  it("answers invalid JSON with the real error shape", async () => {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
    expect(body.error["type"]).toBe("invalid_request_error");
  });

  it("answers an unknown URL with 404 NotFoundError", async () => {
    const err = await client.get("/nothing-here").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as APIError).message).toBe("404 Invalid URL (GET /v1/nothing-here)");
  });

  it("lists the policies as models, and serves the path without /v1", async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["oracle", "lazy", "chatty", "wrong", "hostile"]);
    const one = await client.models.retrieve("lazy");
    expect(one).toEqual({ id: "lazy", object: "model", created: expect.any(Number), owned_by: "bench-mock" });
    const bare = new OpenAI({ apiKey: "test", baseURL: server.url, maxRetries: 0 });
    const res = await bare.chat.completions.create({ model: "chatty", messages: [{ role: "user", content: "hi" }] });
    expect(res.choices[0]!.finish_reason).toBe("stop");
  });

  it("enforces an API key when one is configured", async () => {
    const locked = await startMockServer({ apiKey: "sk-right-key-123456" });
    try {
      const wrong = new OpenAI({ apiKey: "sk-wrong-key-654321", baseURL: `${locked.url}/v1`, maxRetries: 0 });
      const err = await wrong.chat.completions
        .create({ model: "chatty", messages: [{ role: "user", content: "hi" }] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
      expect(err).toMatchObject({ status: 401, code: "invalid_api_key" });
      const right = new OpenAI({ apiKey: "sk-right-key-123456", baseURL: `${locked.url}/v1`, maxRetries: 0 });
      await expect(right.chat.completions.create({ model: "chatty", messages: [{ role: "user", content: "hi" }] })).resolves.toBeDefined();
    } finally {
      await locked.close();
    }
  });

  it("fails with context_length_exceeded when the prompt is over the configured window", async () => {
    const small = await startMockServer({ contextWindowTokens: 50 });
    try {
      const c = new OpenAI({ apiKey: "test", baseURL: `${small.url}/v1`, maxRetries: 0 });
      const err = await c.chat.completions
        .create({ model: "chatty", messages: [{ role: "user", content: "x".repeat(400) }] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err).toMatchObject({ code: "context_length_exceeded", param: "messages" });
    } finally {
      await small.close();
    }
  });
});

describe("HTTP/2 (h2c, prior knowledge) on the same port", () => {
  function h2Request(body: unknown): Promise<{ status: number; headers: http2.IncomingHttpHeaders; text: string }> {
    return new Promise((resolve, reject) => {
      const session = http2.connect(server.url);
      session.on("error", reject);
      const req = session.request({
        ":method": "POST",
        ":path": "/v1/chat/completions",
        "content-type": "application/json",
        authorization: "Bearer test",
      });
      let status = 0;
      let headers: http2.IncomingHttpHeaders = {};
      let text = "";
      req.on("response", (h) => {
        status = Number(h[":status"]);
        headers = h;
      });
      req.setEncoding("utf8");
      req.on("data", (d: string) => (text += d));
      req.on("end", () => {
        session.close();
        resolve({ status, headers, text });
      });
      req.on("error", reject);
      req.end(JSON.stringify(body));
    });
  }

  it("gives the same non-stream answer as HTTP/1.1", async () => {
    const body = { model: "oracle", messages: AFTER_TURN_1, tools: TOOLS };
    const h2 = await h2Request(body);
    expect(h2.status).toBe(200);
    expect(h2.headers["content-type"]).toBe("application/json");
    const h1 = await client.chat.completions.create(body);
    expect(JSON.parse(h2.text)).toEqual(h1);
    expect(server.requests.find((r) => r.httpVersion === "2.0")).toMatchObject({ route: "openai.chat.completions", status: 200 });
    expect(server.stats.http2Requests).toBeGreaterThan(0);
  });

  it("streams over HTTP/2 too", async () => {
    const h2 = await h2Request({ model: "oracle", messages: AFTER_TURN_1, tools: TOOLS, stream: true });
    expect(h2.status).toBe(200);
    expect(h2.text.endsWith("data: [DONE]\n\n")).toBe(true);
    const chunks = h2.text
      .split("\n\n")
      .filter((e) => e.startsWith("data: {"))
      .map((e) => JSON.parse(e.slice(6)) as ChatCompletionChunk);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("tool_calls");
  });
});
