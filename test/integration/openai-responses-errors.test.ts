// Error classes of the openai-responses provider, with the real openai SDK against the mock's injected faults:
// HTTP errors, resets, cut streams, in-stream `error` / `response.failed` events, hangs past the call deadline.

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { faults, startMockServer, type Fault, type MockServer } from "../../src/mock/index.js";
import { ModelError } from "../../src/models/errors.js";
import { OpenAIResponsesClient } from "../../src/models/openai-responses.js";
import type { ModelRequest } from "../../src/models/types.js";

const REQUEST: ModelRequest = {
  system: "You are a coding agent.",
  messages: [{ role: "user", content: [{ type: "text", text: "Tell me about the repository." }] }],
  tools: [],
};

let server: MockServer;
const client = (stream: boolean, timeoutMs = 10_000): OpenAIResponsesClient =>
  new OpenAIResponsesClient({ model: "chatty", apiKey: "test", baseURL: `${server.url}/v1`, stream, timeoutMs, reasoning: true });

async function failure(c: OpenAIResponsesClient, request: ModelRequest = REQUEST): Promise<ModelError> {
  const before = server.requests.length;
  const err = await c.generate(request).then(
    () => new Error("expected the call to fail"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelError);
  // SDK retries are off: one request per call, sent as the first attempt.
  expect(server.requests.length - before).toBe(1);
  expect(server.requests.at(-1)!.headers["x-stainless-retry-count"]).toBe("0");
  return err as ModelError;
}

beforeAll(async () => {
  server = await startMockServer();
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.faults.clear();
});

type Case = [name: string, fault: Fault, expected: { errorClass: string; status?: number; retryAfterMs?: number; message?: RegExp }];

const HTTP_CASES: Case[] = [
  ["429 with retry-after", faults.rateLimit({ retryAfterS: 2 }), { errorClass: "rate_limit", status: 429, retryAfterMs: 2000 }],
  ["429 with retry-after-ms", faults.rateLimit({ retryAfterMs: 50 }), { errorClass: "rate_limit", status: 429, retryAfterMs: 50 }],
  ["429 with only x-ratelimit-reset-requests", faults.rateLimit(), { errorClass: "rate_limit", status: 429, retryAfterMs: 120 }],
  ["429 insufficient_quota", faults.insufficientQuota(), { errorClass: "quota", status: 429, message: /exceeded your current quota/ }],
  ["400 context_length_exceeded", faults.contextLengthExceeded(), { errorClass: "context_overflow", status: 400 }],
  ["401", faults.unauthorized(), { errorClass: "auth", status: 401, message: /check the API key/ }],
  ["403", { kind: "http", status: 403 }, { errorClass: "auth", status: 403 }],
  ["400 other", { kind: "http", status: 400, message: "Invalid input." }, { errorClass: "invalid_request", status: 400 }],
  ["500", faults.serverError(), { errorClass: "transient", status: 500 }],
  ["503", faults.overloaded(), { errorClass: "transient", status: 503 }],
  ["connection reset before an answer", faults.reset(), { errorClass: "transient", message: /connection error/ }],
];

describe.each([true, false])("stream: %s", (stream) => {
  it.each(HTTP_CASES)("%s", async (_name, fault, expected) => {
    server.faults.push(fault);
    const err = await failure(client(stream));
    expect(err).toMatchObject(expected);
    if (expected.retryAfterMs === undefined) expect(err.retryAfterMs).toBeUndefined();
    if (expected.status !== undefined) expect(err.requestId).toMatch(/^req_/);
  });

  it("a body cut short is transient", async () => {
    server.faults.push(faults.cut());
    expect(await failure(client(stream))).toMatchObject({ errorClass: "transient", staleConnection: true });
  });

  it("a connection reset mid-body is transient", async () => {
    server.faults.push(faults.cutReset());
    expect(await failure(client(stream))).toMatchObject({ errorClass: "transient", staleConnection: true });
  });

  it("no answer at all runs into the call deadline: transient", async () => {
    server.faults.push(faults.hang());
    const started = Date.now();
    const err = await failure(client(stream, 400));
    expect(err).toMatchObject({ errorClass: "transient", message: "openai-responses/chatty: call deadline of 400 ms exceeded" });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("context over the model's window (checked after parsing) is context_overflow", async () => {
    const small = await startMockServer({ contextWindowTokens: 5 });
    try {
      const c = new OpenAIResponsesClient({ model: "chatty", apiKey: "test", baseURL: `${small.url}/v1`, stream });
      expect(await c.generate(REQUEST).catch((e: unknown) => e)).toMatchObject({ errorClass: "context_overflow", status: 400 });
    } finally {
      await small.close();
    }
  });
});

describe("stream-only failures", () => {
  it("a stream that ends cleanly without response.completed is transient", async () => {
    server.faults.push(faults.cut(3));
    expect(await failure(client(true))).toMatchObject({
      errorClass: "transient",
      message: "openai-responses/chatty: stream ended without response.completed",
    });
  });

  it("an `error` event then response.failed (what the real service sends) is transient by default", async () => {
    server.faults.push(faults.streamError(4));
    expect(await failure(client(true))).toMatchObject({
      errorClass: "transient",
      message: expect.stringContaining("The server had an error while processing your request"),
    });
  });

  it("an `error` event with code insufficient_quota is quota, never retried", async () => {
    server.faults.push({
      kind: "stream-error",
      afterChunks: 2,
      code: "insufficient_quota",
      errorType: "insufficient_quota",
      message: "You exceeded your current quota.",
    });
    expect(await failure(client(true))).toMatchObject({ errorClass: "quota" });
  });

  it("response.failed alone is transient, and names the code", async () => {
    server.faults.push({ kind: "stream-error", afterChunks: 5, responsesEvent: "response.failed" });
    expect(await failure(client(true))).toMatchObject({
      errorClass: "transient",
      message: "openai-responses/chatty: The server had an error while processing your request. Sorry about that! (server_error)",
    });
  });

  it("response.failed with context_length_exceeded is context_overflow", async () => {
    server.faults.push({
      kind: "stream-error",
      afterChunks: 2,
      responsesEvent: "response.failed",
      code: "context_length_exceeded",
      message: "Too long.",
    });
    expect(await failure(client(true))).toMatchObject({ errorClass: "context_overflow" });
  });

  it("a stream that stalls after a few events runs into the deadline (the stream body is covered)", async () => {
    server.faults.push(faults.hang(3));
    const err = await failure(client(true, 400));
    expect(err).toMatchObject({ errorClass: "transient", message: "openai-responses/chatty: call deadline of 400 ms exceeded" });
  });

  it("the run's own abort signal stops a stalled stream too", async () => {
    server.faults.push(faults.hang(3));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("interrupted")), 200);
    const err = await client(true)
      .generate({ ...REQUEST, signal: controller.signal })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ errorClass: "transient" });
  });
});
