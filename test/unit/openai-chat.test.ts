import { describe, expect, it } from "vitest";
import { toChatMessages, toChatRequest } from "../../src/models/openai-chat.js";
import { fromChatUsage, mapFinishReason, StreamAccumulator } from "../../src/models/openai-chat-stream.js";
import { ModelError } from "../../src/models/errors.js";
import type { Message } from "../../src/models/types.js";

describe("toChatMessages", () => {
  it("maps system, user, assistant tool calls and tool results", () => {
    const messages: Message[] = [
      { role: "user", content: [{ type: "text", text: "fix it" }] },
      {
        role: "assistant",
        text: "",
        toolCalls: [
          { id: "c1", name: "bash", arguments: '{"command":"ls"}' },
          { id: "c2", name: "finish", arguments: "{}" },
        ],
      },
      { role: "tool", toolCallId: "c1", toolName: "bash", content: [{ type: "text", text: "a.py" }], isError: false },
      { role: "tool", toolCallId: "c2", toolName: "finish", content: [], isError: false },
      { role: "assistant", text: "done", toolCalls: [] },
    ];
    expect(toChatMessages("sys", messages)).toEqual([
      { role: "system", content: "sys" },
      { role: "user", content: "fix it" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "c1", type: "function", function: { name: "bash", arguments: '{"command":"ls"}' } },
          { id: "c2", type: "function", function: { name: "finish", arguments: "{}" } },
        ],
      },
      { role: "tool", tool_call_id: "c1", content: "a.py" },
      { role: "tool", tool_call_id: "c2", content: "(no output)" },
      { role: "assistant", content: "done" },
    ]);
  });

  it("moves tool-result images into a user message after the contiguous tool messages", () => {
    const messages: Message[] = [
      {
        role: "assistant",
        text: "",
        toolCalls: [
          { id: "a", name: "str_replace_editor", arguments: "{}" },
          { id: "b", name: "bash", arguments: "{}" },
        ],
      },
      {
        role: "tool",
        toolCallId: "a",
        toolName: "str_replace_editor",
        content: [{ type: "image", mediaType: "image/png", data: "AAAA" }],
        isError: false,
      },
      { role: "tool", toolCallId: "b", toolName: "bash", content: [{ type: "text", text: "ok" }], isError: false },
    ];
    const out = toChatMessages("", messages);
    expect(out.map((m) => m.role)).toEqual(["assistant", "tool", "tool", "user"]);
    expect(out[1]).toEqual({ role: "tool", tool_call_id: "a", content: "(image attached below)" });
    expect(out[3]).toEqual({
      role: "user",
      content: [
        { type: "text", text: "Images from the tool results above:" },
        { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
      ],
    });
  });

  it("builds a request with tools, tool_choice and limits", () => {
    const body = toChatRequest("gpt-4o", {
      system: "s",
      messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
      tools: [{ name: "bash", description: "run", parameters: { type: "object" } }],
      toolChoice: "any",
      maxTokens: 100,
      temperature: 0,
    });
    expect(body).toEqual({
      model: "gpt-4o",
      messages: [
        { role: "system", content: "s" },
        { role: "user", content: "hi" },
      ],
      tools: [{ type: "function", function: { name: "bash", description: "run", parameters: { type: "object" } } }],
      tool_choice: "required",
      max_completion_tokens: 100,
      temperature: 0,
    });
  });
});

describe("usage and stop reasons", () => {
  it("subtracts cached tokens from prompt tokens so the columns are disjoint", () => {
    expect(
      fromChatUsage({
        prompt_tokens: 1000,
        completion_tokens: 50,
        total_tokens: 1050,
        prompt_tokens_details: { cached_tokens: 640 },
        completion_tokens_details: { reasoning_tokens: 20 },
      }),
    ).toEqual({ inputTokens: 360, cacheReadTokens: 640, cacheWriteTokens: 0, outputTokens: 50, reasoningTokens: 20 });
    expect(fromChatUsage(undefined)).toEqual({
      inputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 0,
      reasoningTokens: 0,
    });
  });

  it("maps finish reasons, tool calls win", () => {
    expect(mapFinishReason("stop", false)).toBe("end_turn");
    expect(mapFinishReason("stop", true)).toBe("tool_use");
    expect(mapFinishReason("length", false)).toBe("max_tokens");
    expect(mapFinishReason("content_filter", false)).toBe("content_filter");
    expect(mapFinishReason(null, false)).toBe("other");
  });
});

describe("StreamAccumulator", () => {
  const chunk = (choices: unknown[], usage: unknown = null) =>
    ({ id: "x", object: "chat.completion.chunk", created: 1, model: "m", choices, usage }) as never;

  it("assembles parallel tool calls from fragments and reads the usage chunk", () => {
    const acc = new StreamAccumulator();
    acc.add(chunk([{ index: 0, delta: { role: "assistant", content: "Let " }, finish_reason: null }]));
    acc.add(chunk([{ index: 0, delta: { content: "me." }, finish_reason: null }]));
    acc.add(
      chunk([
        {
          index: 0,
          delta: { tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "bash", arguments: "" } }] },
          finish_reason: null,
        },
      ]),
    );
    acc.add(
      chunk([
        {
          index: 0,
          delta: { tool_calls: [{ index: 1, id: "call_b", type: "function", function: { name: "finish", arguments: '{"mes' } }] },
          finish_reason: null,
        },
      ]),
    );
    acc.add(chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"command":"ls"}' } }] }, finish_reason: null }]));
    acc.add(chunk([{ index: 0, delta: { tool_calls: [{ index: 1, function: { arguments: 'sage":"ok"}' } }] }, finish_reason: null }]));
    acc.add(chunk([{ index: 0, delta: {}, finish_reason: "tool_calls" }]));
    acc.add(chunk([], { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }));
    expect(acc.finish("mock/x")).toEqual({
      message: {
        role: "assistant",
        text: "Let me.",
        toolCalls: [
          { id: "call_a", name: "bash", arguments: '{"command":"ls"}' },
          { id: "call_b", name: "finish", arguments: '{"message":"ok"}' },
        ],
      },
      stopReason: "tool_use",
      usage: { inputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 5, reasoningTokens: 0 },
    });
  });

  it("treats a stream without finish_reason as a transient error", () => {
    const acc = new StreamAccumulator();
    acc.add(chunk([{ index: 0, delta: { content: "partial" }, finish_reason: null }]));
    expect(() => acc.finish("openai/gpt-4o")).toThrowError(ModelError);
    try {
      acc.finish("openai/gpt-4o");
    } catch (err) {
      expect((err as ModelError).errorClass).toBe("transient");
      expect((err as ModelError).message).toBe("openai/gpt-4o: stream ended without finish_reason");
    }
  });
});
