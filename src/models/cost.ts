// Cost arithmetic: disjoint usage × per-token prices, no double counting (docs/ARCHITECTURE.md).

import type { CostSource } from "../report/types.js";
import { PRICE_TABLE, type Price } from "./price-table.js";
import type { Usage } from "./types.js";

export type PriceOverride = Partial<Pick<Price, "input" | "output" | "cacheRead" | "cacheWrite">>;

/** Finds the table price for provider/model; the Responses API bills like Chat Completions. */
export function lookupPrice(provider: string, model: string, table: readonly Price[] = PRICE_TABLE): Price | undefined {
  const billing = provider === "openai-responses" ? "openai" : provider;
  return (
    table.find((p) => p.provider === billing && p.model === model) ?? table.find((p) => p.provider === billing && p.model === "*")
  );
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

/** Cost with its source: an override (both in and out set) wins, then the table, else unknown (null, never 0). */
export function priceUsage(
  usage: Usage,
  provider: string,
  model: string,
  override?: PriceOverride,
): { cost: number | null; source: CostSource } {
  if (override?.input !== undefined && override.output !== undefined) {
    return { cost: costOf(usage, { input: override.input, output: override.output, cacheRead: override.cacheRead, cacheWrite: override.cacheWrite }), source: "override" };
  }
  const price = lookupPrice(provider, model);
  if (!price) return { cost: null, source: "unknown" };
  return { cost: costOf(usage, price), source: "price_table" };
}
