// Amazon Bedrock Converse(Stream) requests: auth presence, the body's validation (the real service's
// ValidationException texts, word for word) and its translation into the neutral conversation, with the characters
// up to the last cache point (for the usage's cache reads and writes).

import type { ContentPart, Message, ReasoningPart, ToolCall, ToolChoice, ToolSpec } from "../models/types.js";
import { MockHttpError, isObject, type IncomingCall, type Json } from "./wire.js";

export function invalid(message: string): MockHttpError {
  return new MockHttpError({ status: 400, type: "ValidationException", message });
}

export function checkAuth(call: IncomingCall): void {
  // Signatures are not verified; a request with no auth at all is what the real service refuses outright.
  if (!call.headers["authorization"])
    throw new MockHttpError({ status: 403, type: "MissingAuthenticationTokenException", message: "Missing Authentication Token" });
}

export function parseBody(call: IncomingCall): Json {
  let body: unknown;
  try {
    body = JSON.parse(call.body.toString("utf8"));
  } catch {
    throw new MockHttpError({
      status: 400,
      type: "SerializationException",
      message: "Malformed input request, please reformat your input and try again.",
    });
  }
  if (!isObject(body))
    throw new MockHttpError({
      status: 400,
      type: "SerializationException",
      message: "Malformed input request, please reformat your input and try again.",
    });
  return body;
}

const IMAGE_TYPES: Record<string, string> = { png: "image/png", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp" };

export interface ParsedRequest {
  system: string;
  messages: Message[];
  tools: ToolSpec[];
  toolChoice: ToolChoice | undefined;
  maxTokens: number | undefined;
  /** Characters of the prompt prefix up to its last cachePoint (tools, then system, then messages), or undefined without one. */
  cachePrefixChars: number | undefined;
}

function parseTools(body: Json): {
  tools: ToolSpec[];
  toolChoice: ToolChoice | undefined;
  defined: boolean;
  cacheChars: number | undefined;
  chars: number;
} {
  const config = body["toolConfig"];
  if (config === undefined || config === null) return { tools: [], toolChoice: undefined, defined: false, cacheChars: undefined, chars: 0 };
  if (!isObject(config) || !Array.isArray(config["tools"]) || config["tools"].length === 0) {
    throw invalid("The toolConfig field must hold a non-empty tools list.");
  }
  const tools: ToolSpec[] = [];
  let chars = 0;
  let cacheChars: number | undefined;
  config["tools"].forEach((t, i) => {
    if (isObject(t) && isObject(t["cachePoint"])) {
      cacheChars = chars;
      return;
    }
    const spec = isObject(t) ? t["toolSpec"] : undefined;
    if (!isObject(spec) || typeof spec["name"] !== "string" || !isObject(spec["inputSchema"]) || !isObject(spec["inputSchema"]["json"])) {
      throw invalid(`toolConfig.tools.${i}: expected {toolSpec: {name, description?, inputSchema: {json}}}.`);
    }
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(spec["name"])) {
      throw invalid(
        `1 validation error detected: Value '${spec["name"]}' at 'toolConfig.tools.${i}.member.toolSpec.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+`,
      );
    }
    if (spec["description"] !== undefined && (typeof spec["description"] !== "string" || spec["description"] === "")) {
      throw invalid(
        `1 validation error detected: Value at 'toolConfig.tools.${i}.member.toolSpec.description' failed to satisfy constraint: Member must have length greater than or equal to 1`,
      );
    }
    chars += JSON.stringify(t).length;
    tools.push({
      name: spec["name"],
      description: typeof spec["description"] === "string" ? spec["description"] : "",
      parameters: spec["inputSchema"]["json"],
    });
  });
  let toolChoice: ToolChoice | undefined;
  const choice = config["toolChoice"];
  if (isObject(choice)) {
    if (isObject(choice["auto"])) toolChoice = "auto";
    else if (isObject(choice["any"])) toolChoice = "any";
    else if (isObject(choice["tool"]) && typeof choice["tool"]["name"] === "string") toolChoice = { name: choice["tool"]["name"] };
    else throw invalid("toolConfig.toolChoice: expected one of {auto: {}}, {any: {}}, {tool: {name}}.");
  }
  return { tools, toolChoice, defined: true, cacheChars, chars };
}

