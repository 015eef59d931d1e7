import { describe, expect, it } from "vitest";

import { BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, mcnemarExactP, pairedBootstrap } from "../../src/report/paired-stats.js";
import { seededRandom } from "../../src/util/random.js";

describe("mcnemarExactP", () => {
  // Expected values: Python, float(min(1, Fraction(2 * sum(comb(n, k) for k <= min(b, c)), 2**n))),
  // i.e. the exact binomial tail rounded once.
  it.each([
    [10, 2, 0.03857421875],
    [2, 10, 0.03857421875],
    [6, 0, 0.03125],
    [3, 0, 0.25],
    [7, 1, 0.0703125],
    [25, 10, 0.01667384780012071],
    [100, 80, 0.1565314695781511],
  ])("b=%i c=%i → %f", (b, c, p) => {
    expect(mcnemarExactP(b, c)).toBe(p);
  });

  it("is 1 without discordant pairs, for one discordant pair and for balanced counts", () => {
    expect(mcnemarExactP(0, 0)).toBe(1);
    expect(mcnemarExactP(1, 0)).toBe(1);
    expect(mcnemarExactP(5, 5)).toBe(1);
    expect(mcnemarExactP(5, 6)).toBe(1);
  });

  it("stays exact beyond the double range of 2^n and underflows to 0 only where the value does", () => {
    // Python: 0.0060157938610449525 (n = 1300, 2^n overflows a double).
    expect(mcnemarExactP(600, 700)).toBeCloseTo(0.0060157938610449525, 17);
    expect(mcnemarExactP(0, 1200)).toBe(0); // 2^-1199 is below the smallest double
    expect(mcnemarExactP(0, 1000)).toBe(2 ** -999);
  });

  it("rejects counts that are not non-negative integers", () => {
    expect(() => mcnemarExactP(-1, 2)).toThrow(RangeError);
    expect(() => mcnemarExactP(1.5, 2)).toThrow("expected b a non-negative integer, got 1.5");
  });
});

describe("seededRandom (mulberry32)", () => {
  it("is the reference generator (values from an independent Python port)", () => {
    const rng = seededRandom(1);
    expect([rng(), rng(), rng()]).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
  });
});

describe("pairedBootstrap", () => {
  const a = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0].map(Boolean);
  const b = [0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0].map(Boolean);

  it("documents its seed and resample count", () => {
    expect([BOOTSTRAP_SEED, BOOTSTRAP_RESAMPLES]).toEqual([20251124, 10_000]);
  });

  it("equals an independent Python implementation of the same seeded procedure", () => {
    // A Python port (mulberry32, index = floor(u·n), integer sums, numpy-linear 2.5/97.5 percentiles), run once.
    expect(pairedBootstrap(a, b)).toEqual({ low: 0, high: 0.75 });
    expect(pairedBootstrap(a, b, { seed: 7, resamples: 2000 })).toEqual({ low: 0.08333333333333333, high: 0.75 });
  });

  it("is deterministic, and depends on the seed", () => {
    const opts = { seed: 3, resamples: 500 };
    expect(pairedBootstrap(a, b, opts)).toEqual(pairedBootstrap(a, b, opts));
    const seeds = [1, 2, 3, 4, 5, 6].map((seed) => JSON.stringify(pairedBootstrap(a, b, { seed, resamples: 200 })));
    expect(new Set(seeds).size).toBeGreaterThan(1);
  });

  it("gives a point interval when every pair agrees, and null without pairs", () => {
    expect(pairedBootstrap([true, true, false], [true, true, false])).toEqual({ low: 0, high: 0 });
    expect(pairedBootstrap([true, true], [false, false])).toEqual({ low: 1, high: 1 });
    expect(pairedBootstrap([], [])).toBeNull();
  });

  it("rejects arrays of different lengths and bad options", () => {
    expect(() => pairedBootstrap([true], [])).toThrow("expected arrays of equal length, got 1 and 0");
    expect(() => pairedBootstrap([true], [true], { resamples: 0 })).toThrow(RangeError);
    expect(() => pairedBootstrap([true], [true], { level: 1 })).toThrow(RangeError);
  });
});
