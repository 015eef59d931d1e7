// Wire adapter for OpenAI Chat Completions: POST /v1/chat/completions (stream and not) and GET /v1/models,
// with the real service's JSON shapes, SSE framing, validation errors and headers.

import type { ContentPart, Message, ToolCall, ToolChoice, ToolSpec } from "../models/types.js";
import {
  MockHttpError,
  type CallContext,
  type HttpAnswer,
  type IncomingCall,
  type MockConversation,
  type MockErrorSpec,
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
/** Mock rate-limit budget advertised in x-ratelimit-* headers. */
const RATE_LIMIT_REQUESTS = 10_000;
const RATE_LIMIT_TOKENS = 30_000_000;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function invalid(message: string, param: string | null, code: string | null = null): MockHttpError {
  return new MockHttpError({ status: 400, message, type: "invalid_request_error", param, code });
}

export function checkAuth(call: IncomingCall, apiKey: string | undefined): void {
  if (apiKey === undefined) return;
  const header = call.headers["authorization"] ?? "";
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match) {
    throw new MockHttpError({
      status: 401,
      message:
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys.",
      type: "invalid_request_error",
    });
  }
  const key = match[1] ?? "";
  if (key !== apiKey) {
    const shown = key.length > 8 ? `${key.slice(0, 3)}*********${key.slice(-4)}` : key;
    throw new MockHttpError({
      status: 401,
      message: `Incorrect API key provided: ${shown}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      type: "invalid_request_error",
      code: "invalid_api_key",
    });
  }
}

export function parseJsonBody(call: IncomingCall): Json {
  let body: unknown;
  try {
    body = JSON.parse(call.body.toString("utf8"));
  } catch {
    throw invalid(
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please make sure you are sending a valid JSON body.)",
      null,
    );
  }
  if (!isObject(body)) throw invalid(`Invalid type for request body: expected an object, but got ${Array.isArray(body) ? "an array" : typeof body} instead.`, null, "invalid_type");
  return body;
}

/** Text of a content field: a string, null, or an array of {type:"text", text} (and refusal) parts. */
function textOf(content: unknown, param: string): string {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part, i) => {
        if (isObject(part) && (part["type"] === "text" || part["type"] === "refusal")) {
          const t = part["text"] ?? part["refusal"];
          if (typeof t === "string") return t;
        }
        throw invalid(`Invalid value for '${param}[${i}].type': expected a text content part.`, `${param}[${i}].type`, "invalid_value");
      })
      .join("");
  }
  throw invalid(`Invalid type for '${param}': expected one of a string or array of objects, but got ${typeof content} instead.`, param, "invalid_type");
}

/** User content: text parts and images (data: URLs become image parts; remote URLs stay as a text note). */
function userParts(content: unknown, param: string): ContentPart[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  if (!Array.isArray(content)) {
    throw invalid(`Invalid type for '${param}': expected one of a string or array of objects, but got ${typeof content} instead.`, param, "invalid_type");
  }
  return content.map((part, i): ContentPart => {
    if (isObject(part) && part["type"] === "text" && typeof part["text"] === "string") return { type: "text", text: part["text"] };
    if (isObject(part) && part["type"] === "image_url" && isObject(part["image_url"])) {
      const url = String(part["image_url"]["url"] ?? "");
      const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
      if (data) return { type: "image", mediaType: data[1] ?? "", data: data[2] ?? "" };
      return { type: "text", text: `[image: ${url}]` };
    }
    throw invalid(`Invalid value for '${param}[${i}].type': expected 'text' or 'image_url'.`, `${param}[${i}].type`, "invalid_value");
  });
}

const ROLES = ["system", "assistant", "user", "function", "tool", "developer"];

/** Chat messages -> neutral system text and messages, with the real API's ordering checks. */
export function toNeutralMessages(raw: unknown): { system: string; messages: Message[] } {
  if (raw === undefined) throw invalid("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
  if (!Array.isArray(raw)) {
    throw invalid(`Invalid type for 'messages': expected an array of objects, but got ${typeof raw} instead.`, "messages", "invalid_type");
  }
  if (raw.length === 0) {
    throw invalid("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", "messages", "empty_array");
  }
  const system: string[] = [];
  const messages: Message[] = [];
  /** Tool calls of the latest assistant message still waiting for their results. */
  let open = new Map<string, string>();
  let openAt = -1;
  const unanswered = (): MockHttpError =>
    invalid(
      `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open.keys()].join(", ")}`,
      `messages.[${openAt}].role`,
    );
  raw.forEach((m, i) => {
    const param = `messages[${i}]`;
    if (!isObject(m)) throw invalid(`Invalid type for '${param}': expected an object, but got ${typeof m} instead.`, param, "invalid_type");
    const role = m["role"];
    if (role === undefined) throw invalid(`Missing required parameter: '${param}.role'.`, `${param}.role`, "missing_required_parameter");
    if (typeof role !== "string" || !ROLES.includes(role)) {
      throw invalid(
        `Invalid value: '${String(role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
        `${param}.role`,
        "invalid_value",
      );
    }
    if (role !== "tool" && open.size > 0) throw unanswered();
    switch (role) {
      case "system":
      case "developer":
        system.push(textOf(m["content"], `${param}.content`));
        return;
      case "user":
        messages.push({ role: "user", content: userParts(m["content"], `${param}.content`) });
        return;
      case "assistant": {
        const toolCalls: ToolCall[] = [];
        const rawCalls = m["tool_calls"];
        if (rawCalls !== undefined && rawCalls !== null) {
          if (!Array.isArray(rawCalls)) throw invalid(`Invalid type for '${param}.tool_calls': expected an array.`, `${param}.tool_calls`, "invalid_type");
          rawCalls.forEach((c, j) => {
            const fn = isObject(c) ? c["function"] : undefined;
            if (!isObject(c) || typeof c["id"] !== "string" || !isObject(fn) || typeof fn["name"] !== "string") {
              throw invalid(`Invalid value for '${param}.tool_calls[${j}]': expected {id, type: "function", function: {name, arguments}}.`, `${param}.tool_calls[${j}]`, "invalid_value");
            }
            toolCalls.push({ id: c["id"], name: fn["name"], arguments: typeof fn["arguments"] === "string" ? fn["arguments"] : "" });
          });
        }
        if (toolCalls.length === 0 && (m["content"] === undefined || m["content"] === null)) {
          throw invalid(`Invalid value for '${param}.content': expected a string, got null.`, `${param}.content`, "invalid_value");
        }
        messages.push({ role: "assistant", text: textOf(m["content"], `${param}.content`), toolCalls });
        open = new Map(toolCalls.map((c) => [c.id, c.name]));
        openAt = i;
        return;
      }
      case "tool": {
        const id = m["tool_call_id"];
        const prev = messages[messages.length - 1];
        if (prev === undefined || (prev.role !== "tool" && !(prev.role === "assistant" && prev.toolCalls.length > 0))) {
          throw invalid("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", `messages.[${i}].role`);
        }
        if (typeof id !== "string") throw invalid(`Missing required parameter: '${param}.tool_call_id'.`, `${param}.tool_call_id`, "missing_required_parameter");
        const name = open.get(id);
        if (name === undefined) {
          throw invalid(`Invalid parameter: 'tool_call_id' of '${id}' not found in 'tool_calls' of previous message.`, `messages.[${i}].tool_call_id`);
        }
        open.delete(id);
        messages.push({ role: "tool", toolCallId: id, toolName: name, content: [{ type: "text", text: textOf(m["content"], `${param}.content`) }], isError: false });
        return;
      }
      default:
        // Legacy role "function": its result carries no call id; keep it as user-visible text.
        messages.push({ role: "user", content: [{ type: "text", text: textOf(m["content"], `${param}.content`) }] });
    }
  });
  if (open.size > 0) throw unanswered();
  return { system: system.join("\n\n"), messages };
}

