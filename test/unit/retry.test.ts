import { describe, expect, it } from "vitest";
import { ModelError } from "../../src/models/errors.js";
import type { ModelClient, ModelResponse } from "../../src/models/types.js";
import { backoffDelay, DEFAULT_RETRY_POLICY, generateWithRetry } from "../../src/runner/retry.js";

const OK: ModelResponse = {
  message: { role: "assistant", text: "ok", toolCalls: [] },
  stopReason: "end_turn",
  usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
  latencyMs: 5,
};

function scripted(errors: ModelError[]): ModelClient & { calls: number } {
  return {
    provider: "test",
    model: "m",
    calls: 0,
    async generate() {
      this.calls++;
      const err = errors.shift();
      if (err) throw err;
      return OK;
    },
  };
}

const request = { system: "", messages: [], tools: [] };

describe("backoffDelay", () => {
  const policy = { maxRetries: 5, baseMs: 1000, capMs: 8000, maxHintMs: 30_000 };
  it("is full jitter under an exponential, capped ceiling", () => {
    expect(backoffDelay(policy, 0, undefined, () => 0.5)).toBe(500);
    expect(backoffDelay(policy, 2, undefined, () => 0.5)).toBe(2000);
    expect(backoffDelay(policy, 10, undefined, () => 0.999)).toBe(7992);
    expect(backoffDelay(policy, 3, undefined, () => 0)).toBe(0);
  });
  it("honours a server hint but never beyond maxHintMs", () => {
    expect(backoffDelay(policy, 0, 4000, () => 0.5)).toBe(4000);
    expect(backoffDelay(policy, 0, 100, () => 0.5)).toBe(500);
    expect(backoffDelay(policy, 0, 999_999, () => 0.5)).toBe(30_000);
  });
});

describe("generateWithRetry", () => {
  it("retries rate limits and transient errors with the computed delays, then succeeds", async () => {
    const client = scripted([
      new ModelError("rate_limit", "429", { retryAfterMs: 2500 }),
      new ModelError("transient", "503"),
    ]);
    const waits: number[] = [];
    const seen: string[] = [];
    const response = await generateWithRetry(client, request, DEFAULT_RETRY_POLICY, {
      sleep: async (ms) => {
        waits.push(ms);
      },
      random: () => 0.25,
      onRetry: (err, attempt, delay) => seen.push(`${attempt}:${err.errorClass}:${delay}`),
    });
    expect(response).toBe(OK);
    expect(client.calls).toBe(3);
    expect(waits).toEqual([2500, 500]);
    expect(seen).toEqual(["1:rate_limit:2500", "2:transient:500"]);
  });

  it("never retries auth, quota, context overflow or invalid requests", async () => {
    for (const cls of ["auth", "quota", "context_overflow", "invalid_request"] as const) {
      const client = scripted([new ModelError(cls, cls)]);
      await expect(generateWithRetry(client, request, DEFAULT_RETRY_POLICY, { sleep: async () => {} })).rejects.toMatchObject({ errorClass: cls });
      expect(client.calls).toBe(1);
    }
  });

  it("gives up after maxRetries and throws the last error", async () => {
    const client = scripted([0, 1, 2, 3].map((i) => new ModelError("transient", `fail ${i}`)));
    await expect(
      generateWithRetry(client, request, { ...DEFAULT_RETRY_POLICY, maxRetries: 2 }, { sleep: async () => {} }),
    ).rejects.toThrow("fail 2");
    expect(client.calls).toBe(3);
  });
});
