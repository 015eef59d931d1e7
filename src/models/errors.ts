// Model-call errors classified into the classes of docs/ARCHITECTURE.md; the retry layer decides on the class alone.

export type ErrorClass = "rate_limit" | "transient" | "context_overflow" | "auth" | "quota" | "invalid_request";

export const RETRYABLE_CLASSES: ReadonlySet<ErrorClass> = new Set(["rate_limit", "transient"]);

export class ModelError extends Error {
  readonly errorClass: ErrorClass;
  /** HTTP status when one arrived. */
  readonly status?: number;
  /** Server's hint (retry-after, retry-after-ms, x-ratelimit-reset-*) in milliseconds. */
  readonly retryAfterMs?: number;
  readonly requestId?: string;
  /** The connection may be stale: the provider should drop its cached client before a retry. */
  readonly staleConnection: boolean;
  constructor(
    errorClass: ErrorClass,
    message: string,
    options: { status?: number; retryAfterMs?: number; requestId?: string; staleConnection?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "ModelError";
    this.errorClass = errorClass;
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.requestId !== undefined) this.requestId = options.requestId;
    this.staleConnection = options.staleConnection ?? false;
  }

  get retryable(): boolean {
    return RETRYABLE_CLASSES.has(this.errorClass);
  }
}

/** Any thrown value as a ModelError: a ModelError as is, anything else (a bug, a socket error) as `transient`. */
export function toModelError(raw: unknown): ModelError {
  return raw instanceof ModelError ? raw : new ModelError("transient", String((raw as Error)?.message ?? raw), { cause: raw });
}
