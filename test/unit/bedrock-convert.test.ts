// Every Converse conversion rule, with the exact objects sent and received.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ConverseStreamOutput } from "@aws-sdk/client-bedrock-runtime";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { PLACEHOLDER_TOOL, PLACEHOLDER_USER_TEXT, toConverseRequest, toImageBlock, toolInput } from "../../src/models/bedrock-convert.js";
import {
  ConverseStreamAccumulator,
  fromConverseResponse,
  fromConverseUsage,
  mapStopReason,
  StreamExceptionError,
} from "../../src/models/bedrock-response.js";
import { ModelError } from "../../src/models/errors.js";
import type { Message, ModelRequest, ToolSpec } from "../../src/models/types.js";
import { decodeFrames } from "../../src/mock/event-stream.js";

const CLAUDE = "us.anthropic.claude-sonnet-4-20250514-v1:0";
const NOVA = "amazon.nova-pro-v1:0";
const BASH: ToolSpec = {
  name: "bash",
  description: "Run a command",
  parameters: { type: "object", properties: { command: { type: "string" } } },
};
const BASH_WIRE = { toolSpec: { name: "bash", description: "Run a command", inputSchema: { json: BASH.parameters } } };
const user = (text: string): Message => ({ role: "user", content: [{ type: "text", text }] });
const req = (messages: Message[], extra: Partial<ModelRequest> = {}): ModelRequest => ({ system: "", messages, tools: [], ...extra });
const bytes = (b64: string): Uint8Array => new Uint8Array(Buffer.from(b64, "base64"));

/** A tool round: the assistant calls bash, the tool answers. */
const TOOL_ROUND: Message[] = [
  user("fix it"),
  { role: "assistant", text: "", toolCalls: [{ id: "t1", name: "bash", arguments: '{"command":"ls"}' }] },
  { role: "tool", toolCallId: "t1", toolName: "bash", content: [{ type: "text", text: "a.py" }], isError: false },
];

