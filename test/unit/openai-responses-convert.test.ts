import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import { describe, expect, it } from "vitest";
import { APIError, BadRequestError, InternalServerError, UnprocessableEntityError } from "openai";
import { ModelError } from "../../src/models/errors.js";
import { classifyOpenAIError, isUnsupportedParamError } from "../../src/models/openai-errors.js";
import { looksLikeReasoningModel, OptionalParamSwitch, rejectedParamNames } from "../../src/models/generation.js";
import {
  OPTIONAL_RESPONSES_PARAMS,
  optionalParamsIn,
  toResponsesInput,
  toResponsesRequest,
} from "../../src/models/openai-responses-convert.js";
import { classifyResponsesError, fromResponsesUsage, ResponsesStreamAccumulator } from "../../src/models/openai-responses-stream.js";
import type { Message, ModelRequest } from "../../src/models/types.js";

const ev = (e: Record<string, unknown>): ResponseStreamEvent => e as unknown as ResponseStreamEvent;
const USAGE = {
  input_tokens: 300,
  input_tokens_details: { cached_tokens: 256 },
  output_tokens: 90,
  output_tokens_details: { reasoning_tokens: 64 },
  total_tokens: 390,
};
const response = (status: string, extra: Record<string, unknown> = {}) => ({
  id: "resp_1",
  object: "response",
  status,
  output: [],
  usage: USAGE,
  error: null,
  incomplete_details: null,
  ...extra,
});

describe("toResponsesInput", () => {
  it("maps user text and images, assistant reasoning, text and calls, and tool results with text or media", () => {
    const messages: Message[] = [
      {
        role: "user",
        content: [
          { type: "text", text: "fix it" },
          { type: "image", mediaType: "image/png", data: "AAAA" },
        ],
      },
      {
        role: "assistant",
        text: "Looking.",
        toolCalls: [
          { id: "call_1", name: "bash", arguments: '{"command":"ls"}' },
          { id: "call_2", name: "str_replace_editor", arguments: "{}" },
        ],
        reasoning: [
          { type: "reasoning", text: "plan", id: "rs_1", encrypted: "gAAA", provider: "openai-responses" },
          // Not sendable back: another provider's, or no encrypted content (with store: false the id alone is "not found").
          { type: "reasoning", text: "claude", signature: "sig", provider: "bedrock" },
          { type: "reasoning", text: "", id: "rs_2", provider: "openai-responses" },
        ],
      },
      { role: "tool", toolCallId: "call_1", toolName: "bash", content: [{ type: "text", text: "a.py" }], isError: false },
      {
        role: "tool",
        toolCallId: "call_2",
        toolName: "str_replace_editor",
        content: [
          { type: "text", text: "Image /testbed/x.png:" },
          { type: "image", mediaType: "image/png", data: "iVBO" },
        ],
        isError: false,
      },
      { role: "assistant", text: "", toolCalls: [{ id: "call_3", name: "finish", arguments: "{}" }] },
      { role: "tool", toolCallId: "call_3", toolName: "finish", content: [], isError: false },
    ];
    expect(toResponsesInput(messages)).toEqual([
      {
        type: "message",
        role: "user",
        content: [
          { type: "input_text", text: "fix it" },
          { type: "input_image", image_url: "data:image/png;base64,AAAA", detail: "auto" },
        ],
      },
      { type: "reasoning", id: "rs_1", summary: [{ type: "summary_text", text: "plan" }], encrypted_content: "gAAA" },
      { type: "message", role: "assistant", content: "Looking." },
      { type: "function_call", call_id: "call_1", name: "bash", arguments: '{"command":"ls"}' },
      { type: "function_call", call_id: "call_2", name: "str_replace_editor", arguments: "{}" },
      { type: "function_call_output", call_id: "call_1", output: "a.py" },
      {
        type: "function_call_output",
        call_id: "call_2",
        output: [
          { type: "input_text", text: "Image /testbed/x.png:" },
          { type: "input_image", image_url: "data:image/png;base64,iVBO", detail: "auto" },
        ],
      },
      { type: "function_call", call_id: "call_3", name: "finish", arguments: "{}" },
      { type: "function_call_output", call_id: "call_3", output: "(no output)" },
    ]);
  });
});

