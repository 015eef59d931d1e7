import { describe, expect, it } from "vitest";
import { fromConverseUsage } from "../../src/models/bedrock-response.js";
import { costOf, costOfCalls, lookupPrice, priceCalls, priceUsage, resolvePrice, unpricedModels } from "../../src/models/cost.js";
import { fromChatUsage } from "../../src/models/openai-chat-stream.js";
import { PRICE_TABLE } from "../../src/models/price-table.js";

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
    expect(priceUsage(usage, "openai", "my-private-model", { input: 1e-6, output: 2e-6 })).toEqual({
      cost: expect.closeTo(20e-6, 15),
      source: "override",
    });
  });
  it("finds the mock's fictitious price and bills openai-responses like openai", () => {
    expect(lookupPrice("mock", "oracle")?.input).toBe(1e-6);
    expect(lookupPrice("openai-responses", "o4-mini")?.output).toBe(4.4e-6);
  });
});

describe("cost per provider usage shape (wire usage → neutral usage → USD)", () => {
  // Expected values by hand from wire-protocols.md §4; toBeCloseTo(x, 15) is exact up to float rounding.
  it("OpenAI Chat: cached tokens are inside prompt_tokens, reasoning inside completion_tokens", () => {
    const usage = fromChatUsage({
      prompt_tokens: 1000,
      completion_tokens: 300,
      total_tokens: 1300,
      prompt_tokens_details: { cached_tokens: 600 },
      completion_tokens_details: { reasoning_tokens: 200 },
    });
    expect(usage).toEqual({ inputTokens: 400, cacheReadTokens: 600, cacheWriteTokens: 0, outputTokens: 300, reasoningTokens: 200 });
    // o4-mini: 400·1.1e-6 + 600·2.75e-7 + 300·4.4e-6 (reasoning at the output rate) = 0.001925
    const priced = priceUsage(usage, "openai", "o4-mini");
    expect(priced.source).toBe("price_table");
    expect(priced.cost).toBeCloseTo(0.001925, 15);
  });
  it("OpenAI Chat without cache or reasoning", () => {
    const usage = fromChatUsage({ prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100 });
    // gpt-4.1: 1000·2e-6 + 100·8e-6 = 0.0028
    expect(priceUsage(usage, "openai", "gpt-4.1").cost).toBeCloseTo(0.0028, 15);
  });
  it("Bedrock Converse: cache read and write are apart from inputTokens; geo profiles cost 10% more", () => {
    const usage = fromConverseUsage({
      inputTokens: 1000,
      outputTokens: 500,
      totalTokens: 24500,
      cacheReadInputTokens: 20000,
      cacheWriteInputTokens: 3000,
    });
    expect(usage).toEqual({ inputTokens: 1000, cacheReadTokens: 20000, cacheWriteTokens: 3000, outputTokens: 500, reasoningTokens: 0 });
    // global.: 1000·3e-6 + 20000·3e-7 + 3000·3.75e-6 + 500·1.5e-5 = 0.02775
    expect(priceUsage(usage, "bedrock", "global.anthropic.claude-sonnet-4-5-20250929-v1:0").cost).toBeCloseTo(0.02775, 15);
    expect(priceUsage(usage, "bedrock", "anthropic.claude-sonnet-4-5-20250929-v1:0").cost).toBeCloseTo(0.02775, 15);
    // us./eu./jp./au.: 1000·3.3e-6 + 20000·3.3e-7 + 3000·4.125e-6 + 500·1.65e-5 = 0.030525
    for (const geo of ["us", "eu", "jp", "au"]) {
      expect(priceUsage(usage, "bedrock", `${geo}.anthropic.claude-sonnet-4-5-20250929-v1:0`)).toEqual({
        cost: expect.closeTo(0.030525, 15),
        source: "price_table",
      });
    }
    // Sonnet 4 is the same price for every prefix.
    for (const prefix of ["", "us.", "eu.", "apac.", "global."]) {
      expect(priceUsage(usage, "bedrock", `${prefix}anthropic.claude-sonnet-4-20250514-v1:0`).cost).toBeCloseTo(0.02775, 15);
    }
  });
  it("Bedrock Nova: eu. and apac. differ from us.; no cache price, so cached tokens bill as input", () => {
    const usage = fromConverseUsage({ inputTokens: 10000, outputTokens: 2000, totalTokens: 12000 });
    expect(priceUsage(usage, "bedrock", "us.amazon.nova-pro-v1:0").cost).toBeCloseTo(0.0144, 15); // 10000·8e-7 + 2000·3.2e-6
    expect(priceUsage(usage, "bedrock", "eu.amazon.nova-pro-v1:0").cost).toBeCloseTo(0.0189, 15); // 10000·1.05e-6 + 2000·4.2e-6
    expect(priceUsage(usage, "bedrock", "apac.amazon.nova-pro-v1:0").cost).toBeCloseTo(0.01512, 15); // 10000·8.4e-7 + 2000·3.36e-6
    expect(priceUsage(usage, "bedrock", "eu.amazon.nova-lite-v1:0").cost).toBeCloseTo(0.001404, 15); // 10000·7.8e-8 + 2000·3.12e-7
    const cached = fromConverseUsage({ inputTokens: 0, outputTokens: 0, totalTokens: 100, cacheReadInputTokens: 100 });
    expect(priceUsage(cached, "bedrock", "amazon.nova-micro-v1:0").cost).toBeCloseTo(3.5e-6, 18);
  });
  it("GovCloud regions have their own price for the in-region model id (+20% for Claude 3.5 Sonnet)", () => {
    const usage = fromConverseUsage({ inputTokens: 1000, outputTokens: 100, totalTokens: 1100 });
    const id = "anthropic.claude-3-5-sonnet-20240620-v1:0";
    expect(priceUsage(usage, "bedrock", id, undefined, "us-gov-west-1").cost).toBeCloseTo(0.0054, 15); // 1000·3.6e-6 + 100·1.8e-5
    expect(priceUsage(usage, "bedrock", id, undefined, "us-east-1").cost).toBeCloseTo(0.0045, 15);
    expect(priceUsage(usage, "bedrock", id).cost).toBeCloseTo(0.0045, 15);
    expect(lookupPrice("bedrock", "amazon.nova-pro-v1:0", "us-gov-west-1")?.input).toBe(9.6e-7);
  });
  it("an unknown model is null with source unknown, never 0", () => {
    const usage = fromConverseUsage({ inputTokens: 10, outputTokens: 10, totalTokens: 20 });
    expect(priceUsage(usage, "bedrock", "eu.amazon.nova-micro-v1:0")).toEqual({ cost: null, source: "unknown" });
    expect(priceUsage(usage, "bedrock", "meta.llama3-70b-instruct-v1:0")).toEqual({ cost: null, source: "unknown" });
    expect(priceUsage(usage, "openai", "gpt-4o", undefined, "us-east-1").source).toBe("price_table");
  });
});

