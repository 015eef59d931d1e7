// Answer latency of the mock server as a distribution (fixed, uniform or log-normal), drawn from a seeded generator
// so a benchmark's timing pattern repeats; parsed from the `--mock-latency` / `--latency` flag text.

import { UsageError } from "../errors.js";

export type LatencySpec =
  | { kind: "fixed"; ms: number }
  | { kind: "uniform"; minMs: number; maxMs: number }
  /** exp(N(ln median, sigma²)): most calls near the median, a long tail as real endpoints have. */
  | { kind: "lognormal"; medianMs: number; sigma: number };

const FORMS = "fixed:MS, uniform:MIN_MS:MAX_MS or lognormal:MEDIAN_MS:SIGMA (e.g. lognormal:400:0.5)";

/** Parses "250", "fixed:250", "uniform:100:400", "lognormal:400:0.5"; `flag` names the option in errors. */
export function parseLatencySpec(text: string, flag = "--mock-latency"): LatencySpec {
  const parts = text.trim().split(":");
  const nums = parts.slice(parts.length === 1 ? 0 : 1).map(Number);
  const bad = (why: string): never => {
    throw new UsageError(`${flag}: expected ${FORMS}; ${why} (got ${JSON.stringify(text)})`);
  };
  if (nums.some((n) => !Number.isFinite(n) || n < 0)) bad("every number must be 0 or more");
  const kind = parts.length === 1 ? "fixed" : parts[0];
  switch (kind) {
    case "fixed":
      if (nums.length !== 1) bad("fixed takes one number");
      return { kind: "fixed", ms: nums[0]! };
    case "uniform":
      if (nums.length !== 2) bad("uniform takes two numbers");
      if (nums[0]! > nums[1]!) bad("the minimum is above the maximum");
      return { kind: "uniform", minMs: nums[0]!, maxMs: nums[1]! };
    case "lognormal":
      if (nums.length !== 2) bad("lognormal takes the median and sigma");
      return { kind: "lognormal", medianMs: nums[0]!, sigma: nums[1]! };
    default:
      return bad(`unknown distribution "${kind}"`);
  }
}

/** Latency draws in ms for a spec; `random` returns [0, 1). Log-normal draws are capped at 10 minutes. */
export function latencySampler(spec: LatencySpec, random: () => number): () => number {
  switch (spec.kind) {
    case "fixed":
      return () => spec.ms;
    case "uniform":
      return () => spec.minMs + random() * (spec.maxMs - spec.minMs);
    case "lognormal":
      return () => {
        // Box–Muller; 1 - random() keeps the logarithm finite.
        const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
        return Math.min(600_000, spec.medianMs * Math.exp(spec.sigma * z));
      };
  }
}
