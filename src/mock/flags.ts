// The mock server's throttling and fault settings as flat flags (`bench mock-server --rpm …`, `bench run --mock-rpm …`),
// turned into MockServerOptions. Validation errors name the flag.

import { UsageError } from "../errors.js";
import { faults, type FaultRate } from "./faults.js";
import { parseLatencySpec, type LatencySpec } from "./latency.js";
import type { MockQuotaOptions } from "./quota.js";

export interface MockFaultFlags {
  /** Model calls per minute before 429s. */
  rpm?: number | undefined;
  /** Tokens per minute before 429s. */
  tpm?: number | undefined;
  /** Burst window of the quota buckets, ms. @default 1000 */
  quotaWindowMs?: number | undefined;
  /** Retry hints on the quota's 429s. @default true */
  retryHints?: boolean | undefined;
  /** Share of calls answered 500 or 503 (half each). @default 0 */
  faultRate?: number | undefined;
  /** Share of calls whose connection is reset before any answer. @default 0 */
  resetRate?: number | undefined;
  /** Share of streamed calls cut mid-way (no finish reason). @default 0 */
  cutRate?: number | undefined;
  /** Share of calls that never answer (the client's deadline ends them). @default 0 */
  hangRate?: number | undefined;
  /** Latency distribution text: "250", "uniform:100:400", "lognormal:400:0.5". */
  latency?: string | undefined;
  /** Seed of the fault and latency draws. @default 1 */
  seed?: number | undefined;
}

export interface MockFaultSettings {
  quota?: MockQuotaOptions;
  faults?: { rates: FaultRate[]; seed: number };
  latency?: LatencySpec;
  seed?: number;
}

/** MockServerOptions fields for the flags; `prefix` is how the flags are spelled in errors ("--mock-" or "--"). */
export function mockFaultSettings(flags: MockFaultFlags, prefix = "--mock-"): MockFaultSettings {
  const rate = (name: string, v: number | undefined): number => {
    if (v === undefined) return 0;
    if (!(Number.isFinite(v) && v >= 0 && v <= 1))
      throw new UsageError(`${prefix}${name}: expected a share from 0 to 1, got ${JSON.stringify(v)}`);
    return v;
  };
  const positive = (name: string, v: number | undefined): number | undefined => {
    if (v !== undefined && !(Number.isFinite(v) && v > 0))
      throw new UsageError(`${prefix}${name}: expected a number above 0, got ${JSON.stringify(v)}`);
    return v;
  };
  const seed = flags.seed ?? 1;
  const rates: FaultRate[] = [];
  const fault = rate("fault-rate", flags.faultRate);
  if (fault > 0) rates.push({ fault: faults.serverError(), rate: fault / 2 }, { fault: faults.overloaded(), rate: fault / 2 });
  const reset = rate("reset-rate", flags.resetRate);
  if (reset > 0) rates.push({ fault: faults.reset(), rate: reset });
  const cut = rate("cut-rate", flags.cutRate);
  if (cut > 0) rates.push({ fault: faults.cut(), rate: cut });
  const hang = rate("hang-rate", flags.hangRate);
  if (hang > 0) rates.push({ fault: faults.hang(), rate: hang });
  if (fault + reset + cut + hang > 1)
    throw new UsageError(
      `${prefix}fault-rate, reset-rate, cut-rate and hang-rate: expected a sum of at most 1, got ${fault + reset + cut + hang}`,
    );
  const rpm = positive("rpm", flags.rpm);
  const tpm = positive("tpm", flags.tpm);
  const windowMs = positive("quota-window-ms", flags.quotaWindowMs);
  return {
    ...(rpm !== undefined || tpm !== undefined
      ? {
          quota: {
            ...(rpm !== undefined ? { rpm } : {}),
            ...(tpm !== undefined ? { tpm } : {}),
            ...(windowMs !== undefined ? { windowMs } : {}),
            retryHints: flags.retryHints ?? true,
          },
        }
      : {}),
    ...(rates.length > 0 ? { faults: { rates, seed } } : {}),
    ...(flags.latency !== undefined ? { latency: parseLatencySpec(flags.latency, `${prefix}latency`) } : {}),
    seed,
  };
}