describe("toConverseRequest: messages", () => {
  it("system prompt → system; tools → toolConfig; no toolChoice for auto", () => {
    expect(
      toConverseRequest(req([user("hi")], { system: "You fix bugs.", tools: [BASH], toolChoice: "auto" }), { modelId: CLAUDE }),
    ).toEqual({
      input: {
        modelId: CLAUDE,
        messages: [{ role: "user", content: [{ text: "hi" }] }],
        system: [{ text: "You fix bugs." }],
        toolConfig: { tools: [BASH_WIRE] },
      },
      warnings: [],
    });
  });

  it("a blank system prompt sends no system field", () => {
    expect(toConverseRequest(req([user("hi")], { system: "  \n" }), { modelId: CLAUDE }).input).toEqual({
      modelId: CLAUDE,
      messages: [{ role: "user", content: [{ text: "hi" }] }],
    });
  });

  it("tool results become toolResult blocks in one user turn, with status for Claude", () => {
    const messages: Message[] = [
      user("fix it"),
      {
        role: "assistant",
        text: "Looking.",
        toolCalls: [
          { id: "t1", name: "bash", arguments: '{"command":"ls"}' },
          { id: "t2", name: "bash", arguments: '{"command":"false"}' },
        ],
      },
      { role: "tool", toolCallId: "t1", toolName: "bash", content: [{ type: "text", text: "a.py" }], isError: false },
      { role: "tool", toolCallId: "t2", toolName: "bash", content: [{ type: "text", text: "exit 1" }], isError: true },
    ];
    expect(toConverseRequest(req(messages, { tools: [BASH] }), { modelId: CLAUDE }).input.messages).toEqual([
      { role: "user", content: [{ text: "fix it" }] },
      {
        role: "assistant",
        content: [
          { text: "Looking." },
          { toolUse: { toolUseId: "t1", name: "bash", input: { command: "ls" } } },
          { toolUse: { toolUseId: "t2", name: "bash", input: { command: "false" } } },
        ],
      },
      {
        role: "user",
        content: [
          { toolResult: { toolUseId: "t1", content: [{ text: "a.py" }], status: "success" } },
          { toolResult: { toolUseId: "t2", content: [{ text: "exit 1" }], status: "error" } },
        ],
      },
    ]);
  });

  it("toolResult.status only for models that accept it (not Nova), unless forced", () => {
    const nova = toConverseRequest(req(TOOL_ROUND, { tools: [BASH] }), { modelId: NOVA }).input.messages?.[2];
    expect(nova).toEqual({ role: "user", content: [{ toolResult: { toolUseId: "t1", content: [{ text: "a.py" }] } }] });
    const forced = toConverseRequest(req(TOOL_ROUND, { tools: [BASH] }), { modelId: NOVA, toolResultStatus: true }).input.messages?.[2];
    expect(forced).toEqual({
      role: "user",
      content: [{ toolResult: { toolUseId: "t1", content: [{ text: "a.py" }], status: "success" } }],
    });
    const off = toConverseRequest(req(TOOL_ROUND, { tools: [BASH] }), { modelId: CLAUDE, toolResultStatus: false }).input.messages?.[2];
    expect(off).toEqual({ role: "user", content: [{ toolResult: { toolUseId: "t1", content: [{ text: "a.py" }] } }] });
  });

  it("same-role neighbours merge into one turn (strict alternation), tool results first", () => {
    const messages: Message[] = [
      user("one"),
      user("two"),
      { role: "assistant", text: "a", toolCalls: [] },
      { role: "assistant", text: "b", toolCalls: [{ id: "t1", name: "bash", arguments: "{}" }] },
      user("note before the result"),
      { role: "tool", toolCallId: "t1", toolName: "bash", content: [{ type: "text", text: "ok" }], isError: false },
    ];
    expect(toConverseRequest(req(messages, { tools: [BASH] }), { modelId: NOVA }).input.messages).toEqual([
      { role: "user", content: [{ text: "one" }, { text: "two" }] },
      { role: "assistant", content: [{ text: "a" }, { text: "b" }, { toolUse: { toolUseId: "t1", name: "bash", input: {} } }] },
      { role: "user", content: [{ toolResult: { toolUseId: "t1", content: [{ text: "ok" }] } }, { text: "note before the result" }] },
    ]);
  });

  it("the first message is the user's: a placeholder turn goes first when history starts with the assistant", () => {
    expect(
      toConverseRequest(req([{ role: "assistant", text: "Hello.", toolCalls: [] }, user("hi")]), { modelId: CLAUDE }).input.messages,
    ).toEqual([
      { role: "user", content: [{ text: PLACEHOLDER_USER_TEXT }] },
      { role: "assistant", content: [{ text: "Hello." }] },
      { role: "user", content: [{ text: "hi" }] },
    ]);
    expect(toConverseRequest(req([]), { modelId: CLAUDE }).input.messages).toEqual([
      { role: "user", content: [{ text: PLACEHOLDER_USER_TEXT }] },
    ]);
  });

  it("no empty text blocks: blank text dropped, emptied turns dropped and neighbours merged, empty tool output noted", () => {
    const messages: Message[] = [
      {
        role: "user",
        content: [
          { type: "text", text: "fix it" },
          { type: "text", text: "  " },
        ],
      },
      { role: "assistant", text: "", toolCalls: [] },
      user("still there?"),
      { role: "assistant", text: "", toolCalls: [{ id: "t1", name: "bash", arguments: "{}" }] },
      { role: "tool", toolCallId: "t1", toolName: "bash", content: [{ type: "text", text: "" }], isError: false },
    ];
    expect(toConverseRequest(req(messages, { tools: [BASH] }), { modelId: CLAUDE }).input.messages).toEqual([
      { role: "user", content: [{ text: "fix it" }, { text: "still there?" }] },
      { role: "assistant", content: [{ toolUse: { toolUseId: "t1", name: "bash", input: {} } }] },
      { role: "user", content: [{ toolResult: { toolUseId: "t1", content: [{ text: "(no output)" }], status: "success" } }] },
    ]);
  });

  it("images: data URLs and base64 to bytes with their format; unsupported formats become a note", () => {
    expect(toImageBlock({ type: "image", mediaType: "image/png", data: "iVBORw0KGgo=" })).toEqual({
      image: { format: "png", source: { bytes: bytes("iVBORw0KGgo=") } },
    });
    expect(toImageBlock({ type: "image", mediaType: "", data: "data:image/jpeg;base64,/9j/4AAQ" })).toEqual({
      image: { format: "jpeg", source: { bytes: bytes("/9j/4AAQ") } },
    });
    expect(toImageBlock({ type: "image", mediaType: "image/jpg", data: "AAAA" })).toEqual({
      image: { format: "jpeg", source: { bytes: bytes("AAAA") } },
    });
    expect(toImageBlock({ type: "image", mediaType: "image/bmp", data: "Qk0=" })).toEqual({
      text: "[image omitted: image/bmp is not a format Bedrock accepts (png, jpeg, gif, webp)]",
    });
    const messages: Message[] = [
      {
        role: "user",
        content: [
          { type: "text", text: "see" },
          { type: "image", mediaType: "image/webp", data: "UklGRg==" },
        ],
      },
      { role: "assistant", text: "", toolCalls: [{ id: "t1", name: "view", arguments: "{}" }] },
      {
        role: "tool",
        toolCallId: "t1",
        toolName: "view",
        content: [{ type: "image", mediaType: "image/gif", data: "R0lGOA==" }],
        isError: false,
      },
    ];
    const out = toConverseRequest(req(messages, { tools: [BASH] }), { modelId: CLAUDE }).input.messages;
    expect(out?.[0]).toEqual({
      role: "user",
      content: [{ text: "see" }, { image: { format: "webp", source: { bytes: bytes("UklGRg==") } } }],
    });
    expect(out?.[2]).toEqual({
      role: "user",
      content: [
        {
          toolResult: { toolUseId: "t1", content: [{ image: { format: "gif", source: { bytes: bytes("R0lGOA==") } } }], status: "success" },
        },
      ],
    });
  });

  it("a placeholder tool spec when the history holds tool blocks but the request offers no tools (or tool choice none)", () => {
    const expected = { tools: [PLACEHOLDER_TOOL] };
    expect(toConverseRequest(req(TOOL_ROUND), { modelId: CLAUDE }).input.toolConfig).toEqual(expected);
    expect(toConverseRequest(req(TOOL_ROUND, { tools: [BASH], toolChoice: "none" }), { modelId: CLAUDE }).input.toolConfig).toEqual(
      expected,
    );
    expect(toConverseRequest(req([user("hi")]), { modelId: CLAUDE }).input.toolConfig).toBeUndefined();
  });

  it("tool choice any and a named tool", () => {
    expect(toConverseRequest(req([user("hi")], { tools: [BASH], toolChoice: "any" }), { modelId: CLAUDE }).input.toolConfig).toEqual({
      tools: [BASH_WIRE],
      toolChoice: { any: {} },
    });
    expect(
      toConverseRequest(req([user("hi")], { tools: [BASH], toolChoice: { name: "bash" } }), { modelId: CLAUDE }).input.toolConfig,
    ).toEqual({
      tools: [BASH_WIRE],
      toolChoice: { tool: { name: "bash" } },
    });
  });

  it("an empty tool description is left out (Bedrock rejects it)", () => {
    const tool: ToolSpec = { name: "finish", description: "", parameters: { type: "object" } };
    expect(toConverseRequest(req([user("hi")], { tools: [tool] }), { modelId: CLAUDE }).input.toolConfig).toEqual({
      tools: [{ toolSpec: { name: "finish", inputSchema: { json: { type: "object" } } } }],
    });
  });

  it("tools are stripped, with a warning, for models without tool use (DeepSeek R1); tool history goes as text", () => {
    const out = toConverseRequest(req(TOOL_ROUND, { tools: [BASH] }), { modelId: "us.deepseek.r1-v1:0" });
    expect(out).toEqual({
      input: {
        modelId: "us.deepseek.r1-v1:0",
        messages: [
          { role: "user", content: [{ text: "fix it" }] },
          { role: "assistant", content: [{ text: '[tool call bash {"command":"ls"}]' }] },
          { role: "user", content: [{ text: "[result of tool call bash]\na.py" }] },
        ],
      },
      warnings: [
        "bedrock/us.deepseek.r1-v1:0: this model does not support tool use; 1 tool(s) stripped, the agent can only answer in text",
        "bedrock/us.deepseek.r1-v1:0: tool calls and results in the history were sent as text (the model does not support tool use)",
      ],
    });
  });

  it("DeepSeek reasoning is dropped from the history", () => {
    const messages: Message[] = [
      user("hi"),
      { role: "assistant", text: "Hello.", toolCalls: [], reasoning: [{ type: "reasoning", text: "greet back", provider: "bedrock" }] },
      user("and?"),
    ];
    expect(toConverseRequest(req(messages), { modelId: "deepseek.v3-v1:0" }).input.messages?.[1]).toEqual({
      role: "assistant",
      content: [{ text: "Hello." }],
    });
  });

  it("Claude reasoning (text + signature, or redacted) goes back unchanged, first; other providers' reasoning is dropped", () => {
    const messages: Message[] = [
      user("hi"),
      {
        role: "assistant",
        text: "Hello.",
        toolCalls: [{ id: "t1", name: "bash", arguments: '{"command":"ls"}' }],
        reasoning: [
          { type: "reasoning", text: "The user greets me.", signature: "EqoBCkgIARAB", provider: "bedrock" },
          { type: "reasoning", text: "", redacted: "c2VjcmV0", provider: "bedrock" },
          { type: "reasoning", text: "summary", id: "rs_1", encrypted: "gAAA", provider: "openai-responses" },
        ],
      },
      { role: "tool", toolCallId: "t1", toolName: "bash", content: [{ type: "text", text: "a.py" }], isError: false },
    ];
    expect(toConverseRequest(req(messages, { tools: [BASH] }), { modelId: CLAUDE }).input.messages?.[1]).toEqual({
      role: "assistant",
      content: [
        { reasoningContent: { reasoningText: { text: "The user greets me.", signature: "EqoBCkgIARAB" } } },
        { reasoningContent: { redactedContent: bytes("c2VjcmV0") } },
        { text: "Hello." },
        { toolUse: { toolUseId: "t1", name: "bash", input: { command: "ls" } } },
      ],
    });
  });

  it("tool-call arguments that are not a JSON object go as {}", () => {
    expect(toolInput('{"command":"ls"}')).toEqual({ command: "ls" });
    expect(toolInput('{"command":"l')).toEqual({});
    expect(toolInput("[1]")).toEqual({});
    expect(toolInput("")).toEqual({});
  });
});

