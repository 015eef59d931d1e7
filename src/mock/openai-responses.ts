// Wire adapter for the OpenAI Responses API: POST /v1/responses (and /responses), streamed as SSE `event:` frames
// with sequence numbers in the real service's order, or one JSON Response; reasoning items with encrypted content
// (requests: openai-responses-request.ts).

import type { ToolCall } from "../models/types.js";
import { splitArguments, splitText } from "./deltas.js";
import { openAiErrorAnswer, openAiPath, readOpenAiBody, successHeaders } from "./openai-http.js";
import { parseResponsesRequest, type ResponsesRequestOptions } from "./openai-responses-request.js";
import { sealReasoning } from "./reasoning-seal.js";
import type {
  CallContext,
  HttpAnswer,
  Json,
  MockConversation,
  MockErrorSpec,
  MockReply,
  MockUsage,
  ParsedCall,
  StreamAnswer,
  WireAdapter,
  WireRoute,
} from "./wire.js";

export interface OpenAiResponsesAdapterOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. @default any key accepted */
  apiKey?: string;
  /** Request parameters answered with 400 "Unrecognized request argument supplied". @default none */
  rejectParams?: readonly string[];
}

export function responsesUsage(usage: MockUsage): Json {
  return {
    input_tokens: usage.promptTokens,
    input_tokens_details: { cached_tokens: usage.cachedTokens },
    output_tokens: usage.completionTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens },
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
}

/** The reply's output items, finished, in order: reasoning, message, function calls. */
function outputItems(conversation: MockConversation, reply: MockReply): Json[] {
  const items: Json[] = [];
  const incomplete = reply.stopReason === "max_tokens";
  if (reply.reasoning) items.push(reasoningItem(conversation, reply, true));
  if (reply.text !== "" || reply.toolCalls.length === 0) {
    items.push({
      id: `msg_${reply.id}`,
      type: "message",
      status: incomplete && reply.toolCalls.length === 0 ? "incomplete" : "completed",
      content: [{ type: "output_text", annotations: [], logprobs: [], text: reply.text }],
      role: "assistant",
    });
  }
  reply.toolCalls.forEach((c, i) => {
    const last = i === reply.toolCalls.length - 1;
    items.push(functionCallItem(c, incomplete && last ? "incomplete" : "completed", c.arguments));
  });
  return items;
}

function reasoningItem(conversation: MockConversation, reply: MockReply, done: boolean): Json {
  const id = `rs_${reply.id}`;
  const summary = conversation.reasoning?.summary && reply.reasoning ? reply.reasoning.summary : "";
  const item: Json = { id, type: "reasoning", summary: done && summary ? [{ type: "summary_text", text: summary }] : [] };
  // The real service returns encrypted reasoning only when asked (include: ["reasoning.encrypted_content"]).
  if (conversation.reasoning?.encrypted) item["encrypted_content"] = sealReasoning(id, summary);
  return item;
}

function functionCallItem(call: ToolCall, status: string, args: string): Json {
  return { id: `fc_${call.id}`, type: "function_call", status, arguments: args, call_id: `call_${call.id}`, name: call.name };
}

function responseObject(
  conversation: MockConversation,
  options: ResponsesRequestOptions,
  reply: MockReply,
  ctx: CallContext,
  status: string,
  done: boolean,
): Json {
  const incomplete = status === "incomplete";
  return {
    id: `resp_${reply.id}`,
    object: "response",
    created_at: Math.floor(ctx.now / 1000),
    status,
    background: false,
    error: null,
    incomplete_details: incomplete ? { reason: "max_output_tokens" } : null,
    instructions: options.instructions,
    max_output_tokens: options.maxOutputTokens,
    max_tool_calls: null,
    model: conversation.model,
    output: done ? outputItems(conversation, reply) : [],
    parallel_tool_calls: true,
    previous_response_id: null,
    prompt_cache_key: null,
    reasoning: options.reasoning,
    safety_identifier: null,
    service_tier: "default",
    store: options.store,
    temperature: options.temperature,
    text: { format: { type: "text" }, verbosity: "medium" },
    tool_choice: options.toolChoice,
    tools: options.tools,
    top_logprobs: 0,
    top_p: options.topP,
    truncation: "disabled",
    usage: done ? responsesUsage(reply.usage) : null,
    user: null,
    metadata: {},
  };
}

function renderBody(conversation: MockConversation, options: ResponsesRequestOptions, reply: MockReply, ctx: CallContext): HttpAnswer {
  const status = reply.stopReason === "max_tokens" ? "incomplete" : "completed";
  return {
    status: 200,
    headers: successHeaders(ctx, reply.usage, "application/json"),
    body: JSON.stringify(responseObject(conversation, options, reply, ctx, status, true)),
  };
}

const frame = (event: Json): string => `event: ${String(event["type"])}\ndata: ${JSON.stringify(event)}\n\n`;

