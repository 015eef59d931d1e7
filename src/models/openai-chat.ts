// OpenAI Chat Completions provider (also any OpenAI-compatible endpoint): the client (its SDK client, deadline and
// drop_params retry are openai-client.ts's) and the neutral request -> wire conversion; answers are assembled in
// openai-chat-stream.ts.

import dc from "node:diagnostics_channel";
import type {
  ChatCompletionContentPart,
  ChatCompletionCreateParams,
  ChatCompletionMessageParam,
  ChatCompletionTool,
  ChatCompletionToolChoiceOption,
} from "openai/resources/chat/completions";
import { ModelError } from "./errors.js";
import type { GenerationParams } from "./call-options.js";
import { chunkHasContent, fromChatUsage, mapFinishReason, StreamAccumulator } from "./openai-chat-stream.js";
import { OpenAIClientCore, type OpenAIClientOptions } from "./openai-client.js";
import type { AssistantMessage, ContentPart, Message, ModelClient, ModelRequest, ModelResponse, ToolChoice, ToolSpec } from "./types.js";

/**
 * Connections Node's fetch (undici, which the openai SDK calls) opened so far, by origin. fetch keeps connections
 * alive and drops one the server closed or that failed, so the SDK needs no agent of its own; this only counts, from
 * undici's own diagnostics channel, because fetch offers no other hook without the undici package.
 */
const fetchConnectionCounts = new Map<string, number>();
dc.subscribe("undici:client:connected", (message) => {
  const p = (message as { connectParams?: { protocol?: string; host?: string } }).connectParams;
  if (!p?.protocol || !p.host) return;
  const origin = `${p.protocol}//${p.host}`;
  fetchConnectionCounts.set(origin, (fetchConnectionCounts.get(origin) ?? 0) + 1);
});
export function fetchConnections(): Record<string, number> {
  return Object.fromEntries(fetchConnectionCounts);
}

export interface OpenAIChatOptions extends OpenAIClientOptions {
  /** Provider name reported in results. @default "openai" */
  provider?: string;
  /** The SDK's own retries; only the throttling benchmark's baseline sets it (the harness retries). @default 0 */
  sdkMaxRetries?: number;
  /** Stop sequences (--stop-sequence), sent as `stop`. @default none */
  stopSequences?: string[];
}

export class OpenAIChatClient implements ModelClient {
  readonly provider: string;
  readonly model: string;
  readonly region?: string;
  #core: OpenAIClientCore;
  #options: OpenAIChatOptions;

  constructor(options: OpenAIChatOptions) {
    this.#options = options;
    this.provider = options.provider ?? "openai";
    this.model = options.model;
    this.#core = new OpenAIClientCore(`${this.provider}/${this.model}`, options, options.sdkMaxRetries ?? 0);
  }

  generate(request: ModelRequest): Promise<ModelResponse> {
    const o = this.#options;
    return this.#core.generate(request, {
      body: (drop) =>
        toChatRequest(this.model, request, {
          maxOutputTokens: o.maxOutputTokens,
          reasoningEffort: o.reasoningEffort,
          seed: o.seed,
          temperature: o.temperature,
          topP: o.topP,
          ...(o.stopSequences ? { stop: o.stopSequences } : {}),
          drop,
        }),
      optionalParamsIn: optionalChatParamsIn,
      call: (body, signal, started, where) => this.#call(body, signal, started, where),
    });
  }

  async #call(
    body: Omit<ChatCompletionCreateParams, "stream">,
    signal: AbortSignal,
    started: number,
    where: string,
  ): Promise<ModelResponse> {
    const stream = this.#options.stream ?? true;
    if (!stream) {
      const { data, request_id } = await this.#core.sdk.chat.completions.create({ ...body, stream: false }, { signal }).withResponse();
      const choice = data.choices[0];
      if (!choice) throw new ModelError("transient", `${where}: response had no choices`);
      const message: AssistantMessage = {
        role: "assistant",
        text: choice.message.content ?? "",
        toolCalls: (choice.message.tool_calls ?? []).flatMap((c) =>
          c.type === "function" ? [{ id: c.id, name: c.function.name, arguments: c.function.arguments }] : [],
        ),
      };
      return {
        message,
        stopReason: mapFinishReason(choice.finish_reason, message.toolCalls.length > 0),
        usage: fromChatUsage(data.usage),
        latencyMs: performance.now() - started,
        ...(request_id ? { requestId: request_id } : {}),
      };
    }
    const { data: chunks, request_id } = await this.#core.sdk.chat.completions
      .create({ ...body, stream: true, stream_options: { include_usage: true } }, { signal })
      .withResponse();
    const acc = new StreamAccumulator();
    let ttftMs: number | undefined;
    for await (const chunk of chunks) {
      if (ttftMs === undefined && chunkHasContent(chunk)) ttftMs = performance.now() - started;
      acc.add(chunk);
    }
    const done = acc.finish(where);
    return {
      ...done,
      latencyMs: performance.now() - started,
      ...(ttftMs !== undefined ? { ttftMs } : {}),
      ...(request_id ? { requestId: request_id } : {}),
    };
  }
}

