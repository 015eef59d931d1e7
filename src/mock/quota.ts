// The mock server's quota: requests-per-minute and tokens-per-minute token buckets answered with a 429
// (ThrottlingException on the Bedrock wire), with or without the retry hints real services send.

import { TokenBucket } from "../util/token-bucket.js";
import type { MockErrorSpec } from "./wire.js";

export interface MockQuotaOptions {
  /** Model calls per minute. @default no limit */
  rpm?: number;
  /** Tokens per minute: the prompt (request body bytes / 4) when the call arrives, the completion after. @default no limit */
  tpm?: number;
  /**
   * How much of the minute's quota may come at once, ms: each bucket holds rate × window. Real services enforce
   * per-minute quotas over short windows (600 RPM is about 10 per second). @default 1000
   */
  windowMs?: number;
  /** Send retry-after, retry-after-ms and x-ratelimit-reset-* on a 429 (the time until the bucket has room). @default true */
  retryHints?: boolean;
}

export class MockQuota {
  readonly #requests: TokenBucket | undefined;
  readonly #tokens: TokenBucket | undefined;
  readonly #options: MockQuotaOptions;
  /** Calls answered with a 429 so far. */
  throttled = 0;

  constructor(options: MockQuotaOptions, now: () => number = () => performance.now()) {
    const window = options.windowMs ?? 1000;
    for (const [name, v] of [
      ["rpm", options.rpm],
      ["tpm", options.tpm],
      ["windowMs", window],
    ] as const) {
      if (v !== undefined && !(Number.isFinite(v) && v > 0))
        throw new RangeError(`mock quota: expected ${name} > 0, got ${JSON.stringify(v)}`);
    }
    const bucket = (perMinute: number | undefined): TokenBucket | undefined =>
      perMinute === undefined ? undefined : new TokenBucket({ perMinute, capacity: Math.max(1, (perMinute * window) / 60_000), now });
    this.#requests = bucket(options.rpm);
    this.#tokens = bucket(options.tpm);
    this.#options = options;
  }

  /** Admits a call of about `promptTokens` (taking from the buckets), or returns the 429 to answer with. */
  admit(promptTokens: number): MockErrorSpec | undefined {
    const waitRequests = this.#requests?.waitMs(1) ?? 0;
    const waitTokens = this.#tokens?.waitMs(promptTokens) ?? 0;
    if (waitRequests === 0 && waitTokens === 0) {
      this.#requests?.tryTake(1);
      this.#tokens?.tryTake(promptTokens);
      return undefined;
    }
    this.throttled++;
    const byRequests = waitRequests >= waitTokens;
    const waitMs = Math.max(waitRequests, waitTokens);
    const limit = byRequests ? this.#options.rpm : this.#options.tpm;
    const unit = byRequests ? "requests per min (RPM)" : "tokens per min (TPM)";
    const headers: Record<string, string> =
      this.#options.retryHints === false
        ? {}
        : {
            "retry-after-ms": String(waitMs),
            "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000))),
            [`x-ratelimit-reset-${byRequests ? "requests" : "tokens"}`]: `${waitMs}ms`,
            [`x-ratelimit-remaining-${byRequests ? "requests" : "tokens"}`]: "0",
          };
    return {
      status: 429,
      message: `Rate limit reached for ${unit}: Limit ${limit}. Please try again in ${waitMs}ms.`,
      type: byRequests ? "requests" : "tokens",
      code: "rate_limit_exceeded",
      param: null,
      headers,
    };
  }

  /** Counts tokens the answer produced against the tokens-per-minute bucket. */
  charge(tokens: number): void {
    this.#tokens?.adjust(-tokens);
  }
}
