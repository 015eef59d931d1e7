// The price table: USD per token by provider and model id (cross-region prefixes are explicit keys).
// Source: public list prices (LiteLLM model_prices table, copy of 2026-07-24); `as_of` is the date of each price.

export interface Price {
  provider: string;
  /** Exact model id as users write it (prefix included for Bedrock profiles). */
  model: string;
  input: number;
  output: number;
  /** Cache read per token; falls back to `input` when absent. */
  cacheRead?: number;
  /** Cache write per token; falls back to `input` when absent. */
  cacheWrite?: number;
  /** Reasoning tokens bill at `output` unless set. */
  reasoning?: number;
  as_of: string;
  note?: string;
}

export const PRICE_TABLE: readonly Price[] = [
  // The built-in mock: fictitious prices so cost columns are exercised end to end.
  { provider: "mock", model: "*", input: 1e-6, output: 4e-6, cacheRead: 1e-7, cacheWrite: 1.25e-6, as_of: "2026-11-24", note: "fictitious, mock only" },

  { provider: "openai", model: "gpt-4o", input: 2.5e-6, output: 1e-5, cacheRead: 1.25e-6, as_of: "2026-07-24" },
  { provider: "openai", model: "gpt-4o-mini", input: 1.5e-7, output: 6e-7, cacheRead: 7.5e-8, as_of: "2026-07-24" },
  { provider: "openai", model: "gpt-4.1", input: 2e-6, output: 8e-6, cacheRead: 5e-7, as_of: "2026-07-24" },
  { provider: "openai", model: "gpt-4.1-mini", input: 4e-7, output: 1.6e-6, cacheRead: 1e-7, as_of: "2026-07-24" },
  { provider: "openai", model: "o3-mini", input: 1.1e-6, output: 4.4e-6, cacheRead: 5.5e-7, as_of: "2026-07-24" },
  { provider: "openai", model: "o4-mini", input: 1.1e-6, output: 4.4e-6, cacheRead: 2.75e-7, as_of: "2026-07-24" },
  { provider: "openai", model: "o3", input: 2e-6, output: 8e-6, cacheRead: 5e-7, as_of: "2026-07-24" },
  { provider: "openai", model: "gpt-5", input: 1.25e-6, output: 1e-5, cacheRead: 1.25e-7, as_of: "2026-07-24" },
  { provider: "openai", model: "gpt-5-mini", input: 2.5e-7, output: 2e-6, cacheRead: 2.5e-8, as_of: "2026-07-24" },
];
