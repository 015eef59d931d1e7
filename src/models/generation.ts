// Generation settings a run applies to every model call (--reasoning-effort, --temperature, --top-p, --seed,
// --max-output-tokens), and the drop_params switch for servers that reject optional parameters.

export const REASONING_EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh"] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

/** Client-level generation settings; a ModelRequest's own maxTokens / temperature / topP win over them. */
export interface GenerationParams {
  /** Output-token cap per call (Chat: max_completion_tokens; Responses: max_output_tokens). @default the server's */
  maxOutputTokens?: number;
  /** Reasoning models only (Chat: reasoning_effort; Responses: reasoning.effort). @default the server's */
  reasoningEffort?: ReasoningEffort;
  /** @default the server's */
  temperature?: number;
  /** @default the server's */
  topP?: number;
  /** Chat Completions only (the Responses API has no seed). @default none */
  seed?: number;
}

/**
 * OpenAI reasoning-model ids (o1, o3, o4-mini, gpt-5…, codex-mini…), with or without an org/ prefix.
 * Used to decide whether to ask for reasoning summaries and encrypted reasoning; a wrong guess costs one
 * rejected call, after which the drop_params switch leaves those parameters out.
 */
export function looksLikeReasoningModel(model: string): boolean {
  const base = model.slice(model.lastIndexOf("/") + 1).toLowerCase();
  return /^(o\d+(\b|-|$)|gpt-5|gpt-oss|codex-)/.test(base);
}

/**
 * Remembers, per client, that the server rejected an optional parameter: the first rejection turns the
 * optional parameters off for every later call of that client and is logged once (LiteLLM's drop_params).
 */
export class OptionalParamSwitch {
  #dropped = false;
  readonly #where: string;
  readonly #log: (line: string) => void;

  constructor(where: string, log: (line: string) => void) {
    this.#where = where;
    this.#log = log;
  }

  /** Whether optional parameters are off for this client. */
  get dropped(): boolean {
    return this.#dropped;
  }

  /**
   * Called with a failed call's error and the optional parameters it carried: true when the call should be
   * retried without them (only the first time, only when it carried some and the error is a rejection).
   */
  shouldRetryWithout(rejected: boolean, sent: readonly string[], reason: string): boolean {
    if (this.#dropped || !rejected || sent.length === 0) return false;
    this.#dropped = true;
    this.#log(
      `${this.#where}: the server rejected an optional parameter (${reason}); retrying without ${sent.join(", ")}, ` +
        `and leaving them out of this model's calls from now on`,
    );
    return true;
  }
}
