// The openai-responses provider with the real openai SDK against the mock's Responses wire: every stream shape,
// reasoning carried across turns, images in tool results, frame order on the wire, and real recorded streams.

import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import type { Task } from "../../src/datasets/types.js";
import { startMockServer, type MockServer } from "../../src/mock/index.js";
import { ModelError } from "../../src/models/errors.js";
import { OpenAIResponsesClient, type OpenAIResponsesOptions } from "../../src/models/openai-responses.js";
import type { Message, ModelRequest, ToolSpec } from "../../src/models/types.js";
import { repoRoot } from "./helpers.js";

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
    description: "View and edit files",
    parameters: {
      type: "object",
      properties: { command: { type: "string" }, path: { type: "string" }, file_text: { type: "string" } },
      required: ["command", "path"],
    },
  },
  {
    name: "finish",
    description: "Finish",
    parameters: { type: "object", properties: { message: { type: "string" } }, required: ["message"] },
  },
];
const SYSTEM = "You are a coding agent. The repository is at /testbed.";
const user = (text: string): Message => ({ role: "user", content: [{ type: "text", text }] });
const FIRST_TEXT = `Fix this issue:\n\n${TASK.problem_statement}\n`;
const CONTINUE_TEXT = "Please continue working on the task. Use the finish tool when you are done.";
const FIRST: Message = user(FIRST_TEXT);
const CONTINUE = user(CONTINUE_TEXT);
const request = (messages: Message[], extra: Partial<ModelRequest> = {}): ModelRequest => ({
  system: SYSTEM,
  messages,
  tools: TOOLS,
  toolChoice: "auto",
  ...extra,
});

let server: MockServer;
const client = (model: string, options: Partial<OpenAIResponsesOptions> = {}): OpenAIResponsesClient =>
  new OpenAIResponsesClient({ model, apiKey: "test", baseURL: `${server.url}/v1`, timeoutMs: 10_000, ...options });
const bodies = (): Record<string, unknown>[] => server.requests.map((r) => r.body as Record<string, unknown>);

beforeAll(async () => {
  server = await startMockServer({ tasks: [TASK] });
});
afterAll(async () => {
  await server.close();
});

/** Runs the oracle's first three turns; returns each response and the history after them. */
async function threeTurns(c: OpenAIResponsesClient) {
  const r1 = await c.generate(request([FIRST]));
  const history: Message[] = [FIRST, r1.message, CONTINUE];
  const r2 = await c.generate(request(history));
  history.push(r2.message);
  for (const call of r2.message.toolCalls) {
    history.push({ role: "tool", toolCallId: call.id, toolName: call.name, content: [{ type: "text", text: "ops.py" }], isError: false });
  }
  const r3 = await c.generate(request(history));
  return { r1, r2, r3, history };
}

