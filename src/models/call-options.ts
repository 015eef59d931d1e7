// The options of a model call, defined once: the run-level flags and a config cell's own settings both use this
// shape (src/config validates them), and the providers read it. Also the cell a client is built for.

export const REASONING_EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh"] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];
export const GUARDRAIL_TRACES = ["enabled", "disabled", "enabled_full"] as const;

/** Options of the model calls (generation and Bedrock request settings). Unset means the server's / the model's default. */
export interface CallOptions {
  /** Reasoning models only (Chat: reasoning_effort; Responses: reasoning.effort). */
  reasoningEffort?: ReasoningEffort;
  temperature?: number;
  topP?: number;
  /** Chat Completions only (the Responses API has no seed). */
  seed?: number;
  /** Output-token cap per call (Chat: max_completion_tokens; Responses: max_output_tokens). */
  maxOutputTokens?: number;
  /** Bedrock inferenceConfig.stopSequences; Chat Completions `stop`. */
  stopSequence?: string[];
  additionalModelRequestFields?: Record<string, unknown>;
  promptCaching?: boolean;
  guardrailId?: string;
  guardrailVersion?: string;
  guardrailTrace?: (typeof GUARDRAIL_TRACES)[number];
}

/** Options that only the Bedrock provider sends (stop sequences also go to Chat Completions as `stop`). */
export const BEDROCK_ONLY_OPTION_KEYS = [
  "stopSequence",
  "additionalModelRequestFields",
  "promptCaching",
  "guardrailId",
  "guardrailVersion",
  "guardrailTrace",
] as const satisfies readonly (keyof CallOptions)[];

export const CALL_OPTION_KEYS = [
  "reasoningEffort",
  "temperature",
  "topP",
  "seed",
  "maxOutputTokens",
  ...BEDROCK_ONLY_OPTION_KEYS,
] as const satisfies readonly (keyof CallOptions)[];
export type CallOptionKey = (typeof CALL_OPTION_KEYS)[number];

/** The generation part every provider sends; a ModelRequest's own maxTokens / temperature / topP win over them. */
export const GENERATION_KEYS = [
  "reasoningEffort",
  "temperature",
  "topP",
  "seed",
  "maxOutputTokens",
] as const satisfies readonly CallOptionKey[];
export type GenerationParams = Pick<CallOptions, (typeof GENERATION_KEYS)[number]>;

/** The call options set in `o` (run options or a cell entry), or undefined when none is. */
export function pickCallOptions(o: Partial<Record<CallOptionKey, unknown>>): CallOptions | undefined {
  const out: Record<string, unknown> = {};
  for (const key of CALL_OPTION_KEYS) if (o[key] !== undefined) out[key] = o[key];
  return Object.keys(out).length > 0 ? (out as CallOptions) : undefined;
}

/** The generation options set in `o`. */
export function generationOf(o: CallOptions): GenerationParams {
  const out: Record<string, unknown> = {};
  for (const key of GENERATION_KEYS) if (o[key] !== undefined) out[key] = o[key];
  return out as GenerationParams;
}

export const PROVIDERS = ["mock", "openai", "openai-responses", "bedrock"] as const;
/** `predictions`: a `bench grade` cell (a system's patches from a predictions file); never given as `--model`. */
export type Provider = (typeof PROVIDERS)[number] | "predictions";

export interface ModelSpec {
  provider: Provider;
  model: string;
  /** Only bedrock specs carry a region. */
  region?: string;
}

export interface CellSpec extends ModelSpec {
  /** `provider/model`, `provider/model@region`, or a config cell's label (`label@region` with several regions): the cell's name in every report. */
  cell: string;
  /** A config cell's label, as written. */
  label?: string;
  /** A config cell's own call options (over the run-level ones). */
  options?: CallOptions;
}
