// The mock's Bedrock wire: event-stream framing, request parsing and validation, error shapes, usage.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { bedrockError, bedrockUsage } from "../../src/mock/bedrock.js";
import { parseConverseRequest } from "../../src/mock/bedrock-request.js";
import { decodeFrames, encodeFrame, eventFrame, exceptionFrame } from "../../src/mock/event-stream.js";
import { httpFaultError, streamFaultError } from "../../src/mock/faults.js";
import type { MockReply } from "../../src/mock/wire.js";

describe("event-stream framing", () => {
  it("prelude, string headers, payload and CRCs", () => {
    const frame = encodeFrame({ ":event-type": "messageStart" }, '{"role":"assistant"}');
    const headers = Buffer.concat([Buffer.from([11]), Buffer.from(":event-type"), Buffer.from([7, 0, 12]), Buffer.from("messageStart")]);
    const payload = Buffer.from('{"role":"assistant"}');
    expect(frame.readUInt32BE(0)).toBe(12 + headers.length + payload.length + 4);
    expect(frame.readUInt32BE(4)).toBe(headers.length);
    expect(frame.readUInt32BE(8)).toBe(crc32(frame.subarray(0, 8)));
    expect(frame.subarray(12, 12 + headers.length)).toEqual(headers);
    expect(frame.subarray(12 + headers.length, frame.length - 4)).toEqual(payload);
    expect(frame.readUInt32BE(frame.length - 4)).toBe(crc32(frame.subarray(0, frame.length - 4)));
    expect(decodeFrames(frame)).toEqual([{ headers: { ":event-type": "messageStart" }, payload }]);
  });

  it("event and exception frames carry the headers the SDK dispatches on", () => {
    expect(
      decodeFrames(
        Buffer.concat([eventFrame("messageStop", { stopReason: "end_turn" }), exceptionFrame("throttlingException", { message: "slow" })]),
      ),
    ).toEqual([
      {
        headers: { ":event-type": "messageStop", ":content-type": "application/json", ":message-type": "event" },
        payload: Buffer.from('{"stopReason":"end_turn"}'),
      },
      {
        headers: { ":exception-type": "throttlingException", ":content-type": "application/json", ":message-type": "exception" },
        payload: Buffer.from('{"message":"slow"}'),
      },
    ]);
  });

  it("a corrupted frame is refused", () => {
    const frame = eventFrame("messageStart", { role: "assistant" });
    const at = frame.length - 6;
    frame.writeUInt8(frame.readUInt8(at) ^ 0xff, at);
    expect(() => decodeFrames(frame)).toThrow(/message CRC mismatch/);
    expect(() => decodeFrames(frame.subarray(0, 10))).toThrow(/truncated/);
  });

  const RECORDED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shared/reference/recorded");
  it.skipIf(!existsSync(RECORDED))("re-encoding real Bedrock frames gives the recorded bytes exactly", () => {
    for (const name of [
      "bedrock-conversestream-raw-reasoning.pydantic-pydantic-ai.yaml",
      "bedrock-conversestream-raw-tooluse.pydantic-pydantic-ai.yaml",
    ]) {
      const cassette = parseYaml(readFileSync(path.join(RECORDED, name), "utf8")) as {
        interactions: { response: { body: { string: Uint8Array } } }[];
      };
      for (const interaction of cassette.interactions) {
        const raw = Buffer.from(interaction.response.body.string);
        const frames = decodeFrames(raw);
        expect(frames.length).toBeGreaterThan(3);
        expect(Buffer.concat(frames.map((f) => encodeFrame(f.headers, f.payload)))).toEqual(raw);
      }
    }
  });
});

describe("bedrockError: faults in Bedrock's shapes", () => {
  it.each([
    [429, undefined, { status: 429, type: "ThrottlingException", message: "Too many tokens, please wait before trying again." }],
    [
      500,
      undefined,
      {
        status: 500,
        type: "InternalServerException",
        message: "The system encountered an unexpected error during processing. Try your request again.",
      },
    ],
    [503, undefined, { status: 503, type: "ServiceUnavailableException", message: "Bedrock is unable to process your request." }],
    [400, "context_length_exceeded", { status: 400, type: "ValidationException", message: "Input is too long for requested model." }],
    [
      401,
      undefined,
      { status: 403, type: "AccessDeniedException", message: "You don't have access to the model with the specified model ID." },
    ],
    [
      403,
      undefined,
      { status: 403, type: "AccessDeniedException", message: "You don't have access to the model with the specified model ID." },
    ],
    [
      408,
      undefined,
      { status: 408, type: "ModelTimeoutException", message: "Model has timed out in processing the request. Try your request again." },
    ],
  ])("HTTP %i (%s)", (status, code, expected) => {
    expect(bedrockError(httpFaultError({ kind: "http", status, ...(code ? { code } : {}) }))).toEqual(expected);
  });

  it("a fault that names an AWS error type keeps its type and message", () => {
    const message = "Invocation of model ID x with on-demand throughput isn’t supported.";
    expect(bedrockError(httpFaultError({ kind: "http", status: 400, errorType: "ValidationException", message }))).toEqual({
      status: 400,
      type: "ValidationException",
      message,
    });
  });

  it("the engine's context-window error becomes Bedrock's", () => {
    expect(
      bedrockError({
        status: 400,
        message: "This model's maximum context length is 10 tokens.",
        type: "invalid_request_error",
        code: "context_length_exceeded",
        param: "messages",
        headers: {},
      }),
    ).toEqual({ status: 400, type: "ValidationException", message: "Input is too long for requested model." });
  });

  it("stream-error faults have a default (500 server_error) the adapter turns into a modelStreamErrorException", () => {
    expect(streamFaultError({ kind: "stream-error" })).toMatchObject({ status: 500, type: "server_error" });
  });
});

