// The contract between the mock server and its wire adapters (one per protocol: OpenAI Chat Completions, the Responses
// API, Bedrock Converse). Adapters translate wire <-> neutral; policies and faults never see a wire format.

import type { Message, StopReason, ToolCall, ToolChoice, ToolSpec } from "../models/types.js";

/** A model call in neutral form, as a wire adapter parsed it. */
export interface MockConversation {
  /** The model name exactly as the client sent it; replies echo it. */
  model: string;
  system: string;
  messages: Message[];
  tools: ToolSpec[];
  toolChoice: ToolChoice | undefined;
  stream: boolean;
  /** Output-token cap the client asked for; undefined when it set none. */
  maxTokens: number | undefined;
  /** What the client asked of a reasoning model (Chat reasoning_effort, Responses reasoning/include); undefined: nothing. */
  reasoning?: MockReasoningRequest | undefined;
}

export interface MockReasoningRequest {
  /** e.g. "low", "medium", "high"; undefined when the client named none. */
  effort?: string | undefined;
  /** Whether the client asked for reasoning summaries (Responses reasoning.summary). */
  summary: boolean;
  /** Whether the client asked for encrypted reasoning (Responses include reasoning.encrypted_content). */
  encrypted: boolean;
}

export interface MockUsage {
  promptTokens: number;
  completionTokens: number;
  /** Part of promptTokens served from the simulated prefix cache. */
  cachedTokens: number;
  /** Part of completionTokens that was reasoning (> 0 only when the reply has reasoning). */
  reasoningTokens: number;
}

/** What the "model" answers, in neutral form; adapters render it. */
export interface MockReply {
  /** Deterministic id derived from the conversation (adapters prefix it: chatcmpl-…). */
  id: string;
  text: string;
  /**
   * Ids are bare deterministic tokens (adapters add their prefix: call_…, tooluse_…); arguments are JSON
   * text, truncated (invalid) JSON when stopReason is max_tokens.
   */
  toolCalls: ToolCall[];
  stopReason: Extract<StopReason, "end_turn" | "tool_use" | "max_tokens">;
  usage: MockUsage;
  /** The reasoning a reasoning model did before answering (its tokens are in usage.reasoningTokens). */
  reasoning?: { summary: string } | undefined;
}

/** An error answer in neutral form (OpenAI-flavoured fields; other adapters map them). */
export interface MockErrorSpec {
  status: number;
  message: string;
  type: string;
  code: string | null;
  param: string | null;
  /** Extra response headers, e.g. retry-after. */
  headers: Record<string, string>;
  /**
   * Responses API, in-stream errors only: report it as an `error` event followed by `response.failed` (what the
   * real service sends), or as `response.failed` alone. @default "error"
   */
  streamEvent?: "error" | "response.failed";
}

/** Thrown by adapters while parsing a request; the server renders it with the adapter's error shape. */
export class MockHttpError extends Error {
  readonly spec: MockErrorSpec;
  constructor(spec: Partial<MockErrorSpec> & { status: number; message: string }) {
    super(spec.message);
    this.name = "MockHttpError";
    this.spec = {
      type: "invalid_request_error",
      code: null,
      param: null,
      headers: {},
      ...spec,
    };
  }
}

export interface IncomingCall {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Lower-case header names; HTTP/2 pseudo-headers removed. */
  headers: Record<string, string>;
  body: Buffer;
}

/** Per-request facts an adapter may put on the wire. */
export interface CallContext {
  requestId: string;
  /** Milliseconds since the epoch, from the server's clock. */
  now: number;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export interface StreamAnswer {
  status: number;
  headers: Record<string, string>;
  /** Whole wire frames, in order. */
  frames: (string | Buffer)[];
  /** frames[messageEnd..] finish the message (finish reason, usage, terminator); cut faults stop before it. */
  messageEnd: number;
}

export interface ReplyRenderer {
  body(reply: MockReply): HttpAnswer;
  stream(reply: MockReply): StreamAnswer;
  /** What reports an error in the middle of a stream, sent after the first `framesSent` frames of stream(). */
  streamError(error: MockErrorSpec, framesSent?: number): string | Buffer;
}

export interface ParsedCall {
  conversation: MockConversation;
  render: ReplyRenderer;
}

export type WireRoute =
  | {
      /** Stable name for stats and the request log, e.g. "openai.chat.completions". */
      name: string;
      kind: "model";
      /** Throws MockHttpError for a request the real service would reject. */
      parse(call: IncomingCall, ctx: CallContext): ParsedCall;
    }
  | {
      name: string;
      kind: "static";
      answer(call: IncomingCall, ctx: CallContext): HttpAnswer;
    };

export interface WireAdapter {
  readonly name: string;
  /** The route this adapter serves for method + path, or undefined when the path is not its. */
  route(method: string, path: string): WireRoute | undefined;
  /** Renders an error answer in this protocol's shape. */
  error(error: MockErrorSpec, ctx: CallContext): HttpAnswer;
}

/** A JSON object as the adapters read and write it. */
export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