describe("toResponsesRequest", () => {
  const request: ModelRequest = {
    system: "sys",
    messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
    tools: [{ name: "bash", description: "run", parameters: { type: "object" } }],
    toolChoice: "any",
  };

  it("sends instructions, non-strict function tools, required tool choice, store false; reasoning for reasoning models", () => {
    expect(toResponsesRequest("o4-mini", request, { reasoningEffort: "high", maxOutputTokens: 1000 })).toEqual({
      model: "o4-mini",
      input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }],
      store: false,
      instructions: "sys",
      tools: [{ type: "function", name: "bash", description: "run", parameters: { type: "object" }, strict: false }],
      tool_choice: "required",
      max_output_tokens: 1000,
      reasoning: { summary: "auto", effort: "high" },
      include: ["reasoning.encrypted_content"],
    });
  });

  it("maps a named tool choice, sampling options, and leaves reasoning out for other models", () => {
    const body = toResponsesRequest(
      "gpt-4o",
      { ...request, toolChoice: { name: "bash" }, temperature: 0.5 },
      { topP: 0.9, temperature: 1 },
    );
    expect(body.tool_choice).toEqual({ type: "function", name: "bash" });
    expect([body.temperature, body.top_p, body.reasoning, body.include]).toEqual([0.5, 0.9, undefined, undefined]);
    expect(optionalParamsIn(body)).toEqual(["temperature", "top_p"]);
  });

  it("leaves out the optional parameters the drop_params switch names; reasoning and include go together", () => {
    const all = toResponsesRequest("o3", request, {
      reasoningEffort: "low",
      temperature: 1,
      maxOutputTokens: 64,
      drop: new Set(OPTIONAL_RESPONSES_PARAMS),
    });
    expect(optionalParamsIn(all)).toEqual([]);
    expect(all.max_output_tokens).toBe(64);
    const noTemperature = toResponsesRequest("o3", request, { reasoningEffort: "low", temperature: 1, drop: new Set(["temperature"]) });
    expect(optionalParamsIn(noTemperature)).toEqual(["reasoning", "include"]);
    expect(noTemperature.reasoning).toEqual({ summary: "auto", effort: "low" });
    const noInclude = toResponsesRequest("o3", request, { reasoningEffort: "low", temperature: 1, drop: new Set(["include"]) });
    expect(optionalParamsIn(noInclude)).toEqual(["temperature"]);
  });
});

describe("fromResponsesUsage", () => {
  it("makes usage disjoint: cached tokens leave input, reasoning stays inside output", () => {
    expect(fromResponsesUsage(USAGE as never)).toEqual({
      inputTokens: 44,
      cacheReadTokens: 256,
      cacheWriteTokens: 0,
      outputTokens: 90,
      reasoningTokens: 64,
    });
    expect(fromResponsesUsage(undefined)).toEqual({
      inputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 0,
      reasoningTokens: 0,
    });
  });
});

