// Cost arithmetic: disjoint usage × per-token prices, no double counting (docs/ARCHITECTURE.md).

import type { CostSource } from "../report/types.js";
import { PRICE_TABLE, type Price } from "./price-table.js";
import type { Usage } from "./types.js";

/** Prices given in the run options (`--input-cost-per-token`…); each set field replaces the table's. */
export type PriceOverride = Partial<Pick<Price, "input" | "output" | "cacheRead" | "cacheWrite">>;

/**
 * Finds the table price for provider/model: an entry for that exact AWS region first (GovCloud),
 * then the entry for the model, then the provider's `*` entry. The Responses API bills like Chat Completions.
 */
export function lookupPrice(
  provider: string,
  model: string,
  region?: string | null,
  table: readonly Price[] = PRICE_TABLE,
): Price | undefined {
  const billing = provider === "openai-responses" ? "openai" : provider;
  const candidates = table.filter((p) => p.provider === billing && (p.model === model || p.model === "*"));
  const rank = (p: Price): number => (p.model === "*" ? 2 : p.region !== undefined ? 0 : 1);
  return candidates.filter((p) => p.region === undefined || p.region === region).sort((a, b) => rank(a) - rank(b))[0];
}

/**
 * cost = input·p_in + cache_read·p_read + cache_write·p_write + output·p_out.
 * Usage is already disjoint (input excludes cached tokens); reasoning is inside output unless priced apart.
 */
export function costOf(usage: Usage, price: Pick<Price, "input" | "output" | "cacheRead" | "cacheWrite" | "reasoning">): number {
  const reasoningExtra = price.reasoning !== undefined ? usage.reasoningTokens * (price.reasoning - price.output) : 0;
  return (
    usage.inputTokens * price.input +
    usage.cacheReadTokens * (price.cacheRead ?? price.input) +
    usage.cacheWriteTokens * (price.cacheWrite ?? price.input) +
    usage.outputTokens * price.output +
    reasoningExtra
  );
}

/** The prices of a resolved cell: what costOf takes, plus the long-context tier. */
export type CallPrice = Pick<Price, "input" | "output" | "cacheRead" | "cacheWrite" | "reasoning" | "longContext">;

/**
 * The cost of a task's model calls, each priced on its own: a call whose prompt (input + cache read + cache write) is
 * over the price's long-context threshold bills at the long-context tier, the others at the base price.
 */
export function costOfCalls(calls: readonly Usage[], price: CallPrice): number {
  const tier = price.longContext;
  let total = 0;
  for (const call of calls) {
    const prompt = call.inputTokens + call.cacheReadTokens + call.cacheWriteTokens;
    total += tier !== undefined && prompt > tier.above ? costOf(call, { ...tier, reasoning: undefined }) : costOf(call, price);
  }
  return total;
}

/** True when the override sets at least one price. */
function hasOverride(override: PriceOverride | undefined): override is PriceOverride {
  return override !== undefined && Object.values(override).some((v) => v !== undefined);
}

/**
 * The price a cell bills at and where it came from. Override fields replace the table's one by one
 * (so `--output-cost-per-token` alone re-prices a known model's output); without a table entry the
 * override must give both input and output, else the price is unknown. Overridden prices are flat: the
 * table's long-context tier does not apply to them.
 */
export function resolvePrice(
  provider: string,
  model: string,
  override?: PriceOverride,
  region?: string | null,
): { price: CallPrice; source: Exclude<CostSource, "unknown"> } | null {
  const table = lookupPrice(provider, model, region);
  if (!hasOverride(override)) return table ? { price: table, source: "price_table" } : null;
  const { longContext: _flat, ...base } = table ?? ({} as Partial<Price>);
  const merged: Partial<Price> = { ...base };
  for (const [key, value] of Object.entries(override) as [keyof PriceOverride, number | undefined][]) {
    if (value !== undefined) merged[key] = value;
  }
  if (merged.input === undefined || merged.output === undefined) return null;
  return { price: { ...merged, input: merged.input, output: merged.output }, source: "override" };
}

/** Cost of one usage billed as a single call, with its source (see priceCalls). */
export function priceUsage(
  usage: Usage,
  provider: string,
  model: string,
  override?: PriceOverride,
  region?: string | null,
): { cost: number | null; source: CostSource } {
  return priceCalls([usage], provider, model, override, region);
}

/**
 * Cost of a task's model calls (each priced on its own: long-context tiers) with its source: override (see
 * resolvePrice), then the table, else unknown (null, never 0).
 */
export function priceCalls(
  calls: readonly Usage[],
  provider: string,
  model: string,
  override?: PriceOverride,
  region?: string | null,
): { cost: number | null; source: CostSource } {
  const resolved = resolvePrice(provider, model, override, region);
  if (resolved === null) return { cost: null, source: "unknown" };
  return { cost: costOfCalls(calls, resolved.price), source: resolved.source };
}

/**
 * The `provider/model` names (first-seen order, each once) whose cost will be unknown in a run with
 * these cells and override: the run warns about each once, before it starts.
 */
export function unpricedModels(
  cells: readonly { provider: string; model: string; region?: string | null | undefined }[],
  override?: PriceOverride,
): string[] {
  const names: string[] = [];
  for (const cell of cells) {
    const name = `${cell.provider}/${cell.model}`;
    if (!names.includes(name) && resolvePrice(cell.provider, cell.model, override, cell.region) === null) names.push(name);
  }
  return names;
}
