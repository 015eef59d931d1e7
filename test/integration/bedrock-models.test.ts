// `bench models --provider bedrock` with the real @aws-sdk/client-bedrock control plane against the mock server.

import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockServer, type MockServer } from "../../src/mock/index.js";
import { listBedrockModels } from "../../src/models/bedrock-models.js";
import { repoRoot } from "./helpers.js";

let server: MockServer;
beforeAll(async () => {
  server = await startMockServer();
});
afterAll(async () => {
  await server.close();
});

const CREDENTIALS = { accessKeyId: "AKIDMOCK", secretAccessKey: "mock-secret" };

describe("listBedrockModels with the real control-plane SDK", () => {
  it("lists a region's text models and its profiles, global first, leaving out legacy, embedding and non-streaming models", async () => {
    const { models, cached } = await listBedrockModels({ region: "eu-west-1", endpoint: server.url, credentials: CREDENTIALS });
    expect(cached).toBe(false);
    expect(models.map((m) => [m.id, m.kind, m.onDemand])).toEqual([
      ["global.anthropic.claude-sonnet-4-20250514-v1:0", "inference-profile", undefined],
      ["eu.amazon.nova-pro-v1:0", "inference-profile", undefined],
      ["eu.anthropic.claude-sonnet-4-20250514-v1:0", "inference-profile", undefined],
      ["amazon.nova-pro-v1:0", "foundation-model", true],
      ["anthropic.claude-3-5-sonnet-20240620-v1:0", "foundation-model", true],
      ["anthropic.claude-sonnet-4-20250514-v1:0", "foundation-model", false],
    ]);
    const routes = server.requests.slice(-2).map((r) => [r.method, r.path, r.status, r.httpVersion]);
    expect(routes.sort()).toEqual([
      // The control-plane client's default handler speaks HTTP/1.1 (the runtime's, HTTP/2).
      ["GET", "/foundation-models", 200, "1.1"],
      ["GET", "/inference-profiles", 200, "1.1"],
    ]);
    expect(server.requests.at(-1)!.headers["authorization"]).toMatch(/Credential=AKIDMOCK\/\d{8}\/eu-west-1\/bedrock\//);
  });

  it("works with a Bedrock API key (bearer)", async () => {
    const { models } = await listBedrockModels({ region: "us-east-1", endpoint: server.url, bearerToken: "list-key" });
    expect(models[0]!.id).toBe("global.anthropic.claude-sonnet-4-20250514-v1:0");
    expect(server.requests.at(-1)!.headers["authorization"]).toBe("Bearer list-key");
  });
});

describe("bench models (CLI)", () => {
  it("prints one JSON line per model; a second call within the hour comes from the cache", async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), "bench-models-xdg-"));
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AWS_")) env[k] = v;
    Object.assign(env, {
      AWS_ACCESS_KEY_ID: "AKIDCLI",
      AWS_SECRET_ACCESS_KEY: "x",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_REGION: "us-west-2",
      XDG_CACHE_HOME: cache,
    });
    const bench = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [path.join(repoRoot, "bin/bench.js"), ...args], { cwd: repoRoot, env });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", (code) => resolve({ code, stdout, stderr }));
      });
    const before = server.requests.length;
    const first = await bench(["models", "--provider", "bedrock", "--bedrock-endpoint", server.url, "--json"]);
    expect(first.code).toBe(0);
    const lines = first.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { region: string; id: string });
    expect(lines.map((l) => l.region)).toEqual(lines.map(() => "us-west-2"));
    expect(lines.map((l) => l.id).slice(0, 4)).toEqual([
      "global.anthropic.claude-sonnet-4-20250514-v1:0",
      "us.amazon.nova-pro-v1:0",
      "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
      "us.anthropic.claude-sonnet-4-20250514-v1:0",
    ]);
    expect(first.stderr).toMatch(/us-west-2: 7 model\(s\) and inference profiles \(fresh\)/);
    expect(server.requests.length - before).toBe(2);

    const second = await bench(["models", "--bedrock-endpoint", server.url]);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/us-west-2: 7 model\(s\) and inference profiles \(cached 0 min ago; --refresh to ask again\)/);
    expect(second.stdout.split("\n")[0]).toMatch(/^MODEL ID\s+INVOKE\s+PROVIDER\s+NAME$/);
    expect(server.requests.length - before).toBe(2);

    const none = await bench(["models", "--bedrock-endpoint", server.url, "--region", "eu-west-1"].concat([]));
    expect(none.code).toBe(0);
    env["AWS_ACCESS_KEY_ID"] = "";
    env["HOME"] = cache;
    env["AWS_CONFIG_FILE"] = "/nonexistent";
    env["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent";
    const noCreds = await bench(["models", "--bedrock-endpoint", server.url, "--refresh"]);
    expect(noCreds.code).toBe(1);
    expect(noCreds.stderr).toMatch(/bench models: no AWS credentials for Bedrock .*AWS_BEARER_TOKEN_BEDROCK/);
  }, 120_000);
});