/** SSE frames in the real order: every output item and content part is announced before its deltas. */
function renderStream(conversation: MockConversation, options: ResponsesRequestOptions, reply: MockReply, ctx: CallContext): StreamAnswer {
  const frames: string[] = [];
  const push = (type: string, fields: Json): void => {
    frames.push(frame({ type, sequence_number: frames.length, ...fields }));
  };
  const started = responseObject(conversation, options, reply, ctx, "in_progress", false);
  push("response.created", { response: started });
  push("response.in_progress", { response: started });
  const finished = outputItems(conversation, reply);
  let index = 0;
  if (reply.reasoning) {
    const item = finished[index]!;
    const itemId = String(item["id"]);
    const output_index = index;
    push("response.output_item.added", { output_index, item: reasoningItem(conversation, reply, false) });
    const summary = conversation.reasoning?.summary ? reply.reasoning.summary : "";
    if (summary !== "") {
      const part = { type: "summary_text", text: "" };
      push("response.reasoning_summary_part.added", { item_id: itemId, output_index, summary_index: 0, part });
      for (const delta of splitText(summary)) {
        push("response.reasoning_summary_text.delta", {
          item_id: itemId,
          output_index,
          summary_index: 0,
          delta,
          obfuscation: "x".repeat(1 + (frames.length % 7)),
        });
      }
      push("response.reasoning_summary_text.done", { item_id: itemId, output_index, summary_index: 0, text: summary });
      push("response.reasoning_summary_part.done", {
        item_id: itemId,
        output_index,
        summary_index: 0,
        part: { type: "summary_text", text: summary },
      });
    }
    push("response.output_item.done", { output_index, item });
    index++;
  }
  if (reply.text !== "" || reply.toolCalls.length === 0) {
    const item = finished[index]!;
    const itemId = String(item["id"]);
    const output_index = index;
    push("response.output_item.added", {
      output_index,
      item: { id: itemId, type: "message", status: "in_progress", content: [], role: "assistant" },
    });
    push("response.content_part.added", {
      item_id: itemId,
      output_index,
      content_index: 0,
      part: { type: "output_text", annotations: [], logprobs: [], text: "" },
    });
    for (const delta of splitText(reply.text)) {
      push("response.output_text.delta", {
        item_id: itemId,
        output_index,
        content_index: 0,
        delta,
        logprobs: [],
        obfuscation: "x".repeat(1 + (frames.length % 7)),
      });
    }
    push("response.output_text.done", { item_id: itemId, output_index, content_index: 0, text: reply.text, logprobs: [] });
    push("response.content_part.done", {
      item_id: itemId,
      output_index,
      content_index: 0,
      part: { type: "output_text", annotations: [], logprobs: [], text: reply.text },
    });
    push("response.output_item.done", { output_index, item });
    index++;
  }
  for (const call of reply.toolCalls) {
    const item = finished[index]!;
    const itemId = String(item["id"]);
    const output_index = index;
    push("response.output_item.added", { output_index, item: functionCallItem(call, "in_progress", "") });
    for (const delta of splitArguments(call.arguments)) {
      push("response.function_call_arguments.delta", {
        item_id: itemId,
        output_index,
        delta,
        obfuscation: "x".repeat(1 + (frames.length % 7)),
      });
    }
    push("response.function_call_arguments.done", { item_id: itemId, output_index, name: call.name, arguments: call.arguments });
    push("response.output_item.done", { output_index, item });
    index++;
  }
  const messageEnd = frames.length;
  const status = reply.stopReason === "max_tokens" ? "incomplete" : "completed";
  push(`response.${status}`, { response: responseObject(conversation, options, reply, ctx, status, true) });
  return { status: 200, headers: successHeaders(ctx, reply.usage, "text/event-stream; charset=utf-8"), frames, messageEnd };
}

/** An in-stream failure: an `error` event then `response.failed` (as recorded from the real service), or the latter alone. */
function renderStreamError(
  conversation: MockConversation,
  options: ResponsesRequestOptions,
  reply: MockReply,
  ctx: CallContext,
  error: MockErrorSpec,
  framesSent: number,
): string {
  let seq = framesSent;
  let out = "";
  if ((error.streamEvent ?? "error") === "error") {
    out += frame({
      type: "error",
      sequence_number: seq++,
      error: { type: error.type, code: error.code, message: error.message, param: error.param },
    });
  }
  const failed = {
    ...responseObject(conversation, options, reply, ctx, "failed", false),
    error: { code: error.code ?? "server_error", message: error.message },
  };
  out += frame({ type: "response.failed", sequence_number: seq, response: failed });
  return out;
}

/** The OpenAI Responses adapter. */
export function openAiResponsesAdapter(options: OpenAiResponsesAdapterOptions = {}): WireAdapter {
  const responses: WireRoute = {
    name: "openai.responses",
    kind: "model",
    parse(call, ctx): ParsedCall {
      const body = readOpenAiBody(call, options);
      const { conversation, options: wire } = parseResponsesRequest(body);
      let lastReply: MockReply | undefined;
      return {
        conversation,
        render: {
          body: (reply) => renderBody(conversation, wire, reply, ctx),
          stream: (reply) => {
            lastReply = reply;
            return renderStream(conversation, wire, reply, ctx);
          },
          streamError: (error, framesSent) => {
            const reply = lastReply ?? {
              id: "failed",
              text: "",
              toolCalls: [],
              stopReason: "end_turn",
              usage: { promptTokens: 0, completionTokens: 0, cachedTokens: 0, reasoningTokens: 0 },
            };
            return renderStreamError(conversation, wire, reply, ctx, error, framesSent ?? 0);
          },
        },
      };
    },
  };
  return {
    name: "openai-responses",
    route(method, path) {
      const p = openAiPath(path);
      return p === "/responses" && method === "POST" ? responses : undefined;
    },
    error: openAiErrorAnswer,
  };
}
