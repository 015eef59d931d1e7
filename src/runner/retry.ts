// The harness's one retry layer for model calls: exponential backoff with full jitter, honouring server hints.
// Only rate_limit and transient errors are retried; SDK-internal retries are off everywhere.

import { ModelError } from "../models/errors.js";
import type { ModelClient, ModelRequest, ModelResponse } from "../models/types.js";

export interface RetryPolicy {
  /** Retries after the first attempt. @default 8 */
  maxRetries: number;
  /** First backoff ceiling, ms. @default 1000 */
  baseMs: number;
  /** Largest backoff ceiling, ms. @default 60_000 */
  capMs: number;
  /** Largest server hint honoured, ms. @default 120_000 */
  maxHintMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 8, baseMs: 1000, capMs: 60_000, maxHintMs: 120_000 };

export interface RetryHooks {
  /** Called before each wait: the error that caused it and the delay chosen. */
  onRetry?(err: ModelError, attempt: number, delayMs: number): void;
  /** Replaceable for tests. */
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
  random?(): number;
}

/** Full-jitter delay for retry number `attempt` (0-based); a server hint raises it, capped. */
export function backoffDelay(policy: RetryPolicy, attempt: number, hintMs: number | undefined, random: () => number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
  const jittered = Math.floor(random() * ceiling);
  if (hintMs === undefined) return jittered;
  return Math.max(jittered, Math.min(hintMs, policy.maxHintMs));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Calls the model, retrying retryable errors; throws the last ModelError when retries run out. */
export async function generateWithRetry(
  client: ModelClient,
  request: ModelRequest,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  hooks: RetryHooks = {},
): Promise<ModelResponse> {
  const wait = hooks.sleep ?? sleep;
  const random = hooks.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    try {
      return await client.generate(request);
    } catch (raw) {
      const err = raw instanceof ModelError ? raw : new ModelError("transient", String((raw as Error)?.message ?? raw), { cause: raw });
      if (!err.retryable || attempt >= policy.maxRetries || request.signal?.aborted) throw err;
      const delay = backoffDelay(policy, attempt, err.retryAfterMs, random);
      hooks.onRetry?.(err, attempt + 1, delay);
      await wait(delay, request.signal);
    }
  }
}