describe("streaming (o4-mini, a reasoning model)", () => {
  it("gives text, text + parallel function calls, then calls only, each with a reasoning summary, usage and timings", async () => {
    const { r1, r2, r3 } = await threeTurns(client("o4-mini"));
    expect(r1.message).toEqual({
      role: "assistant",
      text: "Let me look at the repository first.",
      toolCalls: [],
      reasoning: [
        {
          type: "reasoning",
          text: '**Planning the next step**\n\nNext I will answer in text ("Let me look at the repository first.").',
          id: expect.stringMatching(/^rs_/),
          encrypted: expect.stringMatching(/^gAAAAAB/),
          provider: "openai-responses",
        },
      ],
    });
    expect(r1.stopReason).toBe("end_turn");
    expect(r1.usage.reasoningTokens).toBeGreaterThan(0);
    expect(r1.usage.outputTokens).toBeGreaterThan(r1.usage.reasoningTokens);
    expect(r1.ttftMs).toBeGreaterThan(0);
    expect(r1.latencyMs).toBeGreaterThanOrEqual(r1.ttftMs!);
    expect(r1.requestId).toMatch(/^req_/);

    expect(r2.stopReason).toBe("tool_use");
    expect(r2.message.text).toBe("I'll check the repository state and the file the issue is about.");
    expect(r2.message.toolCalls).toEqual([
      { id: expect.stringMatching(/^call_/), name: "bash", arguments: JSON.stringify({ command: "cd /testbed && git status && ls" }) },
      {
        id: expect.stringMatching(/^call_/),
        name: "str_replace_editor",
        arguments: JSON.stringify({ command: "view", path: "/testbed/calc/ops.py" }),
      },
    ]);
    expect(r2.message.reasoning?.[0]?.text).toBe(
      "**Planning the next step**\n\nNext I will call bash, str_replace_editor to make progress on the task.",
    );

    expect(r3.message.text).toBe("");
    expect(r3.message.toolCalls.map((c) => c.name)).toEqual(["str_replace_editor", "bash"]);
    // The prefix of the previous call is served from the (simulated) cache, and it is not counted as input.
    expect(r3.usage.cacheReadTokens).toBeGreaterThan(0);
    expect(r3.usage.inputTokens).toBeGreaterThan(0);
  });

  it("carries each turn's reasoning item, with its encrypted content, into the next request (stateless, store: false)", async () => {
    const before = server.requests.length;
    const { r1, r2 } = await threeTurns(client("o4-mini", { reasoningEffort: "high" }));
    const [first, second, third] = bodies().slice(before);
    expect(first).toMatchObject({
      model: "o4-mini",
      instructions: SYSTEM,
      store: false,
      stream: true,
      reasoning: { effort: "high", summary: "auto" },
      include: ["reasoning.encrypted_content"],
      tool_choice: "auto",
    });
    const r1Reasoning = r1.message.reasoning![0]!;
    expect(second!["input"]).toEqual([
      { type: "message", role: "user", content: [{ type: "input_text", text: FIRST_TEXT }] },
      {
        type: "reasoning",
        id: r1Reasoning.id,
        summary: [{ type: "summary_text", text: r1Reasoning.text }],
        encrypted_content: r1Reasoning.encrypted,
      },
      { type: "message", role: "assistant", content: "Let me look at the repository first." },
      { type: "message", role: "user", content: [{ type: "input_text", text: CONTINUE_TEXT }] },
    ]);
    const input3 = third!["input"] as Record<string, unknown>[];
    const r2Reasoning = r2.message.reasoning![0]!;
    expect(input3.filter((i) => i["type"] === "reasoning").map((i) => [i["id"], i["encrypted_content"]])).toEqual([
      [r1Reasoning.id, r1Reasoning.encrypted],
      [r2Reasoning.id, r2Reasoning.encrypted],
    ]);
    expect(input3.filter((i) => i["type"] === "function_call_output").map((i) => i["call_id"])).toEqual(
      r2.message.toolCalls.map((c) => c.id),
    );
  });

  it("a non-streamed call gives the same message, stop reason and usage", async () => {
    const streamed = await threeTurns(client("o4-mini"));
    const plain = await threeTurns(client("o4-mini", { stream: false }));
    for (const k of ["r1", "r2", "r3"] as const) {
      expect(plain[k].message).toEqual(streamed[k].message);
      expect([plain[k].stopReason, plain[k].usage]).toEqual([streamed[k].stopReason, streamed[k].usage]);
      expect(plain[k].ttftMs).toBeUndefined();
    }
    expect(server.requests.at(-1)!.body).toMatchObject({ stream: false });
  });

  it("response.incomplete (max_output_tokens) is stop reason max_tokens, streamed or not, keeping the partial output", async () => {
    for (const stream of [true, false]) {
      const { history } = await threeTurns(client("gpt-4o"));
      const capped = await client("gpt-4o", { stream, maxOutputTokens: 16 }).generate(request(history.slice(0, 3)));
      expect(capped.stopReason).toBe("max_tokens");
      expect(capped.usage.outputTokens).toBe(16);
      expect(capped.message.text.length).toBeGreaterThan(0);
      expect(server.requests.at(-1)!.body).toMatchObject({ max_output_tokens: 16 });
    }
  });
});

