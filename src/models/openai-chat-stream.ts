// OpenAI Chat Completions answers -> neutral, pure: streamed chunks assembled (text, tool calls from fragments, finish
// reason, the final usage chunk), the stop reason and the disjoint usage.

import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import type { CompletionUsage } from "openai/resources/completions";
import { ModelError } from "./errors.js";
import type { AssistantMessage, StopReason, ToolCall, Usage } from "./types.js";

/** Whether a chunk carries text or a tool-call fragment (the first one is the time to first token). */
export function chunkHasContent(chunk: ChatCompletionChunk): boolean {
  const delta = chunk.choices[0]?.delta;
  return Boolean(delta && (delta.content || delta.tool_calls?.length));
}

/** Assembles a streamed completion: text, tool calls from fragments, finish reason, final usage chunk. */
export class StreamAccumulator {
  #text = "";
  #calls = new Map<number, { id: string; name: string; arguments: string }>();
  #finish: string | null = null;
  #usage: CompletionUsage | undefined;

  add(chunk: ChatCompletionChunk): void {
    if (chunk.usage) this.#usage = chunk.usage;
    for (const choice of chunk.choices) {
      if (choice.index !== 0) continue;
      const delta = choice.delta;
      if (delta?.content) this.#text += delta.content;
      for (const part of delta?.tool_calls ?? []) {
        const call = this.#calls.get(part.index) ?? { id: "", name: "", arguments: "" };
        if (part.id) call.id = part.id;
        if (part.function?.name) call.name += part.function.name;
        if (part.function?.arguments) call.arguments += part.function.arguments;
        this.#calls.set(part.index, call);
      }
      if (choice.finish_reason) this.#finish = choice.finish_reason;
    }
  }

  finish(where: string): { message: AssistantMessage; stopReason: StopReason; usage: Usage } {
    if (this.#finish === null) {
      // A stream that ends without finish_reason was cut: never a silent success.
      throw new ModelError("transient", `${where}: stream ended without finish_reason`);
    }
    const toolCalls: ToolCall[] = [...this.#calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, c]) => ({ id: c.id || `call_${index}`, name: c.name, arguments: c.arguments }));
    return {
      message: { role: "assistant", text: this.#text, toolCalls },
      stopReason: mapFinishReason(this.#finish, toolCalls.length > 0),
      usage: fromChatUsage(this.#usage),
    };
  }
}

export function mapFinishReason(reason: string | null | undefined, hasToolCalls: boolean): StopReason {
  if (hasToolCalls) return "tool_use";
  switch (reason) {
    case "stop":
      return "end_turn";
    case "length":
      return "max_tokens";
    case "tool_calls":
    case "function_call":
      return "tool_use";
    case "content_filter":
      return "content_filter";
    default:
      return "other";
  }
}

/** Chat usage → disjoint neutral usage: cached tokens are part of prompt_tokens, so they are subtracted. */
export function fromChatUsage(usage: CompletionUsage | null | undefined): Usage {
  const prompt = usage?.prompt_tokens ?? 0;
  const details = usage?.prompt_tokens_details as { cached_tokens?: number; cache_write_tokens?: number } | undefined;
  const cached = details?.cached_tokens ?? 0;
  const written = details?.cache_write_tokens ?? 0;
  return {
    inputTokens: Math.max(0, prompt - cached - written),
    cacheReadTokens: cached,
    cacheWriteTokens: written,
    outputTokens: usage?.completion_tokens ?? 0,
    reasoningTokens: usage?.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}
