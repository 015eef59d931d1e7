// Wire adapter for the OpenAI Responses API: POST /v1/responses (and /responses), streamed as SSE `event:` frames
// with sequence numbers in the real service's order, or one JSON Response; reasoning items with encrypted content.

import { createHash } from "node:crypto";
import type { ContentPart, Message, ReasoningPart, ToolCall, ToolChoice, ToolSpec } from "../models/types.js";
import { splitArguments, splitText } from "./deltas.js";
import { chatErrorBody, checkAuth, invalid, parseJsonBody, rejectUnknownParams, successHeaders } from "./openai-http.js";
import {
  MockHttpError,
  isObject,
  type CallContext,
  type HttpAnswer,
  type Json,
  type MockConversation,
  type MockErrorSpec,
  type MockReply,
  type MockUsage,
  type ParsedCall,
  type StreamAnswer,
  type WireAdapter,
  type WireRoute,
} from "./wire.js";

export interface OpenAiResponsesAdapterOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. @default any key accepted */
  apiKey?: string;
  /** Request parameters answered with 400 "Unrecognized request argument supplied". @default none */
  rejectParams?: readonly string[];
}

/** Provider name the neutral reasoning parts carry (as the harness's Responses client stamps them). */
const PROVIDER = "openai-responses";
/** Prefix of Fernet tokens, which is what the real service's encrypted_content looks like. */
const SEALED_PREFIX = "gAAAAAB";

/** The mock's "encrypted" reasoning: a sealed, checkable token holding the item id and its summary. */
export function sealReasoning(id: string, summary: string): string {
  const payload = Buffer.from(JSON.stringify({ id, summary })).toString("base64url");
  const mac = createHash("sha256").update(`bench-mock:${payload}`).digest("base64url").slice(0, 16);
  return `${SEALED_PREFIX}${payload}.${mac}`;
}

/** The item id and summary a sealed token holds; undefined when the token is not one of ours or was altered. */
export function unsealReasoning(token: string): { id: string; summary: string } | undefined {
  if (!token.startsWith(SEALED_PREFIX)) return undefined;
  const [payload = "", mac] = token.slice(SEALED_PREFIX.length).split(".");
  if (createHash("sha256").update(`bench-mock:${payload}`).digest("base64url").slice(0, 16) !== mac) return undefined;
  try {
    const value = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as unknown;
    if (isObject(value) && typeof value["id"] === "string" && typeof value["summary"] === "string") {
      return { id: value["id"], summary: value["summary"] };
    }
  } catch {
    // Falls through: not ours.
  }
  return undefined;
}

function contentParts(content: unknown, param: string): ContentPart[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  if (!Array.isArray(content)) {
    throw invalid(`Invalid type for '${param}': expected one of a string or array of input content, but got ${typeof content} instead.`, param, "invalid_type");
  }
  return content.map((part, i): ContentPart => {
    const p = `${param}[${i}]`;
    if (!isObject(part)) throw invalid(`Invalid type for '${p}': expected an object.`, p, "invalid_type");
    const type = part["type"];
    if ((type === "input_text" || type === "output_text") && typeof part["text"] === "string") return { type: "text", text: part["text"] };
    if (type === "refusal" && typeof part["refusal"] === "string") return { type: "text", text: part["refusal"] };
    if (type === "input_image") {
      const url = part["image_url"];
      if (typeof url !== "string") return { type: "text", text: `[image: file ${String(part["file_id"] ?? "?")}]` };
      const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
      if (data) return { type: "image", mediaType: data[1] ?? "", data: data[2] ?? "" };
      if (url.startsWith("data:")) throw invalid(`Invalid 'image_url' in '${p}': expected a base64-encoded data URL.`, `${p}.image_url`, "invalid_image_url");
      return { type: "text", text: `[image: ${url}]` };
    }
    throw invalid(
      `Invalid value: '${String(type)}'. Supported values are: 'input_text', 'input_image', 'input_file', 'output_text' and 'refusal'.`,
      `${p}.type`,
      "invalid_value",
    );
  });
}

export interface ResponsesRequestOptions {
  store: boolean;
  /** The `reasoning` object to echo in the Response. */
  reasoning: Json;
  tools: Json[];
  toolChoice: unknown;
  instructions: string | null;
  maxOutputTokens: number | null;
  temperature: number;
  topP: number;
}

/**
 * Input items -> neutral messages. Consecutive assistant-side items (reasoning, assistant message, function
 * calls) make one assistant turn; every function call needs its output, and an output needs its call.
 */
