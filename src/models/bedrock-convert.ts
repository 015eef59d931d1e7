// Neutral request -> Bedrock Converse request, pure: the request rules Bedrock enforces (alternation, no blank text,
// tool blocks need a tool spec, …) and the request options. Answers come back in bedrock-response.ts.

import type {
  ContentBlock,
  ConverseStreamRequest,
  GuardrailStreamConfiguration,
  ImageFormat,
  InferenceConfiguration,
  Message as BedrockMessage,
  SystemContentBlock,
  Tool,
  ToolChoice as BedrockToolChoice,
  ToolConfiguration,
  ToolResultContentBlock,
  ToolUseBlock,
} from "@aws-sdk/client-bedrock-runtime";
import { modelTraits, type BedrockModelTraits } from "./bedrock-model-id.js";
import type { ReasoningEffort } from "./call-options.js";
import type { AssistantMessage, ContentPart, ImagePart, Message, ModelRequest, ReasoningPart, ToolChoice, ToolSpec } from "./types.js";

/** A JSON document as the SDK types it (tool inputs, schemas, additional fields). */
type DocumentType = NonNullable<ToolUseBlock["input"]>;

/** The `provider` tag of reasoning parts this provider produces (and the only ones it sends back). */
export const REASONING_PROVIDER = "bedrock";

/** Text of a user turn inserted where Bedrock needs one and the history has none (first message, emptied turns). */
export const PLACEHOLDER_USER_TEXT = "Continue.";

/** Sent when the history holds tool blocks but the request offers no tool: Bedrock rejects tool blocks without a toolConfig. */
export const PLACEHOLDER_TOOL: Tool = {
  toolSpec: {
    name: "noop",
    description: "Placeholder so the conversation history may hold tool calls. Never call this tool.",
    inputSchema: { json: { type: "object", properties: {} } },
  },
};

export interface GuardrailOptions {
  id: string;
  version: string;
  /** @default "enabled" */
  trace?: "enabled" | "disabled" | "enabled_full";
  /** Streams only. @default Bedrock's (sync) */
  streamProcessingMode?: "sync" | "async";
}

export interface ConverseOptions {
  modelId: string;
  /** Output-token cap when the request sets none. @default Bedrock's default for the model */
  maxTokens?: number;
  /** @default the model's */
  temperature?: number;
  /** @default the model's */
  topP?: number;
  /** @default none */
  stopSequences?: string[];
  /** Model-specific fields, e.g. `{thinking: {type: "enabled", budget_tokens: 4096}}` for Claude. @default none */
  additionalModelRequestFields?: Record<string, unknown>;
  /**
   * Cache points after the system prompt and after the tools, where the model accepts them (Claude: both;
   * Nova: system only; others: none, with a warning). @default false
   */
  promptCaching?: boolean | { ttl: "5m" | "1h" };
  /** @default no guardrail */
  guardrail?: GuardrailOptions;
  /** Send toolResult.status: "auto" = only for models that accept it (Claude). @default "auto" */
  toolResultStatus?: "auto" | boolean;
  /**
   * --reasoning-effort: for Claude, extended thinking with the budget of THINKING_BUDGETS (max tokens raised above
   * it, temperature and topP left out as thinking requires); other models: ignored with a warning. @default none
   */
  reasoningEffort?: ReasoningEffort;
  /** ConverseStream (true) or Converse (false): only the guardrail config differs. @default true */
  stream?: boolean;
}

export interface ConverseConversion {
  input: ConverseStreamRequest;
  /** Things the user should know (tools stripped, caching unsupported); the caller logs them. */
  warnings: string[];
}

/** Claude thinking budgets by reasoning effort (LiteLLM's mapping for low / medium / high). */
export const THINKING_BUDGETS: Readonly<Record<Exclude<ReasoningEffort, "none">, number>> = {
  minimal: 1024,
  low: 1024,
  medium: 2048,
  high: 4096,
  xhigh: 8192,
};

/** Output tokens left for the answer when thinking raises the cap. */
const ANSWER_TOKENS = 4096;

const IMAGE_FORMATS: Record<string, ImageFormat> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/jpg": "jpeg",
  "image/gif": "gif",
  "image/webp": "webp",
};

const isBlank = (text: string): boolean => text.trim() === "";

/** An image part (base64, or a data: URL in `data`) as a Converse image block; a text note for formats Converse lacks. */
export function toImageBlock(part: ImagePart): ContentBlock.ImageMember | ContentBlock.TextMember {
  let mediaType = part.mediaType.toLowerCase();
  let data = part.data;
  const url = /^data:([^;,]+)(?:;[^,]*)?,(.*)$/s.exec(data);
  if (url) {
    mediaType = (url[1] ?? mediaType).toLowerCase();
    data = url[2] ?? "";
  }
  const format = IMAGE_FORMATS[mediaType];
  if (!format) return { text: `[image omitted: ${mediaType} is not a format Bedrock accepts (png, jpeg, gif, webp)]` };
  return { image: { format, source: { bytes: new Uint8Array(Buffer.from(data, "base64")) } } };
}

