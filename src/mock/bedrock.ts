// Wire adapter for Amazon Bedrock Runtime: POST /model/{modelId}/converse and /converse-stream, with the real
// service's JSON shapes, binary event-stream frames (exception frames included), validation errors and
// `x-amzn-errortype` errors, so the real @aws-sdk/client-bedrock-runtime works against the mock unchanged; plus the
// two control-plane listings `bench models` uses (GET /foundation-models, /inference-profiles).

import { splitArguments, splitText } from "./deltas.js";
import { eventFrame, exceptionFrame } from "./event-stream.js";
import type { ContentPart, Message, ReasoningPart, ToolCall, ToolChoice, ToolSpec } from "../models/types.js";
import {
  MockHttpError,
  isObject,
  type CallContext,
  type HttpAnswer,
  type IncomingCall,
  type Json,
  type MockConversation,
  type MockErrorSpec,
  type MockReply,
  type ParsedCall,
  type StreamAnswer,
  type WireAdapter,
  type WireRoute,
} from "./wire.js";

/** The suffix real Bedrock puts on x-amzn-errortype (the SDK strips it). */
const ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/";
const CHARS_PER_TOKEN = 4;
/** Real events carry a padding field `p` of varying length (against length side channels); clients must ignore it. */
const PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** Default messages of the real service, by error type. */
const DEFAULT_MESSAGES: Record<string, string> = {
  ThrottlingException: "Too many tokens, please wait before trying again.",
  ServiceUnavailableException: "Bedrock is unable to process your request.",
  InternalServerException: "The system encountered an unexpected error during processing. Try your request again.",
  AccessDeniedException: "You don't have access to the model with the specified model ID.",
  ModelTimeoutException: "Model has timed out in processing the request. Try your request again.",
  ModelErrorException: "The model failed to process the request.",
  ModelStreamErrorException: "The model stream had an error while processing the request. Try your request again.",
  ResourceNotFoundException: "Could not resolve the foundation model from the provided model identifier.",
  ServiceQuotaExceededException: "Your request exceeds the service quota for your account. You can resubmit your request later.",
  ContextOverflow: "Input is too long for requested model.",
};

/** Exceptions ConverseStream may carry inside a 200 stream (members of ConverseStreamOutput). */
const STREAM_EXCEPTIONS = new Set([
  "InternalServerException",
  "ModelStreamErrorException",
  "ValidationException",
  "ThrottlingException",
  "ServiceUnavailableException",
]);

const isAwsType = (type: string): boolean => /^[A-Z][A-Za-z]*(Exception|Error)$/.test(type);

/**
 * A neutral error (OpenAI-flavoured fields, as faults and the engine make them) in Bedrock's terms. An error whose
 * `type` already is an AWS error type (e.g. a fault `{errorType: "ValidationException", message}`) is kept as is.
 */
export function bedrockError(spec: MockErrorSpec): { status: number; type: string; message: string } {
  if (isAwsType(spec.type)) return { status: spec.status, type: spec.type, message: spec.message };
  if (spec.code === "context_length_exceeded") return { status: 400, type: "ValidationException", message: DEFAULT_MESSAGES["ContextOverflow"]! };
  if (spec.code === "insufficient_quota") {
    return { status: 400, type: "ServiceQuotaExceededException", message: DEFAULT_MESSAGES["ServiceQuotaExceededException"]! };
  }
  const named = (status: number, type: string): { status: number; type: string; message: string } => ({ status, type, message: DEFAULT_MESSAGES[type]! });
  switch (spec.status) {
    case 401:
    case 403:
      return named(403, "AccessDeniedException");
    case 404:
      return named(404, "ResourceNotFoundException");
    case 408:
      return named(408, "ModelTimeoutException");
    case 424:
      return named(424, "ModelErrorException");
    case 429:
      return named(429, "ThrottlingException");
    case 503:
      return named(503, "ServiceUnavailableException");
    default:
      if (spec.status >= 500) return { status: spec.status, type: "InternalServerException", message: DEFAULT_MESSAGES["InternalServerException"]! };
      return { status: spec.status, type: "ValidationException", message: spec.message };
  }
}