describe("toConverseRequest: options", () => {
  it("inference config: request values win over client defaults; stop sequences", () => {
    const out = toConverseRequest(req([user("hi")], { maxTokens: 100, temperature: 0 }), {
      modelId: CLAUDE,
      maxTokens: 4000,
      temperature: 0.7,
      topP: 0.9,
      stopSequences: ["</done>"],
    });
    expect(out.input.inferenceConfig).toEqual({ maxTokens: 100, temperature: 0, topP: 0.9, stopSequences: ["</done>"] });
  });

  it("additionalModelRequestFields pass through", () => {
    const fields = { top_k: 40, anthropic_beta: ["context-1m-2025-08-07"] };
    expect(
      toConverseRequest(req([user("hi")]), { modelId: CLAUDE, additionalModelRequestFields: fields }).input.additionalModelRequestFields,
    ).toEqual(fields);
  });

  it("prompt caching on Claude: cache points after the system prompt and after the tools", () => {
    expect(toConverseRequest(req([user("hi")], { system: "sys", tools: [BASH] }), { modelId: CLAUDE, promptCaching: true }).input).toEqual({
      modelId: CLAUDE,
      messages: [{ role: "user", content: [{ text: "hi" }] }],
      system: [{ text: "sys" }, { cachePoint: { type: "default" } }],
      toolConfig: { tools: [BASH_WIRE, { cachePoint: { type: "default" } }] },
    });
    expect(toConverseRequest(req([user("hi")], { system: "sys" }), { modelId: CLAUDE, promptCaching: { ttl: "1h" } }).input.system).toEqual(
      [{ text: "sys" }, { cachePoint: { type: "default", ttl: "1h" } }],
    );
  });

  it("prompt caching on Nova: system only; on other models: none, with a warning", () => {
    const nova = toConverseRequest(req([user("hi")], { system: "sys", tools: [BASH] }), { modelId: NOVA, promptCaching: true });
    expect(nova.input.system).toEqual([{ text: "sys" }, { cachePoint: { type: "default" } }]);
    expect(nova.input.toolConfig).toEqual({ tools: [BASH_WIRE] });
    expect(nova.warnings).toEqual([]);
    const llama = toConverseRequest(req([user("hi")], { system: "sys" }), {
      modelId: "meta.llama3-1-70b-instruct-v1:0",
      promptCaching: true,
    });
    expect(llama.input.system).toEqual([{ text: "sys" }]);
    expect(llama.warnings).toEqual([
      "bedrock/meta.llama3-1-70b-instruct-v1:0: prompt caching is not supported by this model; no cache points sent",
    ]);
  });

  it("guardrail: id, version, trace; stream processing mode on streams only", () => {
    const guardrail = { id: "gr-123", version: "2", streamProcessingMode: "async" as const };
    expect(toConverseRequest(req([user("hi")]), { modelId: CLAUDE, guardrail }).input.guardrailConfig).toEqual({
      guardrailIdentifier: "gr-123",
      guardrailVersion: "2",
      trace: "enabled",
      streamProcessingMode: "async",
    });
    expect(
      toConverseRequest(req([user("hi")]), { modelId: CLAUDE, guardrail: { ...guardrail, trace: "disabled" }, stream: false }).input
        .guardrailConfig,
    ).toEqual({
      guardrailIdentifier: "gr-123",
      guardrailVersion: "2",
      trace: "disabled",
    });
  });

  it("reasoning effort on Claude: a thinking budget, max tokens above it, temperature left out", () => {
    const out = toConverseRequest(req([user("hi")], { temperature: 0 }), { modelId: CLAUDE, reasoningEffort: "high", maxTokens: 1000 });
    expect(out.input.additionalModelRequestFields).toEqual({ thinking: { type: "enabled", budget_tokens: 4096 } });
    expect(out.input.inferenceConfig).toEqual({ maxTokens: 8192 });
    expect(out.warnings).toEqual([
      `bedrock/${CLAUDE}: max tokens 1000 is not above the thinking budget 4096; raised to 8192`,
      `bedrock/${CLAUDE}: temperature and top_p are left out: Claude's extended thinking requires their defaults`,
    ]);
    expect(
      toConverseRequest(req([user("hi")]), { modelId: CLAUDE, reasoningEffort: "none" }).input.additionalModelRequestFields,
    ).toBeUndefined();
    const nova = toConverseRequest(req([user("hi")]), { modelId: NOVA, reasoningEffort: "low" });
    expect(nova.input.additionalModelRequestFields).toBeUndefined();
    expect(nova.warnings).toEqual([
      `bedrock/${NOVA}: --reasoning-effort has no Converse mapping for this model; ignored (use additionalModelRequestFields)`,
    ]);
  });
});