function userBlocks(parts: ContentPart[]): ContentBlock[] {
  const out: ContentBlock[] = [];
  for (const part of parts) {
    if (part.type === "text") {
      if (!isBlank(part.text)) out.push({ text: part.text });
    } else {
      out.push(toImageBlock(part));
    }
  }
  return out;
}

/** Tool-call arguments as the JSON object Converse wants; invalid or non-object JSON (e.g. cut at max_tokens) becomes {}. */
export function toolInput(args: string): Record<string, unknown> {
  if (args.trim() === "") return {};
  try {
    const value: unknown = JSON.parse(args);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function reasoningBlock(part: ReasoningPart): ContentBlock.ReasoningContentMember | undefined {
  if (part.redacted !== undefined) {
    return { reasoningContent: { redactedContent: new Uint8Array(Buffer.from(part.redacted, "base64")) } };
  }
  if (part.text === "" && part.signature === undefined) return undefined;
  return {
    reasoningContent: { reasoningText: { text: part.text, ...(part.signature !== undefined ? { signature: part.signature } : {}) } },
  };
}

function toolResultText(message: Extract<Message, { role: "tool" }>): string {
  return message.content
    .filter((p) => p.type === "text")
    .map((p) => (p as { text: string }).text)
    .join("\n");
}

interface MessageRules {
  traits: BedrockModelTraits;
  status: boolean;
}

interface Counts {
  droppedReasoning: number;
  toolBlocksAsText: number;
}

function assistantBlocks(message: AssistantMessage, rules: MessageRules, counts: Counts): ContentBlock[] {
  const out: ContentBlock[] = [];
  for (const part of message.reasoning ?? []) {
    // DeepSeek rejects its own reasoning in the history; other providers' reasoning means nothing here.
    if (part.provider !== REASONING_PROVIDER || rules.traits.deepseek) {
      counts.droppedReasoning++;
      continue;
    }
    const block = reasoningBlock(part);
    if (block) out.push(block);
  }
  if (!isBlank(message.text)) out.push({ text: message.text });
  for (const call of message.toolCalls) {
    if (rules.traits.toolUse) {
      out.push({ toolUse: { toolUseId: call.id, name: call.name, input: toolInput(call.arguments) as DocumentType } });
    } else {
      counts.toolBlocksAsText++;
      out.push({ text: `[tool call ${call.name} ${call.arguments}]` });
    }
  }
  return out;
}

function toolResultBlocks(message: Extract<Message, { role: "tool" }>, rules: MessageRules, counts: Counts): ContentBlock[] {
  if (!rules.traits.toolUse) {
    counts.toolBlocksAsText++;
    const text = toolResultText(message);
    return [
      { text: `[result of tool call ${message.toolName}${message.isError ? " (error)" : ""}]\n${isBlank(text) ? "(no output)" : text}` },
    ];
  }
  const content: ToolResultContentBlock[] = [];
  for (const part of message.content) {
    if (part.type === "text") {
      if (!isBlank(part.text)) content.push({ text: part.text });
    } else {
      content.push(toImageBlock(part) as ToolResultContentBlock);
    }
  }
  if (content.length === 0) content.push({ text: "(no output)" });
  return [
    {
      toolResult: {
        toolUseId: message.toolCallId,
        content,
        ...(rules.status ? { status: message.isError ? ("error" as const) : ("success" as const) } : {}),
      },
    },
  ];
}

/**
 * Neutral history → Converse messages: tool results become toolResult blocks in a user turn, same-role
 * neighbours merge (Bedrock wants strict alternation), blank text and emptied turns are dropped, tool results
 * lead their user turn (Claude requires it), and the first message is the user's.
 */
export function toConverseMessages(messages: Message[], rules: MessageRules): { messages: BedrockMessage[]; counts: Counts } {
  const counts: Counts = { droppedReasoning: 0, toolBlocksAsText: 0 };
  const out: { role: "user" | "assistant"; content: ContentBlock[] }[] = [];
  for (const message of messages) {
    let role: "user" | "assistant";
    let blocks: ContentBlock[];
    switch (message.role) {
      case "user":
        role = "user";
        blocks = userBlocks(message.content);
        break;
      case "assistant":
        role = "assistant";
        blocks = assistantBlocks(message, rules, counts);
        break;
      case "tool":
        role = "user";
        blocks = toolResultBlocks(message, rules, counts);
        break;
    }
    if (blocks.length === 0) continue;
    const last = out.at(-1);
    if (last && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  }
  for (const m of out) {
    if (m.role !== "user") continue;
    const results = m.content.filter((b) => b.toolResult !== undefined);
    if (results.length > 0 && results.length < m.content.length)
      m.content = [...results, ...m.content.filter((b) => b.toolResult === undefined)];
  }
  if (out[0]?.role !== "user") out.unshift({ role: "user", content: [{ text: PLACEHOLDER_USER_TEXT }] });
  return { messages: out, counts };
}

function hasToolBlocks(messages: BedrockMessage[]): boolean {
  return messages.some((m) => (m.content ?? []).some((b) => b.toolUse !== undefined || b.toolResult !== undefined));
}

function toBedrockToolChoice(choice: ToolChoice | undefined): BedrockToolChoice | undefined {
  // "auto" is Converse's default and some models reject an explicit toolChoice: send it only when it matters.
  if (choice === undefined || choice === "auto" || choice === "none") return undefined;
  if (choice === "any") return { any: {} };
  return { tool: { name: choice.name } };
}

function toBedrockTool(tool: ToolSpec): Tool {
  return {
    toolSpec: {
      name: tool.name,
      // Bedrock rejects an empty description.
      ...(isBlank(tool.description) ? {} : { description: tool.description }),
      inputSchema: { json: tool.parameters as DocumentType },
    },
  };
}

function cachePoint(caching: ConverseOptions["promptCaching"]): { cachePoint: { type: "default"; ttl?: "5m" | "1h" } } {
  return { cachePoint: { type: "default", ...(typeof caching === "object" ? { ttl: caching.ttl } : {}) } };
}

/** A neutral request → a ConverseStream (or Converse) request, plus warnings for the user. */
export function toConverseRequest(request: ModelRequest, options: ConverseOptions): ConverseConversion {
  const traits = modelTraits(options.modelId);
  const warnings: string[] = [];
  const where = `bedrock/${options.modelId}`;
  const status =
    options.toolResultStatus === undefined || options.toolResultStatus === "auto" ? traits.toolResultStatus : options.toolResultStatus;
  const { messages, counts } = toConverseMessages(request.messages, { traits, status });
  const input: ConverseStreamRequest = { modelId: options.modelId, messages };
  const caching = options.promptCaching ?? false;

  if (!isBlank(request.system)) {
    const system: SystemContentBlock[] = [{ text: request.system }];
    if (caching && traits.cacheSystem) system.push(cachePoint(caching));
    input.system = system;
  }
  if (caching && !traits.cacheSystem) warnings.push(`${where}: prompt caching is not supported by this model; no cache points sent`);

  if (!traits.toolUse) {
    if (request.tools.length > 0) {
      warnings.push(
        `${where}: this model does not support tool use; ${request.tools.length} tool(s) stripped, the agent can only answer in text`,
      );
    }
    if (counts.toolBlocksAsText > 0)
      warnings.push(`${where}: tool calls and results in the history were sent as text (the model does not support tool use)`);
  } else {
    const offered = request.toolChoice === "none" ? [] : request.tools;
    const tools: Tool[] = offered.map(toBedrockTool);
    if (tools.length === 0 && hasToolBlocks(messages)) tools.push(PLACEHOLDER_TOOL);
    if (tools.length > 0) {
      if (caching && traits.cacheTools && offered.length > 0) tools.push(cachePoint(caching));
      const toolConfig: ToolConfiguration = { tools };
      const choice = offered.length > 0 ? toBedrockToolChoice(request.toolChoice) : undefined;
      if (choice) toolConfig.toolChoice = choice;
      input.toolConfig = toolConfig;
    }
  }

  const inference: InferenceConfiguration = {};
  let maxTokens = request.maxTokens ?? options.maxTokens;
  let temperature = request.temperature ?? options.temperature;
  let topP = request.topP ?? options.topP;
  let additional = options.additionalModelRequestFields ? { ...options.additionalModelRequestFields } : {};
  const effort = options.reasoningEffort;
  if (effort !== undefined && effort !== "none") {
    if (!traits.claude) {
      warnings.push(`${where}: --reasoning-effort has no Converse mapping for this model; ignored (use additionalModelRequestFields)`);
    } else if (additional["thinking"] === undefined) {
      const budget = THINKING_BUDGETS[effort];
      additional = { ...additional, thinking: { type: "enabled", budget_tokens: budget } };
      if (maxTokens !== undefined && maxTokens <= budget) {
        warnings.push(`${where}: max tokens ${maxTokens} is not above the thinking budget ${budget}; raised to ${budget + ANSWER_TOKENS}`);
      }
      if (maxTokens === undefined || maxTokens <= budget) maxTokens = budget + ANSWER_TOKENS;
      if (temperature !== undefined || topP !== undefined) {
        warnings.push(`${where}: temperature and top_p are left out: Claude's extended thinking requires their defaults`);
        temperature = undefined;
        topP = undefined;
      }
    }
  }
  if (maxTokens !== undefined) inference.maxTokens = maxTokens;
  if (temperature !== undefined) inference.temperature = temperature;
  if (topP !== undefined) inference.topP = topP;
  if (options.stopSequences && options.stopSequences.length > 0) inference.stopSequences = [...options.stopSequences];
  if (Object.keys(inference).length > 0) input.inferenceConfig = inference;
  if (Object.keys(additional).length > 0) input.additionalModelRequestFields = additional as DocumentType;
  if (options.guardrail) {
    const g = options.guardrail;
    const config: GuardrailStreamConfiguration = { guardrailIdentifier: g.id, guardrailVersion: g.version, trace: g.trace ?? "enabled" };
    if ((options.stream ?? true) && g.streamProcessingMode) config.streamProcessingMode = g.streamProcessingMode;
    input.guardrailConfig = config;
  }
  return { input, warnings };
}