function parseSystem(body: Json): { system: string; cacheChars: number | undefined; chars: number } {
  const raw = body["system"];
  if (raw === undefined || raw === null) return { system: "", cacheChars: undefined, chars: 0 };
  if (!Array.isArray(raw)) throw invalid("system: expected a list of SystemContentBlock objects.");
  const texts: string[] = [];
  let chars = 0;
  let cacheChars: number | undefined;
  raw.forEach((b, i) => {
    if (isObject(b) && isObject(b["cachePoint"])) {
      cacheChars = chars;
      return;
    }
    if (!isObject(b) || typeof b["text"] !== "string") throw invalid(`system.${i}: expected {text} or {cachePoint}.`);
    if (b["text"].trim() === "")
      throw invalid(`The text field in the SystemContentBlock object at system.${i} is blank. Add text to the text field, and try again.`);
    chars += b["text"].length;
    texts.push(b["text"]);
  });
  return { system: texts.join("\n"), cacheChars, chars };
}

/** One message's content blocks, by kind. */
interface Blocks {
  parts: ContentPart[];
  texts: string[];
  calls: ToolCall[];
  reasoning: ReasoningPart[];
  /** The tool messages of its toolResult blocks, in order, and the toolUse ids they answer. */
  results: Message[];
  answered: Set<string>;
}

/** Converse messages → neutral messages, with the checks the real service makes (roles, alternation, blank text, tool pairing). */
class ConverseMessages {
  readonly messages: Message[] = [];
  /** Characters of the prompt so far, and of the prefix up to the last cache point. */
  chars: number;
  cacheChars: number | undefined;
  readonly #claude: boolean;
  readonly #toolsDefined: boolean;
  /** toolUse id → tool name of the previous assistant message's calls, which this user message must answer. */
  #open = new Map<string, string>();
  #previous: string | undefined;

  constructor(modelId: string, toolsDefined: boolean, prefixChars: number) {
    this.#claude = modelId.toLowerCase().includes("anthropic.claude");
    this.#toolsDefined = toolsDefined;
    this.chars = prefixChars;
  }