describe("non-reasoning models and request mapping", () => {
  it("gpt-4o: no reasoning parameters, no reasoning items, no reasoning tokens", async () => {
    const r = await client("gpt-4o").generate(request([FIRST]));
    const body = server.requests.at(-1)!.body as Record<string, unknown>;
    expect([body["reasoning"], body["include"]]).toEqual([undefined, undefined]);
    expect(r.message.reasoning).toBeUndefined();
    expect(r.usage.reasoningTokens).toBe(0);
  });

  it("maps any -> required and a named tool, and passes temperature / top_p", async () => {
    await client("gpt-4o", { temperature: 0.2, topP: 0.5 }).generate(request([FIRST], { toolChoice: { name: "finish" } }));
    expect(server.requests.at(-1)!.body).toMatchObject({ tool_choice: { type: "function", name: "finish" }, temperature: 0.2, top_p: 0.5 });
    await client("gpt-4o").generate(request([FIRST], { toolChoice: "any" }));
    expect(server.requests.at(-1)!.body).toMatchObject({ tool_choice: "required" });
  });

  it("sends an image observation as a function_call_output with an input_image part", async () => {
    const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    const call = { id: "call_img", name: "str_replace_editor", arguments: '{"command":"view","path":"/testbed/x.png"}' };
    const history: Message[] = [
      FIRST,
      { role: "assistant", text: "", toolCalls: [call] },
      {
        role: "tool",
        toolCallId: "call_img",
        toolName: "str_replace_editor",
        content: [
          { type: "text", text: "Image /testbed/x.png (image/png, 70 bytes):" },
          { type: "image", mediaType: "image/png", data: png },
        ],
        isError: false,
      },
    ];
    await client("gpt-4o").generate(request(history));
    const input = (server.requests.at(-1)!.body as { input: Record<string, unknown>[] }).input;
    expect(input.at(-1)).toEqual({
      type: "function_call_output",
      call_id: "call_img",
      output: [
        { type: "input_text", text: "Image /testbed/x.png (image/png, 70 bytes):" },
        { type: "input_image", image_url: `data:image/png;base64,${png}`, detail: "auto" },
      ],
    });
  });
});

/** Reads a whole SSE body into {event, data} frames. */
function parseSse(text: string): { event: string; data: Record<string, unknown> }[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? "";
      const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? "null") as Record<string, unknown>;
      return { event, data };
    });
}

