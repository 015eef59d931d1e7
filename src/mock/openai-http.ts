// What both OpenAI wires (Chat Completions, Responses) share at the HTTP level, in OpenAI's own wording: Bearer auth,
// the JSON body, a strict server's refusal of unknown parameters, the error body and the success headers.

import {
  MockHttpError,
  isObject,
  type CallContext,
  type HttpAnswer,
  type IncomingCall,
  type Json,
  type MockErrorSpec,
  type MockUsage,
} from "./wire.js";

/** Mock rate-limit budget advertised in x-ratelimit-* headers. */
const RATE_LIMIT_REQUESTS = 10_000;

const RATE_LIMIT_TOKENS = 30_000_000;

/** An invalid_request_error (400 unless said). */
export function invalid(message: string, param: string | null, code: string | null = null, status = 400): MockHttpError {
  return new MockHttpError({ status, message, type: "invalid_request_error", param, code });
}

export function checkAuth(call: IncomingCall, apiKey: string | undefined): void {
  if (apiKey === undefined) return;
  const header = call.headers["authorization"] ?? "";
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match) {
    throw new MockHttpError({
      status: 401,
      message:
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys.",
      type: "invalid_request_error",
    });
  }
  const key = match[1] ?? "";
  if (key !== apiKey) {
    const shown = key.length > 8 ? `${key.slice(0, 3)}*********${key.slice(-4)}` : key;
    throw new MockHttpError({
      status: 401,
      message: `Incorrect API key provided: ${shown}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      type: "invalid_request_error",
      code: "invalid_api_key",
    });
  }
}

export function parseJsonBody(call: IncomingCall): Json {
  let body: unknown;
  try {
    body = JSON.parse(call.body.toString("utf8"));
  } catch {
    throw invalid(
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please make sure you are sending a valid JSON body.)",
      null,
    );
  }
  if (!isObject(body))
    throw invalid(
      `Invalid type for request body: expected an object, but got ${Array.isArray(body) ? "an array" : typeof body} instead.`,
      null,
      "invalid_type",
    );
  return body;
}

/** A strict OpenAI-compatible server's answer to a parameter it does not take (OpenAI's own wording). */
export function rejectUnknownParams(body: Json, rejected: readonly string[] | undefined): void {
  const found = (rejected ?? []).find((key) => body[key] !== undefined);
  if (found !== undefined) throw invalid(`Unrecognized request argument supplied: ${found}`, null);
}

export function chatErrorBody(error: MockErrorSpec): string {
  return JSON.stringify({ error: { message: error.message, type: error.type, param: error.param, code: error.code } });
}

export function successHeaders(ctx: CallContext, usage: MockUsage, contentType: string): Record<string, string> {
  return {
    "content-type": contentType,
    "x-request-id": ctx.requestId,
    "openai-version": "2020-10-01",
    "openai-processing-ms": "1",
    "x-ratelimit-limit-requests": String(RATE_LIMIT_REQUESTS),
    "x-ratelimit-remaining-requests": String(RATE_LIMIT_REQUESTS - 1),
    "x-ratelimit-reset-requests": "6ms",
    "x-ratelimit-limit-tokens": String(RATE_LIMIT_TOKENS),
    "x-ratelimit-remaining-tokens": String(RATE_LIMIT_TOKENS - usage.promptTokens),
    "x-ratelimit-reset-tokens": "0s",
  };
}

/** A model call's JSON body, after the checks both OpenAI routes make first: the API key, then the body, then unknown parameters. */
export function readOpenAiBody(
  call: IncomingCall,
  options: { apiKey?: string | undefined; rejectParams?: readonly string[] | undefined },
): Json {
  checkAuth(call, options.apiKey);
  const body = parseJsonBody(call);
  rejectUnknownParams(body, options.rejectParams);
  return body;
}

/** Any error in OpenAI's shape: the JSON error body, the request id and the error's own headers (retry hints). */
export function openAiErrorAnswer(error: MockErrorSpec, ctx: CallContext): HttpAnswer {
  return {
    status: error.status,
    headers: { "content-type": "application/json; charset=utf-8", "x-request-id": ctx.requestId, ...error.headers },
    body: chatErrorBody(error),
  };
}

/** A path of an OpenAI route, without the trailing slashes and the /v1 prefix (both are accepted). */
export const openAiPath = (path: string): string => path.replace(/\/+$/, "").replace(/^\/v1(?=\/)/, "");
