// Endpoint preflight through real fetch: a closed port, a server answering 401, a server without /models (404: not
// blocking), a server that never answers (timeout), a 503 (warned about, not blocking), and a healthy one.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CellSpec } from "../../src/models/call-options.js";
import { InfraError } from "../../src/errors.js";
import { checkEndpoints } from "../../src/models/preflight.js";

const cell: CellSpec = { cell: "openai/gpt-4o", provider: "openai", model: "gpt-4o" };
const seen: { url?: string; auth?: string }[] = [];
let base = "";
const server = http.createServer((req, res) => {
  seen.push({ ...(req.url ? { url: req.url } : {}), ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
  const status = Number(req.url!.split("/")[1]);
  if (status === 0) return; // never answers
  res
    .writeHead(status, { "content-type": "application/json" })
    .end(status === 401 ? '{"error":{"message":"Incorrect API key provided"}}' : "{}");
});
beforeAll(
  () =>
    new Promise<void>((resolve) =>
      server.listen(0, "127.0.0.1", () => {
        base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        resolve();
      }),
    ),
);
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

async function failure(baseUrl: string, env: NodeJS.ProcessEnv = { OPENAI_API_KEY: "sk-test" }, timeoutSec = 10): Promise<InfraError> {
  const err = await checkEndpoints([cell], { baseUrl, apiKeyEnv: "OPENAI_API_KEY", env, timeoutSec }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InfraError);
  return err as InfraError;
}

describe("checkEndpoints", () => {
  it("a closed port: connection refused, naming the cell and the URL (exit 1)", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", () => resolve()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await failure(`http://127.0.0.1:${port}/v1`);
    expect(err.exitCode).toBe(1);
    expect(err.message).toBe(
      `openai/gpt-4o: endpoint check failed: GET http://127.0.0.1:${port}/v1/models: connection refused (ECONNREFUSED); is the server up and --base-url right?`,
    );
  });

  it("401: credentials rejected, naming the key's variable and the server's words", async () => {
    const err = await failure(`${base}/401/`);
    expect(err.message).toBe(
      `openai/gpt-4o: endpoint check failed: GET ${base}/401/models: HTTP 401 (credentials rejected: check OPENAI_API_KEY) — {"error":{"message":"Incorrect API key provided"}}`,
    );
    expect(seen.at(-1)).toEqual({ url: "/401/models", auth: "Bearer sk-test" });
    expect((await failure(`${base}/403`, {})).message).toMatch(/HTTP 403 \(credentials rejected: OPENAI_API_KEY is not set\)/);
  });

  it("no answer: timeout after N s", async () => {
    expect((await failure(`${base}/0`, { OPENAI_API_KEY: "k" }, 1)).message).toBe(
      `openai/gpt-4o: endpoint check failed: GET ${base}/0/models: no answer (timeout after 1 s); is the server up and --base-url right?`,
    );
  });

  it("200 and a server without /models (404, 405, 501) pass; a 503 is warned about, not blocking; mock and grade cells are not checked", async () => {
    const lines: string[] = [];
    const settings = { apiKeyEnv: "OPENAI_API_KEY", env: {}, log: (l: string) => lines.push(l) };
    for (const status of [200, 404, 405, 501, 503]) await checkEndpoints([cell], { ...settings, baseUrl: `${base}/${status}` });
    expect(lines).toEqual([
      `warning: openai/gpt-4o: endpoint check GET ${base}/503/models answered HTTP 503; going on (model calls retry)`,
    ]);
    const before = seen.length;
    await checkEndpoints(
      [
        { cell: "mock/oracle", provider: "mock", model: "oracle" },
        { cell: "gold", provider: "predictions", model: "gold" },
      ],
      { ...settings, baseUrl: `${base}/401` },
    );
    expect(seen.length).toBe(before);
  });

  it("one call for several openai cells, naming them all", async () => {
    const before = seen.length;
    const err = await checkEndpoints([cell, { cell: "openai-responses/o3", provider: "openai-responses", model: "o3" }], {
      baseUrl: `${base}/401`,
      apiKeyEnv: "K",
      env: { K: "x" },
    }).catch((e: Error) => e);
    expect(seen.length).toBe(before + 1);
    expect((err as Error).message).toMatch(
      /^openai\/gpt-4o, openai-responses\/o3: endpoint check failed: GET .*\/401\/models: HTTP 401 \(credentials rejected: check K\)/,
    );
  });
});
