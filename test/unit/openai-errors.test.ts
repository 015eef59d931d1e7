import { APIConnectionError, APIError, BadRequestError, RateLimitError } from "openai";
import { describe, expect, it } from "vitest";
import { classifyOpenAIError, parseDuration, retryHintMs } from "../../src/models/openai-errors.js";

const headers = (h: Record<string, string>) => new Headers(h);

describe("retry hints", () => {
  it("reads retry-after-ms, retry-after seconds and dates, and x-ratelimit-reset", () => {
    expect(retryHintMs(headers({ "retry-after-ms": "250.5" }))).toBe(250.5);
    expect(retryHintMs(headers({ "retry-after": "2" }))).toBe(2000);
    expect(retryHintMs(headers({ "retry-after": "Tue, 24 Nov 2026 00:00:05 GMT" }), Date.parse("Tue, 24 Nov 2026 00:00:00 GMT"))).toBe(
      5000,
    );
    expect(retryHintMs(headers({ "x-ratelimit-reset-requests": "1s", "x-ratelimit-reset-tokens": "6m0s" }))).toBe(360_000);
    expect(retryHintMs(headers({}))).toBeUndefined();
  });
  it("parses OpenAI durations", () => {
    expect(parseDuration("20ms")).toBe(20);
    expect(parseDuration("1h2m3.5s")).toBe(3_723_500);
    expect(parseDuration("soon")).toBeUndefined();
  });
});

describe("classifyOpenAIError", () => {
  const make = (status: number, body: Record<string, unknown>, h: Record<string, string> = {}) =>
    APIError.generate(status, { error: body }, undefined, headers(h));

  it("classifies by status and code", () => {
    const rl = classifyOpenAIError(
      make(429, { message: "slow down", code: "rate_limit_exceeded" }, { "retry-after": "3" }),
      "openai/gpt-4o",
    );
    expect(rl).toMatchObject({ errorClass: "rate_limit", status: 429, retryAfterMs: 3000 });
    expect(rl.message).toBe("openai/gpt-4o: 429 slow down");
    expect(make(429, { message: "x" })).toBeInstanceOf(RateLimitError);
    expect(
      classifyOpenAIError(make(429, { message: "quota", code: "insufficient_quota", type: "insufficient_quota" }), "m").errorClass,
    ).toBe("quota");
    const ctx = make(400, { message: "too long", code: "context_length_exceeded", type: "invalid_request_error" });
    expect(ctx).toBeInstanceOf(BadRequestError);
    expect(classifyOpenAIError(ctx, "m").errorClass).toBe("context_overflow");
    expect(classifyOpenAIError(make(401, { message: "bad key" }), "m").errorClass).toBe("auth");
    expect(classifyOpenAIError(make(403, { message: "no" }), "m").errorClass).toBe("auth");
    expect(classifyOpenAIError(make(500, { message: "oops" }), "m").errorClass).toBe("transient");
    expect(classifyOpenAIError(make(503, { message: "busy" }), "m").errorClass).toBe("transient");
    expect(classifyOpenAIError(make(404, { message: "no model" }), "m").errorClass).toBe("invalid_request");
  });

  it("treats connection failures and mid-stream socket errors as transient stale connections", () => {
    const conn = classifyOpenAIError(
      new APIConnectionError({ cause: Object.assign(new Error("fetch failed"), { code: "ECONNRESET" }) }),
      "m",
    );
    expect(conn).toMatchObject({ errorClass: "transient", staleConnection: true });
    const terminated = Object.assign(new TypeError("terminated"), { cause: { code: "UND_ERR_SOCKET" } });
    expect(classifyOpenAIError(terminated, "m")).toMatchObject({ errorClass: "transient", staleConnection: true });
  });
});
