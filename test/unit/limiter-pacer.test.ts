import { afterEach, describe, expect, it, vi } from "vitest";
import { EndpointLimiter } from "../../src/runner/limiter.js";
import { RatePacer } from "../../src/runner/rate-pacer.js";

afterEach(() => {
  vi.useRealTimers();
});

/** A pacer on a hand-moved clock. */
function manual() {
  let t = 0;
  const pacer = new RatePacer({ now: () => t });
  return { pacer, at: (ms: number) => (t = ms) };
}

describe("RatePacer", () => {
  it("paces nothing before the first 429", () => {
    const { pacer } = manual();
    for (let i = 0; i < 20; i++) pacer.settle(pacer.admit(true), false);
    expect(pacer.perMinute).toBeUndefined();
    expect(pacer.waitMs()).toBe(0);
  });

  it("first 429: the calls not refused in the second before it; then ×0.8 once per burst until a span is long enough", () => {
    const { pacer, at } = manual();
    const burst = Array.from({ length: 8 }, () => pacer.admit(true));
    // 5 accepted, 3 refused at once; at the first 429 the other 7 are still in flight and count as not refused.
    pacer.settle(burst[5]!, true);
    expect(pacer.perMinute).toBe(7 * 60);
    pacer.settle(burst[6]!, true);
    pacer.settle(burst[7]!, true);
    // Those were admitted before the first cut: no further cut.
    expect(pacer.perMinute).toBe(7 * 60);
    expect(pacer.waitMs()).toBe(143);
    at(143);
    pacer.settle(pacer.admit(true), true);
    expect(pacer.perMinute).toBeCloseTo(0.8 * 7 * 60, 9);
  });

  it("estimates the rate from the calls accepted between two 429s at least 2 s apart, paces at 0.97 of it", () => {
    const { pacer, at } = manual();
    pacer.settle(pacer.admit(true), true); // first 429 at 0: a guess of 1 call per second
    expect(pacer.perMinute).toBe(60);
    // 9 calls accepted between 0 and 4500 ms (2 per second), then a 429 at 4500 ms.
    for (let i = 1; i <= 9; i++) {
      at(i * 500 - 1);
      pacer.settle(pacer.admit(false), false);
    }
    at(4500);
    pacer.settle(pacer.admit(false), true);
    expect(pacer.perMinute).toBeCloseTo((0.97 * 9 * 60_000) / 4500, 9);
    // Estimated: +1% per second while calls queue.
    at(5500);
    pacer.admit(true);
    expect(pacer.perMinute).toBeCloseTo((1.01 * 0.97 * 9 * 60_000) / 4500, 9);
  });

  it("an estimate from a span in which the bucket filled up takes off at most 10% of the pace", () => {
    const { pacer, at } = manual();
    pacer.settle(pacer.admit(true), true); // 60 per minute
    at(10_000);
    pacer.settle(pacer.admit(true), true); // nothing accepted in 10 s: the estimate says 0.1 per second
    expect(pacer.perMinute).toBeCloseTo(0.9 * 60 * 1.05, 9); // +5% at admission (a second since the change), then −10%
  });

  it("spaces calls evenly and probes +5% per second while calls queue for a guessed pace", () => {
    const { pacer, at } = manual();
    pacer.settle(pacer.admit(true), true); // 60 per minute: one call per second
    expect(pacer.waitMs()).toBe(1000);
    at(1000);
    pacer.admit(true); // 1 s after the change, backlogged, no estimate yet: +5%
    expect(pacer.perMinute).toBeCloseTo(63, 9);
    expect(pacer.waitMs()).toBe(Math.ceil(1000 / 1.05));
    at(1500);
    pacer.admit(false); // not backlogged, under a second since the raise: no growth
    expect(pacer.perMinute).toBeCloseTo(63, 9);
  });
});

describe("EndpointLimiter with the pacer (fake timers)", () => {
  it("after a 429 admits calls one interval apart and keeps the in-flight limit", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
    const limiter = new EndpointLimiter("k", { max: 4, now: () => Date.now() });
    const first = await limiter.acquire();
    first.release({ kind: "rate_limit" }); // nothing accepted in the second before: 1 call per second
    expect(limiter.limit).toBe(2); // unpaced until this 429: the in-flight AIMD cut it once (4 × 0.7, floored)
    expect(limiter.pacePerMinute).toBe(60);
    const admitted: number[] = [];
    for (let i = 0; i < 3; i++)
      void limiter.acquire().then((p) => {
        admitted.push(Date.now());
        p.release({ kind: "ok", tokens: 1 });
      });
    await vi.advanceTimersByTimeAsync(999);
    expect(admitted).toEqual([]);
    await vi.advanceTimersByTimeAsync(3000);
    // One second after the 429, then +5% (a second since the change, calls queued, no estimate yet): 952.4 ms apart.
    expect(admitted).toEqual([1000, 1953, 2905]);
    // Paced: a 429 slows the pace, the in-flight limit stays.
    (await limiter.acquire()).release({ kind: "rate_limit" });
    expect(limiter.limit).toBe(2);
    expect(limiter.pacePerMinute).toBeLessThan(60);
  });
});
