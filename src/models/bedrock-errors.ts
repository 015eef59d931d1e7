// Maps whatever the Bedrock Runtime SDK (or the connection under it) throws to a classified ModelError whose
// message names the model and region, with hints for the mistakes users make (model access, inference profiles).

import { ModelError } from "./errors.js";
import { parseBedrockModelId, profilePrefixForRegion } from "./bedrock-model-id.js";

/** Every way to give Bedrock credentials, named in one sentence (the run stops with it when none resolves). */
export const CREDENTIAL_OPTIONS =
  "set AWS_BEARER_TOKEN_BEDROCK (a Bedrock API key); or AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN); " +
  "or AWS_PROFILE for a shared-config profile or SSO (`aws sso login`); or run where container, web-identity or instance-role credentials exist";

export interface BedrockErrorContext {
  model: string;
  region: string;
}

interface SdkErrorLike {
  name?: string;
  message?: string;
  code?: string;
  cause?: unknown;
  $fault?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
}

const THROTTLING = new Set(["ThrottlingException", "ModelNotReadyException", "ServiceQuotaExceededException", "TooManyRequestsException"]);
const TRANSIENT = new Set([
  "ServiceUnavailableException",
  "InternalServerException",
  "ModelTimeoutException",
  "ModelStreamErrorException",
  "ModelErrorException",
  "InternalFailure",
]);
const AUTH = new Set([
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "IncompleteSignatureException",
  "ExpiredTokenException",
  "MissingAuthenticationTokenException",
  "InvalidClientTokenId",
  "UnauthorizedException",
]);
const CREDENTIALS_MISSING = new Set(["CredentialsProviderError", "TokenProviderError"]);

/** Bedrock's ways of saying the prompt does not fit the model's context window. */
export const CONTEXT_OVERFLOW_PATTERNS: readonly RegExp[] = [
  /input is too long/i,
  /input length and `?max_tokens`? exceed context limit/i,
  /too many total text bytes/i,
  /prompt is too long/i,
  /too many input tokens/i,
  /exceeds? the (maximum|max) (number of )?(input )?tokens/i,
  /maximum context length/i,
  /context (window|length) (exceeded|limit)/i,
  /model_context_window_exceeded/i,
];

const ON_DEMAND = /on-demand throughput isn.t supported/i;
const CACHING_REJECTED = /prompt caching/i;

/** Error codes and messages of a connection that died or stalled: the cached client is dropped before a retry. */
const STALE_CODES = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);
const STALE_MESSAGES = [
  /socket hang up/i,
  /^aborted$/i,
  /^terminated$/i,
  /HTTP\/2 stream is abnormally aborted/i,
  /http2 request did not get a response/i,
  /Truncated event message received/i,
  /Stream timed out because of no activity/i,
];

function causes(err: unknown): SdkErrorLike[] {
  const out: SdkErrorLike[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 8 && current !== null && typeof current === "object"; depth++) {
    out.push(current as SdkErrorLike);
    current = (current as SdkErrorLike).cause;
  }
  return out;
}

/** Whether the error says the connection (not the request) is broken: reset, hang-up, HTTP/2 stream or session error, timeout. */
export function isStaleConnectionError(err: unknown): boolean {
  return causes(err).some((e) => {
    const code = typeof e.code === "string" ? e.code : "";
    if (STALE_CODES.has(code) || code.startsWith("ERR_HTTP2_") || code.startsWith("UND_ERR_")) return true;
    if (e.name === "TimeoutError" || e.name === "AbortError") return true;
    return STALE_MESSAGES.some((re) => re.test(e.message ?? ""));
  });
}