/** The camelCase stream member for an error reported mid-stream; a plain server error is a model stream error. */
function streamException(spec: MockErrorSpec): { member: string; message: string; extra: Json } {
  let type: string;
  let message = spec.message;
  if (isAwsType(spec.type)) type = STREAM_EXCEPTIONS.has(spec.type) ? spec.type : "InternalServerException";
  else if (spec.status === 429) type = "ThrottlingException";
  else if (spec.status === 503) type = "ServiceUnavailableException";
  else if (spec.status === 400) type = "ValidationException";
  else type = "ModelStreamErrorException";
  if (!isAwsType(spec.type) && type !== "ValidationException") message = DEFAULT_MESSAGES[type] ?? message;
  const extra: Json = type === "ModelStreamErrorException" ? { originalStatusCode: spec.status, originalMessage: spec.message } : {};
  return { member: type.charAt(0).toLowerCase() + type.slice(1), message, extra };
}

function invalid(message: string): MockHttpError {
  return new MockHttpError({ status: 400, type: "ValidationException", message });
}

function requestUuid(ctx: CallContext): string {
  const hex = ctx.requestId.replace(/[^0-9a-f]/gi, "").padEnd(32, "0").slice(0, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function checkAuth(call: IncomingCall): void {
  // Signatures are not verified; a request with no auth at all is what the real service refuses outright.
  if (!call.headers["authorization"]) throw new MockHttpError({ status: 403, type: "MissingAuthenticationTokenException", message: "Missing Authentication Token" });
}

function parseBody(call: IncomingCall): Json {
  let body: unknown;
  try {
    body = JSON.parse(call.body.toString("utf8"));
  } catch {
    throw new MockHttpError({ status: 400, type: "SerializationException", message: "Malformed input request, please reformat your input and try again." });
  }
  if (!isObject(body)) throw new MockHttpError({ status: 400, type: "SerializationException", message: "Malformed input request, please reformat your input and try again." });
  return body;
}

const IMAGE_TYPES: Record<string, string> = { png: "image/png", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp" };

interface ParsedRequest {
  system: string;
  messages: Message[];
  tools: ToolSpec[];
  toolChoice: ToolChoice | undefined;
  maxTokens: number | undefined;
  /** Characters of the prompt prefix up to its last cachePoint (tools, then system, then messages), or undefined without one. */
  cachePrefixChars: number | undefined;
}

function parseTools(body: Json): { tools: ToolSpec[]; toolChoice: ToolChoice | undefined; defined: boolean; cacheChars: number | undefined; chars: number } {
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
      throw invalid(`1 validation error detected: Value '${spec["name"]}' at 'toolConfig.tools.${i}.member.toolSpec.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+`);
    }
    if (spec["description"] !== undefined && (typeof spec["description"] !== "string" || spec["description"] === "")) {
      throw invalid(`1 validation error detected: Value at 'toolConfig.tools.${i}.member.toolSpec.description' failed to satisfy constraint: Member must have length greater than or equal to 1`);
    }
    chars += JSON.stringify(t).length;
    tools.push({ name: spec["name"], description: typeof spec["description"] === "string" ? spec["description"] : "", parameters: spec["inputSchema"]["json"] });
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
    if (b["text"].trim() === "") throw invalid(`The text field in the SystemContentBlock object at system.${i} is blank. Add text to the text field, and try again.`);
    chars += b["text"].length;
    texts.push(b["text"]);
  });
  return { system: texts.join("\n"), cacheChars, chars };
}

