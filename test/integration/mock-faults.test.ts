// Every fault kind of the mock server, and what the real openai SDK makes of it.

import http2 from "node:http2";
import OpenAI, { type APIError } from "openai";
import type { ChatCompletionChunk, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { faults, startMockServer, type MockServer } from "../../src/mock/index.js";

const REQUEST: { model: string; messages: ChatCompletionMessageParam[] } = {
  model: "chatty",
  messages: [{ role: "user", content: "Tell me about the repository." }],
};

let server: MockServer;
let client: OpenAI;

beforeAll(async () => {
  server = await startMockServer();
  client = new OpenAI({ apiKey: "test", baseURL: `${server.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.faults.clear();
});

async function streamChunks(c: OpenAI = client): Promise<{ chunks: ChatCompletionChunk[]; error: unknown }> {
  const chunks: ChatCompletionChunk[] = [];
  try {
    const stream = await c.chat.completions.create({ ...REQUEST, stream: true });
    for await (const chunk of stream) chunks.push(chunk);
    return { chunks, error: undefined };
  } catch (error) {
    return { chunks, error };
  }
}

describe("http faults", () => {
  it("429 rate_limit_exceeded with retry-after: RateLimitError, hint visible on err.headers", async () => {
    server.faults.push(faults.rateLimit({ retryAfterS: 1 }));
    const err = await client.chat.completions.create(REQUEST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const e = err as APIError;
    expect(e).toMatchObject({ status: 429, code: "rate_limit_exceeded", type: "requests", param: null });
    expect(e.headers?.get("retry-after")).toBe("1");
    expect(e.requestID).toMatch(/^req_/);
    expect(server.requests.at(-1)).toMatchObject({ fault: "http", status: 429 });
  });

  it("429 without retry hints carries none", async () => {
    server.faults.push(faults.rateLimit());
    const err = (await client.chat.completions.create(REQUEST).catch((e: unknown) => e)) as APIError;
    expect(err.status).toBe(429);
    expect(err.headers?.get("retry-after")).toBeNull();
    expect(err.headers?.get("retry-after-ms")).toBeNull();
  });

  it("the SDK's own retry honours retry-after-ms, and the retry count header is logged", async () => {
    const retrying = new OpenAI({ apiKey: "test", baseURL: `${server.url}/v1`, maxRetries: 2 });
    server.faults.push(faults.rateLimit({ retryAfterMs: 20 }));
    const first = server.requests.length;
    const res = await retrying.chat.completions.create(REQUEST);
    expect(res.choices[0]!.finish_reason).toBe("stop");
    expect(server.requests.slice(first).map((r) => [r.headers["x-stainless-retry-count"], r.status])).toEqual([
      ["0", 429],
      ["1", 200],
    ]);
  });

  it("429 insufficient_quota says x-should-retry: false, and the SDK does not retry", async () => {
    const retrying = new OpenAI({ apiKey: "test", baseURL: `${server.url}/v1`, maxRetries: 2 });
    server.faults.push(faults.insufficientQuota(), faults.insufficientQuota(), faults.insufficientQuota());
    const first = server.requests.length;
    const err = await retrying.chat.completions.create(REQUEST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err).toMatchObject({ code: "insufficient_quota", type: "insufficient_quota" });
    expect((err as APIError).headers?.get("x-should-retry")).toBe("false");
    expect(server.requests.length - first).toBe(1);
    expect(server.faults.pending).toBe(2);
  });

  it("400 context_length_exceeded: BadRequestError", async () => {
    server.faults.push(faults.contextLengthExceeded());
    const err = await client.chat.completions.create(REQUEST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, code: "context_length_exceeded", param: "messages", type: "invalid_request_error" });
    expect((err as Error).message).toMatch(/^400 This model's maximum context length is/);
  });

  it("401, 500 and 503 map to their SDK classes", async () => {
    server.faults.push(faults.unauthorized(), faults.serverError(), faults.overloaded());
    const e401 = await client.chat.completions.create(REQUEST).catch((e: unknown) => e);
    const e500 = await client.chat.completions.create(REQUEST).catch((e: unknown) => e);
    const e503 = await client.chat.completions.create(REQUEST).catch((e: unknown) => e);
    expect(e401).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(e401).toMatchObject({ status: 401, code: "invalid_api_key" });
    expect(e500).toBeInstanceOf(OpenAI.InternalServerError);
    expect(e500).toMatchObject({ status: 500, type: "server_error" });
    expect(e503).toBeInstanceOf(OpenAI.InternalServerError);
    expect(e503).toMatchObject({ status: 503 });
  });

  it("a custom http fault keeps every field it sets", async () => {
    server.faults.push({
      kind: "http",
      status: 400,
      errorType: "invalid_request_error",
      code: "weird",
      message: "Nope.",
      headers: { "x-should-retry": "true" },
    });
    const err = await client.chat.completions.create(REQUEST).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, code: "weird", message: "400 Nope." });
    expect((err as APIError).headers?.get("x-should-retry")).toBe("true");
  });

  it("faults on a streaming call come before the stream starts", async () => {
    server.faults.push(faults.rateLimit({ retryAfterS: 2 }));
    const { chunks, error } = await streamChunks();
    expect(chunks).toEqual([]);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
  });
});

describe("connection faults", () => {
  it("reset before answering: APIConnectionError (non-stream and stream)", async () => {
    server.faults.push(faults.reset(), faults.reset());
    const err = await client.chat.completions.create(REQUEST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIConnectionError);
    const { error } = await streamChunks();
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(server.requests.at(-1)?.fault).toBe("reset");
    expect(server.requests.at(-1)?.status).toBeUndefined();
    // The server is fine afterwards.
    await expect(client.chat.completions.create(REQUEST)).resolves.toMatchObject({ object: "chat.completion" });
  });

  it("cut: the stream ends cleanly without finish_reason or [DONE]", async () => {
    const whole = await streamChunks();
    server.faults.push(faults.cut());
    const cut = await streamChunks();
    expect(cut.error).toBeUndefined();
    expect(cut.chunks.length).toBeGreaterThan(0);
    expect(cut.chunks.length).toBeLessThan(whole.chunks.length);
    expect(cut.chunks.some((c) => c.choices[0]?.finish_reason)).toBe(false);
    expect(whole.chunks.at(-1)!.choices[0]!.finish_reason).toBe("stop");
  });

  it("cut: the .stream() helper rejects with missing finish_reason", async () => {
    server.faults.push(faults.cut(2));
    const err = await client.chat.completions
      .stream(REQUEST)
      .finalChatCompletion()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.OpenAIError);
    expect((err as Error).message).toBe("missing finish_reason for choice 0");
  });

  it("cut on a non-stream call: a truncated JSON body the SDK cannot parse", async () => {
    server.faults.push(faults.cut());
    const err = await client.chat.completions.create(REQUEST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyntaxError);
  });

  it("cut-reset: the stream breaks mid-way with a connection error", async () => {
    server.faults.push(faults.cutReset(2));
    const { chunks, error } = await streamChunks();
    expect(chunks).toHaveLength(2);
    // undici's body error, not an SDK class: the harness must classify it as transient itself.
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ message: "terminated", cause: { code: "ECONNRESET" } });
  });

  it("stream-error: a data: {error} chunk makes the SDK throw APIError mid-stream", async () => {
    server.faults.push({ kind: "stream-error", afterChunks: 2, message: "The model overloaded mid-stream.", code: "server_error" });
    const { chunks, error } = await streamChunks();
    expect(chunks).toHaveLength(2);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).toMatchObject({ status: undefined, code: "server_error", type: "server_error" });
    expect((error as Error).message).toContain("The model overloaded mid-stream.");
  });

  it("stream-error on a non-stream call becomes a 500", async () => {
    server.faults.push(faults.streamError());
    const err = await client.chat.completions.create(REQUEST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
  });

  it("hang: never answers; the client's timeout fires and close() still returns promptly", async () => {
    const own = await startMockServer({ faults: [faults.hang(), faults.hang(1)] });
    const c = new OpenAI({ apiKey: "test", baseURL: `${own.url}/v1`, maxRetries: 0, timeout: 300 });
    const err = await c.chat.completions.create(REQUEST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);

    // A stalled stream: one chunk, then nothing; the caller aborts (the SDK then ends iteration silently).
    const abort = new AbortController();
    const stream = await c.chat.completions.create({ ...REQUEST, stream: true }, { signal: abort.signal });
    const got: ChatCompletionChunk[] = [];
    const reading = (async () => {
      for await (const chunk of stream) {
        got.push(chunk);
        setTimeout(() => abort.abort(), 100);
      }
    })().catch((e: unknown) => e);
    expect(await reading).toBeUndefined();
    expect(abort.signal.aborted).toBe(true);
    expect(got).toHaveLength(1);

    // A hung request still open on the server must not hold close() up.
    void c.chat.completions.create(REQUEST, { timeout: 60_000 }).catch(() => undefined);
    own.faults.push(faults.hang());
    void c.chat.completions.create(REQUEST, { timeout: 60_000 }).catch(() => undefined);
    // Both calls have reached the server and one of them drew the hang (the third hang of this server).
    await vi.waitFor(() => expect([own.requests.length, own.stats.faults["hang"]]).toEqual([4, 3]), { interval: 10 });
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe("over HTTP/2", () => {
  function h2Call(): Promise<{ text: string; error: (Error & { code?: string }) | undefined }> {
    return new Promise((resolve) => {
      const session = http2.connect(server.url);
      session.on("error", () => undefined);
      const req = session.request({ ":method": "POST", ":path": "/v1/chat/completions", "content-type": "application/json" });
      let text = "";
      req.setEncoding("utf8");
      req.on("data", (d: string) => (text += d));
      const done = (error?: Error): void => {
        session.destroy();
        resolve({ text, error });
      };
      req.on("end", () => done());
      req.on("error", done);
      req.end(JSON.stringify({ ...REQUEST, stream: true }));
    });
  }

  it("reset is an RST_STREAM; cut ends the stream early", async () => {
    server.faults.push(faults.reset());
    const reset = await h2Call();
    expect(reset.error?.code).toBe("ERR_HTTP2_STREAM_ERROR");
    server.faults.push(faults.cut(1));
    const cut = await h2Call();
    expect(cut.error).toBeUndefined();
    expect(cut.text.split("\n\n").filter((e) => e !== "")).toHaveLength(1);
    expect(cut.text).not.toContain("[DONE]");
  });
});

describe("fault plan", () => {
  it("applies only to model calls, in FIFO order", async () => {
    server.faults.push(faults.serverError(), faults.rateLimit());
    await client.models.list();
    expect(server.faults.pending).toBe(2);
    const a = await client.chat.completions.create(REQUEST).catch((e: unknown) => e);
    const b = await client.chat.completions.create(REQUEST).catch((e: unknown) => e);
    expect([(a as APIError).status, (b as APIError).status]).toEqual([500, 429]);
    await expect(client.chat.completions.create(REQUEST)).resolves.toBeDefined();
  });

  it("draws rates from a seeded generator: the same seed gives the same pattern", async () => {
    const pattern = async (): Promise<number[]> => {
      const s = await startMockServer({ faults: { seed: 42, rates: [{ fault: faults.serverError(), rate: 0.5 }] } });
      const c = new OpenAI({ apiKey: "test", baseURL: `${s.url}/v1`, maxRetries: 0 });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const r = await c.chat.completions.create(REQUEST).then(
          () => 200,
          (e: APIError) => e.status ?? 0,
        );
        statuses.push(r);
      }
      expect(s.stats.faults["http"]).toBe(statuses.filter((x) => x === 500).length);
      await s.close();
      return statuses;
    };
    const first = await pattern();
    expect(await pattern()).toEqual(first);
    expect(first).toContain(200);
    expect(first).toContain(500);
  });

  it("setRates at runtime, and rejects rates that cannot be", () => {
    server.faults.setRates([{ fault: faults.reset(), rate: 0 }]);
    expect(() =>
      server.faults.setRates([
        { fault: faults.reset(), rate: 0.7 },
        { fault: faults.serverError(), rate: 0.7 },
      ]),
    ).toThrow(/expected rates summing to at most 1, got 1.4/);
    expect(() => server.faults.push({ kind: "http", status: 200 })).toThrow(/expected an HTTP status from 400 to 599, got 200/);
  });

  it("latencyMs delays every model call", async () => {
    const slow = await startMockServer({ latencyMs: 150 });
    try {
      const c = new OpenAI({ apiKey: "test", baseURL: `${slow.url}/v1`, maxRetries: 0 });
      const started = Date.now();
      await c.chat.completions.create(REQUEST);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    } finally {
      await slow.close();
    }
  });
});
