import {
  AccessDeniedException,
  InternalServerException,
  ModelNotReadyException,
  ModelStreamErrorException,
  ModelTimeoutException,
  ResourceNotFoundException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";
import { describe, expect, it } from "vitest";
import { bedrockRetryHintMs, classifyBedrockError, CREDENTIAL_OPTIONS, isStaleConnectionError } from "../../src/models/bedrock-errors.js";
import { ModelError } from "../../src/models/errors.js";

const CTX = { model: "us.anthropic.claude-sonnet-4-20250514-v1:0", region: "us-west-2" };
const WHERE = "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0@us-west-2";
const meta = (httpStatusCode: number | undefined) => ({ $metadata: { httpStatusCode, requestId: "req-1" } });
const classify = (err: unknown) => {
  const e = classifyBedrockError(err, CTX);
  return { errorClass: e.errorClass, message: e.message, status: e.status, stale: e.staleConnection, retryAfterMs: e.retryAfterMs };
};
const withCode = (message: string, code: string, name = "Error") => Object.assign(new Error(message), { code, name });

describe("classifyBedrockError", () => {
  it("ThrottlingException and ModelNotReady → rate_limit, naming model and region", () => {
    expect(classify(new ThrottlingException({ message: "Too many tokens, please wait before trying again.", ...meta(429) }))).toEqual({
      errorClass: "rate_limit",
      message: `${WHERE}: ThrottlingException: Too many tokens, please wait before trying again.`,
      status: 429,
      stale: false,
      retryAfterMs: undefined,
    });
    expect(classify(new ModelNotReadyException({ message: "Model is not ready", ...meta(429) })).errorClass).toBe("rate_limit");
  });

  it("ServiceUnavailable, InternalServer, ModelTimeout, ModelStreamError → transient", () => {
    for (const err of [
      new ServiceUnavailableException({ message: "Bedrock is unable to process your request.", ...meta(503) }),
      new InternalServerException({ message: "oops", ...meta(500) }),
      new ModelTimeoutException({ message: "Model has timed out", ...meta(408) }),
      new ModelStreamErrorException({ message: "The model stream had an error", ...meta(undefined) }),
    ]) {
      expect(classify(err)).toMatchObject({ errorClass: "transient", stale: false });
    }
  });

  it.each([
    "Input is too long for requested model.",
    "The model returned the following errors: prompt is too long: 200049 tokens > 200000 maximum",
    "The model returned the following errors: input length and `max_tokens` exceed context limit: 198000 + 8192 > 200000",
    "too many total text bytes: 9999999 > 9000000",
  ])("ValidationException %j → context_overflow", (message) => {
    expect(classify(new ValidationException({ message, ...meta(400) }))).toEqual({
      errorClass: "context_overflow",
      message: `${WHERE}: ValidationException: ${message}`,
      status: 400,
      stale: false,
      retryAfterMs: undefined,
    });
  });

  it("other ValidationExceptions → invalid_request; on-demand throughput gets the inference-profile hint", () => {
    expect(
      classify(new ValidationException({ message: "The content field in the Message object at messages.1 is empty.", ...meta(400) }))
        .errorClass,
    ).toBe("invalid_request");
    const onDemand = classifyBedrockError(
      new ValidationException({
        message:
          "Invocation of model ID anthropic.claude-3-5-sonnet-20241022-v2:0 with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
        ...meta(400),
      }),
      { model: "anthropic.claude-3-5-sonnet-20241022-v2:0", region: "eu-west-1" },
    );
    expect(onDemand.errorClass).toBe("invalid_request");
    expect(onDemand.message).toMatch(
      /^bedrock\/anthropic\.claude-3-5-sonnet-20241022-v2:0@eu-west-1: ValidationException: Invocation of model ID/,
    );
    expect(onDemand.message).toMatch(
      / — this model is served through inference profiles only: use --model bedrock\/eu\.anthropic\.claude-3-5-sonnet-20241022-v2:0 \(or global\.anthropic\.claude-3-5-sonnet-20241022-v2:0\), or an inference-profile ARN$/,
    );
  });

  it("AccessDenied → auth with the model-access hint", () => {
    const e = classify(
      new AccessDeniedException({ message: "You don't have access to the model with the specified model ID.", ...meta(403) }),
    );
    expect(e.errorClass).toBe("auth");
    expect(e.message).toBe(
      `${WHERE}: AccessDeniedException: You don't have access to the model with the specified model ID. — model access: enable ` +
        "anthropic.claude-sonnet-4-20250514-v1:0 in the Bedrock console (Model access) for region us-west-2, and allow bedrock:InvokeModel and " +
        "bedrock:InvokeModelWithResponseStream on it (an inference profile needs access to the model in every region it routes to)",
    );
  });

  it("AccessDenied for prompt caching → invalid_request with a caching hint", () => {
    const e = classify(
      new AccessDeniedException({
        message: "You invoked an unsupported model or your request did not allow prompt caching.",
        ...meta(403),
      }),
    );
    expect(e.errorClass).toBe("invalid_request");
    expect(e.message).toMatch(/turn prompt caching off for it$/);
  });

  it("missing credentials → auth naming every option", () => {
    const err = Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" });
    expect(classify(err)).toEqual({
      errorClass: "auth",
      message: `${WHERE}: no AWS credentials (Could not load credentials from any providers): ${CREDENTIAL_OPTIONS}`,
      status: undefined,
      stale: false,
      retryAfterMs: undefined,
    });
    expect(CREDENTIAL_OPTIONS).toMatch(/AWS_BEARER_TOKEN_BEDROCK.*AWS_ACCESS_KEY_ID.*AWS_PROFILE.*SSO.*instance-role/);
  });

  it("bad credentials (UnrecognizedClient, expired token) → auth", () => {
    for (const name of ["UnrecognizedClientException", "ExpiredTokenException", "InvalidSignatureException"]) {
      const err = Object.assign(new Error("The security token included in the request is invalid."), { name, ...meta(403) });
      expect(classify(err).errorClass).toBe("auth");
    }
  });

  it("ResourceNotFound → invalid_request", () => {
    expect(classify(new ResourceNotFoundException({ message: "Could not resolve the foundation model", ...meta(404) })).message).toMatch(
      /check that the model id is right and offered in us-west-2$/,
    );
  });

  it("connection failures → transient and stale (the client is evicted before the retry)", () => {
    for (const err of [
      withCode("aborted", "ECONNRESET"),
      withCode("socket hang up", "ECONNRESET", "TimeoutError"),
      withCode("write EPIPE", "EPIPE"),
      withCode("Stream closed with error code NGHTTP2_INTERNAL_ERROR", "ERR_HTTP2_STREAM_ERROR"),
      withCode("session closed", "ERR_HTTP2_GOAWAY_SESSION"),
      new Error("HTTP/2 stream is abnormally aborted in mid-communication with result code 2."),
      new Error("Truncated event message received."),
      new Error("wrapped", { cause: withCode("read ECONNRESET", "ECONNRESET") }),
    ]) {
      expect(classify(err)).toMatchObject({ errorClass: "transient", stale: true });
    }
    expect(classify(withCode("aborted", "ECONNRESET")).message).toBe(`${WHERE}: connection failed (ECONNRESET: aborted)`);
  });

  it("timeouts and aborts → transient and stale", () => {
    const timeout = Object.assign(new Error("Stream timed out because of no activity for 300 ms"), { name: "TimeoutError" });
    expect(classify(timeout)).toMatchObject({ errorClass: "transient", stale: true });
    const abort = Object.assign(new Error("Request aborted"), { name: "AbortError" });
    expect(classify(abort)).toMatchObject({ errorClass: "transient", stale: true });
  });

  it("unknown errors by HTTP status; retry hints from retry-after", () => {
    const err = (status: number, name = "TeapotException") =>
      Object.assign(new Error("x"), {
        name,
        $metadata: { httpStatusCode: status },
        $response: { statusCode: status, headers: { "retry-after": "2" } },
      });
    expect(classify(err(429))).toMatchObject({ errorClass: "rate_limit", retryAfterMs: 2000 });
    expect(classify(err(502)).errorClass).toBe("transient");
    expect(classify(err(401)).errorClass).toBe("auth");
    expect(classify(err(418)).errorClass).toBe("invalid_request");
    expect(
      classify(
        Object.assign(new ThrottlingException({ message: "slow down", ...meta(429) }), {
          $response: { headers: { "x-amz-retry-after": "1500" } },
        }),
      ).retryAfterMs,
    ).toBe(1500);
  });

  it("a ModelError passes through unchanged", () => {
    const e = new ModelError("quota", "q");
    expect(classifyBedrockError(e, CTX)).toBe(e);
  });
});

describe("isStaleConnectionError / bedrockRetryHintMs", () => {
  it("a validation error is not stale", () => {
    expect(isStaleConnectionError(new ValidationException({ message: "bad", ...meta(400) }))).toBe(false);
  });

  it("hints: x-amz-retry-after (ms), retry-after (s or date), none", () => {
    expect(bedrockRetryHintMs({ "x-amz-retry-after": "250" })).toBe(250);
    expect(bedrockRetryHintMs({ "Retry-After": "1.5" })).toBe(1500);
    expect(bedrockRetryHintMs({ "retry-after": "Thu, 01 Jan 2026 00:00:10 GMT" }, Date.parse("Thu, 01 Jan 2026 00:00:00 GMT"))).toBe(
      10_000,
    );
    expect(bedrockRetryHintMs({})).toBeUndefined();
    expect(bedrockRetryHintMs(undefined)).toBeUndefined();
  });
});