/** Converse messages → neutral messages, with the checks the real service makes (roles, alternation, blank text, tool pairing). */
function parseMessages(body: Json, modelId: string, toolsDefined: boolean, prefixChars: number): { messages: Message[]; cacheChars: number | undefined } {
  const raw = body["messages"];
  if (!Array.isArray(raw) || raw.length === 0) throw invalid("A conversation must start with a user message. Try again with a conversation that starts with a user message.");
  const claude = modelId.toLowerCase().includes("anthropic.claude");
  const messages: Message[] = [];
  let open = new Map<string, string>();
  let previous: string | undefined;
  let chars = prefixChars;
  let cacheChars: number | undefined;
  raw.forEach((m, i) => {
    if (!isObject(m)) throw invalid(`messages.${i}: expected a Message object.`);
    const role = m["role"];
    if (role !== "user" && role !== "assistant") {
      throw invalid(`1 validation error detected: Value '${String(role)}' at 'messages.${i}.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]`);
    }
    if (i === 0 && role !== "user") throw invalid("A conversation must start with a user message. Try again with a conversation that starts with a user message.");
    if (role === previous) {
      throw invalid("A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.");
    }
    previous = role;
    const content = m["content"];
    if (!Array.isArray(content) || content.length === 0) {
      throw invalid(`The content field in the Message object at messages.${i} is empty. Add a ContentBlock object to the content field and try again.`);
    }
    const parts: ContentPart[] = [];
    const texts: string[] = [];
    const calls: ToolCall[] = [];
    const reasoning: ReasoningPart[] = [];
    const answered = new Set<string>();
    content.forEach((b, j) => {
      const at = `messages.${i}.content.${j}`;
      if (!isObject(b) || Object.keys(b).length !== 1) throw invalid(`${at}: expected a ContentBlock with exactly one member.`);
      if (isObject(b["cachePoint"])) {
        cacheChars = chars;
        return;
      }
      chars += JSON.stringify(b).length;
      if (typeof b["text"] === "string") {
        if (b["text"].trim() === "") throw invalid(`The text field in the ContentBlock object at ${at} is blank. Add text to the text field, and try again.`);
        if (role === "user") parts.push({ type: "text", text: b["text"] });
        else texts.push(b["text"]);
      } else if (isObject(b["image"])) {
        const image = b["image"];
        const source = isObject(image["source"]) ? image["source"] : {};
        const mediaType = IMAGE_TYPES[String(image["format"])];
        if (!mediaType || typeof source["bytes"] !== "string") throw invalid(`${at}.image: expected {format: png|jpeg|gif|webp, source: {bytes}}.`);
        parts.push({ type: "image", mediaType, data: source["bytes"] });
      } else if (isObject(b["toolUse"])) {
        const use = b["toolUse"];
        if (role !== "assistant") throw invalid(`${at}: toolUse blocks belong in assistant messages.`);
        if (typeof use["toolUseId"] !== "string" || typeof use["name"] !== "string" || !isObject(use["input"])) {
          throw invalid(`${at}.toolUse: expected {toolUseId, name, input: {…}}.`);
        }
        calls.push({ id: use["toolUseId"], name: use["name"], arguments: JSON.stringify(use["input"]) });
      } else if (isObject(b["toolResult"])) {
        const result = b["toolResult"];
        if (role !== "user") throw invalid(`${at}: toolResult blocks belong in user messages.`);
        const id = result["toolUseId"];
        if (typeof id !== "string" || !Array.isArray(result["content"])) throw invalid(`${at}.toolResult: expected {toolUseId, content: [...], status?}.`);
        if (result["status"] !== undefined && !claude) {
          throw invalid("This model doesn't support the toolResult.status field. Update the request and try again.");
        }
        const name = open.get(id);
        if (name === undefined) {
          throw invalid(
            `The model returned the following errors: messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
          );
        }
        answered.add(id);
        const out: ContentPart[] = [];
        for (const c of result["content"]) {
          if (isObject(c) && typeof c["text"] === "string") out.push({ type: "text", text: c["text"] });
          else if (isObject(c) && c["json"] !== undefined) out.push({ type: "text", text: JSON.stringify(c["json"]) });
          else if (isObject(c) && isObject(c["image"]) && isObject(c["image"]["source"])) {
            out.push({ type: "image", mediaType: IMAGE_TYPES[String(c["image"]["format"])] ?? "image/png", data: String(c["image"]["source"]["bytes"] ?? "") });
          }
        }
        messages.push({ role: "tool", toolCallId: id, toolName: name, content: out, isError: result["status"] === "error" });
      } else if (isObject(b["reasoningContent"])) {
        if (role !== "assistant") throw invalid(`${at}: reasoningContent blocks belong in assistant messages.`);
        const r = b["reasoningContent"];
        if (isObject(r["reasoningText"])) {
          const t = r["reasoningText"];
          reasoning.push({ type: "reasoning", text: String(t["text"] ?? ""), ...(typeof t["signature"] === "string" ? { signature: t["signature"] } : {}), provider: "bedrock" });
        } else if (typeof r["redactedContent"] === "string") {
          reasoning.push({ type: "reasoning", text: "", redacted: r["redactedContent"], provider: "bedrock" });
        }
      } else {
        // Documents, video, audio…: the scripted policies read text only.
        parts.push({ type: "text", text: `[${Object.keys(b)[0]} block]` });
      }
    });
    if ((calls.length > 0 || answered.size > 0) && !toolsDefined) {
      throw invalid("The toolConfig field must be defined when using toolUse and toolResult content blocks.");
    }
    if (role === "user") {
      const missing = [...open.keys()].filter((id) => !answered.has(id));
      if (missing.length > 0) {
        throw invalid(
          `The model returned the following errors: messages.${i - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
        );
      }
      open = new Map();
      if (parts.length > 0) messages.push({ role: "user", content: parts });
    } else {
      messages.push({ role: "assistant", text: texts.join("\n"), toolCalls: calls, ...(reasoning.length > 0 ? { reasoning } : {}) });
      open = new Map(calls.map((c) => [c.id, c.name]));
    }
  });
  return { messages, cacheChars };
}

function positiveInt(value: unknown, at: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw invalid(`1 validation error detected: Value '${String(value)}' at '${at}' failed to satisfy constraint: Member must have value greater than or equal to 1`);
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

interface BedrockUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/**
 * Usage as Bedrock reports it: inputTokens excludes cache reads and writes. Bedrock caches only at explicit cache
 * points: without one nothing is cached; with one, the prefix up to it is written on a conversation's first call
 * and read on every later one (the mock is stateless: "later" = the history holds an assistant turn).
 */
export function bedrockUsage(reply: MockReply, parsed: Pick<ParsedRequest, "messages" | "cachePrefixChars">): BedrockUsage {
  const prompt = reply.usage.promptTokens;
  const output = reply.usage.completionTokens;
  if (parsed.cachePrefixChars === undefined) return { inputTokens: prompt, outputTokens: output, totalTokens: prompt + output };
  const cached = Math.min(prompt, Math.floor(parsed.cachePrefixChars / CHARS_PER_TOKEN));
  const later = parsed.messages.some((m) => m.role === "assistant");
  const read = later ? cached : 0;
  const write = later ? 0 : cached;
  return { inputTokens: prompt - cached, outputTokens: output, totalTokens: prompt + output, cacheReadInputTokens: read, cacheWriteInputTokens: write };
}

const wireToolId = (id: string): string => `tooluse_${id}`;

function headers(ctx: CallContext, contentType: string): Record<string, string> {
  return { "content-type": contentType, "x-amzn-requestid": requestUuid(ctx) };
}

function renderBody(reply: MockReply, parsed: ParsedRequest, ctx: CallContext, started: number): HttpAnswer {
  const content: Json[] = [];
  if (reply.text !== "" || reply.toolCalls.length === 0) content.push({ text: reply.text });
  for (const call of reply.toolCalls) {
    let input: unknown = {};
    try {
      input = JSON.parse(call.arguments);
    } catch {
      // Cut at max_tokens: a Converse body can only hold a JSON document.
    }
    content.push({ toolUse: { toolUseId: wireToolId(call.id), name: call.name, input: isObject(input) ? input : {} } });
  }
  const body = {
    output: { message: { role: "assistant", content } },
    stopReason: reply.stopReason,
    usage: bedrockUsage(reply, parsed),
    metrics: { latencyMs: Math.max(1, Math.round(performance.now() - started)) },
  };
  return { status: 200, headers: headers(ctx, "application/json"), body: JSON.stringify(body) };
}

function renderStream(reply: MockReply, parsed: ParsedRequest, ctx: CallContext, started: number): StreamAnswer {
  const frames: Buffer[] = [];
  const push = (type: string, payload: Json): void => {
    frames.push(eventFrame(type, { ...payload, p: PADDING.slice(0, 1 + ((frames.length * 7) % PADDING.length)) }));
  };
  push("messageStart", { role: "assistant" });
  let index = 0;
  if (reply.text !== "") {
    // Bedrock sends no contentBlockStart for text blocks, only deltas and a stop.
    for (const piece of splitText(reply.text)) push("contentBlockDelta", { contentBlockIndex: index, delta: { text: piece } });
    push("contentBlockStop", { contentBlockIndex: index });
    index++;
  }
  for (const call of reply.toolCalls) {
    push("contentBlockStart", { contentBlockIndex: index, start: { toolUse: { toolUseId: wireToolId(call.id), name: call.name } } });
    for (const piece of splitArguments(call.arguments)) push("contentBlockDelta", { contentBlockIndex: index, delta: { toolUse: { input: piece } } });
    push("contentBlockStop", { contentBlockIndex: index });
    index++;
  }
  const messageEnd = frames.length;
  push("messageStop", { stopReason: reply.stopReason });
  push("metadata", { usage: bedrockUsage(reply, parsed), metrics: { latencyMs: Math.max(1, Math.round(performance.now() - started)) } });
  return { status: 200, headers: headers(ctx, "application/vnd.amazon.eventstream"), frames, messageEnd };
}

/** A foundation model of the mock's control-plane catalogue. */
interface CatalogModel {
  modelId: string;
  modelName: string;
  providerName: string;
  outputModalities: string[];
  responseStreamingSupported: boolean;
  inferenceTypesSupported: string[];
  status: "ACTIVE" | "LEGACY";
}

/**
 * What ListFoundationModels answers: a small, realistic catalogue, with one model of each kind `bench models` must
 * leave out (legacy, embeddings, no streaming). Any model id works for Converse; these are only listed.
 */
const CATALOG: readonly CatalogModel[] = [
  { modelId: "anthropic.claude-sonnet-4-20250514-v1:0", modelName: "Claude Sonnet 4", providerName: "Anthropic", outputModalities: ["TEXT"], responseStreamingSupported: true, inferenceTypesSupported: ["INFERENCE_PROFILE"], status: "ACTIVE" },
  { modelId: "anthropic.claude-3-5-sonnet-20240620-v1:0", modelName: "Claude 3.5 Sonnet", providerName: "Anthropic", outputModalities: ["TEXT"], responseStreamingSupported: true, inferenceTypesSupported: ["ON_DEMAND", "INFERENCE_PROFILE"], status: "ACTIVE" },
  { modelId: "anthropic.claude-v2:1", modelName: "Claude", providerName: "Anthropic", outputModalities: ["TEXT"], responseStreamingSupported: true, inferenceTypesSupported: ["ON_DEMAND"], status: "LEGACY" },
  { modelId: "amazon.nova-pro-v1:0", modelName: "Nova Pro", providerName: "Amazon", outputModalities: ["TEXT"], responseStreamingSupported: true, inferenceTypesSupported: ["ON_DEMAND", "INFERENCE_PROFILE"], status: "ACTIVE" },
  { modelId: "amazon.titan-embed-text-v2:0", modelName: "Titan Text Embeddings V2", providerName: "Amazon", outputModalities: ["EMBEDDING"], responseStreamingSupported: false, inferenceTypesSupported: ["ON_DEMAND"], status: "ACTIVE" },
  { modelId: "cohere.rerank-v3-5:0", modelName: "Rerank 3.5", providerName: "Cohere", outputModalities: ["TEXT"], responseStreamingSupported: false, inferenceTypesSupported: ["ON_DEMAND"], status: "ACTIVE" },
];

/** System-defined inference profiles: prefix → the catalogue models it routes. */
const PROFILES: readonly { prefix: string; geography: string; modelIds: readonly string[] }[] = [
  { prefix: "global", geography: "Global", modelIds: ["anthropic.claude-sonnet-4-20250514-v1:0"] },
  { prefix: "us", geography: "US", modelIds: ["anthropic.claude-sonnet-4-20250514-v1:0", "anthropic.claude-3-5-sonnet-20240620-v1:0", "amazon.nova-pro-v1:0"] },
  { prefix: "eu", geography: "EU", modelIds: ["anthropic.claude-sonnet-4-20250514-v1:0", "amazon.nova-pro-v1:0"] },
  { prefix: "apac", geography: "APAC", modelIds: ["anthropic.claude-sonnet-4-20250514-v1:0"] },
];

/** The region a SigV4 request was signed for (Credential=KEY/DATE/REGION/SERVICE/aws4_request); undefined with bearer auth. */
function signedRegion(call: IncomingCall): string | undefined {
  return /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(call.headers["authorization"] ?? "")?.[1];
}

function profileServes(prefix: string, region: string | undefined): boolean {
  if (region === undefined || prefix === "global") return true;
  if (prefix === "us") return region.startsWith("us-") && !region.startsWith("us-gov-");
  if (prefix === "eu") return region.startsWith("eu-");
  return region.startsWith("ap-");
}

function controlPlaneRoutes(): { models: WireRoute; profiles: WireRoute } {
  const json = (ctx: CallContext, body: unknown): HttpAnswer => ({ status: 200, headers: headers(ctx, "application/json"), body: JSON.stringify(body) });
  const arn = (region: string, id: string): string => `arn:aws:bedrock:${region}::foundation-model/${id}`;
  return {
    models: {
      name: "bedrock.list-foundation-models",
      kind: "static",
      answer(call, ctx) {
        checkAuth(call);
        const region = signedRegion(call) ?? "us-east-1";
        return json(ctx, {
          modelSummaries: CATALOG.map((m) => ({
            modelArn: arn(region, m.modelId),
            modelId: m.modelId,
            modelName: m.modelName,
            providerName: m.providerName,
            inputModalities: ["TEXT"],
            outputModalities: m.outputModalities,
            responseStreamingSupported: m.responseStreamingSupported,
            customizationsSupported: [],
            inferenceTypesSupported: m.inferenceTypesSupported,
            modelLifecycle: { status: m.status },
          })),
        });
      },
    },
    profiles: {
      name: "bedrock.list-inference-profiles",
      kind: "static",
      answer(call, ctx) {
        checkAuth(call);
        const signed = signedRegion(call);
        const region = signed ?? "us-east-1";
        const summaries = PROFILES.filter((p) => profileServes(p.prefix, signed)).flatMap((p) =>
          p.modelIds.map((modelId) => {
            const model = CATALOG.find((m) => m.modelId === modelId);
            const id = `${p.prefix}.${modelId}`;
            return {
              inferenceProfileName: `${p.geography} ${model?.modelName ?? modelId}`,
              description: `Routes requests to ${model?.modelName ?? modelId} in ${p.geography} regions.`,
              inferenceProfileArn: `arn:aws:bedrock:${region}:123456789012:inference-profile/${id}`,
              models: [{ modelArn: arn(region, modelId) }],
              inferenceProfileId: id,
              status: "ACTIVE",
              type: "SYSTEM_DEFINED",
            };
          }),
        );
        return json(ctx, { inferenceProfileSummaries: summaries });
      },
    },
  };
}

/** The Bedrock Runtime adapter: Converse and ConverseStream for any model id (the id picks the policy, as on every wire). */
export function bedrockAdapter(): WireAdapter {
  const route = (modelId: string, stream: boolean): WireRoute => ({
    name: stream ? "bedrock.converse-stream" : "bedrock.converse",
    kind: "model",
    parse(call, ctx): ParsedCall {
      checkAuth(call);
      const started = performance.now();
      const parsed = parseConverseRequest(parseBody(call), modelId);
      const conversation: MockConversation = {
        model: modelId,
        system: parsed.system,
        messages: parsed.messages,
        tools: parsed.tools,
        toolChoice: parsed.toolChoice,
        stream,
        maxTokens: parsed.maxTokens,
      };
      return {
        conversation,
        render: {
          body: (reply) => renderBody(reply, parsed, ctx, started),
          stream: (reply) => renderStream(reply, parsed, ctx, started),
          streamError: (error) => {
            const { member, message, extra } = streamException(error);
            return exceptionFrame(member, { message, ...extra });
          },
        },
      };
    },
  });
  const control = controlPlaneRoutes();
  return {
    name: "bedrock",
    route(method, path) {
      // The control plane (another host in AWS; one port here): what `bench models` lists.
      if (method === "GET" && path.replace(/\/+$/, "") === "/foundation-models") return control.models;
      if (method === "GET" && path.replace(/\/+$/, "") === "/inference-profiles") return control.profiles;
      const m = /^\/model\/(.+)\/(converse|converse-stream)\/?$/.exec(path);
      if (!m || method !== "POST") return undefined;
      let modelId: string;
      try {
        modelId = decodeURIComponent(m[1] ?? "");
      } catch {
        modelId = m[1] ?? "";
      }
      return route(modelId, m[2] === "converse-stream");
    },
    error(error, ctx) {
      const aws = bedrockError(error);
      // Only retry hints travel: OpenAI's x-ratelimit-* and x-should-retry mean nothing here.
      const hints = Object.fromEntries(
        Object.entries(error.headers).filter(([k]) => ["retry-after", "x-amz-retry-after"].includes(k.toLowerCase())),
      );
      return {
        status: aws.status,
        headers: { ...headers(ctx, "application/json"), "x-amzn-errortype": `${aws.type}${ERROR_TYPE_SUFFIX}`, ...hints },
        body: JSON.stringify({ message: aws.message }),
      };
    },
  };
}