describe("ResponsesStreamAccumulator", () => {
  it("assembles reasoning summaries, text and function calls; the .done arguments win over the deltas", () => {
    const acc = new ResponsesStreamAccumulator("x/o4-mini");
    const events = [
      { type: "response.created", response: response("in_progress") },
      {
        type: "response.output_item.added",
        output_index: 0,
        item: { id: "rs_1", type: "reasoning", summary: [], encrypted_content: "gAAA" },
      },
      { type: "response.reasoning_summary_text.delta", item_id: "rs_1", output_index: 0, summary_index: 0, delta: "Think" },
      { type: "response.reasoning_summary_text.delta", item_id: "rs_1", output_index: 0, summary_index: 0, delta: "ing" },
      { type: "response.reasoning_summary_text.delta", item_id: "rs_1", output_index: 0, summary_index: 1, delta: "More" },
      {
        type: "response.output_item.added",
        output_index: 1,
        item: { id: "msg_1", type: "message", role: "assistant", status: "in_progress", content: [] },
      },
      { type: "response.output_text.delta", item_id: "msg_1", output_index: 1, content_index: 0, delta: "Hel" },
      { type: "response.output_text.delta", item_id: "msg_1", output_index: 1, content_index: 0, delta: "lo" },
      {
        type: "response.output_item.added",
        output_index: 2,
        item: { id: "fc_1", type: "function_call", call_id: "call_1", name: "bash", arguments: "", status: "in_progress" },
      },
      { type: "response.function_call_arguments.delta", item_id: "fc_1", output_index: 2, delta: '{"command":' },
      { type: "response.function_call_arguments.delta", item_id: "fc_1", output_index: 2, delta: '"garbled' },
      { type: "response.function_call_arguments.done", item_id: "fc_1", output_index: 2, name: "bash", arguments: '{"command":"ls"}' },
      { type: "response.completed", response: response("completed") },
    ];
    for (const e of events) acc.add(ev(e));
    expect(acc.finish()).toEqual({
      message: {
        role: "assistant",
        text: "Hello",
        toolCalls: [{ id: "call_1", name: "bash", arguments: '{"command":"ls"}' }],
        reasoning: [{ type: "reasoning", text: "Thinking\n\nMore", id: "rs_1", encrypted: "gAAA", provider: "openai-responses" }],
      },
      stopReason: "tool_use",
      usage: { inputTokens: 44, cacheReadTokens: 256, cacheWriteTokens: 0, outputTokens: 90, reasoningTokens: 64 },
      responseId: "resp_1",
    });
  });

  it("takes the terminal response's output over the streamed items, and maps incomplete max_output_tokens to max_tokens", () => {
    const acc = new ResponsesStreamAccumulator("x/m");
    acc.add(ev({ type: "response.output_text.delta", item_id: "m", output_index: 0, content_index: 0, delta: "partial" }));
    acc.add(
      ev({
        type: "response.incomplete",
        response: response("incomplete", {
          incomplete_details: { reason: "max_output_tokens" },
          output: [
            {
              id: "m",
              type: "message",
              role: "assistant",
              status: "incomplete",
              content: [{ type: "output_text", text: "partial text", annotations: [] }],
            },
          ],
        }),
      }),
    );
    const done = acc.finish();
    expect([done.message.text, done.stopReason, done.message.reasoning]).toEqual(["partial text", "max_tokens", undefined]);
  });

  it("a stream without a terminal event is transient", () => {
    const acc = new ResponsesStreamAccumulator("x/m");
    acc.add(ev({ type: "response.output_text.delta", item_id: "m", output_index: 0, content_index: 0, delta: "cut" }));
    expect(() => acc.finish()).toThrow(
      expect.objectContaining({ errorClass: "transient", message: "x/m: stream ended without response.completed" }),
    );
  });

  it.each([
    [{ type: "error", code: "server_error", message: "boom", param: null }, "transient"],
    [{ type: "error", code: "insufficient_quota", message: "quota", param: null }, "quota"],
    [{ type: "error", error: { type: "insufficient_quota", code: "insufficient_quota", message: "quota" } }, "quota"],
    [{ type: "response.failed", response: response("failed", { error: { code: "server_error", message: "failed" } }) }, "transient"],
    [
      { type: "response.failed", response: response("failed", { error: { code: "rate_limit_exceeded", message: "slow down" } }) },
      "rate_limit",
    ],
    [
      { type: "response.failed", response: response("failed", { error: { code: "context_length_exceeded", message: "too long" } }) },
      "context_overflow",
    ],
    [
      { type: "response.failed", response: response("failed", { error: { code: "invalid_image", message: "bad image" } }) },
      "invalid_request",
    ],
  ])("in-stream %j -> %s", (event, errorClass) => {
    const acc = new ResponsesStreamAccumulator("x/m");
    let caught: unknown;
    try {
      acc.add(ev(event));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ModelError);
    expect((caught as ModelError).errorClass).toBe(errorClass);
  });

  it("a non-streamed Response goes through the same assembly; a failed one throws", () => {
    const ok = ResponsesStreamAccumulator.fromResponse(
      response("completed", {
        output: [
          { id: "rs", type: "reasoning", summary: [{ type: "summary_text", text: "s" }], encrypted_content: "e" },
          { id: "fc", type: "function_call", call_id: "call_9", name: "finish", arguments: "{}", status: "completed" },
        ],
      }) as never,
      "x/m",
    );
    expect(ok.message).toEqual({
      role: "assistant",
      text: "",
      toolCalls: [{ id: "call_9", name: "finish", arguments: "{}" }],
      reasoning: [{ type: "reasoning", text: "s", id: "rs", encrypted: "e", provider: "openai-responses" }],
    });
    expect(() =>
      ResponsesStreamAccumulator.fromResponse(response("failed", { error: { code: "server_error", message: "x" } }) as never, "x/m"),
    ).toThrow(expect.objectContaining({ errorClass: "transient" }));
  });
});

describe("classifyResponsesError", () => {
  it("says where and why", () => {
    expect(classifyResponsesError({ code: "server_error", message: "boom" }, "openai-responses/o3").message).toBe(
      "openai-responses/o3: boom (server_error)",
    );
    expect(classifyResponsesError(null, "w").errorClass).toBe("transient");
  });
});