/** A retry hint in ms from retry-after (seconds or HTTP date) or x-amz-retry-after (ms). Bedrock rarely sends one. */
export function bedrockRetryHintMs(headers: Record<string, string | undefined> | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const get = (name: string): string | undefined => {
    for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
    return undefined;
  };
  const amz = get("x-amz-retry-after");
  if (amz !== undefined && /^\s*\d+\s*$/.test(amz)) return Number(amz);
  const after = get("retry-after");
  if (after !== undefined) {
    if (/^\s*\d+(\.\d+)?\s*$/.test(after)) return Number(after) * 1000;
    const date = Date.parse(after);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  return undefined;
}

function modelAccessHint(ctx: BedrockErrorContext): string {
  const parsed = parseBedrockModelId(ctx.model);
  const base = parsed.baseModelId ?? ctx.model;
  const profile =
    parsed.kind === "inference-profile" ? " (an inference profile needs access to the model in every region it routes to)" : "";
  return (
    ` — model access: enable ${base} in the Bedrock console (Model access) for region ${ctx.region}, and allow ` +
    `bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream on it${profile}`
  );
}

function inferenceProfileHint(ctx: BedrockErrorContext): string {
  const parsed = parseBedrockModelId(ctx.model);
  const base = parsed.baseModelId ?? ctx.model;
  return ` — this model is served through inference profiles only: use --model bedrock/${profilePrefixForRegion(ctx.region)}.${base} (or global.${base}), or an inference-profile ARN`;
}

export function classifyBedrockError(err: unknown, ctx: BedrockErrorContext): ModelError {
  if (err instanceof ModelError) return err;
  const where = `bedrock/${ctx.model}@${ctx.region}`;
  const e = (err ?? {}) as SdkErrorLike;
  const name = typeof e.name === "string" ? e.name : "Error";
  const text = typeof e.message === "string" && e.message !== "" ? e.message : String(err);
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  const base = {
    ...(status !== undefined ? { status } : {}),
    ...(e.$metadata?.requestId ? { requestId: e.$metadata.requestId } : {}),
    cause: err,
  };
  const msg = `${where}: ${name}: ${text}`;

  if (CREDENTIALS_MISSING.has(name) || /could not load credentials/i.test(text)) {
    return new ModelError("auth", `${where}: no AWS credentials (${text}): ${CREDENTIAL_OPTIONS}`, base);
  }
  if (name === "AbortError" || name === "TimeoutError") {
    return new ModelError("transient", `${where}: call timed out or was aborted (${text})`, { ...base, staleConnection: true });
  }
  if (
    CONTEXT_OVERFLOW_PATTERNS.some((re) => re.test(text)) &&
    (name === "ValidationException" || name === "ModelStreamErrorException" || status === 400)
  ) {
    return new ModelError("context_overflow", msg, base);
  }
  if (THROTTLING.has(name)) return new ModelError("rate_limit", msg, { ...base, retryAfterMs: bedrockRetryHintMs(e.$response?.headers) });
  if (TRANSIENT.has(name)) return new ModelError("transient", msg, { ...base, retryAfterMs: bedrockRetryHintMs(e.$response?.headers) });
  if (name === "ValidationException" && ON_DEMAND.test(text))
    return new ModelError("invalid_request", `${msg}${inferenceProfileHint(ctx)}`, base);
  if (name === "AccessDeniedException") {
    if (CACHING_REJECTED.test(text))
      return new ModelError("invalid_request", `${msg} — this model does not take cache points: turn prompt caching off for it`, base);
    return new ModelError("auth", `${msg}${modelAccessHint(ctx)}`, base);
  }
  if (AUTH.has(name)) return new ModelError("auth", `${msg} — check the AWS credentials (${CREDENTIAL_OPTIONS})`, base);
  if (name === "ResourceNotFoundException") {
    return new ModelError("invalid_request", `${msg} — check that the model id is right and offered in ${ctx.region}`, base);
  }
  if (status === undefined && isStaleConnectionError(err)) {
    const code = causes(err)
      .map((c) => c.code)
      .find((c): c is string => typeof c === "string");
    return new ModelError("transient", `${where}: connection failed (${code ? `${code}: ` : ""}${text})`, {
      ...base,
      staleConnection: true,
    });
  }
  if (status === 429) return new ModelError("rate_limit", msg, { ...base, retryAfterMs: bedrockRetryHintMs(e.$response?.headers) });
  if (status !== undefined && (status === 408 || status >= 500)) return new ModelError("transient", msg, base);
  if (status === 401 || status === 403) return new ModelError("auth", `${msg} — check the AWS credentials (${CREDENTIAL_OPTIONS})`, base);
  if (status === undefined && e.$fault === "server") return new ModelError("transient", msg, base);
  return new ModelError("invalid_request", msg, base);
}