describe("responses", () => {
  it("usage is disjoint already: input excludes cache reads and writes", () => {
    expect(
      fromConverseUsage({ inputTokens: 433, outputTokens: 16, totalTokens: 3201, cacheReadInputTokens: 2752, cacheWriteInputTokens: 0 }),
    ).toEqual({
      inputTokens: 433,
      outputTokens: 16,
      cacheReadTokens: 2752,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    });
    expect(fromConverseUsage(undefined)).toEqual({
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    });
  });

  it("stop reasons; end_turn with tool use is tool_use", () => {
    expect(mapStopReason("end_turn", true)).toBe("tool_use");
    expect(mapStopReason("end_turn", false)).toBe("end_turn");
    expect(mapStopReason("tool_use", true)).toBe("tool_use");
    expect(mapStopReason("max_tokens", false)).toBe("max_tokens");
    expect(mapStopReason("model_context_window_exceeded", false)).toBe("max_tokens");
    expect(mapStopReason("stop_sequence", false)).toBe("stop_sequence");
    expect(mapStopReason("guardrail_intervened", false)).toBe("content_filter");
    expect(mapStopReason("content_filtered", false)).toBe("content_filter");
    expect(mapStopReason("malformed_tool_use", false)).toBe("other");
  });

  it("a Converse answer: text blocks joined, tool calls, reasoning, end_turn + toolUse → tool_use", () => {
    expect(
      fromConverseResponse(
        {
          output: {
            message: {
              role: "assistant",
              content: [
                { reasoningContent: { reasoningText: { text: "think", signature: "sig" } } },
                { text: "First." },
                { text: "Second." },
                { toolUse: { toolUseId: "tooluse_1", name: "bash", input: { command: "ls" } } },
              ],
            },
          },
          stopReason: "end_turn",
          usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
          metrics: { latencyMs: 42 },
        },
        "w",
      ),
    ).toEqual({
      message: {
        role: "assistant",
        text: "First.\nSecond.",
        toolCalls: [{ id: "tooluse_1", name: "bash", arguments: '{"command":"ls"}' }],
        reasoning: [{ type: "reasoning", text: "think", signature: "sig", provider: "bedrock" }],
      },
      stopReason: "tool_use",
      usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
      serverLatencyMs: 42,
    });
  });

  it("a response without a message is transient", () => {
    expect(() =>
      fromConverseResponse({ output: undefined, stopReason: "end_turn", usage: undefined, metrics: undefined }, "bedrock/x@us-east-1"),
    ).toThrow(expect.objectContaining({ errorClass: "transient", message: "bedrock/x@us-east-1: response held no message" }));
  });
});

