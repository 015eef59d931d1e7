// The Bedrock endpoint check through the real AWS SDK: a Converse with no message against loopback servers (the mock,
// a closed port, a server refusing the credentials, one answering 503).
import http2 from "node:http2";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CellSpec } from "../../src/models/call-options.js";
import { startMockServer, type MockServer } from "../../src/mock/server.js";
import { checkBedrockEndpoints } from "../../src/models/preflight.js";

const CELL: CellSpec = {
  cell: "bedrock/anthropic.claude-3-haiku-20240307-v1:0@us-west-2",
  provider: "bedrock",
  model: "anthropic.claude-3-haiku-20240307-v1:0",
  region: "us-west-2",
};
const saved = { id: process.env["AWS_ACCESS_KEY_ID"], secret: process.env["AWS_SECRET_ACCESS_KEY"] };
let mock: MockServer;
const servers: http2.Http2Server[] = [];

/** A server (HTTP/2 without TLS, as the SDK's handler speaks to an http:// endpoint) answering every request with `status` and the AWS error type, as Bedrock does. */
async function refusing(status: number, type: string, message: string): Promise<string> {
  const server = http2.createServer((req, res) => {
    req.resume();
    res.writeHead(status, { "content-type": "application/json", "x-amzn-errortype": type });
    res.end(JSON.stringify({ message }));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

async function closedPort(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  process.env["AWS_ACCESS_KEY_ID"] = "AKIDPREFLIGHT";
  process.env["AWS_SECRET_ACCESS_KEY"] = "preflight-secret";
  mock = await startMockServer({ tasks: [] });
});
afterAll(async () => {
  for (const [k, v] of [
    ["AWS_ACCESS_KEY_ID", saved.id],
    ["AWS_SECRET_ACCESS_KEY", saved.secret],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await mock.close();
  for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()));
});

describe("checkBedrockEndpoints", () => {
  it("passes when the service refuses the empty conversation as invalid (no model ran), and sends one request per region and model", async () => {
    const before = mock.stats.requests;
    await checkBedrockEndpoints([CELL, { ...CELL, cell: "again" }], { apiKeyEnv: "X", env: {}, bedrockEndpoint: mock.url });
    expect(mock.stats.requests - before).toBe(1);
    expect(mock.stats.byStatus["400"]).toBe(1);
    expect(mock.stats.promptTokens + mock.stats.completionTokens).toBe(0);
  });

  it("a closed port stops the run naming the cell and the endpoint", async () => {
    const url = await closedPort();
    await expect(checkBedrockEndpoints([CELL], { apiKeyEnv: "X", env: {}, bedrockEndpoint: url })).rejects.toThrowError(
      `${CELL.cell}: endpoint check failed: Converse on ${url}: connection refused (ECONNREFUSED); is the endpoint (--bedrock-endpoint) and region right?`,
    );
  });

  it("refused credentials or model access stop the run with the service's words", async () => {
    const url = await refusing(403, "UnrecognizedClientException", "The security token included in the request is invalid.");
    await expect(checkBedrockEndpoints([CELL], { apiKeyEnv: "X", env: {}, bedrockEndpoint: url })).rejects.toThrowError(
      `${CELL.cell}: endpoint check failed: Converse on ${url}: UnrecognizedClientException (credentials or model access refused) — The security token included in the request is invalid.`,
    );
    const denied = await refusing(403, "AccessDeniedException", "You don't have access to the model with the specified model ID.");
    await expect(checkBedrockEndpoints([CELL], { apiKeyEnv: "X", env: {}, bedrockEndpoint: denied })).rejects.toThrowError(
      /AccessDeniedException \(credentials or model access refused\) — You don't have access/,
    );
  });

  it("a 503 is a warning, not a stop (model calls retry)", async () => {
    const url = await refusing(503, "ServiceUnavailableException", "busy");
    const lines: string[] = [];
    await checkBedrockEndpoints([CELL], { apiKeyEnv: "X", env: {}, bedrockEndpoint: url, log: (l) => lines.push(l) });
    expect(lines).toEqual([
      `warning: ${CELL.cell}: endpoint check Converse on ${url} answered HTTP 503 (ServiceUnavailableException); going on (model calls retry)`,
    ]);
  });
});
