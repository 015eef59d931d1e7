import { describe, expect, it } from "vitest";
import { seededRandom } from "../../src/util/random.js";
import { mockFaultSettings } from "../../src/mock/flags.js";
import { latencySampler, parseLatencySpec } from "../../src/mock/latency.js";
import { MockQuota } from "../../src/mock/quota.js";

describe("MockQuota", () => {
  it("600 RPM over a 1 s window: 10 at once, then 429 with the time until the next slot as hints", () => {
    let t = 0;
    const quota = new MockQuota({ rpm: 600 }, () => t);
    for (let i = 0; i < 10; i++) expect(quota.admit(10)).toBeUndefined();
    expect(quota.admit(10)).toEqual({
      status: 429,
      message: "Rate limit reached for requests per min (RPM): Limit 600. Please try again in 100ms.",
      type: "requests",
      code: "rate_limit_exceeded",
      param: null,
      headers: {
        "retry-after-ms": "100",
        "retry-after": "1",
        "x-ratelimit-reset-requests": "100ms",
        "x-ratelimit-remaining-requests": "0",
      },
    });
    t += 100;
    expect(quota.admit(10)).toBeUndefined();
    expect(quota.throttled).toBe(1);
  });

  it("without retry hints the 429 carries no header at all", () => {
    const quota = new MockQuota({ rpm: 60, retryHints: false }, () => 0);
    expect(quota.admit(1)).toBeUndefined();
    expect(quota.admit(1)).toMatchObject({ status: 429, headers: {} });
  });

  it("tokens per minute: prompt on arrival, completion charged after", () => {
    let t = 0;
    const quota = new MockQuota({ tpm: 60_000, windowMs: 1000 }, () => t);
    expect(quota.admit(600)).toBeUndefined();
    quota.charge(400);
    expect(quota.admit(100)).toMatchObject({
      status: 429,
      type: "tokens",
      headers: { "retry-after-ms": "100", "x-ratelimit-reset-tokens": "100ms" },
    });
    t += 100;
    expect(quota.admit(100)).toBeUndefined();
  });
});

describe("latency distributions", () => {
  it("parses the flag forms and names the flag in errors", () => {
    expect(parseLatencySpec("250")).toEqual({ kind: "fixed", ms: 250 });
    expect(parseLatencySpec("fixed:30")).toEqual({ kind: "fixed", ms: 30 });
    expect(parseLatencySpec("uniform:100:400")).toEqual({ kind: "uniform", minMs: 100, maxMs: 400 });
    expect(parseLatencySpec("lognormal:400:0.5")).toEqual({ kind: "lognormal", medianMs: 400, sigma: 0.5 });
    expect(() => parseLatencySpec("uniform:5:1")).toThrow(
      '--mock-latency: expected fixed:MS, uniform:MIN_MS:MAX_MS or lognormal:MEDIAN_MS:SIGMA (e.g. lognormal:400:0.5); the minimum is above the maximum (got "uniform:5:1")',
    );
    expect(() => parseLatencySpec("gamma:1:2", "--latency")).toThrow(/^--latency: .*unknown distribution "gamma"/);
    expect(() => parseLatencySpec("fixed:-3")).toThrow("every number must be 0 or more");
  });

  it("draws: uniform within bounds; log-normal around its median with a right tail; reproducible by seed", () => {
    const uniform = latencySampler({ kind: "uniform", minMs: 100, maxMs: 400 }, seededRandom(7));
    const u = Array.from({ length: 1000 }, uniform);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...u)).toBeLessThan(400);
    const draw = latencySampler({ kind: "lognormal", medianMs: 400, sigma: 0.5 }, seededRandom(7));
    const l = Array.from({ length: 4001 }, draw).sort((a, b) => a - b);
    expect(l[2000]).toBeGreaterThan(370);
    expect(l[2000]).toBeLessThan(430);
    // P95 of a log-normal is median · e^(1.645σ) ≈ 910 ms.
    expect(l[3800]).toBeGreaterThan(820);
    expect(l[3800]).toBeLessThan(1000);
    const again = latencySampler({ kind: "lognormal", medianMs: 400, sigma: 0.5 }, seededRandom(7));
    expect(Array.from({ length: 5 }, again)).toEqual(
      Array.from({ length: 5 }, latencySampler({ kind: "lognormal", medianMs: 400, sigma: 0.5 }, seededRandom(7))),
    );
  });
});

describe("mockFaultSettings (--mock-* / mock-server flags)", () => {
  it("turns flags into the server's quota, fault rates and latency", () => {
    expect(
      mockFaultSettings({ rpm: 120, faultRate: 0.1, resetRate: 0.05, cutRate: 0.02, hangRate: 0.01, latency: "uniform:1:2", seed: 3 }),
    ).toEqual({
      quota: { rpm: 120, retryHints: true },
      faults: {
        seed: 3,
        rates: [
          { fault: { kind: "http", status: 500 }, rate: 0.05 },
          { fault: { kind: "http", status: 503 }, rate: 0.05 },
          { fault: { kind: "reset" }, rate: 0.05 },
          { fault: { kind: "cut" }, rate: 0.02 },
          { fault: { kind: "hang" }, rate: 0.01 },
        ],
      },
      latency: { kind: "uniform", minMs: 1, maxMs: 2 },
      seed: 3,
    });
    expect(mockFaultSettings({})).toEqual({ seed: 1 });
  });

  it("refuses bad values, naming the flag", () => {
    expect(() => mockFaultSettings({ faultRate: 1.5 })).toThrow("--mock-fault-rate: expected a share from 0 to 1, got 1.5");
    expect(() => mockFaultSettings({ faultRate: 0.6, hangRate: 0.6 }, "--")).toThrow(
      /^--fault-rate, reset-rate, cut-rate and hang-rate: expected a sum of at most 1/,
    );
    expect(() => mockFaultSettings({ rpm: 0 })).toThrow("--mock-rpm: expected a number above 0, got 0");
  });
});
