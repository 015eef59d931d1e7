// Wire adapter for Amazon Bedrock Runtime: POST /model/{modelId}/converse and /converse-stream, with the real
// service's JSON shapes, binary event-stream frames (exception frames included), validation errors and
// `x-amzn-errortype` errors, so the real @aws-sdk/client-bedrock-runtime works against the mock unchanged; plus the
// two control-plane listings `bench models` uses (GET /foundation-models, /inference-profiles: bedrock-catalog.ts).
// Requests are read in bedrock-request.ts.

import { controlPlaneRoutes } from "./bedrock-catalog.js";
import { checkAuth, parseBody, parseConverseRequest, type ParsedRequest } from "./bedrock-request.js";
import { splitArguments, splitText } from "./deltas.js";
import { eventFrame, exceptionFrame } from "./event-stream.js";
import {
  isObject,
  type CallContext,
  type HttpAnswer,
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
  if (spec.code === "context_length_exceeded")
    return { status: 400, type: "ValidationException", message: DEFAULT_MESSAGES["ContextOverflow"]! };
  if (spec.code === "insufficient_quota") {
    return { status: 400, type: "ServiceQuotaExceededException", message: DEFAULT_MESSAGES["ServiceQuotaExceededException"]! };
  }
  const named = (status: number, type: string): { status: number; type: string; message: string } => ({
    status,
    type,
    message: DEFAULT_MESSAGES[type]!,
  });
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
      if (spec.status >= 500)
        return { status: spec.status, type: "InternalServerException", message: DEFAULT_MESSAGES["InternalServerException"]! };
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

function requestUuid(ctx: CallContext): string {
  const hex = ctx.requestId
    .replace(/[^0-9a-f]/gi, "")
    .padEnd(32, "0")
    .slice(0, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
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
  return {
    inputTokens: prompt - cached,
    outputTokens: output,
    totalTokens: prompt + output,
    cacheReadInputTokens: read,
    cacheWriteInputTokens: write,
  };
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
    for (const piece of splitArguments(call.arguments))
      push("contentBlockDelta", { contentBlockIndex: index, delta: { toolUse: { input: piece } } });
    push("contentBlockStop", { contentBlockIndex: index });
    index++;
  }
  const messageEnd = frames.length;
  push("messageStop", { stopReason: reply.stopReason });
  push("metadata", { usage: bedrockUsage(reply, parsed), metrics: { latencyMs: Math.max(1, Math.round(performance.now() - started)) } });
  return { status: 200, headers: headers(ctx, "application/vnd.amazon.eventstream"), frames, messageEnd };
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
  const control = controlPlaneRoutes((ctx, body) => ({
    status: 200,
    headers: headers(ctx, "application/json"),
    body: JSON.stringify(body),
  }));
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
