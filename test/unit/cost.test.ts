import { describe, expect, it } from "vitest";
import { costOf, lookupPrice, priceUsage } from "../../src/models/cost.js";

describe("cost", () => {
  it("prices disjoint OpenAI usage without double counting cached tokens", () => {
    // 1000 prompt tokens of which 640 cached, 50 completion: (360·2.5 + 640·1.25 + 50·10) per 1e6
    const usage = { inputTokens: 360, cacheReadTokens: 640, cacheWriteTokens: 0, outputTokens: 50, reasoningTokens: 0 };
    expect(priceUsage(usage, "openai", "gpt-4o")).toEqual({ cost: expect.closeTo(0.0022, 12), source: "price_table" });
  });
  it("bills reasoning at the output rate unless priced apart", () => {
    const usage = { inputTokens: 100, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 80, reasoningTokens: 60 };
    expect(costOf(usage, { input: 1e-6, output: 4e-6 })).toBeCloseTo(100e-6 + 320e-6, 15);
    expect(costOf(usage, { input: 1e-6, output: 4e-6, reasoning: 5e-6 })).toBeCloseTo(100e-6 + 320e-6 + 60e-6, 15);
  });
  it("falls back to the input price for cache prices that are missing, and reports unknown as null", () => {
    const usage = { inputTokens: 0, cacheReadTokens: 10, cacheWriteTokens: 10, outputTokens: 0, reasoningTokens: 0 };
    expect(costOf(usage, { input: 2e-6, output: 0 })).toBeCloseTo(40e-6, 15);
    expect(priceUsage(usage, "openai", "my-private-model")).toEqual({ cost: null, source: "unknown" });
    expect(priceUsage(usage, "openai", "my-private-model", { input: 1e-6, output: 2e-6 })).toEqual({ cost: expect.closeTo(20e-6, 15), source: "override" });
  });
  it("finds the mock's fictitious price and bills openai-responses like openai", () => {
    expect(lookupPrice("mock", "oracle")?.input).toBe(1e-6);
    expect(lookupPrice("openai-responses", "o4-mini")?.output).toBe(4.4e-6);
  });
});