const body = (messages: unknown[], extra: Record<string, unknown> = {}) => ({ messages, ...extra });
const TOOLS = { toolConfig: { tools: [{ toolSpec: { name: "bash", description: "run", inputSchema: { json: { type: "object" } } } }] } };
const userText = (text: string) => ({ role: "user", content: [{ text }] });

describe("parseConverseRequest", () => {
  it("a tool round trip: system, tools, toolUse and toolResult → neutral messages", () => {
    const parsed = parseConverseRequest(
      body(
        [
          userText("fix it"),
          {
            role: "assistant",
            content: [{ text: "Looking." }, { toolUse: { toolUseId: "tooluse_1", name: "bash", input: { command: "ls" } } }],
          },
          {
            role: "user",
            content: [{ toolResult: { toolUseId: "tooluse_1", content: [{ text: "a.py" }], status: "error" } }, { text: "go on" }],
          },
        ],
        { system: [{ text: "sys" }, { cachePoint: { type: "default" } }], inferenceConfig: { maxTokens: 50 }, ...TOOLS },
      ),
      "us.anthropic.claude-sonnet-4-20250514-v1:0",
    );
    expect(parsed).toEqual({
      system: "sys",
      messages: [
        { role: "user", content: [{ type: "text", text: "fix it" }] },
        { role: "assistant", text: "Looking.", toolCalls: [{ id: "tooluse_1", name: "bash", arguments: '{"command":"ls"}' }] },
        { role: "tool", toolCallId: "tooluse_1", toolName: "bash", content: [{ type: "text", text: "a.py" }], isError: true },
        { role: "user", content: [{ type: "text", text: "go on" }] },
      ],
      tools: [{ name: "bash", description: "run", parameters: { type: "object" } }],
      toolChoice: undefined,
      maxTokens: 50,
      cachePrefixChars: JSON.stringify(TOOLS.toolConfig.tools[0]).length + 3,
    });
  });

  it.each([
    [body([]), "A conversation must start with a user message"],
    [body([{ role: "assistant", content: [{ text: "hi" }] }]), "A conversation must start with a user message"],
    [body([userText("a"), userText("b")]), "A conversation must alternate between user and assistant roles"],
    [body([{ role: "user", content: [] }]), "The content field in the Message object at messages.0 is empty"],
    [body([userText("  ")]), "The text field in the ContentBlock object at messages.0.content.0 is blank"],
    [
      body([
        userText("a"),
        { role: "assistant", content: [{ toolUse: { toolUseId: "t", name: "bash", input: {} } }] },
        { role: "user", content: [{ toolResult: { toolUseId: "t", content: [] } }] },
      ]),
      "The toolConfig field must be defined when using toolUse and toolResult content blocks.",
    ],
    [
      body(
        [userText("a"), { role: "assistant", content: [{ toolUse: { toolUseId: "t", name: "bash", input: {} } }] }, userText("b")],
        TOOLS,
      ),
      "`tool_use` ids were found without `tool_result` blocks immediately after: t",
    ],
    [
      body(
        [
          userText("a"),
          { role: "assistant", content: [{ text: "x" }] },
          { role: "user", content: [{ toolResult: { toolUseId: "zz", content: [] } }] },
        ],
        TOOLS,
      ),
      "unexpected `tool_use_id` found in `tool_result` blocks: zz",
    ],
  ])("rejects like the real service: %#", (request, message) => {
    expect(() => parseConverseRequest(request, "us.anthropic.claude-sonnet-4-20250514-v1:0")).toThrow(
      expect.objectContaining({
        spec: expect.objectContaining({ status: 400, type: "ValidationException", message: expect.stringContaining(message) }),
      }),
    );
  });

  it("toolResult.status is refused for models other than Claude", () => {
    const request = body(
      [
        userText("a"),
        { role: "assistant", content: [{ toolUse: { toolUseId: "t", name: "bash", input: {} } }] },
        { role: "user", content: [{ toolResult: { toolUseId: "t", content: [{ text: "ok" }], status: "success" } }] },
      ],
      TOOLS,
    );
    expect(() => parseConverseRequest(request, "amazon.nova-pro-v1:0")).toThrow(/doesn't support the toolResult.status field/);
    expect(parseConverseRequest(request, "anthropic.claude-3-5-sonnet-20240620-v1:0").messages).toHaveLength(3);
  });
});

describe("bedrockUsage", () => {
  const reply: MockReply = {
    id: "x",
    text: "hi",
    toolCalls: [],
    stopReason: "end_turn",
    usage: { promptTokens: 1000, completionTokens: 10, cachedTokens: 512, reasoningTokens: 0 },
  };
  const first = [{ role: "user" as const, content: [{ type: "text" as const, text: "a" }] }];
  const later = [...first, { role: "assistant" as const, text: "b", toolCalls: [] }, ...first];

  it("no cache point: nothing cached, whatever the history", () => {
    expect(bedrockUsage(reply, { messages: later, cachePrefixChars: undefined })).toEqual({
      inputTokens: 1000,
      outputTokens: 10,
      totalTokens: 1010,
    });
  });

  it("a cache point: written on the first call, read on later ones; inputTokens excludes both", () => {
    expect(bedrockUsage(reply, { messages: first, cachePrefixChars: 1600 })).toEqual({
      inputTokens: 600,
      outputTokens: 10,
      totalTokens: 1010,
      cacheReadInputTokens: 0,
      cacheWriteInputTokens: 400,
    });
    expect(bedrockUsage(reply, { messages: later, cachePrefixChars: 1600 })).toEqual({
      inputTokens: 600,
      outputTokens: 10,
      totalTokens: 1010,
      cacheReadInputTokens: 400,
      cacheWriteInputTokens: 0,
    });
  });
});