describe("generation helpers", () => {
  it("recognises reasoning model ids", () => {
    expect(["o1", "o3-mini", "o4-mini", "gpt-5", "gpt-5-mini", "openai/gpt-oss-120b", "o1-preview"].map(looksLikeReasoningModel)).toEqual(
      Array(7).fill(true),
    );
    expect(["gpt-4o", "gpt-4.1-mini", "oracle", "omni-moderation-latest", "llama3"].map(looksLikeReasoningModel)).toEqual(
      Array(5).fill(false),
    );
  });

  it("the drop_params switch drops what a rejection names, or everything sent when it names nothing; logged per drop", () => {
    const lines: string[] = [];
    const sw = new OptionalParamSwitch("openai/x", (l) => lines.push(l));
    expect(sw.shouldRetryWithout(true, [], "r")).toBe(false);
    expect(sw.shouldRetryWithout(false, ["seed"], "r")).toBe(false);
    expect(sw.shouldRetryWithout(true, ["seed", "temperature"], "400 Unrecognized request argument supplied: seed")).toBe(true);
    expect([...sw.dropped]).toEqual(["seed"]);
    // The retry no longer sends seed; the server then rejects temperature, by its `param` field.
    expect(
      sw.shouldRetryWithout(true, ["temperature", "top_p"], "400 Unsupported value: this model does not support it.", "temperature"),
    ).toBe(true);
    expect([...sw.dropped]).toEqual(["seed", "temperature"]);
    expect(sw.shouldRetryWithout(true, ["reasoning_effort", "top_p"], "400 unknown parameter")).toBe(true);
    expect([...sw.dropped]).toEqual(["seed", "temperature", "reasoning_effort", "top_p"]);
    expect(lines).toEqual([
      "openai/x: the server rejected seed (400 Unrecognized request argument supplied: seed); retrying without it, and leaving it out of this model's calls from now on",
      "openai/x: the server rejected temperature (400 Unsupported value: this model does not support it.); retrying without it, and leaving it out of this model's calls from now on",
      "openai/x: the server rejected an optional parameter without naming it (400 unknown parameter); retrying without reasoning_effort, top_p, and leaving them out of this model's calls from now on",
    ]);
  });

  it("rejectedParamNames: the error's param, or sent names as whole words of the message", () => {
    const sent = ["reasoning", "include", "temperature", "top_p"];
    expect(rejectedParamNames(sent, "400 Unsupported parameter: 'temperature' is not supported with this model.")).toEqual(["temperature"]);
    expect(rejectedParamNames(sent, "400 Unsupported parameter: 'reasoning.effort' is not supported with this model.")).toEqual([
      "reasoning",
    ]);
    expect(rejectedParamNames(sent, "400 bad request", "reasoning.summary")).toEqual(["reasoning"]);
    expect(rejectedParamNames(["seed", "top_p"], "400 x does not support parameters: ['top_p']")).toEqual(["top_p"]);
    expect(rejectedParamNames(["seed", "top_p"], "400 Unrecognized request argument supplied: top_k")).toEqual([]);
    expect(rejectedParamNames(["seed"], "400 Unrecognized request argument supplied: seeds")).toEqual([]);
  });
});

describe("isUnsupportedParamError", () => {
  const headers = new Headers();
  const bad = (message: string, code: string | null = null) =>
    new BadRequestError(400, { message, code, type: "invalid_request_error" }, undefined, headers);
  it.each([
    [bad("Unrecognized request argument supplied: seed"), true],
    [bad("Unsupported parameter: 'temperature' is not supported with this model.", "unsupported_parameter"), true],
    [bad("Unsupported value: 'temperature' does not support 0 with this model.", "unsupported_value"), true],
    [bad("Unknown parameter: 'reasoning.summary'.", "unknown_parameter"), true],
    [
      new UnprocessableEntityError(
        422,
        { message: "[{'loc': ('body', 'seed'), 'msg': 'Extra inputs are not permitted'}]" },
        undefined,
        headers,
      ),
      true,
    ],
    [bad("litellm.UnsupportedParamsError: openai does not support parameters: ['seed']"), true],
    [bad("This model's maximum context length is 128000 tokens.", "context_length_exceeded"), false],
    [bad("Invalid 'messages[1].content': string too long."), false],
    [new InternalServerError(500, { message: "Unsupported parameter" }, undefined, headers), false],
    [new APIError(undefined, { message: "Unsupported parameter" }, undefined, undefined), false],
    [new Error("Unsupported parameter"), false],
  ])("%s -> %s", (err, expected) => {
    expect(isUnsupportedParamError(err)).toBe(expected);
  });

  it("a truncated JSON body is a transient error", () => {
    let err: unknown;
    try {
      JSON.parse('{"id":"resp_1","out');
    } catch (e) {
      err = e;
    }
    expect(classifyOpenAIError(err, "w")).toMatchObject({ errorClass: "transient", staleConnection: true });
  });
});
