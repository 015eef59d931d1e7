import { afterEach, describe, expect, it, vi } from "vitest";
import type { ModelRequest } from "../../src/models/types.js";
import { accountIdentity, endpointKey, estimateRequestTokens } from "../../src/runner/endpoint.js";
import { EndpointLimiter, LimiterRegistry, type Permit } from "../../src/runner/limiter.js";
import { TokenBucket } from "../../src/util/token-bucket.js";

/** A limiter on a hand-moved clock: the in-flight AIMD alone (the rate pacer waits on timers; limiter-pacer.test.ts). */
function manual(options: Partial<ConstructorParameters<typeof EndpointLimiter>[1]> = {}) {
  let t = 0;
  const lines: string[] = [];
  const limiter = new EndpointLimiter("p|acct|-|m", { max: 10, now: () => t, log: (l) => lines.push(l), pace: false, ...options });
  return { limiter, lines, advance: (ms: number) => (t += ms) };
}

async function take(limiter: EndpointLimiter, n: number, tokens = 0): Promise<Permit[]> {
  const permits: Permit[] = [];
  for (let i = 0; i < n; i++) permits.push(await limiter.acquire(tokens));
  return permits;
}

const flush = () => new Promise((r) => setImmediate(r));

afterEach(() => {
  vi.useRealTimers();
});

describe("EndpointLimiter: in-flight bound", () => {
  it("admits up to the limit at once, then first come first served as permits come back", async () => {
    const { limiter } = manual({ max: 2 });
    const [a, b] = await take(limiter, 2);
    expect(a!.waitedMs).toBe(0);
    const order: string[] = [];
    const c = limiter.acquire().then((p) => {
      order.push("c");
      return p;
    });
    const d = limiter.acquire().then((p) => {
      order.push("d");
      return p;
    });
    await flush();
    expect([limiter.inFlight, limiter.waiting, order]).toEqual([2, 2, []]);
    a!.release({ kind: "ok", tokens: 1 });
    await flush();
    expect(order).toEqual(["c"]);
    b!.release({ kind: "ok", tokens: 1 });
    b!.release({ kind: "ok", tokens: 1 }); // idempotent
    await flush();
    expect(order).toEqual(["c", "d"]);
    expect(limiter.inFlight).toBe(2);
    (await c).release({ kind: "other" });
    (await d).release({ kind: "other" });
    expect(limiter.inFlight).toBe(0);
  });

  it("an aborted wait leaves the queue and rejects with the signal's reason", async () => {
    const { limiter } = manual({ max: 1 });
    const [a] = await take(limiter, 1);
    const controller = new AbortController();
    const waiting = limiter.acquire(0, controller.signal);
    controller.abort(new Error("task over"));
    await expect(waiting).rejects.toThrow("task over");
    expect(limiter.waiting).toBe(0);
    a!.release({ kind: "ok", tokens: 0 });
    expect(limiter.inFlight).toBe(0);
  });
});

