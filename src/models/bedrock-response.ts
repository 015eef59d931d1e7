// Bedrock Converse answers -> neutral, pure: a Converse response or the ConverseStream events (assembled, mid-stream
// exceptions raised as errors), the usage and the stop reason.

import type { ContentBlock, ConverseResponse, ConverseStreamOutput, TokenUsage } from "@aws-sdk/client-bedrock-runtime";
import { REASONING_PROVIDER } from "./bedrock-convert.js";
import { ModelError } from "./errors.js";
import type { AssistantMessage, ReasoningPart, StopReason, ToolCall, Usage } from "./types.js";

/** Converse usage → neutral: Bedrock's inputTokens already excludes cache reads and writes, so nothing is subtracted. */
export function fromConverseUsage(usage: TokenUsage | undefined): Usage {
  return {
    inputTokens: usage?.inputTokens ?? 0,
    outputTokens: usage?.outputTokens ?? 0,
    cacheReadTokens: usage?.cacheReadInputTokens ?? 0,
    cacheWriteTokens: usage?.cacheWriteInputTokens ?? 0,
    // Bedrock does not report reasoning tokens apart; they are inside outputTokens.
    reasoningTokens: 0,
  };
}

/** Converse stop reasons → neutral; `end_turn` with tool calls is `tool_use` (some models report it so). */
export function mapStopReason(reason: string | undefined, hasToolCalls: boolean): StopReason {
  switch (reason) {
    case "tool_use":
      return "tool_use";
    case "end_turn":
      return hasToolCalls ? "tool_use" : "end_turn";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "max_tokens";
    case "stop_sequence":
      return "stop_sequence";
    case "guardrail_intervened":
    case "content_filtered":
      return "content_filter";
    default:
      return hasToolCalls ? "tool_use" : "other";
  }
}

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");

/** Content blocks of an answer → the neutral assistant message (text blocks joined with a newline). */
export function fromConverseContent(content: ContentBlock[]): AssistantMessage {
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  const reasoning: ReasoningPart[] = [];
  for (const block of content) {
    if (block.text !== undefined) texts.push(block.text);
    else if (block.toolUse !== undefined) {
      toolCalls.push({
        id: block.toolUse.toolUseId ?? "",
        name: block.toolUse.name ?? "",
        arguments: JSON.stringify(block.toolUse.input ?? {}),
      });
    } else if (block.reasoningContent !== undefined) {
      const r = block.reasoningContent;
      if (r.reasoningText !== undefined) {
        reasoning.push({
          type: "reasoning",
          text: r.reasoningText.text ?? "",
          ...(r.reasoningText.signature !== undefined ? { signature: r.reasoningText.signature } : {}),
          provider: REASONING_PROVIDER,
        });
      } else if (r.redactedContent !== undefined) {
        reasoning.push({ type: "reasoning", text: "", redacted: base64(r.redactedContent), provider: REASONING_PROVIDER });
      }
    }
  }
  return { role: "assistant", text: texts.join("\n"), toolCalls, ...(reasoning.length > 0 ? { reasoning } : {}) };
}

export interface ConvertedResponse {
  message: AssistantMessage;
  stopReason: StopReason;
  usage: Usage;
  /** Bedrock's own metrics.latencyMs, when it sent one. */
  serverLatencyMs?: number;
}

/** A Converse response → neutral message, stop reason and usage. */
export function fromConverseResponse(
  response: Pick<ConverseResponse, "output" | "stopReason" | "usage" | "metrics">,
  where: string,
): ConvertedResponse {
  const content = response.output?.message?.content;
  if (content === undefined) throw new ModelError("transient", `${where}: response held no message`);
  const message = fromConverseContent(content);
  return {
    message,
    stopReason: mapStopReason(response.stopReason, message.toolCalls.length > 0),
    usage: fromConverseUsage(response.usage),
    ...(response.metrics?.latencyMs !== undefined ? { serverLatencyMs: response.metrics.latencyMs } : {}),
  };
}

type Block =
  | { kind: "text"; text: string }
  | { kind: "tool"; id: string; name: string; input: string }
  | { kind: "reasoning"; text: string; signature?: string; redacted: Uint8Array[] };

/** Events of a ConverseStream whose member is an exception: thrown as errors named like the SDK's classes. */
const STREAM_EXCEPTIONS = [
  "internalServerException",
  "modelStreamErrorException",
  "validationException",
  "throttlingException",
  "serviceUnavailableException",
] as const;

/** An error shaped like the SDK's modeled exceptions, for the classifier. */
export class StreamExceptionError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * Assembles a ConverseStream: blocks by contentBlockIndex (text, toolUse input fragments, reasoning text /
 * signature / redacted bytes), the stop reason and the usage. finish() refuses a stream that never said
 * messageStop and metadata: a cut stream is an error, never a silent success.
 */
