// Summary statistics for reports: exact percentiles, Wilson intervals, sums and display rounding.
// Pure functions; inputs are never mutated.

/** Two-sided 95% normal quantile, Φ⁻¹(0.975). */
export const Z_95 = 1.959963984540054;

/**
 * The p-th percentile (0 ≤ p ≤ 100) of `values` by linear interpolation between closest ranks
 * (numpy's default `method="linear"`, R type 7), computed on a sorted copy.
 * The arithmetic follows numpy's step by step, so results equal `numpy.percentile` bit for bit.
 * @returns `null` for an empty array.
 * @throws RangeError when p is outside [0, 100] or a value is not finite.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (!Number.isFinite(p) || p < 0 || p > 100) {
    throw new RangeError(`percentile: expected p in [0, 100], got ${p}`);
  }
  for (const v of values) {
    if (!Number.isFinite(v)) throw new RangeError(`percentile: expected finite values, got ${v}`);
  }
  const n = values.length;
  if (n === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const index = (n - 1) * (p / 100);
  const lo = Math.floor(index);
  const hi = Math.min(lo + 1, n - 1);
  const t = index - lo;
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  const diff = b - a;
  // numpy interpolates from the nearer end, which keeps the result monotone in p.
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** The median (the 50th percentile, interpolated); `null` for an empty array. */
export function median(values: readonly number[]): number | null {
  return percentile(values, 50);
}

/** Lower and upper bound of a confidence interval for a proportion. */
export interface Interval {
  low: number;
  high: number;
}

/**
 * Wilson score interval for `successes` out of `n` trials (95% by default).
 * The bounds are exactly 0 when successes = 0 and exactly 1 when successes = n.
 * @returns `null` when n = 0 (no trials, no interval).
 * @throws RangeError when the counts are not integers with 0 ≤ successes ≤ n.
 */
export function wilsonInterval(successes: number, n: number, z: number = Z_95): Interval | null {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`wilsonInterval: expected n a non-negative integer, got ${n}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > n) {
    throw new RangeError(`wilsonInterval: expected successes an integer in [0, ${n}], got ${successes}`);
  }
  if (!Number.isFinite(z) || z <= 0) throw new RangeError(`wilsonInterval: expected z > 0, got ${z}`);
  if (n === 0) return null;
  const phat = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (phat + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((phat * (1 - phat)) / n + z2 / (4 * n * n))) / denom;
  return {
    low: successes === 0 ? 0 : Math.max(0, centre - half),
    high: successes === n ? 1 : Math.min(1, centre + half),
  };
}

/** Sum of `values`, left to right; 0 for an empty array. */
export function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/**
 * `x` rounded to `digits` decimals, half away from zero, on the decimal the number prints as
 * (so `round(1.005, 2)` is 1.01, not the 1.00 that `toFixed` gives). Non-finite values and
 * magnitudes beyond 2^53 after scaling (no fractional digits left to round) are returned as is.
 * @throws RangeError when digits is not an integer in [0, 100].
 */
export function round(x: number, digits: number): number {
  if (!Number.isInteger(digits) || digits < 0 || digits > 100) {
    throw new RangeError(`round: expected digits an integer in [0, 100], got ${digits}`);
  }
  if (!Number.isFinite(x) || x === 0) return x === 0 ? 0 : x;
  // Shift the decimal point in the shortest round-trip representation, not by multiplying,
  // which would add binary error (1.005 * 100 = 100.49999999999999).
  const [mantissa, exponent] = Math.abs(x).toExponential().split("e") as [string, string];
  const scaled = Number(`${mantissa}e${Number(exponent) + digits}`);
  if (scaled >= 2 ** 53) return x;
  const rounded = Math.round(scaled);
  if (rounded === 0) return 0;
  return Math.sign(x) * Number(`${rounded}e-${digits}`);
}

/**
 * `x` rounded to `significant` significant digits (1–21), e.g. to strip float noise from a cost:
 * `roundSignificant(0.1 + 0.2, 10)` is 0.3. Non-finite values are returned as is.
 */
export function roundSignificant(x: number, significant: number): number {
  if (!Number.isInteger(significant) || significant < 1 || significant > 21) {
    throw new RangeError(`roundSignificant: expected significant an integer in [1, 21], got ${significant}`);
  }
  if (!Number.isFinite(x) || x === 0) return x === 0 ? 0 : x;
  return Number(x.toPrecision(significant));
}
