// OpenAI Responses API answers -> neutral, pure: stream events or a whole Response -> neutral response (text, function
// calls, reasoning items, stop reason, disjoint usage), and the error events' classification.

import type { Response, ResponseOutputItem, ResponseStreamEvent, ResponseUsage } from "openai/resources/responses/responses";
import { ModelError, type ErrorClass } from "./errors.js";
import type { AssistantMessage, ReasoningPart, StopReason, ToolCall, Usage } from "./types.js";

/** Responses usage -> disjoint neutral usage: cached (and cache-written) tokens are part of input_tokens. */
export function fromResponsesUsage(usage: ResponseUsage | null | undefined): Usage {
  const details = usage?.input_tokens_details as { cached_tokens?: number; cache_write_tokens?: number } | undefined;
  const cached = details?.cached_tokens ?? 0;
  const written = details?.cache_write_tokens ?? 0;
  return {
    inputTokens: Math.max(0, (usage?.input_tokens ?? 0) - cached - written),
    cacheReadTokens: cached,
    cacheWriteTokens: written,
    outputTokens: usage?.output_tokens ?? 0,
    reasoningTokens: usage?.output_tokens_details?.reasoning_tokens ?? 0,
  };
}

const ERROR_CODE_CLASSES: Record<string, ErrorClass> = {
  insufficient_quota: "quota",
  context_length_exceeded: "context_overflow",
  rate_limit_exceeded: "rate_limit",
  invalid_api_key: "auth",
  invalid_prompt: "invalid_request",
};

/**
 * An error reported inside a 200 stream (`error` event, `response.failed`) -> ModelError. The server failed
 * mid-answer, so it is transient unless the code says otherwise (quota, context, bad input).
 */
export function classifyResponsesError(
  error: { code?: string | null; message?: string | null; type?: string | null } | null | undefined,
  where: string,
): ModelError {
  const code = error?.code ?? undefined;
  const message = `${where}: ${error?.message || "the response failed"}${code ? ` (${code})` : ""}`;
  const byCode = code !== undefined ? ERROR_CODE_CLASSES[code] : undefined;
  const byType = error?.type === "insufficient_quota" ? "quota" : undefined;
  // Image codes (invalid_image, image_too_large, …) name a request the model cannot take: retrying won't help.
  const imageProblem = code !== undefined && /image/.test(code) ? "invalid_request" : undefined;
  return new ModelError(byCode ?? byType ?? imageProblem ?? "transient", message);
}

export interface ResponsesResult {
  message: AssistantMessage;
  stopReason: StopReason;
  usage: Usage;
  responseId?: string;
}

type Entry =
  | { kind: "message"; text: string }
  | { kind: "reasoning"; id: string; summary: string[]; content: string[]; encrypted?: string }
  | { kind: "call"; itemId: string; callId: string; name: string; arguments: string }
  | { kind: "other" };

/** Assembles a Responses stream, event by event; finish() gives the neutral result or throws a ModelError. */
export class ResponsesStreamAccumulator {
  readonly #where: string;
  readonly #provider: string;
  readonly #entries = new Map<number, Entry>();
  #terminal: Response | undefined;
  #responseId: string | undefined;

  constructor(where: string, provider = "openai-responses") {
    this.#where = where;
    this.#provider = provider;
  }

  /** Whether a terminal event (completed or incomplete) arrived. */
  get done(): boolean {
    return this.#terminal !== undefined;
  }