describe("ConverseStreamAccumulator", () => {
  const events: ConverseStreamOutput[] = [
    { messageStart: { role: "assistant" } },
    { contentBlockDelta: { contentBlockIndex: 0, delta: { reasoningContent: { text: "Plan" } } } },
    { contentBlockDelta: { contentBlockIndex: 0, delta: { reasoningContent: { text: " it." } } } },
    { contentBlockDelta: { contentBlockIndex: 0, delta: { reasoningContent: { signature: "sig" } } } },
    { contentBlockStop: { contentBlockIndex: 0 } },
    { contentBlockDelta: { contentBlockIndex: 1, delta: { text: "Let me " } } },
    { contentBlockDelta: { contentBlockIndex: 1, delta: { text: "look." } } },
    { contentBlockStop: { contentBlockIndex: 1 } },
    { contentBlockStart: { contentBlockIndex: 2, start: { toolUse: { toolUseId: "tooluse_a", name: "bash" } } } },
    { contentBlockDelta: { contentBlockIndex: 2, delta: { toolUse: { input: '{"comm' } } } },
    { contentBlockDelta: { contentBlockIndex: 2, delta: { toolUse: { input: 'and":"ls"}' } } } },
    { contentBlockStop: { contentBlockIndex: 2 } },
    { contentBlockStart: { contentBlockIndex: 3, start: { toolUse: { toolUseId: "tooluse_b", name: "finish" } } } },
    { contentBlockStop: { contentBlockIndex: 3 } },
    { messageStop: { stopReason: "end_turn" } },
    {
      metadata: {
        usage: { inputTokens: 100, outputTokens: 20, totalTokens: 184, cacheReadInputTokens: 64, cacheWriteInputTokens: 0 },
        metrics: { latencyMs: 7 },
      },
    },
  ];

  it("assembles reasoning, text and tool calls by block index; end_turn with tool use → tool_use", () => {
    const acc = new ConverseStreamAccumulator();
    for (const e of events) acc.add(e);
    expect(acc.finish("w")).toEqual({
      message: {
        role: "assistant",
        text: "Let me look.",
        toolCalls: [
          { id: "tooluse_a", name: "bash", arguments: '{"command":"ls"}' },
          { id: "tooluse_b", name: "finish", arguments: "{}" },
        ],
        reasoning: [{ type: "reasoning", text: "Plan it.", signature: "sig", provider: "bedrock" }],
      },
      stopReason: "tool_use",
      usage: { inputTokens: 100, outputTokens: 20, cacheReadTokens: 64, cacheWriteTokens: 0, reasoningTokens: 0 },
      serverLatencyMs: 7,
    });
    // Time to first token is taken at the first content event: deltas and starts, not messageStart or stops.
    expect(events.map((e) => ConverseStreamAccumulator.isContent(e))).toEqual([
      false,
      true,
      true,
      true,
      false,
      true,
      true,
      false,
      true,
      true,
      true,
      false,
      true,
      false,
      false,
      false,
    ]);
  });

  it("redacted reasoning arrives as bytes and is kept as base64", () => {
    const acc = new ConverseStreamAccumulator();
    for (const e of [
      { contentBlockDelta: { contentBlockIndex: 0, delta: { reasoningContent: { redactedContent: new Uint8Array([1, 2]) } } } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { reasoningContent: { redactedContent: new Uint8Array([3]) } } } },
      { contentBlockDelta: { contentBlockIndex: 1, delta: { text: "ok" } } },
      { messageStop: { stopReason: "end_turn" } },
      { metadata: { usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 }, metrics: { latencyMs: 1 } } },
    ] as ConverseStreamOutput[])
      acc.add(e);
    expect(acc.finish("w").message).toEqual({
      role: "assistant",
      text: "ok",
      toolCalls: [],
      reasoning: [{ type: "reasoning", text: "", redacted: Buffer.from([1, 2, 3]).toString("base64"), provider: "bedrock" }],
    });
  });

  it("a stream without messageStop, or without metadata, is a transient error, never a success", () => {
    const cut = new ConverseStreamAccumulator();
    for (const e of events.slice(0, 8)) cut.add(e);
    expect(() => cut.finish("bedrock/m@us-east-1")).toThrow(
      expect.objectContaining({
        errorClass: "transient",
        message: "bedrock/m@us-east-1: stream ended without messageStop (cut off mid-answer)",
      }),
    );
    const noMeta = new ConverseStreamAccumulator();
    for (const e of events.slice(0, -1)) noMeta.add(e);
    expect(() => noMeta.finish("w")).toThrow(ModelError);
    expect(() => noMeta.finish("w")).toThrow(/without its metadata event/);
  });

  it("an exception member is thrown as an error named like the SDK's class", () => {
    const acc = new ConverseStreamAccumulator();
    expect(() => acc.add({ throttlingException: { message: "Too many tokens" } } as ConverseStreamOutput)).toThrow(
      new StreamExceptionError("ThrottlingException", "Too many tokens"),
    );
  });
});

