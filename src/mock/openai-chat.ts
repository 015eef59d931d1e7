// Wire adapter for OpenAI Chat Completions: POST /v1/chat/completions (stream and not) and GET /v1/models,
// with the real service's JSON shapes, SSE framing, errors and headers (requests: openai-chat-request.ts).

import type { ToolCall } from "../models/types.js";
import { splitArguments, splitText } from "./deltas.js";
import { parseChatRequest, type ChatRequestOptions } from "./openai-chat-request.js";
import { chatErrorBody, checkAuth, openAiErrorAnswer, openAiPath, readOpenAiBody, successHeaders } from "./openai-http.js";
import {
  MockHttpError,
  type CallContext,
  type HttpAnswer,
  type Json,
  type MockConversation,
  type MockReply,
  type MockUsage,
  type ParsedCall,
  type StreamAnswer,
  type WireAdapter,
  type WireRoute,
} from "./wire.js";

export interface OpenAiChatAdapterOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>`; otherwise any key (or none) is accepted. */
  apiKey?: string;
  /** Model ids GET /v1/models lists. */
  models: readonly string[];
  /** Request parameters answered with 400 "Unrecognized request argument supplied" (a strict compatible server). @default none */
  rejectParams?: readonly string[];
}

const SYSTEM_FINGERPRINT = "fp_b3nchm0ck";

export function chatUsage(usage: MockUsage): Json {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

const FINISH_REASON: Record<MockReply["stopReason"], string> = { end_turn: "stop", tool_use: "tool_calls", max_tokens: "length" };

const wireCallId = (id: string): string => `call_${id}`;

function renderBody(conversation: MockConversation, reply: MockReply, ctx: CallContext): HttpAnswer {
  const message: Json = {
    role: "assistant",
    content: reply.text === "" && reply.toolCalls.length > 0 ? null : reply.text,
    refusal: null,
    annotations: [],
  };
  if (reply.toolCalls.length > 0) {
    message["tool_calls"] = reply.toolCalls.map((c) => ({
      id: wireCallId(c.id),
      type: "function",
      function: { name: c.name, arguments: c.arguments },
    }));
  }
  const body = {
    id: `chatcmpl-${reply.id}`,
    object: "chat.completion",
    created: Math.floor(ctx.now / 1000),
    model: conversation.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: FINISH_REASON[reply.stopReason] }],
    usage: chatUsage(reply.usage),
    service_tier: "default",
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
  return { status: 200, headers: successHeaders(ctx, reply.usage, "application/json"), body: JSON.stringify(body) };
}

function renderStream(conversation: MockConversation, reply: MockReply, options: ChatRequestOptions, ctx: CallContext): StreamAnswer {
  const base = {
    id: `chatcmpl-${reply.id}`,
    object: "chat.completion.chunk",
    created: Math.floor(ctx.now / 1000),
    model: conversation.model,
    service_tier: "default",
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
  const frames: string[] = [];
  const push = (choices: Json[], usage?: Json): void => {
    const chunk: Json = { ...base, choices };
    if (options.includeUsage) chunk["usage"] = usage ?? null;
    // The real service pads chunks (stream_options.include_obfuscation, on by default).
    chunk["obfuscation"] = "x".repeat(1 + (frames.length % 9));
    frames.push(`data: ${JSON.stringify(chunk)}\n\n`);
  };
  const delta = (d: Json): Json => ({ index: 0, delta: d, logprobs: null, finish_reason: null });
  const firstFragment = (c: ToolCall, index: number): Json => ({
    index,
    id: wireCallId(c.id),
    type: "function",
    function: { name: c.name, arguments: "" },
  });

  const calls = reply.toolCalls;
  // As the real service does: with no text, the role arrives together with the first call's first fragment.
  const merged = reply.text === "" && calls[0] !== undefined;
  if (merged && calls[0] !== undefined) {
    push([delta({ role: "assistant", content: null, tool_calls: [firstFragment(calls[0], 0)], refusal: null })]);
  } else {
    push([delta({ role: "assistant", content: "", refusal: null })]);
    for (const piece of splitText(reply.text)) push([delta({ content: piece })]);
  }
  calls.forEach((c, index) => {
    if (!(merged && index === 0)) push([delta({ tool_calls: [firstFragment(c, index)] })]);
    for (const piece of splitArguments(c.arguments)) push([delta({ tool_calls: [{ index, function: { arguments: piece } }] })]);
  });
  const messageEnd = frames.length;
  push([{ index: 0, delta: {}, logprobs: null, finish_reason: FINISH_REASON[reply.stopReason] }]);
  if (options.includeUsage) push([], chatUsage(reply.usage));
  frames.push("data: [DONE]\n\n");
  return { status: 200, headers: successHeaders(ctx, reply.usage, "text/event-stream; charset=utf-8"), frames, messageEnd };
}

function modelObject(id: string): Json {
  return { id, object: "model", created: 1_700_000_000, owned_by: "bench-mock" };
}

/** The OpenAI Chat Completions adapter (also serves the model listing). */
export function openAiChatAdapter(options: OpenAiChatAdapterOptions): WireAdapter {
  const chat: WireRoute = {
    name: "openai.chat.completions",
    kind: "model",
    parse(call, ctx): ParsedCall {
      const body = readOpenAiBody(call, options);
      const { conversation, options: chatOptions } = parseChatRequest(body);
      return {
        conversation,
        render: {
          body: (reply) => renderBody(conversation, reply, ctx),
          stream: (reply) => renderStream(conversation, reply, chatOptions, ctx),
          streamError: (error) => `data: ${chatErrorBody(error)}\n\n`,
        },
      };
    },
  };
  const json = (ctx: CallContext, body: unknown): HttpAnswer => ({
    status: 200,
    headers: { "content-type": "application/json", "x-request-id": ctx.requestId },
    body: JSON.stringify(body),
  });
  const list: WireRoute = {
    name: "openai.models",
    kind: "static",
    answer(call, ctx) {
      checkAuth(call, options.apiKey);
      return json(ctx, { object: "list", data: options.models.map(modelObject) });
    },
  };
  const retrieve = (id: string): WireRoute => ({
    name: "openai.models.retrieve",
    kind: "static",
    answer(call, ctx) {
      checkAuth(call, options.apiKey);
      if (!options.models.includes(id)) {
        throw new MockHttpError({
          status: 404,
          message: `The model '${id}' does not exist or you do not have access to it.`,
          type: "invalid_request_error",
          code: "model_not_found",
        });
      }
      return json(ctx, modelObject(id));
    },
  });
  return {
    name: "openai-chat",
    route(method, path) {
      const p = openAiPath(path);
      if (p === "/chat/completions" && method === "POST") return chat;
      if (p === "/models" && method === "GET") return list;
      const model = /^\/models\/(.+)$/.exec(p);
      if (model && method === "GET") return retrieve(decodeURIComponent(model[1] ?? ""));
      return undefined;
    },
    error: openAiErrorAnswer,
  };
}