  /** Takes one event; throws a classified ModelError for `error` and `response.failed`. */
  add(event: ResponseStreamEvent): void {
    switch (event.type) {
      case "response.created":
      case "response.in_progress":
      case "response.queued":
        this.#responseId ??= event.response.id;
        return;
      case "response.output_item.added":
      case "response.output_item.done":
        this.#merge(event.output_index, event.item);
        return;
      case "response.output_text.delta":
        this.#message(event.output_index).text += event.delta;
        return;
      case "response.output_text.done":
        this.#message(event.output_index).text = event.text;
        return;
      case "response.refusal.delta":
        this.#message(event.output_index).text += event.delta;
        return;
      case "response.refusal.done":
        this.#message(event.output_index).text = event.refusal;
        return;
      case "response.reasoning_summary_text.delta": {
        const r = this.#reasoning(event.output_index, event.item_id);
        r.summary[event.summary_index] = (r.summary[event.summary_index] ?? "") + event.delta;
        return;
      }
      case "response.reasoning_summary_text.done":
        this.#reasoning(event.output_index, event.item_id).summary[event.summary_index] = event.text;
        return;
      case "response.reasoning_text.delta": {
        const r = this.#reasoning(event.output_index, event.item_id);
        r.content[event.content_index] = (r.content[event.content_index] ?? "") + event.delta;
        return;
      }
      case "response.reasoning_text.done":
        this.#reasoning(event.output_index, event.item_id).content[event.content_index] = event.text;
        return;
      case "response.function_call_arguments.delta":
        this.#call(event.output_index, event.item_id).arguments += event.delta;
        return;
      case "response.function_call_arguments.done": {
        // The .done event carries the whole arguments: it wins over the concatenated deltas.
        const call = this.#call(event.output_index, event.item_id);
        call.arguments = event.arguments;
        if (event.name) call.name = event.name;
        return;
      }
      case "response.completed":
      case "response.incomplete":
        this.#responseId ??= event.response.id;
        this.#terminal = event.response;
        return;
      case "response.failed":
        throw classifyResponsesError(event.response.error, this.#where);
      case "error": {
        // openai@6 yields flat `error` events ({code, message, param}); the nested shape it throws itself.
        const e = event as unknown as {
          code?: string | null;
          message?: string;
          error?: { code?: string | null; message?: string; type?: string };
        };
        throw classifyResponsesError(e.error ?? e, this.#where);
      }
      default:
        return;
    }
  }

  /** The neutral result; a stream that ended without response.completed / response.incomplete was cut: transient. */
  finish(): ResponsesResult {
    const response = this.#terminal;
    if (response === undefined) {
      throw new ModelError("transient", `${this.#where}: stream ended without response.completed`, { staleConnection: true });
    }
    // The terminal event's output is the whole answer; servers that send it empty leave the streamed items.
    for (const [index, item] of (response.output ?? []).entries()) this.#merge(index, item);
    return this.#result(response);
  }

  /** A whole (non-streamed) Response, through the same assembly. */
  static fromResponse(response: Response, where: string, provider = "openai-responses"): ResponsesResult {
    if (response.status === "failed" || response.error) throw classifyResponsesError(response.error, where);
    const acc = new ResponsesStreamAccumulator(where, provider);
    acc.#terminal = response;
    acc.#responseId = response.id;
    return acc.finish();
  }

  #result(response: Response): ResponsesResult {
    const entries = [...this.#entries.entries()].sort(([a], [b]) => a - b).map(([, e]) => e);
    let text = "";
    const toolCalls: ToolCall[] = [];
    const reasoning: ReasoningPart[] = [];
    for (const e of entries) {
      if (e.kind === "message") text += e.text;
      else if (e.kind === "call") toolCalls.push({ id: e.callId || e.itemId, name: e.name, arguments: e.arguments });
      else if (e.kind === "reasoning") {
        const summary = e.summary.filter((s) => s !== "").join("\n\n");
        reasoning.push({
          type: "reasoning",
          text: summary || e.content.join(""),
          ...(e.id ? { id: e.id } : {}),
          ...(e.encrypted ? { encrypted: e.encrypted } : {}),
          provider: this.#provider,
        });
      }
    }
    const message: AssistantMessage = { role: "assistant", text, toolCalls, ...(reasoning.length > 0 ? { reasoning } : {}) };
    return {
      message,
      stopReason: stopReasonOf(response, toolCalls.length > 0),
      usage: fromResponsesUsage(response.usage),
      ...(this.#responseId ? { responseId: this.#responseId } : {}),
    };
  }

  #merge(index: number, item: ResponseOutputItem): void {
    const current = this.#entries.get(index);
    switch (item.type) {
      case "message": {
        const parts = item.content ?? [];
        const text = parts.map((p) => (p.type === "output_text" ? p.text : p.type === "refusal" ? p.refusal : "")).join("");
        // An item announced empty keeps the text its deltas built; a finished item's content wins.
        const kept = current?.kind === "message" ? current.text : "";
        this.#entries.set(index, { kind: "message", text: parts.length > 0 ? text : kept });
        return;
      }
      case "function_call": {
        const prev = current?.kind === "call" ? current : undefined;
        this.#entries.set(index, {
          kind: "call",
          itemId: item.id ?? prev?.itemId ?? "",
          callId: item.call_id || prev?.callId || "",
          name: item.name || prev?.name || "",
          arguments: item.arguments || prev?.arguments || "",
        });
        return;
      }
      case "reasoning": {
        const prev = current?.kind === "reasoning" ? current : undefined;
        const summary = item.summary.length > 0 ? item.summary.map((s) => s.text) : (prev?.summary ?? []);
        const content = item.content && item.content.length > 0 ? item.content.map((c) => c.text) : (prev?.content ?? []);
        const encrypted = item.encrypted_content ?? prev?.encrypted;
        this.#entries.set(index, {
          kind: "reasoning",
          id: item.id || prev?.id || "",
          summary,
          content,
          ...(encrypted ? { encrypted } : {}),
        });
        return;
      }
      default:
        // Built-in tool calls (web search, …) are never requested here.
        if (current === undefined) this.#entries.set(index, { kind: "other" });
    }
  }

  #message(index: number): Extract<Entry, { kind: "message" }> {
    const e = this.#entries.get(index);
    if (e?.kind === "message") return e;
    const fresh = { kind: "message" as const, text: "" };
    this.#entries.set(index, fresh);
    return fresh;
  }

  #reasoning(index: number, itemId: string): Extract<Entry, { kind: "reasoning" }> {
    const e = this.#entries.get(index);
    if (e?.kind === "reasoning") return e;
    const fresh = { kind: "reasoning" as const, id: itemId, summary: [], content: [] };
    this.#entries.set(index, fresh);
    return fresh;
  }

  #call(index: number, itemId: string): Extract<Entry, { kind: "call" }> {
    const e = this.#entries.get(index);
    if (e?.kind === "call") return e;
    const fresh = { kind: "call" as const, itemId, callId: "", name: "", arguments: "" };
    this.#entries.set(index, fresh);
    return fresh;
  }
}

export function stopReasonOf(response: Pick<Response, "status" | "incomplete_details">, hasToolCalls: boolean): StopReason {
  if (response.status === "incomplete") {
    const reason = response.incomplete_details?.reason;
    return reason === "max_output_tokens" ? "max_tokens" : reason === "content_filter" ? "content_filter" : "other";
  }
  return hasToolCalls ? "tool_use" : "end_turn";
}

/** Events that carry model output (for time to first token). */
export function isContentEvent(event: ResponseStreamEvent): boolean {
  return (
    event.type === "response.output_text.delta" ||
    event.type === "response.function_call_arguments.delta" ||
    event.type === "response.reasoning_summary_text.delta" ||
    event.type === "response.reasoning_text.delta" ||
    event.type === "response.refusal.delta" ||
    (event.type === "response.output_item.added" && event.item.type === "function_call")
  );
}