describe("EndpointLimiter: AIMD", () => {
  it("a burst of 429s cuts once (×0.7), for everyone on the key, and logs the change", async () => {
    const { limiter, lines } = manual({ max: 10 });
    const permits = await take(limiter, 10);
    for (const p of permits.slice(0, 6)) p.release({ kind: "rate_limit" });
    expect(limiter.limit).toBe(7);
    expect(limiter.throttleEvents).toBe(6);
    expect(limiter.snapshot().changes.map(({ from, to, reason }) => ({ from, to, reason }))).toEqual([
      { from: 10, to: 7, reason: "rate_limit" },
    ]);
    expect(lines).toEqual(["limiter p|acct|-|m: in-flight limit 10 → 7 (rate limited)"]);
    // 4 still in flight; the limit is 7, so 3 more get in and the 4th waits.
    const more = await take(limiter, 3);
    let fourth = false;
    void limiter.acquire().then(() => (fourth = true));
    await flush();
    expect(fourth).toBe(false);
    for (const p of [...permits.slice(6), ...more]) p.release({ kind: "other" });
  });

  it("a call admitted after a cut cuts again only once the cool-down has passed; down to the floor", async () => {
    const { limiter, advance } = manual({ max: 10, cooldownMs: 1000 });
    (await limiter.acquire()).release({ kind: "rate_limit" });
    expect(limiter.limit).toBe(7);
    advance(999);
    (await limiter.acquire()).release({ kind: "rate_limit" });
    expect(limiter.limit).toBe(7);
    advance(1);
    (await limiter.acquire()).release({ kind: "rate_limit" });
    expect(limiter.limit).toBe(4);
    for (let i = 0; i < 3; i++) {
      advance(1000);
      (await limiter.acquire()).release({ kind: "rate_limit" });
    }
    expect(limiter.limit).toBe(1);
    expect(limiter.snapshot().changes.map((c) => c.to)).toEqual([7, 4, 2, 1]);
  });

  it("logs at most one line per 30 s per endpoint; the changes in between are counted in the next line and at the end", async () => {
    const { limiter, lines, advance } = manual({ max: 10, cooldownMs: 1000 });
    const registry = { flush: () => limiter.flushLog() };
    (await limiter.acquire()).release({ kind: "rate_limit" }); // 10 → 7, logged
    for (let i = 0; i < 3; i++) {
      advance(1000);
      (await limiter.acquire()).release({ kind: "rate_limit" }); // 7 → 4 → 2 → 1, counted
    }
    expect(lines).toEqual(["limiter p|acct|-|m: in-flight limit 10 → 7 (rate limited)"]);
    advance(27_000); // 30 s after the first line
    // A clean, saturated round at the floor raises it: 1 → 2, logged with the three counted cuts.
    for (let i = 0; i < 20 && limiter.limit === 1; i++) (await limiter.acquire()).release({ kind: "ok", tokens: 0 });
    expect(limiter.limit).toBe(2);
    expect(lines.at(-1)).toBe(
      "limiter p|acct|-|m: in-flight limit 1 → 2 (saturated clean round); 3 changes earlier not shown (3 down, 0 up)",
    );
    advance(1000);
    (await limiter.acquire()).release({ kind: "rate_limit" }); // 2 → 1, counted
    registry.flush();
    registry.flush(); // nothing left the second time
    expect(lines.slice(2)).toEqual([
      "limiter p|acct|-|m: in-flight limit 1 at the end; 1 change later not shown (1 down, 0 up; all in run.json)",
    ]);
    expect(limiter.snapshot().changes.map((c) => c.to)).toEqual([7, 4, 2, 1, 2, 1]);
  });

  it("a retry hint pauses every call on the key until it has passed", async () => {
    vi.useFakeTimers();
    const limiter = new EndpointLimiter("k", { max: 10, now: () => Date.now() });
    const other = await limiter.acquire();
    (await limiter.acquire()).release({ kind: "rate_limit", hintMs: 3000 });
    let next: Permit | undefined;
    void limiter.acquire().then((p) => (next = p));
    await vi.advanceTimersByTimeAsync(2999);
    expect(next).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(next?.waitedMs).toBe(3000);
    other.release({ kind: "ok", tokens: 1 });
  });

  it("a retried call keeps its place: it goes before calls that came after it", async () => {
    const { limiter } = manual({ max: 1 });
    const retried = limiter.ticket();
    const busy = await limiter.acquire();
    const order: string[] = [];
    void limiter.acquire().then((p) => {
      order.push("new");
      p.release({ kind: "ok", tokens: 0 });
    });
    void limiter.acquire(0, undefined, retried).then((p) => {
      order.push("retry");
      p.release({ kind: "ok", tokens: 0 });
    });
    busy.release({ kind: "ok", tokens: 0 });
    await flush();
    expect(order).toEqual(["retry", "new"]);
  });

  it("grows by 1 after a clean round that used the limit, never when it was not used, never above max", async () => {
    const { limiter, advance } = manual({ max: 6 });
    (await limiter.acquire()).release({ kind: "rate_limit" });
    expect(limiter.limit).toBe(4);
    // No growth inside the cool-down.
    const early = await take(limiter, 4);
    for (const p of early) p.release({ kind: "ok", tokens: 10 });
    expect(limiter.limit).toBe(4);
    advance(1000);
    // Unsaturated: one call at a time, 4 successes (a round of max(limit, 4)): no growth.
    for (let i = 0; i < 8; i++) (await limiter.acquire()).release({ kind: "ok", tokens: 10 });
    expect(limiter.limit).toBe(4);
    // Saturated rounds: 4 in flight together, then 5, then 6; the 6 never grows past max.
    for (const n of [4, 5, 6, 6]) {
      const permits = await take(limiter, n);
      for (const p of permits) p.release({ kind: "ok", tokens: 10 });
    }
    expect(limiter.limit).toBe(6);
    expect(limiter.snapshot().changes.map(({ from, to, reason }) => `${from}→${to} ${reason}`)).toEqual([
      "6→4 rate_limit",
      "4→5 saturated_round",
      "5→6 saturated_round",
    ]);
  });

  it("a transient error restarts the round: no growth from a failing endpoint", async () => {
    const { limiter } = manual({ max: 8, initial: 4 });
    const permits = await take(limiter, 4);
    permits[0]!.release({ kind: "ok", tokens: 1 });
    permits[1]!.release({ kind: "ok", tokens: 1 });
    permits[2]!.release({ kind: "ok", tokens: 1 });
    permits[3]!.release({ kind: "transient" });
    expect(limiter.limit).toBe(4);
    const again = await take(limiter, 4);
    for (const p of again) p.release({ kind: "ok", tokens: 1 });
    expect(limiter.limit).toBe(5);
  });

  it("validates its options", () => {
    expect(() => new EndpointLimiter("k", { max: 0 })).toThrow("expected max to be an integer >= 1, got 0");
    expect(() => new EndpointLimiter("k", { max: 4, decrease: 1 })).toThrow("expected decrease in (0, 1), got 1");
  });
});

