// Fault injection for the mock server: a FIFO of one-shot faults for the next model calls, plus
// probabilistic rates drawn from a seeded generator, so a benchmark's fault pattern is reproducible.

import { UsageError } from "../errors.js";
import type { MockErrorSpec } from "./wire.js";
import { seededRandom } from "../util/random.js";

/** An HTTP error answer instead of the reply. Unset fields get the real service's values for the status. */
export interface HttpFault {
  kind: "http";
  status: number;
  /** OpenAI `error.type`, e.g. "requests", "insufficient_quota", "invalid_request_error", "server_error". */
  errorType?: string;
  /** OpenAI `error.code`, e.g. "rate_limit_exceeded", "insufficient_quota", "context_length_exceeded". */
  code?: string | null;
  param?: string | null;
  message?: string;
  /** Extra response headers, e.g. {"retry-after": "1"}, {"retry-after-ms": "50"}, {"x-should-retry": "false"}. */
  headers?: Record<string, string>;
}

/** Destroys the connection (TCP reset on HTTP/1.1, RST_STREAM on HTTP/2) before any answer. */
export interface ResetFault {
  kind: "reset";
}

/** Streams some chunks, then ends the body cleanly without finish reason or terminator. */
export interface CutFault {
  kind: "cut";
  /** Frames sent before the cut. @default half of the message's frames (at least 1) */
  afterChunks?: number;
}

/** Streams some chunks, then resets the connection. */
export interface CutResetFault {
  kind: "cut-reset";
  /** @default half of the message's frames (at least 1) */
  afterChunks?: number;
}

/** Streams some chunks, then an in-stream error event (OpenAI: a `data: {"error":…}` chunk), then ends. */
export interface StreamErrorFault {
  kind: "stream-error";
  /** @default half of the message's frames (at least 1) */
  afterChunks?: number;
  /** @default "The server had an error while processing your request. Sorry about that!" */
  message?: string;
  /** @default "server_error" */
  errorType?: string;
  /** @default null */
  code?: string | null;
  /** Responses API: an `error` event then `response.failed` (as the real service), or `response.failed` alone. @default "error" */
  responsesEvent?: "error" | "response.failed";
}

/**
 * Never answers (or, with afterChunks on a stream, stalls after that many frames).
 * The server still closes promptly: close() destroys hung connections.
 */
export interface HangFault {
  kind: "hang";
  /** Stream frames sent before stalling; unset = no answer at all, not even headers. */
  afterChunks?: number;
}

export type Fault = HttpFault | ResetFault | CutFault | CutResetFault | StreamErrorFault | HangFault;
export type FaultKind = Fault["kind"];
export const FAULT_KINDS: readonly FaultKind[] = ["http", "reset", "cut", "cut-reset", "stream-error", "hang"];

export interface FaultRate {
  fault: Fault;
  /** Probability in [0, 1] that a model call gets this fault when the FIFO is empty. */
  rate: number;
}

export interface FaultPlanOptions {
  /** One-shot faults for the next model calls, in order. @default [] */
  queue?: Fault[];
  /** Background rates; their sum must be at most 1. @default [] */
  rates?: FaultRate[];
  /** Seed of the generator that draws the rates. @default 1 */
  seed?: number;
  /** Replaces the seeded generator (returns [0, 1)). */
  random?: () => number;
}

function validateFault(fault: Fault, where: string): void {
  if (!FAULT_KINDS.includes(fault.kind)) {
    throw new UsageError(`${where}: expected kind one of ${FAULT_KINDS.join(", ")}, got ${JSON.stringify(fault.kind)}`);
  }
  if (fault.kind === "http" && !(Number.isInteger(fault.status) && fault.status >= 400 && fault.status <= 599)) {
    throw new UsageError(`${where}: expected an HTTP status from 400 to 599, got ${JSON.stringify(fault.status)}`);
  }
  if ("afterChunks" in fault && fault.afterChunks !== undefined && !(Number.isInteger(fault.afterChunks) && fault.afterChunks >= 0)) {
    throw new UsageError(`${where}: expected afterChunks to be an integer >= 0, got ${JSON.stringify(fault.afterChunks)}`);
  }
}

export class FaultPlan {
  #queue: Fault[] = [];
  #rates: FaultRate[] = [];
  #random: () => number;

  constructor(options: FaultPlanOptions = {}) {
    this.#random = options.random ?? seededRandom(options.seed ?? 1);
    this.push(...(options.queue ?? []));
    this.setRates(options.rates ?? []);
  }

  /** Queues one-shot faults; each applies to exactly one of the next model calls, in order. */
  push(...faults: Fault[]): void {
    for (const [i, f] of faults.entries()) validateFault(f, `fault ${i}`);
    this.#queue.push(...faults);
  }

  /** Replaces the background rates. */
  setRates(rates: FaultRate[]): void {
    let sum = 0;
    rates.forEach((r, i) => {
      validateFault(r.fault, `fault rate ${i}`);
      if (!(Number.isFinite(r.rate) && r.rate >= 0 && r.rate <= 1)) {
        throw new UsageError(`fault rate ${i}: expected a rate in [0, 1], got ${JSON.stringify(r.rate)}`);
      }
      sum += r.rate;
    });
    if (sum > 1 + 1e-9) throw new UsageError(`fault rates: expected rates summing to at most 1, got ${sum}`);
    this.#rates = rates.map((r) => ({ ...r }));
  }