export function toNeutralInput(raw: unknown, store: boolean): { system: string[]; messages: Message[] } {
  if (raw === undefined) throw invalid("Missing required parameter: 'input'.", "input", "missing_required_parameter");
  if (typeof raw === "string") return { system: [], messages: [{ role: "user", content: [{ type: "text", text: raw }] }] };
  if (!Array.isArray(raw)) throw invalid(`Invalid type for 'input': expected one of a string or array of input items, but got ${typeof raw} instead.`, "input", "invalid_type");
  const system: string[] = [];
  const messages: Message[] = [];
  const calls = new Map<string, string>();
  const answered = new Set<string>();
  let turn: { role: "assistant"; text: string; toolCalls: ToolCall[]; reasoning: ReasoningPart[] } | undefined;
  const assistantTurn = (): NonNullable<typeof turn> => {
    if (turn === undefined) {
      turn = { role: "assistant", text: "", toolCalls: [], reasoning: [] };
      messages.push(turn);
    }
    return turn;
  };
  raw.forEach((item, i) => {
    const param = `input[${i}]`;
    if (!isObject(item)) throw invalid(`Invalid type for '${param}': expected an object, but got ${typeof item} instead.`, param, "invalid_type");
    const type = item["type"] ?? (item["role"] !== undefined ? "message" : undefined);
    switch (type) {
      case "message": {
        const role = item["role"];
        if (role === "assistant") {
          const t = assistantTurn();
          t.text += contentParts(item["content"], `${param}.content`).map((p) => (p.type === "text" ? p.text : "")).join("");
          return;
        }
        turn = undefined;
        if (role === "system" || role === "developer") {
          system.push(contentParts(item["content"], `${param}.content`).map((p) => (p.type === "text" ? p.text : "")).join("\n"));
          return;
        }
        if (role !== "user") {
          throw invalid(`Invalid value: '${String(role)}'. Supported values are: 'assistant', 'system', 'developer', and 'user'.`, `${param}.role`, "invalid_value");
        }
        messages.push({ role: "user", content: contentParts(item["content"], `${param}.content`) });
        return;
      }
      case "reasoning": {
        const id = typeof item["id"] === "string" ? item["id"] : "";
        const sealed = item["encrypted_content"];
        if (typeof sealed !== "string" || sealed === "") {
          // Without encrypted content the item can only be looked up by id, and nothing was stored.
          if (!store) {
            throw invalid(
              `Item with id '${id}' not found. Items are not persisted when \`store\` is set to false. Try again with \`store\` set to true, or remove this item from your input.`,
              "input",
              null,
              404,
            );
          }
          assistantTurn().reasoning.push({ type: "reasoning", text: "", id, provider: PROVIDER });
          return;
        }
        const opened = unsealReasoning(sealed);
        if (opened === undefined || (id !== "" && opened.id !== id)) {
          throw invalid(`The encrypted content for item ${id || "(no id)"} could not be verified.`, "input", "invalid_encrypted_content");
        }
        assistantTurn().reasoning.push({ type: "reasoning", text: opened.summary, id: opened.id, encrypted: sealed, provider: PROVIDER });
        return;
      }
      case "function_call": {
        const callId = item["call_id"];
        const name = item["name"];
        if (typeof callId !== "string" || callId === "") throw invalid(`Missing required parameter: '${param}.call_id'.`, `${param}.call_id`, "missing_required_parameter");
        if (typeof name !== "string" || name === "") throw invalid(`Missing required parameter: '${param}.name'.`, `${param}.name`, "missing_required_parameter");
        calls.set(callId, name);
        assistantTurn().toolCalls.push({ id: callId, name, arguments: typeof item["arguments"] === "string" ? item["arguments"] : "" });
        return;
      }
      case "function_call_output": {
        turn = undefined;
        const callId = item["call_id"];
        if (typeof callId !== "string") throw invalid(`Missing required parameter: '${param}.call_id'.`, `${param}.call_id`, "missing_required_parameter");
        const name = calls.get(callId);
        if (name === undefined) throw invalid(`No tool call found for function call output with call_id ${callId}.`, "input");
        answered.add(callId);
        const output = item["output"];
        messages.push({ role: "tool", toolCallId: callId, toolName: name, content: contentParts(output, `${param}.output`), isError: false });
        return;
      }
      case "item_reference":
        throw invalid(
          `Item with id '${String(item["id"])}' not found. Items are not persisted when \`store\` is set to false. Try again with \`store\` set to true, or remove this item from your input.`,
          "input",
          null,
          404,
        );
      default:
        throw invalid(
          `Invalid value: '${String(type)}'. Supported values are: 'message', 'function_call', 'function_call_output', 'reasoning' and 'item_reference'.`,
          `${param}.type`,
          "invalid_value",
        );
    }
  });
  for (const callId of calls.keys()) {
    if (!answered.has(callId)) throw invalid(`No tool output found for function call ${callId}.`, "input");
  }
  // Assistant turns carry reasoning only when there was some.
  for (const m of messages) if (m.role === "assistant" && m.reasoning?.length === 0) delete m.reasoning;
  return { system, messages };
}

