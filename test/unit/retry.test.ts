import { afterEach, describe, expect, it, vi } from "vitest";
import { ModelError } from "../../src/models/errors.js";
import type { ModelClient, ModelResponse } from "../../src/models/types.js";
import { EndpointLimiter } from "../../src/runner/limiter.js";
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
    const client = scripted([new ModelError("rate_limit", "429", { retryAfterMs: 2500 }), new ModelError("transient", "503")]);
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
      await expect(generateWithRetry(client, request, DEFAULT_RETRY_POLICY, { sleep: async () => {} })).rejects.toMatchObject({
        errorClass: cls,
      });
      expect(client.calls).toBe(1);
    }
  });

  it("gives up after maxRetries and throws the last error", async () => {
    const client = scripted([0, 1, 2, 3].map((i) => new ModelError("transient", `fail ${i}`)));
    await expect(generateWithRetry(client, request, { ...DEFAULT_RETRY_POLICY, maxRetries: 2 }, { sleep: async () => {} })).rejects.toThrow(
      "fail 2",
    );
    expect(client.calls).toBe(3);
  });
});

describe("generateWithRetry on fake timers", () => {
  const policy = { maxRetries: 5, baseMs: 1000, capMs: 8000, maxHintMs: 30_000, timeoutMs: 600_000 };
  afterEach(() => {
    vi.useRealTimers();
  });

  it("waits exactly the full-jitter delays with the real sleep: 500, 1000, 2000 ms at random() = 0.5", async () => {
    vi.useFakeTimers();
    const client = scripted([0, 1, 2].map((i) => new ModelError("transient", `503 #${i}`)));
    const done = generateWithRetry(client, request, policy, { random: () => 0.5, now: () => Date.now() });
    await vi.advanceTimersByTimeAsync(0);
    expect(client.calls).toBe(1);
    for (const [delay, callsAfter] of [
      [500, 2],
      [1000, 3],
      [2000, 4],
    ] as const) {
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(client.calls).toBe(callsAfter - 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(client.calls).toBe(callsAfter);
    }
    await expect(done).resolves.toBe(OK);
  });

  it("honours a retry hint above the jitter, and caps a huge one at maxHintMs", async () => {
    vi.useFakeTimers();
    const client = scripted([
      new ModelError("rate_limit", "429", { retryAfterMs: 5000 }),
      new ModelError("rate_limit", "429", { retryAfterMs: 10_000_000 }),
    ]);
    const done = generateWithRetry(client, request, policy, { random: () => 0, now: () => Date.now() });
    await vi.advanceTimersByTimeAsync(4999);
    expect(client.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(client.calls).toBe(2);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(client.calls).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(client.calls).toBe(3);
    await expect(done).resolves.toBe(OK);
  });

  it("stops at the per-call time budget with the last error's class, before a wait that would pass it", async () => {
    vi.useFakeTimers();
    const client = scripted(Array.from({ length: 10 }, (_, i) => new ModelError("rate_limit", `429 #${i}`)));
    const waits: number[] = [];
    const done = generateWithRetry(
      client,
      request,
      { ...policy, baseMs: 4000, capMs: 60_000, timeoutMs: 10_000 },
      {
        random: () => 0.99,
        now: () => Date.now(),
        onRetry: (_e, _a, ms) => waits.push(ms),
      },
    );
    const settled = done.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(20_000);
    const err = (await settled) as ModelError;
    // 3960 ms fits in 10 s; 3960 + 7920 does not.
    expect(waits).toEqual([3960]);
    expect(client.calls).toBe(2);
    expect(err).toBeInstanceOf(ModelError);
    expect(err.errorClass).toBe("rate_limit");
    expect(err.message).toMatch(/^429 #1 \(gave up: 2 attempt\(s\) in 4\.0 s, the next wait would pass --llm-retry-timeout 10 s\)$/);
  });

  it("says the retry count ran out, keeping the class", async () => {
    const client = scripted([0, 1].map((i) => new ModelError("transient", `cut #${i}`)));
    const err = (await generateWithRetry(client, request, { ...policy, maxRetries: 1 }, { sleep: async () => {} }).catch(
      (e: unknown) => e,
    )) as ModelError;
    expect([err.errorClass, err.message]).toEqual(["transient", "cut #1 (gave up: 2 attempt(s), --llm-retries 1)"]);
  });
});

describe("backoffDelay jitter bounds", () => {
  it("stays in [0, min(cap, base·2^n)) for any random() in [0, 1)", () => {
    const policy = { maxRetries: 20, baseMs: 250, capMs: 10_000, maxHintMs: 60_000 };
    const draws = [0, 1e-9, 0.25, 0.5, 0.75, 0.999_999_9];
    for (let n = 0; n < 12; n++) {
      const ceiling = Math.min(10_000, 250 * 2 ** n);
      for (const r of draws) {
        const d = backoffDelay(policy, n, undefined, () => r);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(ceiling);
      }
      expect(backoffDelay(policy, n, undefined, () => 0)).toBe(0);
      expect(backoffDelay(policy, n, undefined, () => 0.999_999_9)).toBe(ceiling - 1);
    }
  });
});

describe("generateWithRetry with an endpoint limiter", () => {
  it("holds no permit while backing off: another call runs in the freed slot; the 429 is counted", async () => {
    // The in-flight AIMD alone: with the rate pacer the 429 would also space the next calls (limiter-pacer.test.ts).
    const limiter = new EndpointLimiter("test|a|-|m", { max: 1, pace: false });
    const client = scripted([new ModelError("rate_limit", "429")]);
    let release!: () => void;
    const backoff = new Promise<void>((r) => (release = r));
    const waited: number[] = [];
    const first = generateWithRetry(client, request, DEFAULT_RETRY_POLICY, {
      limiter,
      sleep: () => backoff,
      random: () => 0,
      onLimiterWait: (ms) => waited.push(ms),
    });
    await new Promise((r) => setImmediate(r));
    // First call is backing off: its permit is back, so a second call gets the one slot at once.
    expect(limiter.inFlight).toBe(0);
    await expect(generateWithRetry(client, request, DEFAULT_RETRY_POLICY, { limiter })).resolves.toBe(OK);
    release();
    await expect(first).resolves.toBe(OK);
    expect(limiter.snapshot()).toMatchObject({ limit: 1, throttle_events: 1 });
    expect(limiter.inFlight).toBe(0);
    expect(waited).toEqual([]);
  });
});
