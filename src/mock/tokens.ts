// Deterministic token estimates for the mock: about 4 characters per token, plus a simulated prefix cache.
// Computed on the neutral conversation, so every wire protocol reports the same numbers for the same call.

import type { Message, ToolCall } from "../models/types.js";
import type { MockConversation } from "./wire.js";

const CHARS_PER_TOKEN = 4;
/** Cached prompt tokens come in blocks of this size, as OpenAI reports them. */
export const CACHE_BLOCK_TOKENS = 64;
/** An image counts as this many characters (765 tokens: a 1024x1024 image on OpenAI's scale). */
const IMAGE_CHARS = 765 * CHARS_PER_TOKEN;

function messageChars(message: Message): number {
  if (message.role === "assistant") return JSON.stringify(message).length;
  let chars = 0;
  // Images are counted at a fixed size instead of by their base64 length.
  const content = message.content.map((part) => {
    if (part.type === "image") {
      chars += IMAGE_CHARS;
      return { type: "image", mediaType: part.mediaType };
    }
    return part;
  });
  return chars + JSON.stringify({ ...message, content }).length;
}

/**
 * Prompt tokens of a call and the part a prefix cache would serve: the previous call's prompt, i.e.
 * everything before the last assistant turn (0 when there is none), rounded down to a 64-token block.
 */
export function estimatePromptUsage(conversation: MockConversation): { promptTokens: number; cachedTokens: number } {
  const head = JSON.stringify({ system: conversation.system, tools: conversation.tools }).length;
  let lastAssistant = -1;
  conversation.messages.forEach((m, i) => {
    if (m.role === "assistant") lastAssistant = i;
  });
  let total = head;
  let prefix = lastAssistant >= 0 ? head : 0;
  conversation.messages.forEach((m, i) => {
    const chars = messageChars(m);
    total += chars;
    if (i < lastAssistant) prefix += chars;
  });
  const promptTokens = Math.max(1, Math.ceil(total / CHARS_PER_TOKEN));
  const prefixTokens = Math.floor(prefix / CHARS_PER_TOKEN);
  const cachedTokens = Math.min(promptTokens, Math.floor(prefixTokens / CACHE_BLOCK_TOKENS) * CACHE_BLOCK_TOKENS);
  return { promptTokens, cachedTokens };
}

export function charsToTokens(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/** Output tokens of a reply: its text plus each tool call's name and arguments (at least 1). */
export function estimateCompletionTokens(text: string, toolCalls: readonly Pick<ToolCall, "name" | "arguments">[]): number {
  let chars = text.length;
  for (const call of toolCalls) chars += call.name.length + call.arguments.length;
  return Math.max(1, charsToTokens(chars));
}

export { CHARS_PER_TOKEN };
