// Provider-neutral message, tool and response types: the one shape the agent loop speaks.
// Each provider converts to and from its wire format; nothing outside src/models knows a wire format.

export interface TextPart {
  type: "text";
  text: string;
}

export interface ImagePart {
  type: "image";
  /** e.g. image/png */
  mediaType: string;
  /** base64, no data: prefix */
  data: string;
}

export type ContentPart = TextPart | ImagePart;

export interface ToolCall {
  /** Provider-assigned id; tool results refer to it. */
  id: string;
  name: string;
  /** Raw JSON text of the arguments as the model produced it (may be invalid JSON). */
  arguments: string;
}

/** Reasoning a provider returns and may need back unchanged on the next turn. */
export interface ReasoningPart {
  type: "reasoning";
  text: string;
  /** Bedrock/Claude signature over the reasoning text. */
  signature?: string;
  /** Bedrock redacted reasoning (base64). */
  redacted?: string;
  /** OpenAI Responses reasoning item id and encrypted content. */
  id?: string;
  encrypted?: string;
  /** Which provider produced it; other providers drop it. */
  provider?: string;
}

export interface UserMessage {
  role: "user";
  content: ContentPart[];
}

export interface AssistantMessage {
  role: "assistant";
  /** Visible text ("" when the turn is only tool calls). */
  text: string;
  toolCalls: ToolCall[];
  reasoning?: ReasoningPart[];
}

export interface ToolResultMessage {
  role: "tool";
  toolCallId: string;
  toolName: string;
  content: ContentPart[];
  isError: boolean;
}

export type Message = UserMessage | AssistantMessage | ToolResultMessage;

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON schema of the arguments object. */
  parameters: Record<string, unknown>;
}

export type ToolChoice = "auto" | "any" | "none" | { name: string };

export interface ModelRequest {
  system: string;
  messages: Message[];
  tools: ToolSpec[];
  toolChoice?: ToolChoice;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  /** Aborts the call, stream body included. */
  signal?: AbortSignal;
}

/**
 * Token usage, disjoint where providers allow (docs/ARCHITECTURE.md):
 * the whole prompt is input + cacheRead + cacheWrite; output includes reasoning.
 */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

export type StopReason = "end_turn" | "tool_use" | "max_tokens" | "stop_sequence" | "content_filter" | "other";

export interface ModelResponse {
  message: AssistantMessage;
  stopReason: StopReason;
  usage: Usage;
  /** Wall time of the call, request sent to last byte. */
  latencyMs: number;
  /** Time to first token on streams; undefined when not streamed. */
  ttftMs?: number;
  requestId?: string;
}

/** One model endpoint: provider + model (+ region). Implementations classify their own errors as ModelError. */
export interface ModelClient {
  readonly provider: string;
  readonly model: string;
  readonly region?: string;
  generate(request: ModelRequest): Promise<ModelResponse>;
}

export function emptyUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
}

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
    reasoningTokens: a.reasoningTokens + b.reasoningTokens,
  };
}
