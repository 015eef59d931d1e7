// OpenAI Responses API requests: the body's validation (the real service's 400s and 404s, word for word) and its
// translation into the neutral conversation, sealed reasoning items checked on the way in.

import type { ContentPart, Message, ReasoningPart, ToolCall, ToolChoice, ToolSpec } from "../models/types.js";
import { invalid } from "./openai-http.js";
import { unsealReasoning } from "./reasoning-seal.js";
import { isObject, type Json, type MockConversation, type MockHttpError } from "./wire.js";

/** Provider name the neutral reasoning parts carry (as the harness's Responses client stamps them). */
export const PROVIDER = "openai-responses";

function contentParts(content: unknown, param: string): ContentPart[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  if (!Array.isArray(content)) {
    throw invalid(
      `Invalid type for '${param}': expected one of a string or array of input content, but got ${typeof content} instead.`,
      param,
      "invalid_type",
    );
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
      if (url.startsWith("data:"))
        throw invalid(`Invalid 'image_url' in '${p}': expected a base64-encoded data URL.`, `${p}.image_url`, "invalid_image_url");
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
class InputItems {
  readonly system: string[] = [];
  readonly messages: Message[] = [];
  /** call_id -> tool name of every function call seen, and the call_ids an output answered. */
  readonly #calls = new Map<string, string>();
  readonly #answered = new Set<string>();
  #turn: { role: "assistant"; text: string; toolCalls: ToolCall[]; reasoning: ReasoningPart[] } | undefined;
  readonly #store: boolean;

  constructor(store: boolean) {
    this.#store = store;
  }

  #assistantTurn() {
    if (this.#turn === undefined) {
      this.#turn = { role: "assistant", text: "", toolCalls: [], reasoning: [] };
      this.messages.push(this.#turn);
    }
    return this.#turn;
  }

  add(item: Json, param: string): void {
    const type = item["type"] ?? (item["role"] !== undefined ? "message" : undefined);
    switch (type) {
      case "message":
        this.#message(item, param);
        return;
      case "reasoning":
        this.#reasoning(item);
        return;
      case "function_call":
        this.#functionCall(item, param);
        return;
      case "function_call_output":
        this.#functionCallOutput(item, param);
        return;
      case "item_reference":
        throw notStored(String(item["id"]));
      default:
        throw invalid(
          `Invalid value: '${String(type)}'. Supported values are: 'message', 'function_call', 'function_call_output', 'reasoning' and 'item_reference'.`,
          `${param}.type`,
          "invalid_value",
        );
    }
  }

  #message(item: Json, param: string): void {
    const role = item["role"];
    if (role === "assistant") {
      this.#assistantTurn().text += contentParts(item["content"], `${param}.content`)
        .map((p) => (p.type === "text" ? p.text : ""))
        .join("");
      return;
    }
    this.#turn = undefined;
    if (role === "system" || role === "developer") {
      this.system.push(
        contentParts(item["content"], `${param}.content`)
          .map((p) => (p.type === "text" ? p.text : ""))
          .join("\n"),
      );
      return;
    }
    if (role !== "user") {
      throw invalid(
        `Invalid value: '${String(role)}'. Supported values are: 'assistant', 'system', 'developer', and 'user'.`,
        `${param}.role`,
        "invalid_value",
      );
    }
    this.messages.push({ role: "user", content: contentParts(item["content"], `${param}.content`) });
  }

  #reasoning(item: Json): void {
    const id = typeof item["id"] === "string" ? item["id"] : "";
    const sealed = item["encrypted_content"];
    if (typeof sealed !== "string" || sealed === "") {
      // Without encrypted content the item can only be looked up by id, and nothing was stored.
      if (!this.#store) throw notStored(id);
      this.#assistantTurn().reasoning.push({ type: "reasoning", text: "", id, provider: PROVIDER });
      return;
    }
    const opened = unsealReasoning(sealed);
    if (opened === undefined || (id !== "" && opened.id !== id)) {
      throw invalid(`The encrypted content for item ${id || "(no id)"} could not be verified.`, "input", "invalid_encrypted_content");
    }
    this.#assistantTurn().reasoning.push({ type: "reasoning", text: opened.summary, id: opened.id, encrypted: sealed, provider: PROVIDER });
  }

  #functionCall(item: Json, param: string): void {
    const callId = item["call_id"];
    const name = item["name"];
    if (typeof callId !== "string" || callId === "")
      throw invalid(`Missing required parameter: '${param}.call_id'.`, `${param}.call_id`, "missing_required_parameter");
    if (typeof name !== "string" || name === "")
      throw invalid(`Missing required parameter: '${param}.name'.`, `${param}.name`, "missing_required_parameter");
    this.#calls.set(callId, name);
    this.#assistantTurn().toolCalls.push({ id: callId, name, arguments: typeof item["arguments"] === "string" ? item["arguments"] : "" });
  }

  #functionCallOutput(item: Json, param: string): void {
    this.#turn = undefined;
    const callId = item["call_id"];
    if (typeof callId !== "string")
      throw invalid(`Missing required parameter: '${param}.call_id'.`, `${param}.call_id`, "missing_required_parameter");
    const name = this.#calls.get(callId);
    if (name === undefined) throw invalid(`No tool call found for function call output with call_id ${callId}.`, "input");
    this.#answered.add(callId);
    this.messages.push({
      role: "tool",
      toolCallId: callId,
      toolName: name,
      content: contentParts(item["output"], `${param}.output`),
      isError: false,
    });
  }

  /** Every call answered; assistant turns carry reasoning only when there was some. */
  finish(): { system: string[]; messages: Message[] } {
    for (const callId of this.#calls.keys()) {
      if (!this.#answered.has(callId)) throw invalid(`No tool output found for function call ${callId}.`, "input");
    }
    for (const m of this.messages) if (m.role === "assistant" && m.reasoning?.length === 0) delete m.reasoning;
    return { system: this.system, messages: this.messages };
  }
}

