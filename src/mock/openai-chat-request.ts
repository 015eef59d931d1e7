// OpenAI Chat Completions requests: the body's validation (the real service's 400s, word for word) and its
// translation into the neutral conversation the policies answer.

import type { ContentPart, Message, ToolCall, ToolChoice, ToolSpec } from "../models/types.js";
import { invalid } from "./openai-http.js";
import { type MockHttpError, isObject, type Json, type MockConversation } from "./wire.js";

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
  throw invalid(
    `Invalid type for '${param}': expected one of a string or array of objects, but got ${typeof content} instead.`,
    param,
    "invalid_type",
  );
}

/** User content: text parts and images (data: URLs become image parts; remote URLs stay as a text note). */
function userParts(content: unknown, param: string): ContentPart[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  if (!Array.isArray(content)) {
    throw invalid(
      `Invalid type for '${param}': expected one of a string or array of objects, but got ${typeof content} instead.`,
      param,
      "invalid_type",
    );
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

/** An assistant message's `tool_calls` (absent or null: none). */
function toolCallsOf(raw: unknown, param: string): ToolCall[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw))
    throw invalid(`Invalid type for '${param}.tool_calls': expected an array.`, `${param}.tool_calls`, "invalid_type");
  return raw.map((c, j): ToolCall => {
    const fn = isObject(c) ? c["function"] : undefined;
    if (!isObject(c) || typeof c["id"] !== "string" || !isObject(fn) || typeof fn["name"] !== "string") {
      throw invalid(
        `Invalid value for '${param}.tool_calls[${j}]': expected {id, type: "function", function: {name, arguments}}.`,
        `${param}.tool_calls[${j}]`,
        "invalid_value",
      );
    }
    return { id: c["id"], name: fn["name"], arguments: typeof fn["arguments"] === "string" ? fn["arguments"] : "" };
  });
}

/** Chat messages -> neutral system text and messages, with the real API's ordering checks. */
export function toNeutralMessages(raw: unknown): { system: string; messages: Message[] } {
  const state: MessagesState = { system: [], messages: [], open: new Map(), openAt: -1 };
  for (const [i, m] of messageList(raw).entries()) addMessage(state, m, i);
  if (state.open.size > 0) throw unanswered(state);
  return { system: state.system.join("\n\n"), messages: state.messages };
}

/** The messages read so far. */
interface MessagesState {
  system: string[];
  messages: Message[];
  /** Tool calls of the latest assistant message still waiting for their results. */
  open: Map<string, string>;
  /** Index of that assistant message. */
  openAt: number;
}

/** The real API's 400 for tool calls whose results did not follow their assistant message. */
function unanswered(state: MessagesState): MockHttpError {
  return invalid(
    `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...state.open.keys()].join(", ")}`,
    `messages.[${state.openAt}].role`,
  );
}

/** The `messages` field: a non-empty array. */
function messageList(raw: unknown): unknown[] {
  if (raw === undefined) throw invalid("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
  if (!Array.isArray(raw)) {
    throw invalid(`Invalid type for 'messages': expected an array of objects, but got ${typeof raw} instead.`, "messages", "invalid_type");
  }
  if (raw.length === 0) {
    throw invalid(
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      "messages",
      "empty_array",
    );
  }
  return raw;
}

/** One message, checked and added by its role. */
function addMessage(state: MessagesState, m: unknown, i: number): void {
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
  if (role !== "tool" && state.open.size > 0) throw unanswered(state);
  switch (role) {
    case "system":
    case "developer":
      state.system.push(textOf(m["content"], `${param}.content`));
      return;
    case "user":
      state.messages.push({ role: "user", content: userParts(m["content"], `${param}.content`) });
      return;
    case "assistant":
      addAssistantMessage(state, m, i);
      return;
    case "tool":
      addToolMessage(state, m, i);
      return;
    default:
      // Legacy role "function": its result carries no call id; keep it as user-visible text.
      state.messages.push({ role: "user", content: [{ type: "text", text: textOf(m["content"], `${param}.content`) }] });
  }
}

/** An assistant message: its tool calls are open until their tool messages follow. */
function addAssistantMessage(state: MessagesState, m: Json, i: number): void {
  const param = `messages[${i}]`;
  const toolCalls = toolCallsOf(m["tool_calls"], param);
  if (toolCalls.length === 0 && (m["content"] === undefined || m["content"] === null)) {
    throw invalid(`Invalid value for '${param}.content': expected a string, got null.`, `${param}.content`, "invalid_value");
  }
  state.messages.push({ role: "assistant", text: textOf(m["content"], `${param}.content`), toolCalls });
  state.open = new Map(toolCalls.map((c) => [c.id, c.name]));
  state.openAt = i;
}

/** A tool message: the result of one open tool call of the assistant message before it. */
function addToolMessage(state: MessagesState, m: Json, i: number): void {
  const param = `messages[${i}]`;
  const id = m["tool_call_id"];
  const prev = state.messages[state.messages.length - 1];
  if (prev === undefined || (prev.role !== "tool" && !(prev.role === "assistant" && prev.toolCalls.length > 0))) {
    throw invalid(
      "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
      `messages.[${i}].role`,
    );
  }
  if (typeof id !== "string")
    throw invalid(`Missing required parameter: '${param}.tool_call_id'.`, `${param}.tool_call_id`, "missing_required_parameter");
  const name = state.open.get(id);
  if (name === undefined) {
    throw invalid(
      `Invalid parameter: 'tool_call_id' of '${id}' not found in 'tool_calls' of previous message.`,
      `messages.[${i}].tool_call_id`,
    );
  }
  state.open.delete(id);
  state.messages.push({
    role: "tool",
    toolCallId: id,
    toolName: name,
    content: [{ type: "text", text: textOf(m["content"], `${param}.content`) }],
    isError: false,
  });
}

function toNeutralTools(raw: unknown): ToolSpec[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw))
    throw invalid(`Invalid type for 'tools': expected an array of objects, but got ${typeof raw} instead.`, "tools", "invalid_type");
  return raw.map((t, i): ToolSpec => {
    const fn = isObject(t) ? t["function"] : undefined;
    if (!isObject(t) || t["type"] !== "function" || !isObject(fn)) {
      throw invalid(`Invalid value for 'tools[${i}]': expected {type: "function", function: {...}}.`, `tools[${i}]`, "invalid_value");
    }
    const name = fn["name"];
    if (typeof name !== "string")
      throw invalid(`Missing required parameter: 'tools[${i}].function.name'.`, `tools[${i}].function.name`, "missing_required_parameter");
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
  throw invalid(
    "Invalid value for 'tool_choice': expected 'none', 'auto', 'required', or a named function.",
    "tool_choice",
    "invalid_value",
  );
}

function positiveInt(body: Json, key: string): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
    throw invalid(
      `Invalid '${key}': integer below minimum value. Expected a value >= 1, but got ${JSON.stringify(v)} instead.`,
      key,
      "integer_below_min_value",
    );
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
    throw invalid(
      `Invalid type for 'reasoning_effort': expected a string, but got ${typeof effort} instead.`,
      "reasoning_effort",
      "invalid_type",
    );
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
