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
  const out = new StreamFrames();
  const started = responseObject(conversation, options, reply, ctx, "in_progress", false);
  out.push("response.created", { response: started });
  out.push("response.in_progress", { response: started });
  const finished = outputItems(conversation, reply);
  let index = 0;
  if (reply.reasoning) {
    const summary = conversation.reasoning?.summary ? reply.reasoning.summary : "";
    pushReasoningItem(out, { item: finished[index]!, output_index: index++ }, reasoningItem(conversation, reply, false), summary);
  }
  if (reply.text !== "" || reply.toolCalls.length === 0)
    pushMessageItem(out, { item: finished[index]!, output_index: index++ }, reply.text);
  for (const call of reply.toolCalls) pushFunctionCallItem(out, { item: finished[index]!, output_index: index++ }, call);
  const messageEnd = out.frames.length;
  const status = reply.stopReason === "max_tokens" ? "incomplete" : "completed";
  out.push(`response.${status}`, { response: responseObject(conversation, options, reply, ctx, status, true) });
  return { status: 200, headers: successHeaders(ctx, reply.usage, "text/event-stream; charset=utf-8"), frames: out.frames, messageEnd };
}

/** A stream's frames, each numbered (sequence_number) in the order pushed. */
class StreamFrames {
  readonly frames: string[] = [];

  push(type: string, fields: Json): void {
    this.frames.push(frame({ type, sequence_number: this.frames.length, ...fields }));
  }

  /** A delta's `obfuscation` padding (its length varies with the frame's position, as the real service's does). */
  obfuscation(): string {
    return "x".repeat(1 + (this.frames.length % 7));
  }
}

/** One output item of a stream: its finished form and its position in the response's output. */
interface StreamedItem {
  item: Json;
  output_index: number;
}

/** A reasoning item: added, its summary part and deltas (when a summary was asked for), done. */
function pushReasoningItem(out: StreamFrames, { item, output_index }: StreamedItem, added: Json, summary: string): void {
  const itemId = String(item["id"]);
  out.push("response.output_item.added", { output_index, item: added });
  if (summary !== "") {
    const part = { type: "summary_text", text: "" };
    out.push("response.reasoning_summary_part.added", { item_id: itemId, output_index, summary_index: 0, part });
    for (const delta of splitText(summary)) {
      out.push("response.reasoning_summary_text.delta", {
        item_id: itemId,
        output_index,
        summary_index: 0,
        delta,
        obfuscation: out.obfuscation(),
      });
    }
    out.push("response.reasoning_summary_text.done", { item_id: itemId, output_index, summary_index: 0, text: summary });
    out.push("response.reasoning_summary_part.done", {
      item_id: itemId,
      output_index,
      summary_index: 0,
      part: { type: "summary_text", text: summary },
    });
  }
  out.push("response.output_item.done", { output_index, item });
}

/** The message item: added, its output_text part, the text's deltas, done. */
function pushMessageItem(out: StreamFrames, { item, output_index }: StreamedItem, text: string): void {
  const itemId = String(item["id"]);
  out.push("response.output_item.added", {
    output_index,
    item: { id: itemId, type: "message", status: "in_progress", content: [], role: "assistant" },
  });
  out.push("response.content_part.added", {
    item_id: itemId,
    output_index,
    content_index: 0,
    part: { type: "output_text", annotations: [], logprobs: [], text: "" },
  });
  for (const delta of splitText(text)) {
    out.push("response.output_text.delta", {
      item_id: itemId,
      output_index,
      content_index: 0,
      delta,
      logprobs: [],
      obfuscation: out.obfuscation(),
    });
  }
  out.push("response.output_text.done", { item_id: itemId, output_index, content_index: 0, text, logprobs: [] });
  out.push("response.content_part.done", {
    item_id: itemId,
    output_index,
    content_index: 0,
    part: { type: "output_text", annotations: [], logprobs: [], text },
  });
  out.push("response.output_item.done", { output_index, item });
}

/** A function call item: added, its arguments' deltas, done. */
function pushFunctionCallItem(out: StreamFrames, { item, output_index }: StreamedItem, call: ToolCall): void {
  const itemId = String(item["id"]);
  out.push("response.output_item.added", { output_index, item: functionCallItem(call, "in_progress", "") });
  for (const delta of splitArguments(call.arguments)) {
    out.push("response.function_call_arguments.delta", { item_id: itemId, output_index, delta, obfuscation: out.obfuscation() });
  }
  out.push("response.function_call_arguments.done", { item_id: itemId, output_index, name: call.name, arguments: call.arguments });
  out.push("response.output_item.done", { output_index, item });
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
