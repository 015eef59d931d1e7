// Real Bedrock responses (recorded by public projects, kept in ../shared/reference/recorded) replayed over h2c to the
// provider with the real SDK: what the service really sends, not what the mock thinks it sends.

import { existsSync, readFileSync } from "node:fs";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { decodeFrames, encodeFrame } from "../../src/mock/event-stream.js";
import { BedrockClient } from "../../src/models/bedrock.js";
import { BedrockClientCache } from "../../src/models/bedrock-runtime-client.js";
import { ModelError } from "../../src/models/errors.js";
import type { ModelRequest } from "../../src/models/types.js";
import { repoRoot } from "./helpers.js";

const RECORDED = path.resolve(repoRoot, "../shared/reference/recorded");

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

describe.skipIf(!existsSync(RECORDED))("recorded Bedrock responses through the real SDK", () => {
  const answers: Answer[] = [];
  const paths: string[] = [];
  let server: http2.Http2Server;
  let url = "";
  const cache = new BedrockClientCache();
  const REQUEST: ModelRequest = { system: "", messages: [{ role: "user", content: [{ type: "text", text: "Hello" }] }], tools: [] };
  const cassette = (name: string) =>
    (
      parseYaml(readFileSync(path.join(RECORDED, name), "utf8")) as {
        interactions: { response: { parsed_body?: unknown; body?: { string: Uint8Array } } }[];
      }
    ).interactions;
  const client = (model: string, stream: boolean) =>
    new BedrockClient({
      model,
      region: "us-east-1",
      endpoint: url,
      credentials: { accessKeyId: "AKIDMOCK", secretAccessKey: "x" },
      stream,
      cache,
      log: () => undefined,
    });

  beforeAll(async () => {
    // Prior-knowledge h2c, as the SDK's default handler speaks it to an http:// endpoint.
    server = http2.createServer((req, res) => {
      paths.push(req.url);
      req.resume();
      req.on("end", () => {
        const a = answers.shift() ?? {
          status: 500,
          headers: { "content-type": "application/json" },
          body: Buffer.from('{"message":"no answer queued"}'),
        };
        res.writeHead(a.status, a.headers);
        res.end(a.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    cache.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("ConverseStream: Claude reasoning with its signature, then text", async () => {
    const [only] = cassette("bedrock-conversestream-raw-reasoning.pydantic-pydantic-ai.yaml");
    answers.push({
      status: 200,
      headers: { "content-type": "application/vnd.amazon.eventstream" },
      body: Buffer.from(only!.response.body!.string),
    });
    const res = await client("us.anthropic.claude-sonnet-4-20250514-v1:0", true).generate(REQUEST);
    expect(paths.at(-1)).toBe("/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream");
    expect(res.message).toEqual({
      role: "assistant",
      text: "Hello! It's nice to meet you. How can I help you today?",
      toolCalls: [],
      reasoning: [
        {
          type: "reasoning",
          text: expect.stringMatching(/^The user has greeted me with a simple "Hello"\..* how I can help them today\.$/),
          signature: expect.stringMatching(/^Eu0CCkgIBxABGAIqQ.*EYAQ==$/),
          provider: "bedrock",
        },
      ],
    });
    expect(res.stopReason).toBe("end_turn");
    expect(res.usage).toEqual({ inputTokens: 36, outputTokens: 73, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
    expect(res.ttftMs).toBeGreaterThan(0);
  });

  it("ConverseStream: Nova text, then a tool call", async () => {
    const [first] = cassette("bedrock-conversestream-raw-tooluse.pydantic-pydantic-ai.yaml");
    answers.push({
      status: 200,
      headers: { "content-type": "application/vnd.amazon.eventstream" },
      body: Buffer.from(first!.response.body!.string),
    });
    const res = await client("us.amazon.nova-micro-v1:0", true).generate(REQUEST);
    expect(res.message.toolCalls).toEqual([
      { id: "tooluse_lAG_zP8QRHmSYOwZzzaCqA", name: "get_temperature", arguments: '{"city":"Paris"}' },
    ]);
    expect(res.stopReason).toBe("tool_use");
    expect(res.usage).toMatchObject({ inputTokens: 471, outputTokens: 91 });
  });

  it("a recorded stream cut before messageStop is a transient error", async () => {
    const [first] = cassette("bedrock-conversestream-raw-tooluse.pydantic-pydantic-ai.yaml");
    // The recorded frames, byte for byte, up to (not including) messageStop and metadata.
    const frames = decodeFrames(Buffer.from(first!.response.body!.string)).filter(
      (f) => !["messageStop", "metadata"].includes(f.headers[":event-type"] ?? ""),
    );
    const cut = Buffer.concat(frames.map((f) => encodeFrame(f.headers, f.payload)));
    answers.push({ status: 200, headers: { "content-type": "application/vnd.amazon.eventstream" }, body: cut });
    const err = await client("us.amazon.nova-micro-v1:0", true)
      .generate(REQUEST)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect(err).toMatchObject({
      errorClass: "transient",
      message: "bedrock/us.amazon.nova-micro-v1:0@us-east-1: stream ended without messageStop (cut off mid-answer)",
    });
  });

  it("Converse: tool use with cache reads (Claude Sonnet 4.5)", async () => {
    const [first] = cassette("bedrock-converse-tooluse-cacheread.pydantic-pydantic-ai.yaml");
    answers.push({
      status: 200,
      headers: { "content-type": "application/json" },
      body: Buffer.from(JSON.stringify(first!.response.parsed_body)),
    });
    const res = await client("us.anthropic.claude-sonnet-4-5-20250929-v1:0", false).generate(REQUEST);
    expect(res.message).toEqual({
      role: "assistant",
      text: "",
      toolCalls: [{ id: "tooluse_fiDf7dcHRcLMA5qJHOZR2U", name: "catalog_lookup", arguments: "{}" }],
    });
    expect(res.usage).toEqual({ inputTokens: 433, outputTokens: 16, cacheReadTokens: 2752, cacheWriteTokens: 0, reasoningTokens: 0 });
  });

  it("a recorded 400 ValidationException (x-amzn-errortype, body with only a message) → invalid_request", async () => {
    const recorded = JSON.parse(readFileSync(path.join(RECORDED, "bedrock-error-validation.vercel-ai.json"), "utf8")) as {
      status: number;
      headers: Record<string, string>;
      body: { message: string };
      modelId: string;
    };
    answers.push({ status: recorded.status, headers: recorded.headers, body: Buffer.from(JSON.stringify(recorded.body)) });
    const err = await client(recorded.modelId, true)
      .generate(REQUEST)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      errorClass: "invalid_request",
      status: 400,
      message: `bedrock/${recorded.modelId}@us-east-1: ValidationException: ${recorded.body.message}`,
    });
  });
});