function toNeutralTools(raw: unknown): { tools: ToolSpec[]; echo: Json[] } {
  if (raw === undefined || raw === null) return { tools: [], echo: [] };
  if (!Array.isArray(raw)) throw invalid(`Invalid type for 'tools': expected an array of objects, but got ${typeof raw} instead.`, "tools", "invalid_type");
  const tools: ToolSpec[] = [];
  const echo: Json[] = [];
  raw.forEach((t, i) => {
    if (!isObject(t) || t["type"] !== "function") {
      throw invalid(`Invalid value for 'tools[${i}].type': only 'function' tools are available in this mock.`, `tools[${i}].type`, "invalid_value");
    }
    // A Chat Completions tool ({type, function: {...}}) lacks the top-level name, as the real API reports.
    const name = t["name"];
    if (typeof name !== "string") throw invalid(`Missing required parameter: 'tools[${i}].name'.`, `tools[${i}].name`, "missing_required_parameter");
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name)) {
      throw invalid(`Invalid 'tools[${i}].name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`, `tools[${i}].name`, "invalid_value");
    }
    const description = typeof t["description"] === "string" ? t["description"] : "";
    const parameters = isObject(t["parameters"]) ? t["parameters"] : {};
    tools.push({ name, description, parameters });
    echo.push({ type: "function", description, name, parameters, strict: t["strict"] ?? true });
  });
  return { tools, echo };
}

function toNeutralToolChoice(raw: unknown): ToolChoice | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (raw === "auto" || raw === "none") return raw;
  if (raw === "required") return "any";
  if (isObject(raw) && raw["type"] === "function" && typeof raw["name"] === "string") return { name: raw["name"] };
  throw invalid("Invalid value for 'tool_choice': expected 'none', 'auto', 'required', or {type: 'function', name}.", "tool_choice", "invalid_value");
}

function numberIn(body: Json, key: string, min: number, max: number, fallback: number): number {
  const v = body[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || v < min || v > max) {
    throw invalid(`Invalid '${key}': expected a number between ${min} and ${max}, but got ${JSON.stringify(v)} instead.`, key, "invalid_value");
  }
  return v;
}