describe("EndpointLimiter: static --rpm / --tpm caps on fake timers", () => {
  it("rpm 120: two at once (one second of burst), then one every 500 ms", async () => {
    vi.useFakeTimers();
    const limiter = new EndpointLimiter("k", { max: 10, rpm: 120, now: () => Date.now() });
    const admittedAt: number[] = [];
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) {
      void limiter.acquire().then((p) => {
        admittedAt.push(Date.now() - t0);
        p.release({ kind: "ok", tokens: 0 });
      });
    }
    await vi.advanceTimersByTimeAsync(1600);
    expect(admittedAt).toEqual([0, 0, 500, 1000, 1500]);
  });

  it("tpm: the estimate is taken before the call and corrected by the real usage after", async () => {
    vi.useFakeTimers();
    const limiter = new EndpointLimiter("k", { max: 10, tpm: 6000, now: () => Date.now() });
    // Bucket: 100 tokens (one second), 100 per second.
    const a = await limiter.acquire(100);
    let second: Permit | undefined;
    void limiter.acquire(50).then((p) => (second = p));
    await vi.advanceTimersByTimeAsync(0);
    expect(second).toBeUndefined();
    // The call used 10 tokens, not 100: 90 come back and the waiting call goes at once.
    a.release({ kind: "ok", tokens: 10 });
    await vi.advanceTimersByTimeAsync(0);
    expect(second).toBeDefined();
    expect(second!.waitedMs).toBe(0);
  });

  it("a call larger than the burst waits for a full bucket instead of forever", async () => {
    vi.useFakeTimers();
    const limiter = new EndpointLimiter("k", { max: 10, tpm: 600, now: () => Date.now() });
    (await limiter.acquire(10)).release({ kind: "ok", tokens: 10 });
    let big: Permit | undefined;
    void limiter.acquire(5000).then((p) => (big = p));
    await vi.advanceTimersByTimeAsync(999);
    expect(big).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(big?.waitedMs).toBe(1000);
  });
});

