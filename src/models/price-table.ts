// The price table: USD per token by provider and model id (cross-region prefixes are explicit keys).
// Source: public list prices (LiteLLM model_prices table, copy of 2026-07-24); `as_of` is the date of each price.

export interface Price {
  provider: string;
  /** Exact model id as users write it (prefix included for Bedrock profiles). */
  model: string;
  /**
   * AWS region this price applies to, for prices that depend on the region rather than on the
   * inference-profile prefix (GovCloud). Entries without it apply in every region.
   */
  region?: string;
  input: number;
  output: number;
  /** Cache read per token; falls back to `input` when absent. */
  cacheRead?: number;
  /** Cache write per token; falls back to `input` when absent. */
  cacheWrite?: number;
  /** Reasoning tokens bill at `output` unless set. */
  reasoning?: number;
  /**
   * Long-context tier: a call whose prompt (input + cache read + cache write tokens) is over `above` bills all of its
   * tokens at these prices instead (per call: a task's calls may fall on either side). @default none
   */
  longContext?: { above: number; input: number; output: number; cacheRead?: number; cacheWrite?: number };
  as_of: string;
  note?: string;
}

/** Claude Sonnet 4 (1M context) over 200k prompt tokens, every prefix alike. */
const SONNET_4_ABOVE_200K = { above: 200_000, input: 6e-6, output: 2.25e-5, cacheRead: 6e-7, cacheWrite: 7.5e-6 };

