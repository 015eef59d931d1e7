// OpenAI Responses API request conversion, pure: neutral request -> Responses request body (input items, tools, the
// optional parameters). Answers come back in openai-responses-stream.ts.

import type {
  FunctionTool,
  ResponseCreateParamsBase,
  ResponseFunctionCallOutputItem,
  ResponseInputContent,
  ResponseInputItem,
  ToolChoiceFunction,
  ToolChoiceOptions,
} from "openai/resources/responses/responses";
import { looksLikeReasoningModel } from "./generation.js";
import type { GenerationParams } from "./call-options.js";
import type { ContentPart, Message, ModelRequest, ToolChoice, ToolSpec } from "./types.js";

/** A Responses request body without `stream` (the client adds it). */
export type ResponsesBody = Omit<ResponseCreateParamsBase, "stream">;

export interface ResponsesRequestSettings extends GenerationParams {
  /** Provider name stamped on reasoning parts; only parts it produced are sent back. @default "openai-responses" */
  provider?: string;
  /**
   * Ask for reasoning summaries and encrypted reasoning (reasoning models only).
   * @default true when reasoningEffort is set or the model id looks like a reasoning model
   */
  reasoning?: boolean;
  /**
   * Optional parameters to leave out (the drop_params switch: OPTIONAL_RESPONSES_PARAMS names; `reasoning` and
   * `include` go together, the one asks for what the other brings back). @default none
   */
  drop?: ReadonlySet<string>;
}

/** Request keys the drop_params switch may leave out; everything else is needed for the call to mean the same. */
export const OPTIONAL_RESPONSES_PARAMS = ["reasoning", "include", "temperature", "top_p"] as const;

export function toResponsesRequest(model: string, request: ModelRequest, settings: ResponsesRequestSettings = {}): ResponsesBody {
  const provider = settings.provider ?? "openai-responses";
  const body: ResponsesBody = {
    model,
    input: toResponsesInput(request.messages, provider),
    // Stateless: the whole history goes with every call, so nothing needs to be stored server-side.
    store: false,
  };
  if (request.system) body.instructions = request.system;
  if (request.tools.length > 0) {
    body.tools = request.tools.map(toResponsesTool);
    body.tool_choice = toResponsesToolChoice(request.toolChoice ?? "auto");
  }
  const maxTokens = request.maxTokens ?? settings.maxOutputTokens;
  if (maxTokens !== undefined) body.max_output_tokens = maxTokens;
  const keep = (key: (typeof OPTIONAL_RESPONSES_PARAMS)[number]): boolean => !settings.drop?.has(key);
  const temperature = request.temperature ?? settings.temperature;
  const topP = request.topP ?? settings.topP;
  if (temperature !== undefined && keep("temperature")) body.temperature = temperature;
  if (topP !== undefined && keep("top_p")) body.top_p = topP;
  const reasoning = settings.reasoning ?? (settings.reasoningEffort !== undefined || looksLikeReasoningModel(model));
  if (reasoning && keep("reasoning") && keep("include")) {
    body.reasoning = { summary: "auto", ...(settings.reasoningEffort !== undefined ? { effort: settings.reasoningEffort } : {}) };
    // With store: false, reasoning carries over turns only as encrypted content the client sends back.
    body.include = ["reasoning.encrypted_content"];
  }
  return body;
}

/** The optional parameters a body carries (what a drop_params retry would leave out). */
export function optionalParamsIn(body: ResponsesBody): string[] {
  return OPTIONAL_RESPONSES_PARAMS.filter((k) => body[k] !== undefined && body[k] !== null);
}

function toResponsesTool(tool: ToolSpec): FunctionTool {
  // strict: false: the Responses API makes function tools strict by default, which demands every property
  // be required; the agent's tools have optional arguments.
  return { type: "function", name: tool.name, description: tool.description, parameters: tool.parameters, strict: false };
}

export function toResponsesToolChoice(choice: ToolChoice): ToolChoiceOptions | ToolChoiceFunction {
  if (choice === "any") return "required";
  if (choice === "auto" || choice === "none") return choice;
  return { type: "function", name: choice.name };
}

const dataUrl = (part: { mediaType: string; data: string }): string => `data:${part.mediaType};base64,${part.data}`;

function toInputContent(parts: ContentPart[]): ResponseInputContent[] {
  return parts.map((p) =>
    p.type === "text" ? { type: "input_text", text: p.text } : { type: "input_image", image_url: dataUrl(p), detail: "auto" },
  );
}

function toFunctionOutput(parts: ContentPart[]): string | ResponseFunctionCallOutputItem[] {
  if (parts.every((p) => p.type === "text")) {
    const text = parts.map((p) => (p as { text: string }).text).join("\n");
    return text === "" ? "(no output)" : text;
  }
  return parts.map((p) =>
    p.type === "text" ? { type: "input_text", text: p.text } : { type: "input_image", image_url: dataUrl(p), detail: "auto" },
  );
}

/**
 * Neutral history -> input items. An assistant turn becomes its reasoning items (only those this provider
 * produced with encrypted content: with store: false an id alone is "not found"), then its text, then its
 * function calls. Message and call items go without ids: nothing is stored server-side to refer to.
 */
export function toResponsesInput(messages: Message[], provider = "openai-responses"): ResponseInputItem[] {
  const out: ResponseInputItem[] = [];
  for (const message of messages) {
    switch (message.role) {
      case "user":
        out.push({ type: "message", role: "user", content: toInputContent(message.content) });
        break;
      case "assistant":
        for (const r of message.reasoning ?? []) {
          if (r.provider !== provider || !r.encrypted) continue;
          // The API takes a reasoning item without an id when it carries encrypted content; never send an empty id.
          out.push({
            type: "reasoning",
            ...(r.id ? { id: r.id } : {}),
            summary: r.text ? [{ type: "summary_text", text: r.text }] : [],
            encrypted_content: r.encrypted,
          } as ResponseInputItem);
        }
        if (message.text !== "") out.push({ type: "message", role: "assistant", content: message.text });
        for (const call of message.toolCalls) {
          out.push({ type: "function_call", call_id: call.id, name: call.name, arguments: call.arguments });
        }
        break;
      case "tool":
        out.push({ type: "function_call_output", call_id: message.toolCallId, output: toFunctionOutput(message.content) });
        break;
    }
  }
  return out;
}