// Real Bedrock recordings (pydantic-ai cassettes) from the shared reference folder, read at test time.
const RECORDED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shared/reference/recorded");

describe.skipIf(!existsSync(RECORDED))("recorded Bedrock responses", () => {
  interface Cassette {
    interactions: { request: { uri: string }; response: { parsed_body?: unknown; body?: { string: Uint8Array } } }[];
  }
  const cassette = (name: string): Cassette => parseYaml(readFileSync(path.join(RECORDED, name), "utf8")) as Cassette;
  /** Raw frames → the events the SDK yields: `{<event-type>: payload}` (the `p` padding dropped, as the SDK does). */
  const events = (raw: Uint8Array): ConverseStreamOutput[] =>
    decodeFrames(Buffer.from(raw)).map((f) => {
      const { p: _padding, ...payload } = JSON.parse(f.payload.toString("utf8")) as Record<string, unknown>;
      return { [f.headers[":event-type"]!]: payload } as unknown as ConverseStreamOutput;
    });

  it("Converse with tool use and cache reads (Claude Sonnet 4.5)", () => {
    const [first, second] = cassette("bedrock-converse-tooluse-cacheread.pydantic-pydantic-ai.yaml").interactions;
    expect(fromConverseResponse(first!.response.parsed_body as never, "w")).toEqual({
      message: {
        role: "assistant",
        text: "",
        toolCalls: [{ id: "tooluse_fiDf7dcHRcLMA5qJHOZR2U", name: "catalog_lookup", arguments: "{}" }],
      },
      stopReason: "tool_use",
      usage: { inputTokens: 433, outputTokens: 16, cacheReadTokens: 2752, cacheWriteTokens: 0, reasoningTokens: 0 },
      serverLatencyMs: 1627,
    });
    expect(fromConverseResponse(second!.response.parsed_body as never, "w")).toMatchObject({
      message: { text: "21", toolCalls: [] },
      stopReason: "end_turn",
      usage: { inputTokens: 386, outputTokens: 4, cacheReadTokens: 2752 },
    });
  });

  it("ConverseStream with reasoning and a signature, then text (Claude Sonnet 4)", () => {
    const [only] = cassette("bedrock-conversestream-raw-reasoning.pydantic-pydantic-ai.yaml").interactions;
    const acc = new ConverseStreamAccumulator();
    for (const e of events(only!.response.body!.string)) acc.add(e);
    const done = acc.finish("w");
    expect(done.message.text).toBe("Hello! It's nice to meet you. How can I help you today?");
    expect(done.message.reasoning).toEqual([
      {
        type: "reasoning",
        text: 'The user has greeted me with a simple "Hello". I should respond in a friendly and welcoming manner. This is a straightforward greeting, so I\'ll respond warmly and ask how I can help them today.',
        signature: expect.stringMatching(/^Eu0CCkgIBxAB/),
        provider: "bedrock",
      },
    ]);
    expect(done.stopReason).toBe("end_turn");
    expect(done.usage).toEqual({ inputTokens: 36, outputTokens: 73, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
  });

  it("ConverseStream with text then a tool call (Nova Micro)", () => {
    const [first] = cassette("bedrock-conversestream-raw-tooluse.pydantic-pydantic-ai.yaml").interactions;
    const acc = new ConverseStreamAccumulator();
    for (const e of events(first!.response.body!.string)) acc.add(e);
    const done = acc.finish("w");
    expect(done.message.toolCalls).toEqual([
      { id: "tooluse_lAG_zP8QRHmSYOwZzzaCqA", name: "get_temperature", arguments: '{"city":"Paris"}' },
    ]);
    expect(done.message.text).toMatch(/^<thinking> To find the temperature of the capital of France.*<\/thinking>\n$/s);
    expect(done.stopReason).toBe("tool_use");
    expect(done.usage).toEqual({ inputTokens: 471, outputTokens: 91, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
  });
});