  /** Drops queued faults and rates. */
  clear(): void {
    this.#queue = [];
    this.#rates = [];
  }

  /** Queued one-shot faults not yet used. */
  get pending(): number {
    return this.#queue.length;
  }

  /** The fault for the next model call, if any: the queue first, then one draw against the rates. */
  next(): Fault | undefined {
    const queued = this.#queue.shift();
    if (queued !== undefined) return queued;
    if (this.#rates.length === 0) return undefined;
    let draw = this.#random();
    for (const { fault, rate } of this.#rates) {
      if (draw < rate) return fault;
      draw -= rate;
    }
    return undefined;
  }
}

/** The real service's error for an HTTP fault, its unset fields filled in by status. */
export function httpFaultError(fault: HttpFault): MockErrorSpec {
  const base = defaultError(fault.status, fault.code);
  return {
    status: fault.status,
    message: fault.message ?? base.message,
    type: fault.errorType ?? base.type,
    code: fault.code !== undefined ? fault.code : base.code,
    param: fault.param !== undefined ? fault.param : base.param,
    headers: { ...base.headers, ...fault.headers },
  };
}

function defaultError(status: number, code: string | null | undefined): MockErrorSpec {
  const e = (
    message: string,
    type: string,
    c: string | null,
    param: string | null = null,
    headers: Record<string, string> = {},
  ): MockErrorSpec => ({
    status,
    message,
    type,
    code: c,
    param,
    headers,
  });
  if (status === 429 && code === "insufficient_quota") {
    return e(
      "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
      "insufficient_quota",
      "insufficient_quota",
      null,
      // The real service tells clients not to retry a quota error.
      { "x-should-retry": "false" },
    );
  }
  if (status === 400 && code === "context_length_exceeded") {
    return e(
      "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. Please reduce the length of the messages.",
      "invalid_request_error",
      "context_length_exceeded",
      "messages",
    );
  }
  switch (status) {
    case 400:
      return e("Invalid request.", "invalid_request_error", code ?? null);
    case 401:
      return e(
        "Incorrect API key provided: test. You can find your API key at https://platform.openai.com/account/api-keys.",
        "invalid_request_error",
        "invalid_api_key",
      );
    case 403:
      return e("You are not allowed to sample from this model", "invalid_request_error", null);
    case 404:
      return e("The model does not exist or you do not have access to it.", "invalid_request_error", "model_not_found");
    case 429:
      return e(
        "Rate limit reached for requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms. Visit https://platform.openai.com/account/rate-limits to learn more.",
        "requests",
        "rate_limit_exceeded",
        null,
        { "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "120ms" },
      );
    case 503:
      return e("The server is overloaded or not ready yet.", "server_error", null);
    default:
      return status >= 500
        ? e("The server had an error while processing your request. Sorry about that!", "server_error", null)
        : e(`Request failed with status ${status}.`, "invalid_request_error", code ?? null);
  }
}

/** Ready-made faults for what real services do. */
export const faults = {
  /** 429 rate_limit_exceeded; give retryAfterS and/or retryAfterMs to add the retry hints. */
  rateLimit(options: { retryAfterS?: number; retryAfterMs?: number } = {}): HttpFault {
    const headers: Record<string, string> = {};
    if (options.retryAfterS !== undefined) headers["retry-after"] = String(options.retryAfterS);
    if (options.retryAfterMs !== undefined) headers["retry-after-ms"] = String(options.retryAfterMs);
    return { kind: "http", status: 429, code: "rate_limit_exceeded", headers };
  },
  /** 429 insufficient_quota with x-should-retry: false. */
  insufficientQuota(): HttpFault {
    return { kind: "http", status: 429, code: "insufficient_quota" };
  },
  contextLengthExceeded(): HttpFault {
    return { kind: "http", status: 400, code: "context_length_exceeded" };
  },
  unauthorized(): HttpFault {
    return { kind: "http", status: 401 };
  },
  serverError(): HttpFault {
    return { kind: "http", status: 500 };
  },
  overloaded(): HttpFault {
    return { kind: "http", status: 503 };
  },
  reset(): ResetFault {
    return { kind: "reset" };
  },
  cut(afterChunks?: number): CutFault {
    return afterChunks === undefined ? { kind: "cut" } : { kind: "cut", afterChunks };
  },
  cutReset(afterChunks?: number): CutResetFault {
    return afterChunks === undefined ? { kind: "cut-reset" } : { kind: "cut-reset", afterChunks };
  },
  streamError(afterChunks?: number): StreamErrorFault {
    return afterChunks === undefined ? { kind: "stream-error" } : { kind: "stream-error", afterChunks };
  },
  hang(afterChunks?: number): HangFault {
    return afterChunks === undefined ? { kind: "hang" } : { kind: "hang", afterChunks };
  },
} as const;

/** The error a stream-error fault reports. */
export function streamFaultError(fault: StreamErrorFault): MockErrorSpec {
  return {
    status: 500,
    message: fault.message ?? "The server had an error while processing your request. Sorry about that!",
    type: fault.errorType ?? "server_error",
    code: fault.code ?? null,
    param: null,
    headers: {},
    ...(fault.responsesEvent !== undefined ? { streamEvent: fault.responsesEvent } : {}),
  };
}