/** A Responses request body -> the neutral conversation (throws MockHttpError like the real API). */
export function parseResponsesRequest(body: Json): { conversation: MockConversation; options: ResponsesRequestOptions } {
  const model = body["model"];
  if (typeof model !== "string" || model === "") throw invalid("Missing required parameter: 'model'.", "model", "missing_required_parameter");
  const store = body["store"] !== false;
  const instructions = body["instructions"];
  if (instructions !== undefined && instructions !== null && typeof instructions !== "string") {
    throw invalid(`Invalid type for 'instructions': expected a string, but got ${typeof instructions} instead.`, "instructions", "invalid_type");
  }
  const { system, messages } = toNeutralInput(body["input"], store);
  const { tools, echo } = toNeutralTools(body["tools"]);
  const maxRaw = body["max_output_tokens"];
  if (maxRaw !== undefined && maxRaw !== null && !(typeof maxRaw === "number" && Number.isInteger(maxRaw) && maxRaw >= 16)) {
    throw invalid(
      `Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got ${JSON.stringify(maxRaw)} instead.`,
      "max_output_tokens",
      "integer_below_min_value",
    );
  }
  const include = body["include"];
  if (include !== undefined && include !== null && !Array.isArray(include)) {
    throw invalid(`Invalid type for 'include': expected an array of strings, but got ${typeof include} instead.`, "include", "invalid_type");
  }
  const reasoningRaw = body["reasoning"];
  if (reasoningRaw !== undefined && reasoningRaw !== null && !isObject(reasoningRaw)) {
    throw invalid(`Invalid type for 'reasoning': expected an object, but got ${typeof reasoningRaw} instead.`, "reasoning", "invalid_type");
  }
  const effort = isObject(reasoningRaw) && typeof reasoningRaw["effort"] === "string" ? reasoningRaw["effort"] : undefined;
  const summary = isObject(reasoningRaw) && typeof reasoningRaw["summary"] === "string" ? reasoningRaw["summary"] : undefined;
  const encrypted = Array.isArray(include) && include.includes("reasoning.encrypted_content");
  const asked = effort !== undefined || summary !== undefined || encrypted;
  const stream = body["stream"] === true;
  return {
    conversation: {
      model,
      system: [typeof instructions === "string" ? instructions : "", ...system].filter((s) => s !== "").join("\n\n"),
      messages,
      tools,
      toolChoice: toNeutralToolChoice(body["tool_choice"]),
      stream,
      maxTokens: typeof maxRaw === "number" ? maxRaw : undefined,
      ...(asked ? { reasoning: { effort, summary: summary !== undefined, encrypted } } : {}),
    },
    options: {
      store,
      reasoning: { effort: effort ?? null, summary: summary ?? null },
      tools: echo,
      toolChoice: body["tool_choice"] ?? "auto",
      instructions: typeof instructions === "string" ? instructions : null,
      maxOutputTokens: typeof maxRaw === "number" ? maxRaw : null,
      temperature: numberIn(body, "temperature", 0, 2, 1),
      topP: numberIn(body, "top_p", 0, 1, 1),
    },
  };
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

function responseObject(conversation: MockConversation, options: ResponsesRequestOptions, reply: MockReply, ctx: CallContext, status: string, done: boolean): Json {
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
        push("response.reasoning_summary_text.delta", { item_id: itemId, output_index, summary_index: 0, delta, obfuscation: "x".repeat(1 + (frames.length % 7)) });
      }
      push("response.reasoning_summary_text.done", { item_id: itemId, output_index, summary_index: 0, text: summary });
      push("response.reasoning_summary_part.done", { item_id: itemId, output_index, summary_index: 0, part: { type: "summary_text", text: summary } });
    }
    push("response.output_item.done", { output_index, item });
    index++;
  }
  if (reply.text !== "" || reply.toolCalls.length === 0) {
    const item = finished[index]!;
    const itemId = String(item["id"]);
    const output_index = index;
    push("response.output_item.added", { output_index, item: { id: itemId, type: "message", status: "in_progress", content: [], role: "assistant" } });
    push("response.content_part.added", { item_id: itemId, output_index, content_index: 0, part: { type: "output_text", annotations: [], logprobs: [], text: "" } });
    for (const delta of splitText(reply.text)) {
      push("response.output_text.delta", { item_id: itemId, output_index, content_index: 0, delta, logprobs: [], obfuscation: "x".repeat(1 + (frames.length % 7)) });
    }
    push("response.output_text.done", { item_id: itemId, output_index, content_index: 0, text: reply.text, logprobs: [] });
    push("response.content_part.done", { item_id: itemId, output_index, content_index: 0, part: { type: "output_text", annotations: [], logprobs: [], text: reply.text } });
    push("response.output_item.done", { output_index, item });
    index++;
  }
  for (const call of reply.toolCalls) {
    const item = finished[index]!;
    const itemId = String(item["id"]);
    const output_index = index;
    push("response.output_item.added", { output_index, item: functionCallItem(call, "in_progress", "") });
    for (const delta of splitArguments(call.arguments)) {
      push("response.function_call_arguments.delta", { item_id: itemId, output_index, delta, obfuscation: "x".repeat(1 + (frames.length % 7)) });
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
    out += frame({ type: "error", sequence_number: seq++, error: { type: error.type, code: error.code, message: error.message, param: error.param } });
  }
  const failed = { ...responseObject(conversation, options, reply, ctx, "failed", false), error: { code: error.code ?? "server_error", message: error.message } };
  out += frame({ type: "response.failed", sequence_number: seq, response: failed });
  return out;
}

/** The OpenAI Responses adapter. */
export function openAiResponsesAdapter(options: OpenAiResponsesAdapterOptions = {}): WireAdapter {
  const responses: WireRoute = {
    name: "openai.responses",
    kind: "model",
    parse(call, ctx): ParsedCall {
      checkAuth(call, options.apiKey);
      const body = parseJsonBody(call);
      rejectUnknownParams(body, options.rejectParams);
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
            const reply = lastReply ?? { id: "failed", text: "", toolCalls: [], stopReason: "end_turn", usage: { promptTokens: 0, completionTokens: 0, cachedTokens: 0, reasoningTokens: 0 } };
            return renderStreamError(conversation, wire, reply, ctx, error, framesSent ?? 0);
          },
        },
      };
    },
  };
  return {
    name: "openai-responses",
    route(method, path) {
      const p = path.replace(/\/+$/, "").replace(/^\/v1(?=\/)/, "");
      return p === "/responses" && method === "POST" ? responses : undefined;
    },
    error(error, ctx) {
      return {
        status: error.status,
        headers: { "content-type": "application/json; charset=utf-8", "x-request-id": ctx.requestId, ...error.headers },
        body: chatErrorBody(error),
      };
    },
  };
}
