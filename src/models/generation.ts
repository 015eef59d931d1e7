// Provider helpers for the generation options (defined in call-options.ts): reasoning-model detection and the
// drop_params switch for servers that reject optional parameters.

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
 * The optional parameters a rejection names, among those the call sent: OpenAI's `param` field, or a sent name that
 * appears as a whole word in the message ("Unrecognized request argument supplied: seed", "Unsupported parameter:
 * 'temperature' …", LiteLLM's "… does not support parameters: ['seed']", "reasoning.effort"). Empty when it names none.
 */
export function rejectedParamNames(sent: readonly string[], message: string, param?: string | null): string[] {
  return sent.filter(
    (name) =>
      param === name ||
      (typeof param === "string" && param.startsWith(`${name}.`)) ||
      new RegExp(`(^|[^A-Za-z0-9_])${name}([^A-Za-z0-9_]|$)`).test(message),
  );
}

/**
 * Remembers, per client, which optional parameters the server rejected (LiteLLM's drop_params, per parameter): a
 * rejection that names sent parameters drops those; one that names none drops every optional parameter the call sent.
 * Each drop is logged once and holds for every later call of that client. Each retry sends fewer parameters, so a
 * call is retried at most once per optional parameter.
 */
export class OptionalParamSwitch {
  readonly #dropped = new Set<string>();
  readonly #where: string;
  readonly #log: (line: string) => void;

  constructor(where: string, log: (line: string) => void) {
    this.#where = where;
    this.#log = log;
  }

  /** The optional parameters left out of this client's calls. */
  get dropped(): ReadonlySet<string> {
    return this.#dropped;
  }

  /**
   * Called with a failed call's error and the optional parameters it carried: true when the call should be retried
   * without some of them (only when it was a rejection and it carried some).
   */
  shouldRetryWithout(rejected: boolean, sent: readonly string[], reason: string, param?: string | null): boolean {
    if (!rejected || sent.length === 0) return false;
    const named = rejectedParamNames(sent, reason, param);
    const drop = named.length > 0 ? named : [...sent];
    for (const name of drop) this.#dropped.add(name);
    const list = drop.join(", ");
    const them = drop.length === 1 ? "it" : "them";
    this.#log(
      named.length > 0
        ? `${this.#where}: the server rejected ${list} (${reason}); retrying without ${them}, and leaving ${them} out of this model's calls from now on`
        : `${this.#where}: the server rejected an optional parameter without naming it (${reason}); retrying without ${list}, ` +
            `and leaving ${them} out of this model's calls from now on`,
    );
    return true;
  }
}
