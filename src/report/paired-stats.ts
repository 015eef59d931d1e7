// Paired statistics for two cells run on the same tasks: the exact McNemar test and a seeded paired
// bootstrap of the resolve-rate difference. Pure functions; the RNG is explicit so results reproduce.

import { seededRandom } from "../util/random.js";
import { percentile, type Interval } from "./stats.js";

/** Seed of the paired bootstrap (compare.csv's intervals are reproducible run to run). */
export const BOOTSTRAP_SEED = 20251124;
/** Resamples of the paired bootstrap. */
export const BOOTSTRAP_RESAMPLES = 10_000;

/**
 * Exact two-sided McNemar p-value for `b` and `c` discordant pairs (tasks only one cell solved):
 * min(1, 2·P(X ≤ min(b, c))) with X ~ Binomial(b + c, 1/2); 1 when b + c = 0.
 * The binomial sum is exact (BigInt) and rounded once, so small cases equal the closed form
 * (b=10, c=2 → 158/4096 = 0.03857421875).
 * @throws RangeError when b or c is not a non-negative integer.
 */
export function mcnemarExactP(b: number, c: number): number {
  for (const [name, v] of [
    ["b", b],
    ["c", c],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`mcnemarExactP: expected ${name} a non-negative integer, got ${v}`);
  }
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  // 2·Σ_{i≤k} C(n, i) over 2^n: once 2k + 1 ≥ n the tail holds at least half the mass and p = 1.
  if (2 * k + 1 >= n) return 1;
  let term = 1n;
  let tail = 1n;
  const N = BigInt(n);
  for (let i = 0n; i < BigInt(k); i++) {
    term = (term * (N - i)) / (i + 1n);
    tail += term;
  }
  return Math.min(1, ratioToNumber(2n * tail, n));
}

/** num / 2^exp as a double: rounded once while the numerator fits, and underflowing to 0 as it should. */
function ratioToNumber(num: bigint, exp: number): number {
  const bits = num.toString(2).length;
  // Keep 64 significant bits (more than a double's 53) so the one rounding is in Number().
  const shift = Math.max(0, bits - 64);
  const mantissa = Number(num >> BigInt(shift));
  let e = shift - exp;
  let x = mantissa;
  // Scale in steps: 2^e alone underflows below 2^-1074 even when the product would not.
  while (e < -1000) {
    x *= 2 ** -1000;
    e += 1000;
  }
  return x * 2 ** e;
}

/** Options of pairedBootstrap(). */
export interface BootstrapOptions {
  /** @default BOOTSTRAP_SEED */
  seed?: number;
  /** @default BOOTSTRAP_RESAMPLES */
  resamples?: number;
  /** Two-sided level of the interval. @default 0.95 */
  level?: number;
}

/**
 * Percentile interval of the paired bootstrap of mean(a) − mean(b): the tasks (index i pairs a[i]
 * with b[i]) are resampled with replacement `resamples` times, each time taking the difference of
 * resolve rates; the bounds are the (1−level)/2 and (1+level)/2 percentiles (numpy-linear) of those
 * differences. The same inputs and seed give the same interval.
 * @returns `null` for no pairs.
 * @throws RangeError when the arrays differ in length or the options are out of range.
 */
export function pairedBootstrap(a: readonly boolean[], b: readonly boolean[], opts: BootstrapOptions = {}): Interval | null {
  if (a.length !== b.length) throw new RangeError(`pairedBootstrap: expected arrays of equal length, got ${a.length} and ${b.length}`);
  const resamples = opts.resamples ?? BOOTSTRAP_RESAMPLES;
  const level = opts.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1)
    throw new RangeError(`pairedBootstrap: expected resamples a positive integer, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`pairedBootstrap: expected level in (0, 1), got ${level}`);
  const n = a.length;
  if (n === 0) return null;
  const d = a.map((x, i) => Number(x) - Number(b[i]));
  const rng = seededRandom(opts.seed ?? BOOTSTRAP_SEED);
  const diffs = new Array<number>(resamples);
  for (let r = 0; r < resamples; r++) {
    // Integer sum, one division: no float noise from adding ±1 fractions.
    let total = 0;
    for (let i = 0; i < n; i++) total += d[Math.floor(rng() * n)] as number;
    diffs[r] = total / n;
  }
  // Rounded so level 0.95 gives exactly the 2.5th and 97.5th percentiles ((1 − 0.95)·50 is 2.5000000000000022).
  const tail = Number(((1 - level) * 50).toFixed(10));
  return { low: percentile(diffs, tail) as number, high: percentile(diffs, 100 - tail) as number };
}