export class ConverseStreamAccumulator {
  #blocks = new Map<number, Block>();
  #stopReason: string | undefined;
  #stopped = false;
  #usage: TokenUsage | undefined;
  #metadata = false;
  #serverLatencyMs: number | undefined;

  /** Whether the event carries model output (for time to first token). */
  static isContent(event: ConverseStreamOutput): boolean {
    return event.contentBlockDelta !== undefined || event.contentBlockStart !== undefined;
  }

  #block<K extends Block["kind"]>(index: number, kind: K): Extract<Block, { kind: K }> {
    const existing = this.#blocks.get(index);
    if (existing?.kind === kind) return existing as Extract<Block, { kind: K }>;
    const created = (
      kind === "text" ? { kind, text: "" } : kind === "tool" ? { kind, id: "", name: "", input: "" } : { kind, text: "", redacted: [] }
    ) as Extract<Block, { kind: K }>;
    this.#blocks.set(index, created);
    return created;
  }

  add(event: ConverseStreamOutput): void {
    for (const name of STREAM_EXCEPTIONS) {
      const ex = (event as unknown as Record<string, { message?: string } | undefined>)[name];
      if (ex !== undefined) throw new StreamExceptionError(name.charAt(0).toUpperCase() + name.slice(1), ex.message ?? name);
    }
    if (event.contentBlockStart !== undefined) {
      const tool = event.contentBlockStart.start?.toolUse;
      if (tool) {
        const block = this.#block(event.contentBlockStart.contentBlockIndex ?? 0, "tool");
        block.id = tool.toolUseId ?? block.id;
        block.name = tool.name ?? block.name;
      }
    } else if (event.contentBlockDelta !== undefined) {
      const index = event.contentBlockDelta.contentBlockIndex ?? 0;
      const delta = event.contentBlockDelta.delta;
      if (delta?.text !== undefined) this.#block(index, "text").text += delta.text;
      else if (delta?.toolUse !== undefined) this.#block(index, "tool").input += delta.toolUse.input ?? "";
      else if (delta?.reasoningContent !== undefined) {
        const block = this.#block(index, "reasoning");
        const r = delta.reasoningContent;
        if (r.text !== undefined) block.text += r.text;
        if (r.signature !== undefined) block.signature = (block.signature ?? "") + r.signature;
        if (r.redactedContent !== undefined) block.redacted.push(r.redactedContent);
      }
    } else if (event.messageStop !== undefined) {
      this.#stopped = true;
      this.#stopReason = event.messageStop.stopReason;
    } else if (event.metadata !== undefined) {
      this.#metadata = true;
      this.#usage = event.metadata.usage;
      this.#serverLatencyMs = event.metadata.metrics?.latencyMs;
    }
  }

  finish(where: string): ConvertedResponse {
    if (!this.#stopped) throw new ModelError("transient", `${where}: stream ended without messageStop (cut off mid-answer)`);
    if (!this.#metadata) throw new ModelError("transient", `${where}: stream ended without its metadata event (usage missing)`);
    const texts: string[] = [];
    const toolCalls: ToolCall[] = [];
    const reasoning: ReasoningPart[] = [];
    for (const [index, block] of [...this.#blocks.entries()].sort(([a], [b]) => a - b)) {
      switch (block.kind) {
        case "text":
          texts.push(block.text);
          break;
        case "tool":
          // Arguments stay as the model streamed them (invalid JSON when cut at max_tokens): the agent reports that.
          toolCalls.push({ id: block.id || `tooluse_${index}`, name: block.name, arguments: block.input || "{}" });
          break;
        case "reasoning":
          reasoning.push(
            block.redacted.length > 0
              ? { type: "reasoning", text: "", redacted: base64(Buffer.concat(block.redacted)), provider: REASONING_PROVIDER }
              : {
                  type: "reasoning",
                  text: block.text,
                  ...(block.signature !== undefined ? { signature: block.signature } : {}),
                  provider: REASONING_PROVIDER,
                },
          );
          break;
      }
    }
    const message: AssistantMessage = {
      role: "assistant",
      text: texts.join("\n"),
      toolCalls,
      ...(reasoning.length > 0 ? { reasoning } : {}),
    };
    return {
      message,
      stopReason: mapStopReason(this.#stopReason, message.toolCalls.length > 0),
      usage: fromConverseUsage(this.#usage),
      ...(this.#serverLatencyMs !== undefined ? { serverLatencyMs: this.#serverLatencyMs } : {}),
    };
  }
}