  add(m: unknown, i: number): void {
    if (!isObject(m)) throw invalid(`messages.${i}: expected a Message object.`);
    const role = m["role"];
    if (role !== "user" && role !== "assistant") {
      throw invalid(
        `1 validation error detected: Value '${String(role)}' at 'messages.${i}.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]`,
      );
    }
    if (i === 0 && role !== "user")
      throw invalid("A conversation must start with a user message. Try again with a conversation that starts with a user message.");
    if (role === this.#previous) {
      throw invalid(
        "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.",
      );
    }
    this.#previous = role;
    const content = m["content"];
    if (!Array.isArray(content) || content.length === 0) {
      throw invalid(
        `The content field in the Message object at messages.${i} is empty. Add a ContentBlock object to the content field and try again.`,
      );
    }
    const blocks: Blocks = { parts: [], texts: [], calls: [], reasoning: [], results: [], answered: new Set() };
    for (const [j, block] of content.entries()) this.#block(block, role, blocks, i, j);
    if ((blocks.calls.length > 0 || blocks.answered.size > 0) && !this.#toolsDefined) {
      throw invalid("The toolConfig field must be defined when using toolUse and toolResult content blocks.");
    }
    if (role === "user") {
      const missing = [...this.#open.keys()].filter((id) => !blocks.answered.has(id));
      if (missing.length > 0) {
        throw invalid(
          `The model returned the following errors: messages.${i - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
        );
      }
      this.#open = new Map();
      this.messages.push(...blocks.results);
      if (blocks.parts.length > 0) this.messages.push({ role: "user", content: blocks.parts });
    } else {
      this.messages.push({
        role: "assistant",
        text: blocks.texts.join("\n"),
        toolCalls: blocks.calls,
        ...(blocks.reasoning.length > 0 ? { reasoning: blocks.reasoning } : {}),
      });
      this.#open = new Map(blocks.calls.map((c) => [c.id, c.name]));
    }
  }

  #block(b: unknown, role: "user" | "assistant", blocks: Blocks, i: number, j: number): void {
    const at = `messages.${i}.content.${j}`;
    if (!isObject(b) || Object.keys(b).length !== 1) throw invalid(`${at}: expected a ContentBlock with exactly one member.`);
    if (isObject(b["cachePoint"])) {
      this.cacheChars = this.chars;
      return;
    }
    this.chars += JSON.stringify(b).length;
    if (typeof b["text"] === "string") {
      if (b["text"].trim() === "")
        throw invalid(`The text field in the ContentBlock object at ${at} is blank. Add text to the text field, and try again.`);
      if (role === "user") blocks.parts.push({ type: "text", text: b["text"] });
      else blocks.texts.push(b["text"]);
    } else if (isObject(b["image"])) {
      const image = b["image"];
      const source = isObject(image["source"]) ? image["source"] : {};
      const mediaType = IMAGE_TYPES[String(image["format"])];
      if (!mediaType || typeof source["bytes"] !== "string")
        throw invalid(`${at}.image: expected {format: png|jpeg|gif|webp, source: {bytes}}.`);
      blocks.parts.push({ type: "image", mediaType, data: source["bytes"] });
    } else if (isObject(b["toolUse"])) {
      const use = b["toolUse"];
      if (role !== "assistant") throw invalid(`${at}: toolUse blocks belong in assistant messages.`);
      if (typeof use["toolUseId"] !== "string" || typeof use["name"] !== "string" || !isObject(use["input"])) {
        throw invalid(`${at}.toolUse: expected {toolUseId, name, input: {…}}.`);
      }
      blocks.calls.push({ id: use["toolUseId"], name: use["name"], arguments: JSON.stringify(use["input"]) });
    } else if (isObject(b["toolResult"])) {
      if (role !== "user") throw invalid(`${at}: toolResult blocks belong in user messages.`);
      this.#toolResult(b["toolResult"], blocks, at, i, j);
    } else if (isObject(b["reasoningContent"])) {
      if (role !== "assistant") throw invalid(`${at}: reasoningContent blocks belong in assistant messages.`);
      const r = b["reasoningContent"];
      if (isObject(r["reasoningText"])) {
        const t = r["reasoningText"];
        blocks.reasoning.push({
          type: "reasoning",
          text: String(t["text"] ?? ""),
          ...(typeof t["signature"] === "string" ? { signature: t["signature"] } : {}),
          provider: "bedrock",
        });
      } else if (typeof r["redactedContent"] === "string") {
        blocks.reasoning.push({ type: "reasoning", text: "", redacted: r["redactedContent"], provider: "bedrock" });
      }
    } else {
      // Documents, video, audio…: the scripted policies read text only.
      blocks.parts.push({ type: "text", text: `[${Object.keys(b)[0]} block]` });
    }
  }

  #toolResult(result: Json, blocks: Blocks, at: string, i: number, j: number): void {
    const id = result["toolUseId"];
    if (typeof id !== "string" || !Array.isArray(result["content"]))
      throw invalid(`${at}.toolResult: expected {toolUseId, content: [...], status?}.`);
    if (result["status"] !== undefined && !this.#claude) {
      throw invalid("This model doesn't support the toolResult.status field. Update the request and try again.");
    }
    const name = this.#open.get(id);
    if (name === undefined) {
      throw invalid(
        `The model returned the following errors: messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
      );
    }
    blocks.answered.add(id);
    const out: ContentPart[] = [];
    for (const c of result["content"]) {
      if (isObject(c) && typeof c["text"] === "string") out.push({ type: "text", text: c["text"] });
      else if (isObject(c) && c["json"] !== undefined) out.push({ type: "text", text: JSON.stringify(c["json"]) });
      else if (isObject(c) && isObject(c["image"]) && isObject(c["image"]["source"])) {
        out.push({
          type: "image",
          mediaType: IMAGE_TYPES[String(c["image"]["format"])] ?? "image/png",
          data: String(c["image"]["source"]["bytes"] ?? ""),
        });
      }
    }
    blocks.results.push({ role: "tool", toolCallId: id, toolName: name, content: out, isError: result["status"] === "error" });
  }
}

function parseMessages(
  body: Json,
  modelId: string,
  toolsDefined: boolean,
  prefixChars: number,
): { messages: Message[]; cacheChars: number | undefined } {
  const raw = body["messages"];
  if (!Array.isArray(raw) || raw.length === 0)
    throw invalid("A conversation must start with a user message. Try again with a conversation that starts with a user message.");
  const parsed = new ConverseMessages(modelId, toolsDefined, prefixChars);
  for (const [i, m] of raw.entries()) parsed.add(m, i);
  return { messages: parsed.messages, cacheChars: parsed.cacheChars };
}

function positiveInt(value: unknown, at: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw invalid(
      `1 validation error detected: Value '${String(value)}' at '${at}' failed to satisfy constraint: Member must have value greater than or equal to 1`,
    );
  }
  return value;
}

/** A Converse(Stream) request body → the neutral request (throws MockHttpError like the real service). */
export function parseConverseRequest(body: Json, modelId: string): ParsedRequest {
  const tools = parseTools(body);
  const system = parseSystem(body);
  const { messages, cacheChars: messageCache } = parseMessages(body, modelId, tools.defined, tools.chars + system.chars);
  const inference = body["inferenceConfig"];
  const maxTokens = isObject(inference) ? positiveInt(inference["maxTokens"], "inferenceConfig.maxTokens") : undefined;
  // Bedrock's prefix order is tools, then system, then messages: the last cache point decides the cached prefix.
  const cachePrefixChars = messageCache ?? (system.cacheChars !== undefined ? tools.chars + system.cacheChars : tools.cacheChars);
  return { system: system.system, messages, tools: tools.tools, toolChoice: tools.toolChoice, maxTokens, cachePrefixChars };
}
