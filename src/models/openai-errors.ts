// Maps whatever the openai SDK (or the stream underneath it) throws to a classified ModelError.

import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { ModelError } from "./errors.js";

type HeaderBag = Headers | Record<string, string | null | undefined> | undefined;

function header(headers: HeaderBag, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, string | null | undefined>)[name];
  return value ?? undefined;
}

/** Retry hint in ms from retry-after-ms, retry-after (seconds or HTTP date) or x-ratelimit-reset-* ("1s", "6m0s", "250ms"). */
export function retryHintMs(headers: HeaderBag, now = Date.now()): number | undefined {
  const ms = header(headers, "retry-after-ms");
  if (ms !== undefined && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const after = header(headers, "retry-after");
  if (after !== undefined) {
    if (/^\s*\d+(\.\d+)?\s*$/.test(after)) return Math.max(0, Number(after) * 1000);
    const date = Date.parse(after);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  const resets = ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"]
    .map((name) => header(headers, name))
    .filter((v): v is string => v !== undefined)
    .map(parseDuration)
    .filter((v): v is number => v !== undefined);
  return resets.length > 0 ? Math.max(...resets) : undefined;
}

/** Parses OpenAI's reset durations: "20ms", "1s", "6m0s", "1h2m3.5s". */
export function parseDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let matched = false;
  for (const m of text.matchAll(re)) {
    matched = true;
    const n = Number(m[1]);
    total += m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : m[2] === "m" ? n * 60_000 : n * 3_600_000;
  }
  return matched ? total : undefined;
}

const CONTEXT_PATTERNS = [
  /context_length_exceeded/i,
  /maximum context length/i,
  /context window/i,
  /too many tokens in the prompt/i,
  /prompt is too long/i,
];

export function classifyOpenAIError(err: unknown, where: string): ModelError {
  if (err instanceof ModelError) return err;
  if (err instanceof APIUserAbortError) return new ModelError("transient", `${where}: request aborted`, { cause: err });
  if (err instanceof APIConnectionTimeoutError) {
    return new ModelError("transient", `${where}: request timed out`, { cause: err, staleConnection: true });
  }
  if (err instanceof APIConnectionError) {
    return new ModelError("transient", `${where}: connection error (${causeText(err)})`, { cause: err, staleConnection: true });
  }
  if (err instanceof APIError) {
    const status = err.status;
    const code = typeof err.code === "string" ? err.code : undefined;
    const type = typeof err.type === "string" ? err.type : undefined;
    const base = { status, requestId: err.requestID ?? undefined, cause: err } as const;
    const msg = `${where}: ${err.message}`;
    if (code === "insufficient_quota" || type === "insufficient_quota") return new ModelError("quota", msg, base);
    if (status === 429) return new ModelError("rate_limit", msg, { ...base, retryAfterMs: retryHintMs(err.headers) });
    if (code === "context_length_exceeded" || CONTEXT_PATTERNS.some((re) => re.test(err.message))) {
      return new ModelError("context_overflow", msg, base);
    }
    if (status === 401 || status === 403) return new ModelError("auth", `${msg} (check the API key and its permissions)`, base);
    if (status === undefined) {
      // An `error` chunk inside a 200 stream: the server failed mid-answer.
      return new ModelError("transient", msg, base);
    }
    if (status === 408 || status === 409 || status >= 500) {
      return new ModelError("transient", msg, { ...base, retryAfterMs: retryHintMs(err.headers) });
    }
    return new ModelError("invalid_request", msg, base);
  }
  // A body cut short (non-stream JSON, or an SSE data line) fails to parse: the answer broke in transit.
  if (err instanceof SyntaxError) {
    return new ModelError("transient", `${where}: malformed or truncated response body (${err.message})`, {
      cause: err,
      staleConnection: true,
    });
  }
  // Undici socket errors mid-body surface as TypeError("terminated") with a cause.
  const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  if (e?.name === "TimeoutError" || e?.name === "AbortError") {
    return new ModelError("transient", `${where}: call deadline exceeded`, { cause: err, staleConnection: true });
  }
  if (code || e?.message === "terminated") {
    return new ModelError("transient", `${where}: connection failed mid-response (${code ?? e.message})`, {
      cause: err,
      staleConnection: true,
    });
  }
  return new ModelError("invalid_request", `${where}: ${e?.message ?? String(err)}`, { cause: err });
}

function causeText(err: Error): string {
  const cause = err.cause as { code?: string; message?: string; cause?: { code?: string } } | undefined;
  return cause?.code ?? cause?.cause?.code ?? cause?.message ?? err.message;
}

const REJECTED_PARAM_CODES = new Set(["unsupported_parameter", "unknown_parameter", "unsupported_value", "unrecognized_parameter"]);
const REJECTED_PARAM_PATTERNS = [
  /unsupported (parameter|value)/i, // OpenAI: "Unsupported parameter: 'temperature' is not supported with this model."
  /unrecognized (request )?(argument|parameter|field)/i, // OpenAI: "Unrecognized request argument supplied: seed"
  /unknown (parameter|argument|field)/i,
  /extra (inputs|fields) (are )?not permitted/i, // vLLM / pydantic servers
  /does not support (the )?param/i, // LiteLLM: "… does not support parameters: ['seed']"
  /\bparam(eter)?s?\b[^.]*\b(not supported|unsupported|not allowed)/i,
];

/** The `param` an OpenAI-style error body names (`{"error": {"param": "temperature"}}`); undefined when none. */
export function rejectedParamOf(err: unknown): string | undefined {
  return err instanceof APIError && typeof err.param === "string" && err.param !== "" ? err.param : undefined;
}

/**
 * Whether a failed call was the server refusing a request parameter it does not know or support
 * (400/422 naming an unsupported or unrecognized parameter): the drop_params retry applies.
 */
export function isUnsupportedParamError(err: unknown): boolean {
  if (!(err instanceof APIError) || (err.status !== 400 && err.status !== 422)) return false;
  if (typeof err.code === "string" && REJECTED_PARAM_CODES.has(err.code)) return true;
  return REJECTED_PARAM_PATTERNS.some((re) => re.test(err.message));
}
