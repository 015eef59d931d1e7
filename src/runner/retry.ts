// The harness's one retry layer for model calls: exponential backoff with full jitter, honouring server hints,
// a retry count and a per-call time budget, every attempt admitted by the endpoint limiter when there is one.
// Only rate_limit and transient errors are retried; SDK-internal retries are off everywhere.

import { ModelError, toModelError } from "../models/errors.js";
import type { ModelClient, ModelRequest, ModelResponse } from "../models/types.js";
import { estimateRequestTokens, usageTokens } from "./endpoint.js";
import type { CallOutcome, EndpointLimiter, Permit } from "./limiter.js";

export interface RetryPolicy {
  /** Retries after the first attempt (--llm-retries). @default 8 */
  maxRetries: number;
  /** First backoff ceiling, ms (--llm-backoff-base-ms). @default 1000 */
  baseMs: number;
  /** Largest backoff ceiling, ms (--llm-backoff-cap-ms). @default 60_000 */
  capMs: number;
  /** Largest server hint honoured, ms. @default 120_000 */
  maxHintMs: number;
  /**
   * Time budget of one call, retries, backoff and limiter waits included, ms (--llm-retry-timeout): a retry whose
   * wait would end past it is not made, and the call fails with the last error. @default 600_000
   */
  timeoutMs?: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 8, baseMs: 1000, capMs: 60_000, maxHintMs: 120_000, timeoutMs: 600_000 };

export interface RetryHooks {
  /** Called before each wait: the error that caused it and the delay chosen. */
  onRetry?(err: ModelError, attempt: number, delayMs: number): void;
  /** Called after an attempt waited for the endpoint limiter, with the wait in ms (only when it waited). */
  onLimiterWait?(ms: number): void;
  /** Admits each attempt (adaptive in-flight limit, --rpm / --tpm) and learns from its outcome. */
  limiter?: EndpointLimiter;
  /** Replaceable for tests. */
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
  random?(): number;
  /** Clock for the time budget, ms. @default performance.now */
  now?(): number;
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

function outcomeOf(err: ModelError): CallOutcome {
  if (err.errorClass === "rate_limit")
    return err.retryAfterMs !== undefined ? { kind: "rate_limit", hintMs: err.retryAfterMs } : { kind: "rate_limit" };
  return err.errorClass === "transient" ? { kind: "transient" } : { kind: "other" };
}

/** The last error, same class, saying why the retry layer stopped: the task records it as an infrastructure error. */
function exhausted(err: ModelError, why: string): ModelError {
  return new ModelError(err.errorClass, `${err.message} (gave up: ${why})`, {
    ...(err.status !== undefined ? { status: err.status } : {}),
    ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
    ...(err.requestId !== undefined ? { requestId: err.requestId } : {}),
    cause: err,
  });
}

/**
 * Calls the model, retrying retryable errors; throws the last ModelError when the retries or the time budget run
 * out. A failure mid-stream retries the whole call. No permit is held while backing off.
 */
export async function generateWithRetry(
  client: ModelClient,
  request: ModelRequest,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  hooks: RetryHooks = {},
): Promise<ModelResponse> {
  const wait = hooks.sleep ?? sleep;
  const random = hooks.random ?? Math.random;
  const now = hooks.now ?? (() => performance.now());
  const started = now();
  const estimate = hooks.limiter ? estimateRequestTokens(request) : 0;
  const ticket = hooks.limiter?.ticket();
  for (let attempt = 0; ; attempt++) {
    let permit: Permit | undefined;
    if (hooks.limiter) {
      permit = await hooks.limiter.acquire(estimate, request.signal, ticket);
      if (permit.waitedMs > 0) hooks.onLimiterWait?.(permit.waitedMs);
    }
    try {
      const response = await client.generate(request);
      permit?.release({ kind: "ok", tokens: usageTokens(response.usage) });
      return response;
    } catch (raw) {
      const err = toModelError(raw);
      permit?.release(request.signal?.aborted ? { kind: "other" } : outcomeOf(err));
      if (!err.retryable || request.signal?.aborted) throw err;
      if (attempt >= policy.maxRetries) throw exhausted(err, `${attempt + 1} attempt(s), --llm-retries ${policy.maxRetries}`);
      const delay = backoffDelay(policy, attempt, err.retryAfterMs, random);
      const elapsed = now() - started;
      if (policy.timeoutMs !== undefined && elapsed + delay > policy.timeoutMs) {
        throw exhausted(
          err,
          `${attempt + 1} attempt(s) in ${(elapsed / 1000).toFixed(1)} s, the next wait would pass --llm-retry-timeout ${policy.timeoutMs / 1000} s`,
        );
      }
      hooks.onRetry?.(err, attempt + 1, delay);
      await wait(delay, request.signal);
    }
  }
}
