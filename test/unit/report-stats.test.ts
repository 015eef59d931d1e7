import { describe, expect, it } from "vitest";

import { median, percentile, round, roundSignificant, sum, wilsonInterval, Z_95 } from "../../src/report/stats.js";

describe("percentile (numpy linear / R type 7)", () => {
  // Expected values are numpy.percentile outputs (numpy 2.4), compared bit for bit.
  it("interpolates between closest ranks", () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([1, 2, 3, 4], 95)).toBe(3.8499999999999996);
    expect(percentile([1, 2, 3, 4], 25)).toBe(1.75);
    expect(percentile([1, 2, 3, 4], 99)).toBe(3.9699999999999998);
    expect(percentile([1, 2, 3, 4], 1)).toBe(1.03);
    expect(percentile([1, 2, 3, 4], 0)).toBe(1);
    expect(percentile([1, 2, 3, 4], 100)).toBe(4);
    expect(percentile([0.1, 0.2, 0.3, 0.7, 1.9, 2.5, 0.05], 95)).toBe(2.3199999999999994);
    expect(percentile([0.1, 0.2, 0.3, 0.7, 1.9, 2.5, 0.05], 33.3)).toBe(0.19979999999999998);
    expect(percentile([0.1, 0.2, 0.3, 0.7, 1.9, 2.5, 0.05], 90)).toBe(2.14);
  });

  it("sorts a copy and leaves the input alone", () => {
    const values = [3, 1, 2];
    expect(percentile(values, 50)).toBe(2);
    expect(percentile(values, 95)).toBe(2.9);
    expect(values).toEqual([3, 1, 2]);
  });

  it("returns the single value for every p, and null for no values", () => {
    expect([0, 50, 95, 100].map((p) => percentile([5], p))).toEqual([5, 5, 5, 5]);
    expect(percentile([], 50)).toBeNull();
    expect(median([])).toBeNull();
  });

  it("median is the interpolated 50th percentile", () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it("rejects p outside [0, 100] and non-finite values", () => {
    expect(() => percentile([1], 101)).toThrow("expected p in [0, 100], got 101");
    expect(() => percentile([1], -1)).toThrow(RangeError);
    expect(() => percentile([1, Number.NaN], 50)).toThrow("expected finite values, got NaN");
  });
});

describe("wilsonInterval", () => {
  // Checked against scipy.stats.binomtest(k, n).proportion_ci(method="wilson").
  it("8 of 10", () => {
    const ci = wilsonInterval(8, 10);
    expect(ci?.low.toFixed(7)).toBe("0.4901625");
    expect(ci?.high.toFixed(7)).toBe("0.9433178");
    expect(round(ci?.low ?? 0, 6)).toBe(0.490162);
    expect(round(ci?.high ?? 0, 6)).toBe(0.943318);
  });

  it("1 of 3 and 2 of 3", () => {
    expect(wilsonInterval(1, 3)).toEqual({ low: 0.06149194472039621, high: 0.7923403991979522 });
    const ci = wilsonInterval(2, 3);
    expect(round(ci?.low ?? 0, 9)).toBe(0.207659601);
    expect(round(ci?.high ?? 0, 9)).toBe(0.938508055);
  });

  it("pins the ends at exactly 0 and 1", () => {
    expect(wilsonInterval(0, 10)).toEqual({ low: 0, high: 0.2775327998628892 });
    expect(wilsonInterval(10, 10)).toEqual({ low: 0.7224672001371107, high: 1 });
    expect(wilsonInterval(1, 1)).toEqual({ low: 0.20654931437723745, high: 1 });
  });

  it("is null without trials and rejects impossible counts", () => {
    expect(wilsonInterval(0, 0)).toBeNull();
    expect(() => wilsonInterval(3, 2)).toThrow("expected successes an integer in [0, 2], got 3");
    expect(() => wilsonInterval(1.5, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(0, -1)).toThrow(RangeError);
  });

  it("uses z = Φ⁻¹(0.975) by default", () => {
    expect(Z_95).toBe(1.959963984540054);
    expect(wilsonInterval(8, 10, Z_95)).toEqual(wilsonInterval(8, 10));
  });
});

describe("sum, round, roundSignificant", () => {
  it("sum adds left to right, 0 for none", () => {
    expect(sum([])).toBe(0);
    expect(sum([1, 2, 3.5])).toBe(6.5);
    expect(sum([0.1, 0.2])).toBe(0.30000000000000004);
  });

  it("round works on the printed decimal, half away from zero", () => {
    expect(round(1.005, 2)).toBe(1.01);
    expect(round(-1.005, 2)).toBe(-1.01);
    expect(round(2.5, 0)).toBe(3);
    expect(round(-2.5, 0)).toBe(-3);
    expect(round(0.30000000000000004, 3)).toBe(0.3);
    expect(round(1.23456, 3)).toBe(1.235);
    expect(round(1e-7, 3)).toBe(0);
    expect(Object.is(round(-0.0001, 3), 0)).toBe(true); // never -0
    expect(round(1.5e-7, 7)).toBe(2e-7);
    expect(round(123456789.123456, 3)).toBe(123456789.123);
    expect(round(1e300, 3)).toBe(1e300);
    expect(round(Number.POSITIVE_INFINITY, 3)).toBe(Number.POSITIVE_INFINITY);
    expect(() => round(1, -1)).toThrow("expected digits an integer in [0, 100], got -1");
  });

  it("roundSignificant strips float noise", () => {
    expect(roundSignificant(0.1 + 0.2, 10)).toBe(0.3);
    expect(roundSignificant(0.000123456789012345, 10)).toBe(0.000123456789);
    expect(roundSignificant(123456.7891234, 3)).toBe(123000);
    expect(() => roundSignificant(1, 0)).toThrow(RangeError);
  });
});