describe("TokenBucket", () => {
  it("refills at perMinute, caps at capacity, and goes into debt for an oversized take", () => {
    let t = 0;
    const b = new TokenBucket({ perMinute: 60, capacity: 2, now: () => t });
    expect([b.tryTake(), b.tryTake(), b.tryTake()]).toEqual([true, true, false]);
    expect(b.waitMs()).toBe(1000);
    t += 5000;
    expect(b.level).toBe(2);
    expect(b.tryTake(5)).toBe(true);
    expect(b.level).toBe(-3);
    expect(b.waitMs(1)).toBe(4000);
    expect(() => new TokenBucket({ perMinute: 0 })).toThrow("expected perMinute > 0, got 0");
  });
});

describe("endpoint keys", () => {
  const env = { AWS_ACCESS_KEY_ID: "AKIAEXAMPLE123", AWS_SECRET_ACCESS_KEY: "super-secret", OPENAI_API_KEY: "sk-secret" };

  it("separate two regions, two accounts and two models; OpenAI's two APIs share one account's quota", () => {
    const account = accountIdentity("bedrock", { apiKeyEnv: "OPENAI_API_KEY", env });
    const key = (model: string, region?: string, acct = account, provider = "bedrock") =>
      endpointKey({ provider, model, region, account: acct });
    const keys = [
      key("claude", "us-east-1"),
      key("claude", "us-west-2"),
      key("claude", "us-east-1", "aws-profile-other"),
      key("nova", "us-east-1"),
    ];
    expect(new Set(keys).size).toBe(4);
    const openai = accountIdentity("openai", { apiKeyEnv: "OPENAI_API_KEY", env });
    expect(accountIdentity("openai-responses", { apiKeyEnv: "OPENAI_API_KEY", env })).toBe(openai);
    expect(key("gpt-4o", undefined, openai, "openai")).toBe(key("gpt-4o", undefined, openai, "openai-responses"));
    expect(accountIdentity("openai", { apiKeyEnv: "OTHER_KEY", env })).not.toBe(openai);
    expect(accountIdentity("openai", { apiKeyEnv: "OPENAI_API_KEY", baseUrl: "http://localhost:8000/v1", env })).not.toBe(openai);
  });

  it("never hold a secret", () => {
    const ids = [
      accountIdentity("bedrock", { apiKeyEnv: "X", env }),
      accountIdentity("openai", { apiKeyEnv: "OPENAI_API_KEY", baseUrl: "https://user:pw@host/v1?key=abc", env }),
      accountIdentity("bedrock", { apiKeyEnv: "X", env: { AWS_PROFILE: "research" } }),
    ];
    expect(ids[0]).toMatch(/^aws-key-[0-9a-f]{10}$/);
    expect(ids[2]).toBe("aws-profile-research");
    for (const id of ids)
      for (const secret of ["AKIAEXAMPLE123", "super-secret", "sk-secret", "pw", "abc"]) expect(id).not.toContain(secret);
  });

  it("the registry gives one limiter per key and a run.json snapshot", async () => {
    const registry = new LimiterRegistry({ max: 4, rpm: 100 });
    expect(registry.get("a")).toBe(registry.get("a"));
    expect(registry.get("b")).not.toBe(registry.get("a"));
    (await registry.get("a").acquire()).release({ kind: "rate_limit" });
    expect(registry.snapshot()).toEqual({
      a: {
        limit: 2,
        min: 1,
        max: 4,
        rpm: 100,
        tpm: null,
        throttle_events: 1,
        changes: [expect.objectContaining({ from: 4, to: 2, reason: "rate_limit" })],
      },
      b: { limit: 4, min: 1, max: 4, rpm: 100, tpm: null, throttle_events: 0, changes: [] },
    });
  });
});

describe("estimateRequestTokens", () => {
  it("counts about 4 characters per token, images as 1000, plus the output cap", () => {
    const request: ModelRequest = {
      system: "x".repeat(400),
      tools: [],
      maxTokens: 50,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "y".repeat(396) },
            { type: "image", mediaType: "image/png", data: "z".repeat(99_999) },
          ],
        },
        { role: "assistant", text: "", toolCalls: [{ id: "1", name: "bash", arguments: "{}" }] },
      ],
    };
    // 400 + 2 ("[]") + 396 + 4000 + 6 = 4804 chars → 1201 tokens, + 50.
    expect(estimateRequestTokens(request)).toBe(1251);
  });
});
