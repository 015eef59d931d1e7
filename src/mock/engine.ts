// The mock "model" in neutral form: conversation in, reply out (policy choice, task lookup, tool-call ids,
// output-token cap, usage). Pure and deterministic; wire adapters and the HTTP server sit around it.

import { createHash } from "node:crypto";
import type { Task } from "../datasets/types.js";
import { looksLikeReasoningModel } from "../models/generation.js";
import type { ToolCall } from "../models/types.js";
import { POLICIES, findTask, type PolicyReply } from "./policies.js";
import { resolvePolicyName, type PolicyName } from "./policy-names.js";
import { CHARS_PER_TOKEN, charsToTokens, estimateCompletionTokens, estimatePromptUsage } from "./tokens.js";
import { MockHttpError, type MockConversation, type MockReply } from "./wire.js";

export interface EngineOptions {
  tasks: readonly Task[];
  /** Policy for a model name that names none. */
  defaultPolicy: PolicyName;
  /** Prompt tokens above which a call fails with context_length_exceeded; undefined = no limit. */
  contextWindowTokens?: number | undefined;
}

export interface EngineResult {
  reply: MockReply;
  policy: PolicyName;
  task: Task | undefined;
}

function digest(text: string, length: number): string {
  return createHash("sha256").update(text).digest("base64url").replace(/[-_]/g, "").slice(0, length);
}

/**
 * Cuts a reply to maxTokens output tokens the way a model stops mid-generation: text first, then tool
 * calls in order; a call cut in the middle keeps its partial (invalid) JSON arguments, later calls are dropped.
 */
export function capReply(text: string, calls: ToolCall[], maxTokens: number): { text: string; toolCalls: ToolCall[]; capped: boolean } {
  if (estimateCompletionTokens(text, calls) <= maxTokens) return { text, toolCalls: calls, capped: false };
  let budget = maxTokens * CHARS_PER_TOKEN;
  const cut = (s: string, n: number): string => Array.from(s).slice(0, Math.max(0, n)).join("");
  if (text.length >= budget) return { text: cut(text, budget), toolCalls: [], capped: true };
  budget -= text.length;
  const kept: ToolCall[] = [];
  for (const call of calls) {
    const cost = call.name.length + call.arguments.length;
    if (cost <= budget) {
      kept.push(call);
      budget -= cost;
      continue;
    }
    if (budget > call.name.length) kept.push({ ...call, arguments: cut(call.arguments, budget - call.name.length) });
    break;
  }
  return { text, toolCalls: kept, capped: true };
}

/** Answers one model call. Throws MockHttpError (400 context_length_exceeded) when the prompt is over the window. */
export function respond(conversation: MockConversation, options: EngineOptions): EngineResult {
  const { promptTokens, cachedTokens } = estimatePromptUsage(conversation);
  const window = options.contextWindowTokens;
  if (window !== undefined && promptTokens > window) {
    throw new MockHttpError({
      status: 400,
      message: `This model's maximum context length is ${window} tokens. However, your messages resulted in ${promptTokens} tokens. Please reduce the length of the messages.`,
      type: "invalid_request_error",
      param: "messages",
      code: "context_length_exceeded",
    });
  }
  const policy = resolvePolicyName(conversation.model) ?? options.defaultPolicy;
  const task = findTask(options.tasks, conversation.messages);
  const toolNames = conversation.toolChoice === "none" ? [] : conversation.tools.map((t) => t.name);
  const answer: PolicyReply = POLICIES[policy]({ task, messages: conversation.messages, toolNames });

  // Ids depend only on the conversation, so a retried call gets the same ids and runs are reproducible.
  const id = digest(JSON.stringify([conversation.model, conversation.system, conversation.messages]), 29);
  let toolCalls: ToolCall[] = answer.toolCalls.map((c, i) => ({
    id: digest(`${id}:${i}`, 24),
    name: c.name,
    arguments: JSON.stringify(c.arguments),
  }));
  let text = answer.text;
  let capped = false;
  if (conversation.maxTokens !== undefined) ({ text, toolCalls, capped } = capReply(text, toolCalls, conversation.maxTokens));
  const reasoning = reasons(conversation) ? reasoningFor(text, toolCalls, conversation.reasoning?.effort) : undefined;
  const visibleTokens = estimateCompletionTokens(text, toolCalls);
  const completionTokens = Math.min(visibleTokens + (reasoning?.tokens ?? 0), conversation.maxTokens ?? Infinity);
  return {
    reply: {
      id,
      text,
      toolCalls,
      stopReason: capped ? "max_tokens" : toolCalls.length > 0 ? "tool_use" : "end_turn",
      usage: { promptTokens, completionTokens, cachedTokens, reasoningTokens: Math.min(reasoning?.tokens ?? 0, completionTokens) },
      ...(reasoning ? { reasoning: { summary: reasoning.summary } } : {}),
    },
    policy,
    task,
  };
}

/** A reasoning model reasons before every answer: o1/o3/o4/gpt-5-style ids, or any model asked for a reasoning effort. */
function reasons(conversation: MockConversation): boolean {
  const effort = conversation.reasoning?.effort;
  if (effort === "none") return false;
  return effort !== undefined || looksLikeReasoningModel(conversation.model);
}

/** Tokens of hidden reasoning per token of its summary, by effort. */
const REASONING_FACTOR: Record<string, number> = { minimal: 1, low: 2, medium: 4, high: 8, xhigh: 12 };

/** Deterministic reasoning: a summary of what the reply does, and hidden tokens a few times its length. */
export function reasoningFor(
  text: string,
  toolCalls: readonly ToolCall[],
  effort: string | undefined,
): { summary: string; tokens: number } {
  const plan =
    toolCalls.length > 0
      ? `Next I will call ${toolCalls.map((c) => c.name).join(", ")} to make progress on the task.`
      : `Next I will answer in text${text ? ` ("${text.length > 60 ? `${text.slice(0, 60)}…` : text}")` : ""}.`;
  const summary = `**Planning the next step**\n\n${plan}`;
  return { summary, tokens: charsToTokens(summary.length) * (REASONING_FACTOR[effort ?? "medium"] ?? 4) };
}