describe("long-context tiers (per call)", () => {
  const call = (input: number, cacheRead: number, cacheWrite: number, output: number) => ({
    inputTokens: input,
    cacheReadTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    outputTokens: output,
    reasoningTokens: 0,
  });
  const sonnet4 = "us.anthropic.claude-sonnet-4-20250514-v1:0";

  it("a Sonnet 4 call over 200k prompt tokens bills every token at the tier; the task's other calls at the base price", () => {
    const small = call(150_000, 0, 0, 1_000); // 150k·3e-6 + 1k·1.5e-5 = 0.45 + 0.015
    const large = call(180_000, 40_000, 10_000, 2_000); // prompt 230k: 180k·6e-6 + 40k·6e-7 + 10k·7.5e-6 + 2k·2.25e-5 = 1.08 + 0.024 + 0.075 + 0.045
    expect(priceCalls([small, large], "bedrock", sonnet4)).toEqual({ cost: expect.closeTo(0.465 + 1.224, 12), source: "price_table" });
    // The same tokens summed into one usage would be one 380k call, all at the tier: not what AWS bills.
    expect(priceUsage(call(330_000, 40_000, 10_000, 3_000), "bedrock", sonnet4).cost).toBeCloseTo(1.98 + 0.024 + 0.075 + 0.0675, 12);
  });

  it("exactly 200k is not over the threshold; cache tokens count toward the prompt", () => {
    const price = lookupPrice("bedrock", "anthropic.claude-sonnet-4-20250514-v1:0")!;
    expect(costOfCalls([call(200_000, 0, 0, 0)], price)).toBeCloseTo(0.6, 12);
    expect(costOfCalls([call(100_000, 100_001, 0, 0)], price)).toBeCloseTo(0.6 + 0.0600006, 12);
  });

  it("every Sonnet 4 prefix has the tier, models without a 1M context do not; overridden prices are flat", () => {
    for (const prefix of ["", "us.", "eu.", "apac.", "global."]) {
      expect(lookupPrice("bedrock", `${prefix}anthropic.claude-sonnet-4-20250514-v1:0`)?.longContext).toEqual({
        above: 200_000,
        input: 6e-6,
        output: 2.25e-5,
        cacheRead: 6e-7,
        cacheWrite: 7.5e-6,
      });
    }
    expect(lookupPrice("bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0")?.longContext).toBeUndefined();
    expect(priceCalls([call(300_000, 0, 0, 0)], "bedrock", sonnet4, { output: 2e-5 })).toEqual({
      cost: expect.closeTo(0.9, 12),
      source: "override",
    });
  });
});