export const PRICE_TABLE: readonly Price[] = [
  // The built-in mock: fictitious prices so cost columns are exercised end to end.
  {
    provider: "mock",
    model: "*",
    input: 1e-6,
    output: 4e-6,
    cacheRead: 1e-7,
    cacheWrite: 1.25e-6,
    as_of: "2026-11-24",
    note: "fictitious, mock only",
  },

  { provider: "openai", model: "gpt-4o", input: 2.5e-6, output: 1e-5, cacheRead: 1.25e-6, as_of: "2026-07-24" },
  { provider: "openai", model: "gpt-4o-mini", input: 1.5e-7, output: 6e-7, cacheRead: 7.5e-8, as_of: "2026-07-24" },
  { provider: "openai", model: "gpt-4.1", input: 2e-6, output: 8e-6, cacheRead: 5e-7, as_of: "2026-07-24" },
  { provider: "openai", model: "gpt-4.1-mini", input: 4e-7, output: 1.6e-6, cacheRead: 1e-7, as_of: "2026-07-24" },
  { provider: "openai", model: "o3-mini", input: 1.1e-6, output: 4.4e-6, cacheRead: 5.5e-7, as_of: "2026-07-24" },
  { provider: "openai", model: "o4-mini", input: 1.1e-6, output: 4.4e-6, cacheRead: 2.75e-7, as_of: "2026-07-24" },
  { provider: "openai", model: "o3", input: 2e-6, output: 8e-6, cacheRead: 5e-7, as_of: "2026-07-24" },
  { provider: "openai", model: "gpt-5", input: 1.25e-6, output: 1e-5, cacheRead: 1.25e-7, as_of: "2026-07-24" },
  { provider: "openai", model: "gpt-5-mini", input: 2.5e-7, output: 2e-6, cacheRead: 2.5e-8, as_of: "2026-07-24" },

  // Bedrock: one explicit entry per cross-region inference-profile prefix (LiteLLM keeps explicit keys
  // and so do we: no prefix guessing). The model id is what the Converse call names.
  // Long-context tiers (`*_above_200k_tokens`): Claude Sonnet 4's 1M-context calls over 200k prompt tokens bill
  // 6e-06 in / 2.25e-05 out / 6e-07 cache read / 7.5e-06 cache write, per call. The copy also lists a tier for the
  // base Claude 3.5 Sonnet id, a model without a 1M context (LiteLLM's own note says "sic"): not applied.
  // Claude 3.5 Sonnet: the same price for every prefix.
  {
    provider: "bedrock",
    model: "anthropic.claude-3-5-sonnet-20240620-v1:0",
    input: 3e-6,
    output: 1.5e-5,
    cacheRead: 3e-7,
    cacheWrite: 3.75e-6,
    as_of: "2026-07-24",
  },
  {
    provider: "bedrock",
    model: "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
    input: 3e-6,
    output: 1.5e-5,
    cacheRead: 3e-7,
    cacheWrite: 3.75e-6,
    as_of: "2026-07-24",
  },
  {
    provider: "bedrock",
    model: "eu.anthropic.claude-3-5-sonnet-20240620-v1:0",
    input: 3e-6,
    output: 1.5e-5,
    cacheRead: 3e-7,
    cacheWrite: 3.75e-6,
    as_of: "2026-07-24",
  },
  {
    provider: "bedrock",
    model: "apac.anthropic.claude-3-5-sonnet-20240620-v1:0",
    input: 3e-6,
    output: 1.5e-5,
    cacheRead: 3e-7,
    cacheWrite: 3.75e-6,
    as_of: "2026-07-24",
  },
  // GovCloud in-region: +20%.
  {
    provider: "bedrock",
    model: "anthropic.claude-3-5-sonnet-20240620-v1:0",
    region: "us-gov-east-1",
    input: 3.6e-6,
    output: 1.8e-5,
    cacheRead: 3.6e-7,
    cacheWrite: 4.5e-6,
    as_of: "2026-07-24",
    note: "LiteLLM bedrock/us-gov-east-1/ key",
  },
  {
    provider: "bedrock",
    model: "anthropic.claude-3-5-sonnet-20240620-v1:0",
    region: "us-gov-west-1",
    input: 3.6e-6,
    output: 1.8e-5,
    cacheRead: 3.6e-7,
    cacheWrite: 4.5e-6,
    as_of: "2026-07-24",
    note: "LiteLLM bedrock/us-gov-west-1/ key",
  },
  // Claude Sonnet 4: the same price for every prefix.
  {
    provider: "bedrock",
    model: "anthropic.claude-sonnet-4-20250514-v1:0",
    input: 3e-6,
    output: 1.5e-5,
    cacheRead: 3e-7,
    cacheWrite: 3.75e-6,
    longContext: SONNET_4_ABOVE_200K,
    as_of: "2026-07-24",
  },
  {
    provider: "bedrock",
    model: "us.anthropic.claude-sonnet-4-20250514-v1:0",
    input: 3e-6,
    output: 1.5e-5,
    cacheRead: 3e-7,
    cacheWrite: 3.75e-6,
    longContext: SONNET_4_ABOVE_200K,
    as_of: "2026-07-24",
  },
  {
    provider: "bedrock",
    model: "eu.anthropic.claude-sonnet-4-20250514-v1:0",
    input: 3e-6,
    output: 1.5e-5,
    cacheRead: 3e-7,
    cacheWrite: 3.75e-6,
    longContext: SONNET_4_ABOVE_200K,
    as_of: "2026-07-24",
  },
  {
    provider: "bedrock",
    model: "apac.anthropic.claude-sonnet-4-20250514-v1:0",
    input: 3e-6,
    output: 1.5e-5,
    cacheRead: 3e-7,
    cacheWrite: 3.75e-6,
    longContext: SONNET_4_ABOVE_200K,
    as_of: "2026-07-24",
  },
  {
    provider: "bedrock",
    model: "global.anthropic.claude-sonnet-4-20250514-v1:0",
    input: 3e-6,
    output: 1.5e-5,
    cacheRead: 3e-7,
    cacheWrite: 3.75e-6,
    longContext: SONNET_4_ABOVE_200K,
    as_of: "2026-07-24",
  },
  // Claude Sonnet 4.5: the geographic profiles (us./eu./jp./au.) cost 10% more than global. and the base id.
  {
    provider: "bedrock",
    model: "anthropic.claude-sonnet-4-5-20250929-v1:0",
    input: 3e-6,
    output: 1.5e-5,
    cacheRead: 3e-7,
    cacheWrite: 3.75e-6,
    as_of: "2026-07-24",
  },
  {
    provider: "bedrock",
    model: "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    input: 3e-6,
    output: 1.5e-5,
    cacheRead: 3e-7,
    cacheWrite: 3.75e-6,
    as_of: "2026-07-24",
  },
  {
    provider: "bedrock",
    model: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    input: 3.3e-6,
    output: 1.65e-5,
    cacheRead: 3.3e-7,
    cacheWrite: 4.125e-6,
    as_of: "2026-07-24",
  },
  {
    provider: "bedrock",
    model: "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
    input: 3.3e-6,
    output: 1.65e-5,
    cacheRead: 3.3e-7,
    cacheWrite: 4.125e-6,
    as_of: "2026-07-24",
  },
  {
    provider: "bedrock",
    model: "jp.anthropic.claude-sonnet-4-5-20250929-v1:0",
    input: 3.3e-6,
    output: 1.65e-5,
    cacheRead: 3.3e-7,
    cacheWrite: 4.125e-6,
    as_of: "2026-07-24",
  },
  {
    provider: "bedrock",
    model: "au.anthropic.claude-sonnet-4-5-20250929-v1:0",
    input: 3.3e-6,
    output: 1.65e-5,
    cacheRead: 3.3e-7,
    cacheWrite: 4.125e-6,
    as_of: "2026-07-24",
  },
  // GovCloud lists Sonnet 4.5 at the geographic-profile price (+10%), not +20%.
  {
    provider: "bedrock",
    model: "anthropic.claude-sonnet-4-5-20250929-v1:0",
    region: "us-gov-east-1",
    input: 3.3e-6,
    output: 1.65e-5,
    cacheRead: 3.3e-7,
    cacheWrite: 4.125e-6,
    as_of: "2026-07-24",
    note: "LiteLLM bedrock/us-gov-east-1/ key",
  },
  {
    provider: "bedrock",
    model: "anthropic.claude-sonnet-4-5-20250929-v1:0",
    region: "us-gov-west-1",
    input: 3.3e-6,
    output: 1.65e-5,
    cacheRead: 3.3e-7,
    cacheWrite: 4.125e-6,
    as_of: "2026-07-24",
    note: "LiteLLM bedrock/us-gov-west-1/ key",
  },
  // Amazon Nova: eu. (+31%) and apac. (+5%) differ from the base id and us.; no cache prices are
  // listed, so cached tokens bill at the input price (costOf's fallback).
  { provider: "bedrock", model: "amazon.nova-pro-v1:0", input: 8e-7, output: 3.2e-6, as_of: "2026-07-24" },
  { provider: "bedrock", model: "us.amazon.nova-pro-v1:0", input: 8e-7, output: 3.2e-6, as_of: "2026-07-24" },
  { provider: "bedrock", model: "eu.amazon.nova-pro-v1:0", input: 1.05e-6, output: 4.2e-6, as_of: "2026-07-24" },
  { provider: "bedrock", model: "apac.amazon.nova-pro-v1:0", input: 8.4e-7, output: 3.36e-6, as_of: "2026-07-24" },
  {
    provider: "bedrock",
    model: "amazon.nova-pro-v1:0",
    region: "us-gov-west-1",
    input: 9.6e-7,
    output: 3.84e-6,
    as_of: "2026-07-24",
    note: "LiteLLM bedrock/us-gov-west-1/ key (+20%)",
  },
  { provider: "bedrock", model: "amazon.nova-lite-v1:0", input: 6e-8, output: 2.4e-7, as_of: "2026-07-24" },
  { provider: "bedrock", model: "us.amazon.nova-lite-v1:0", input: 6e-8, output: 2.4e-7, as_of: "2026-07-24" },
  { provider: "bedrock", model: "eu.amazon.nova-lite-v1:0", input: 7.8e-8, output: 3.12e-7, as_of: "2026-07-24" },
  { provider: "bedrock", model: "apac.amazon.nova-lite-v1:0", input: 6.3e-8, output: 2.52e-7, as_of: "2026-07-24" },
  // Nova Micro: only the base id (and us., priced the same) are in the reference copy; the eu./apac.
  // profiles are left out rather than guessed: they report cost unknown until priced (--*-cost-per-token).
  { provider: "bedrock", model: "amazon.nova-micro-v1:0", input: 3.5e-8, output: 1.4e-7, as_of: "2026-07-24" },
  { provider: "bedrock", model: "us.amazon.nova-micro-v1:0", input: 3.5e-8, output: 1.4e-7, as_of: "2026-07-24" },
];