/** The 404 for an item looked up by id: with store false (as here) nothing was kept. */
function notStored(id: string): MockHttpError {
  return invalid(
    `Item with id '${id}' not found. Items are not persisted when \`store\` is set to false. Try again with \`store\` set to true, or remove this item from your input.`,
    "input",
    null,
    404,
  );
}

/** The `input` field (a string, or a list of items) -> system texts and neutral messages. */
export function toNeutralInput(raw: unknown, store: boolean): { system: string[]; messages: Message[] } {
  if (raw === undefined) throw invalid("Missing required parameter: 'input'.", "input", "missing_required_parameter");
  if (typeof raw === "string") return { system: [], messages: [{ role: "user", content: [{ type: "text", text: raw }] }] };
  if (!Array.isArray(raw))
    throw invalid(
      `Invalid type for 'input': expected one of a string or array of input items, but got ${typeof raw} instead.`,
      "input",
      "invalid_type",
    );
  const items = new InputItems(store);
  raw.forEach((item, i) => {
    const param = `input[${i}]`;
    if (!isObject(item))
      throw invalid(`Invalid type for '${param}': expected an object, but got ${typeof item} instead.`, param, "invalid_type");
    items.add(item, param);
  });
  return items.finish();
}

function toNeutralTools(raw: unknown): { tools: ToolSpec[]; echo: Json[] } {
  if (raw === undefined || raw === null) return { tools: [], echo: [] };
  if (!Array.isArray(raw))
    throw invalid(`Invalid type for 'tools': expected an array of objects, but got ${typeof raw} instead.`, "tools", "invalid_type");
  const tools: ToolSpec[] = [];
  const echo: Json[] = [];
  raw.forEach((t, i) => {
    if (!isObject(t) || t["type"] !== "function") {
      throw invalid(
        `Invalid value for 'tools[${i}].type': only 'function' tools are available in this mock.`,
        `tools[${i}].type`,
        "invalid_value",
      );
    }
    // A Chat Completions tool ({type, function: {...}}) lacks the top-level name, as the real API reports.
    const name = t["name"];
    if (typeof name !== "string")
      throw invalid(`Missing required parameter: 'tools[${i}].name'.`, `tools[${i}].name`, "missing_required_parameter");
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name)) {
      throw invalid(
        `Invalid 'tools[${i}].name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
        `tools[${i}].name`,
        "invalid_value",
      );
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
  throw invalid(
    "Invalid value for 'tool_choice': expected 'none', 'auto', 'required', or {type: 'function', name}.",
    "tool_choice",
    "invalid_value",
  );
}

function numberIn(body: Json, key: string, min: number, max: number, fallback: number): number {
  const v = body[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || v < min || v > max) {
    throw invalid(
      `Invalid '${key}': expected a number between ${min} and ${max}, but got ${JSON.stringify(v)} instead.`,
      key,
      "invalid_value",
    );
  }
  return v;
}

/** A Responses request body -> the neutral conversation (throws MockHttpError like the real API). */
export function parseResponsesRequest(body: Json): { conversation: MockConversation; options: ResponsesRequestOptions } {
  const model = body["model"];
  if (typeof model !== "string" || model === "")
    throw invalid("Missing required parameter: 'model'.", "model", "missing_required_parameter");
  const store = body["store"] !== false;
  const instructions = body["instructions"];
  if (instructions !== undefined && instructions !== null && typeof instructions !== "string") {
    throw invalid(
      `Invalid type for 'instructions': expected a string, but got ${typeof instructions} instead.`,
      "instructions",
      "invalid_type",
    );
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
    throw invalid(
      `Invalid type for 'include': expected an array of strings, but got ${typeof include} instead.`,
      "include",
      "invalid_type",
    );
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