function toNeutralTools(raw: unknown): ToolSpec[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw invalid(`Invalid type for 'tools': expected an array of objects, but got ${typeof raw} instead.`, "tools", "invalid_type");
  return raw.map((t, i): ToolSpec => {
    const fn = isObject(t) ? t["function"] : undefined;
    if (!isObject(t) || t["type"] !== "function" || !isObject(fn)) {
      throw invalid(`Invalid value for 'tools[${i}]': expected {type: "function", function: {...}}.`, `tools[${i}]`, "invalid_value");
    }
    const name = fn["name"];
    if (typeof name !== "string") throw invalid(`Missing required parameter: 'tools[${i}].function.name'.`, `tools[${i}].function.name`, "missing_required_parameter");
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name)) {
      throw invalid(
        `Invalid 'tools[${i}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
        `tools[${i}].function.name`,
        "invalid_value",
      );
    }
    return {
      name,
      description: typeof fn["description"] === "string" ? fn["description"] : "",
      parameters: isObject(fn["parameters"]) ? fn["parameters"] : {},
    };
  });
}

function toNeutralToolChoice(raw: unknown): ToolChoice | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (raw === "auto" || raw === "none") return raw;
  if (raw === "required") return "any";
  if (isObject(raw) && raw["type"] === "function" && isObject(raw["function"]) && typeof raw["function"]["name"] === "string") {
    return { name: raw["function"]["name"] };
  }
  throw invalid("Invalid value for 'tool_choice': expected 'none', 'auto', 'required', or a named function.", "tool_choice", "invalid_value");
}

function positiveInt(body: Json, key: string): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
    throw invalid(`Invalid '${key}': integer below minimum value. Expected a value >= 1, but got ${JSON.stringify(v)} instead.`, key, "integer_below_min_value");
  }
  return v;
}

export interface ChatRequestOptions {
  includeUsage: boolean;
}

/** A Chat Completions request body -> the neutral conversation (throws MockHttpError like the real API). */
export function parseChatRequest(body: Json): { conversation: MockConversation; options: ChatRequestOptions } {
  const model = body["model"];
  if (typeof model !== "string" || model === "") throw invalid("you must provide a model parameter", null);
  const { system, messages } = toNeutralMessages(body["messages"]);
  const stream = body["stream"] === true;
  const streamOptions = body["stream_options"];
  if (streamOptions !== undefined && streamOptions !== null && !stream) {
    throw invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options");
  }
  const maxTokens = positiveInt(body, "max_completion_tokens") ?? positiveInt(body, "max_tokens");
  const effort = body["reasoning_effort"];
  if (effort !== undefined && effort !== null && typeof effort !== "string") {
    throw invalid(`Invalid type for 'reasoning_effort': expected a string, but got ${typeof effort} instead.`, "reasoning_effort", "invalid_type");
  }
  return {
    conversation: {
      model,
      system,
      messages,
      tools: toNeutralTools(body["tools"]),
      toolChoice: toNeutralToolChoice(body["tool_choice"]),
      stream,
      maxTokens,
      ...(typeof effort === "string" ? { reasoning: { effort, summary: false, encrypted: false } } : {}),
    },
    options: { includeUsage: isObject(streamOptions) && streamOptions["include_usage"] === true },
  };
}

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

/** Text deltas of at least ~12 characters, cut at word ends, so a sentence arrives in several pieces. */
export function splitText(text: string): string[] {
  const pieces: string[] = [];
  let current = "";
  for (const word of text.match(/\S+\s*|\s+/g) ?? []) {
    current += word;
    if (current.length >= 12) {
      pieces.push(current);
      current = "";
    }
  }
  if (current !== "") pieces.push(current);
  return pieces;
}

/** Argument fragments: at most ~48 of them, never splitting a code point. */
export function splitArguments(args: string): string[] {
  const chars = Array.from(args);
  const size = Math.max(16, Math.ceil(chars.length / 48));
  const pieces: string[] = [];
  for (let i = 0; i < chars.length; i += size) pieces.push(chars.slice(i, i + size).join(""));
  return pieces;
}

export function successHeaders(ctx: CallContext, usage: MockUsage, contentType: string): Record<string, string> {
  return {
    "content-type": contentType,
    "x-request-id": ctx.requestId,
    "openai-version": "2020-10-01",
    "openai-processing-ms": "1",
    "x-ratelimit-limit-requests": String(RATE_LIMIT_REQUESTS),
    "x-ratelimit-remaining-requests": String(RATE_LIMIT_REQUESTS - 1),
    "x-ratelimit-reset-requests": "6ms",
    "x-ratelimit-limit-tokens": String(RATE_LIMIT_TOKENS),
    "x-ratelimit-remaining-tokens": String(RATE_LIMIT_TOKENS - usage.promptTokens),
    "x-ratelimit-reset-tokens": "0s",
  };
}

const wireCallId = (id: string): string => `call_${id}`;

function renderBody(conversation: MockConversation, reply: MockReply, ctx: CallContext): HttpAnswer {
  const message: Json = {
    role: "assistant",
    content: reply.text === "" && reply.toolCalls.length > 0 ? null : reply.text,
    refusal: null,
    annotations: [],
  };
  if (reply.toolCalls.length > 0) {
    message["tool_calls"] = reply.toolCalls.map((c) => ({ id: wireCallId(c.id), type: "function", function: { name: c.name, arguments: c.arguments } }));
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

/** A strict OpenAI-compatible server's answer to a parameter it does not take (OpenAI's own wording). */
export function rejectUnknownParams(body: Json, rejected: readonly string[] | undefined): void {
  const found = (rejected ?? []).find((key) => body[key] !== undefined);
  if (found !== undefined) throw invalid(`Unrecognized request argument supplied: ${found}`, null);
}

export function chatErrorBody(error: MockErrorSpec): string {
  return JSON.stringify({ error: { message: error.message, type: error.type, param: error.param, code: error.code } });
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
      checkAuth(call, options.apiKey);
      const body = parseJsonBody(call);
      rejectUnknownParams(body, options.rejectParams);
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
      const p = path.replace(/\/+$/, "").replace(/^\/v1(?=\/)/, "");
      if (p === "/chat/completions" && method === "POST") return chat;
      if (p === "/models" && method === "GET") return list;
      const model = /^\/models\/(.+)$/.exec(p);
      if (model && method === "GET") return retrieve(decodeURIComponent(model[1] ?? ""));
      return undefined;
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