describe("price overrides", () => {
  const usage = { inputTokens: 100, cacheReadTokens: 50, cacheWriteTokens: 0, outputTokens: 10, reasoningTokens: 0 };
  it("replace the table's prices field by field", () => {
    // gpt-4o with output re-priced: 100·2.5e-6 + 50·1.25e-6 (table) + 10·2e-5 (override) = 0.0005125
    expect(resolvePrice("openai", "gpt-4o", { output: 2e-5 })).toEqual({
      price: { ...lookupPrice("openai", "gpt-4o"), output: 2e-5 },
      source: "override",
    });
    expect(priceUsage(usage, "openai", "gpt-4o", { output: 2e-5 })).toEqual({ cost: expect.closeTo(0.0005125, 15), source: "override" });
  });
  it("price a model the table lacks only when both input and output are given", () => {
    expect(priceUsage(usage, "openai", "private-1", { input: 1e-6, output: 2e-6, cacheRead: 1e-7 })).toEqual({
      cost: expect.closeTo(100e-6 + 5e-6 + 20e-6, 15),
      source: "override",
    });
    expect(priceUsage(usage, "openai", "private-1", { input: 1e-6 })).toEqual({ cost: null, source: "unknown" });
  });
  it("an override with every field undefined is no override", () => {
    expect(priceUsage(usage, "openai", "gpt-4o", { input: undefined, output: undefined }).source).toBe("price_table");
  });
  it("unpricedModels names each model without a price once, in first-seen order", () => {
    const cells = [
      { provider: "bedrock", model: "eu.amazon.nova-micro-v1:0", region: "eu-west-1" },
      { provider: "openai", model: "gpt-4o" },
      { provider: "bedrock", model: "eu.amazon.nova-micro-v1:0", region: "eu-central-1" },
      { provider: "openai", model: "private-1" },
      { provider: "mock", model: "oracle" },
    ];
    expect(unpricedModels(cells)).toEqual(["bedrock/eu.amazon.nova-micro-v1:0", "openai/private-1"]);
    expect(unpricedModels(cells, { input: 1e-6, output: 1e-6 })).toEqual([]);
  });
});

describe("PRICE_TABLE", () => {
  it("has one dated entry per provider × model × region, with sane prices", () => {
    const keys = PRICE_TABLE.map((p) => `${p.provider}|${p.model}|${p.region ?? ""}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const p of PRICE_TABLE) {
      expect(p.as_of, p.model).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      for (const v of [p.input, p.output, p.cacheRead ?? 0, p.cacheWrite ?? 0]) expect(v >= 0 && v < 1e-3, p.model).toBe(true);
    }
  });
  it("prices every Sonnet 4.5 geographic profile at 1.1 × global.", () => {
    const global = lookupPrice("bedrock", "global.anthropic.claude-sonnet-4-5-20250929-v1:0")!;
    for (const geo of ["us", "eu", "jp", "au"]) {
      const p = lookupPrice("bedrock", `${geo}.anthropic.claude-sonnet-4-5-20250929-v1:0`)!;
      expect(
        [p.input, p.output, p.cacheRead, p.cacheWrite].map(
          (v, i) => v! / [global.input, global.output, global.cacheRead, global.cacheWrite][i]!,
        ),
      ).toEqual([expect.closeTo(1.1, 12), expect.closeTo(1.1, 12), expect.closeTo(1.1, 12), expect.closeTo(1.1, 12)]);
    }
  });
});