describe("the mock's Responses wire", () => {
  it("frames: event name = data.type, consecutive sequence numbers, every item and content part announced before its deltas", async () => {
    const res = await fetch(`${server.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer test" },
      body: JSON.stringify({
        model: "o4-mini",
        stream: true,
        store: false,
        include: ["reasoning.encrypted_content"],
        reasoning: { summary: "auto" },
        input: [
          { role: "user", content: FIRST_TEXT },
          { role: "assistant", content: "Let me look at the repository first." },
          { role: "user", content: "go on" },
        ],
        tools: TOOLS.map((t) => ({ type: "function", name: t.name, description: t.description, parameters: t.parameters, strict: false })),
      }),
    });
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const frames = parseSse(await res.text());
    expect(frames.every((f) => f.event === f.data["type"])).toBe(true);
    expect(frames.map((f) => f.data["sequence_number"])).toEqual(frames.map((_, i) => i));
    const types = frames.map((f) => f.event);
    expect(types.slice(0, 2)).toEqual(["response.created", "response.in_progress"]);
    expect(types.at(-1)).toBe("response.completed");
    const collapsed = types.filter((t, i) => t !== types[i - 1]);
    expect(collapsed).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.reasoning_summary_part.added",
      "response.reasoning_summary_text.delta",
      "response.reasoning_summary_text.done",
      "response.reasoning_summary_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    // Deltas only for announced items.
    const announced = new Set<number>();
    for (const { event, data } of frames) {
      if (event === "response.output_item.added") announced.add(data["output_index"] as number);
      if (event.endsWith(".delta")) expect(announced.has(data["output_index"] as number)).toBe(true);
    }
    const completed = frames.at(-1)!.data["response"] as Record<string, unknown>;
    expect(completed["usage"]).toEqual({
      input_tokens: expect.any(Number),
      input_tokens_details: { cached_tokens: expect.any(Number) },
      output_tokens: expect.any(Number),
      output_tokens_details: { reasoning_tokens: expect.any(Number) },
      total_tokens: expect.any(Number),
    });
    expect((completed["output"] as { type: string }[]).map((o) => o.type)).toEqual([
      "reasoning",
      "message",
      "function_call",
      "function_call",
    ]);
  });

  it("satisfies the SDK's own stream helper (responses.stream().finalResponse())", async () => {
    const sdk = new OpenAI({ apiKey: "test", baseURL: `${server.url}/v1`, maxRetries: 0 });
    const final = await sdk.responses
      .stream({
        model: "o4-mini",
        input: [{ role: "user", content: FIRST_TEXT }],
        reasoning: { summary: "auto" },
        tools: TOOLS.map((t) => ({
          type: "function" as const,
          name: t.name,
          description: t.description,
          parameters: t.parameters,
          strict: false,
        })),
      })
      .finalResponse();
    expect(final.status).toBe("completed");
    expect(final.output_text).toBe("Let me look at the repository first.");
    expect(final.output.map((o) => o.type)).toEqual(["reasoning", "message"]);
  });

  it("rejects what the real service rejects: a reasoning item without encrypted content under store: false, an output without its call", async () => {
    const sdk = new OpenAI({ apiKey: "test", baseURL: `${server.url}/v1`, maxRetries: 0 });
    const missing = await sdk.responses
      .create({
        model: "o4-mini",
        store: false,
        input: [
          { role: "user", content: "hi" },
          { type: "reasoning", id: "rs_gone", summary: [] },
        ],
      })
      .catch((e: unknown) => e);
    expect(missing).toMatchObject({
      status: 404,
      message: expect.stringContaining("Item with id 'rs_gone' not found. Items are not persisted when `store` is set to false."),
    });
    const orphan = await sdk.responses
      .create({
        model: "o4-mini",
        input: [
          { role: "user", content: "hi" },
          { type: "function_call_output", call_id: "call_x", output: "x" },
        ],
      })
      .catch((e: unknown) => e);
    expect(orphan).toMatchObject({ status: 400, message: "400 No tool call found for function call output with call_id call_x." });
    const forged = await sdk.responses
      .create({
        model: "o4-mini",
        store: false,
        input: [
          { role: "user", content: "hi" },
          { type: "reasoning", id: "rs_1", summary: [], encrypted_content: "gAAAAABforged" },
        ],
      })
      .catch((e: unknown) => e);
    expect(forged).toMatchObject({ status: 400, code: "invalid_encrypted_content" });
  });
});

const RECORDED = path.resolve(repoRoot, "../shared/reference/recorded");

/** Serves one fixed SSE body for every request, as the real service once sent it. */
async function replay(body: string): Promise<{ url: string; close: () => Promise<void> }> {
  const srv = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "x-request-id": "req_recorded" });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/v1`,
    close: () => new Promise<void>((resolve) => srv.close(() => resolve())),
  };
}

// Real recorded streams live beside the repository (../shared), not in it; without them there is nothing to replay.
describe.skipIf(!existsSync(RECORDED))("real recorded Responses streams", () => {
  it("gpt-5: encrypted reasoning item, function-call argument deltas, usage with reasoning tokens", async () => {
    const cassette = parseYaml(
      readFileSync(path.join(RECORDED, "openai-responses-stream-reasoning-functioncall.pydantic-pydantic-ai.yaml"), "utf8"),
    ) as {
      interactions: { response: { body: { string: string } } }[];
    };
    const fake = await replay(cassette.interactions[0]!.response.body.string);
    try {
      const r = await new OpenAIResponsesClient({ model: "gpt-5", apiKey: "test", baseURL: fake.url }).generate({
        system: "",
        messages: [user("Calculate 100 * 200 / 3")],
        tools: [],
      });
      expect(r.message.toolCalls).toEqual([{ id: "call_CWXgs68YprAjp6t0371hiPOI", name: "final_result", arguments: '{"result":6666}' }]);
      expect(r.message.reasoning).toEqual([
        {
          type: "reasoning",
          text: "",
          id: "rs_0050471a34b36ae60068c97bac4dcc819595fd0f80d6b3c405",
          encrypted: expect.stringMatching(/^gAAAAABoyXvy/),
          provider: "openai-responses",
        },
      ]);
      expect([r.stopReason, r.usage]).toEqual([
        "tool_use",
        { inputTokens: 53, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 469, reasoningTokens: 448 },
      ]);
      expect(r.requestId).toBe("req_recorded");
    } finally {
      await fake.close();
    }
  });

  it("gpt-5-nano: an `error` event (insufficient_quota) then response.failed is a quota error", async () => {
    const lines = readFileSync(path.join(RECORDED, "openai-responses-stream-error-insufficient-quota.vercel-ai.chunks.txt"), "utf8")
      .trim()
      .split("\n");
    const body = lines.map((line) => `event: ${(JSON.parse(line) as { type: string }).type}\ndata: ${line}\n\n`).join("");
    const fake = await replay(body);
    try {
      const err = await new OpenAIResponsesClient({ model: "gpt-5-nano", apiKey: "test", baseURL: fake.url })
        .generate({ system: "", messages: [user("hi")], tools: [] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelError);
      expect(err).toMatchObject({ errorClass: "quota", message: expect.stringContaining("You exceeded your current quota") });
    } finally {
      await fake.close();
    }
  });
});
