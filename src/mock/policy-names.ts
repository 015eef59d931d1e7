// The mock's policy names, the one list: the mock server, `--model mock/<policy>` checking (config) and
// `bench mock-server --policy` read it. A leaf module, so the CLI can name the choices without loading the policies.

export const POLICY_NAMES = ["oracle", "lazy", "chatty", "wrong", "hostile"] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** The policy for a model name that names none (e.g. "gpt-4o"). */
export const DEFAULT_POLICY: PolicyName = "oracle";

/**
 * The policy a model name selects: "oracle", "mock/oracle", "MOCK/Oracle" all give oracle;
 * undefined for a name that is no policy.
 */
export function resolvePolicyName(model: string): PolicyName | undefined {
  const base = model
    .slice(model.lastIndexOf("/") + 1)
    .trim()
    .toLowerCase();
  return (POLICY_NAMES as readonly string[]).includes(base) ? (base as PolicyName) : undefined;
}