export interface ChatRequestParams extends GenerationParams {
  /** Stop sequences (`stop`); asked for explicitly, so never dropped by the drop_params switch. @default none */
  stop?: string[];
  /** Optional parameters to leave out (the drop_params switch: OPTIONAL_CHAT_PARAMS names). @default none */
  drop?: ReadonlySet<string>;
}

/** Request keys the drop_params switch may leave out. */
export const OPTIONAL_CHAT_PARAMS = ["reasoning_effort", "seed", "temperature", "top_p"] as const;

/** The optional parameters a body carries (what a drop_params retry would leave out). */
export function optionalChatParamsIn(body: Omit<ChatCompletionCreateParams, "stream">): string[] {
  return OPTIONAL_CHAT_PARAMS.filter((k) => body[k] !== undefined && body[k] !== null);
}

export function toChatRequest(
  model: string,
  request: ModelRequest,
  params: ChatRequestParams = {},
): Omit<ChatCompletionCreateParams, "stream"> {
  const body: Omit<ChatCompletionCreateParams, "stream"> = {
    model,
    messages: toChatMessages(request.system, request.messages),
  };
  if (request.tools.length > 0) {
    body.tools = request.tools.map(toChatTool);
    body.tool_choice = toChatToolChoice(request.toolChoice ?? "auto");
  }
  const maxTokens = request.maxTokens ?? params.maxOutputTokens;
  if (maxTokens !== undefined) body.max_completion_tokens = maxTokens;
  if (params.stop && params.stop.length > 0) body.stop = [...params.stop];
  const keep = (key: (typeof OPTIONAL_CHAT_PARAMS)[number]): boolean => !params.drop?.has(key);
  const temperature = request.temperature ?? params.temperature;
  const topP = request.topP ?? params.topP;
  if (temperature !== undefined && keep("temperature")) body.temperature = temperature;
  if (topP !== undefined && keep("top_p")) body.top_p = topP;
  if (params.seed !== undefined && keep("seed")) body.seed = params.seed;
  if (params.reasoningEffort !== undefined && keep("reasoning_effort")) body.reasoning_effort = params.reasoningEffort;
  return body;
}

function toChatTool(tool: ToolSpec): ChatCompletionTool {
  return { type: "function", function: { name: tool.name, description: tool.description, parameters: tool.parameters } };
}

function toChatToolChoice(choice: ToolChoice): ChatCompletionToolChoiceOption {
  if (choice === "any") return "required";
  if (choice === "auto" || choice === "none") return choice;
  return { type: "function", function: { name: choice.name } };
}

function dataUrl(part: { mediaType: string; data: string }): string {
  return `data:${part.mediaType};base64,${part.data}`;
}

function toUserContent(parts: ContentPart[]): string | ChatCompletionContentPart[] {
  if (parts.every((p) => p.type === "text")) return parts.map((p) => (p as { text: string }).text).join("\n");
  return parts.map((p) => (p.type === "text" ? { type: "text", text: p.text } : { type: "image_url", image_url: { url: dataUrl(p) } }));
}

/**
 * Neutral history → Chat messages. Tool messages carry text only on this API, so a tool result's
 * images follow it in a user message (after all tool messages of that turn, which must stay contiguous).
 */
export function toChatMessages(system: string, messages: Message[]): ChatCompletionMessageParam[] {
  const out: ChatCompletionMessageParam[] = [];
  if (system) out.push({ role: "system", content: system });
  let pendingImages: ContentPart[] = [];
  const flushImages = (): void => {
    if (pendingImages.length === 0) return;
    out.push({ role: "user", content: toUserContent([{ type: "text", text: "Images from the tool results above:" }, ...pendingImages]) });
    pendingImages = [];
  };
  for (const message of messages) {
    if (message.role !== "tool") flushImages();
    switch (message.role) {
      case "user":
        out.push({ role: "user", content: toUserContent(message.content) });
        break;
      case "assistant":
        out.push({
          role: "assistant",
          content: message.text === "" && message.toolCalls.length > 0 ? null : message.text,
          ...(message.toolCalls.length > 0
            ? {
                tool_calls: message.toolCalls.map((c) => ({
                  id: c.id,
                  type: "function" as const,
                  function: { name: c.name, arguments: c.arguments },
                })),
              }
            : {}),
        });
        break;
      case "tool": {
        const text = message.content
          .filter((p) => p.type === "text")
          .map((p) => (p as { text: string }).text)
          .join("\n");
        const images = message.content.filter((p) => p.type === "image");
        pendingImages.push(...images);
        out.push({
          role: "tool",
          tool_call_id: message.toolCallId,
          content: text || (images.length > 0 ? "(image attached below)" : "(no output)"),
        });
        break;
      }
    }
  }
  flushImages();
  return out;
}
