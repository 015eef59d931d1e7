// The retry layer and the endpoint limiter against the mock over real HTTP (openai SDK): two regions of one model are
// throttled independently, quota hints are honoured, a stream cut mid-way retries the whole call.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockServer, type MockServer } from "../../src/mock/index.js";
import { OpenAIChatClient } from "../../src/models/openai-chat.js";
import type { ModelClient, ModelRequest } from "../../src/models/types.js";
import { endpointKey } from "../../src/runner/endpoint.js";
import { LimiterRegistry } from "../../src/runner/limiter.js";
import { generateWithRetry, type RetryPolicy } from "../../src/runner/retry.js";

const REQUEST: ModelRequest = {
  system: "You are terse.",
  messages: [{ role: "user", content: [{ type: "text", text: "Say hi." }] }],
  tools: [],
};
const FAST: RetryPolicy = { maxRetries: 30, baseMs: 20, capMs: 200, maxHintMs: 1000, timeoutMs: 60_000 };

let throttled: MockServer;
let clean: MockServer;
beforeAll(async () => {
  // "us-east-1" enforces 240 requests/min with no burst beyond one call; "us-west-2" has room to spare.
  throttled = await startMockServer({ quota: { rpm: 240, windowMs: 250 }, latencyMs: 20 });
  clean = await startMockServer({ latencyMs: 20 });
});
afterAll(async () => {
  await throttled?.close();
  await clean?.close();
});

/** The same model in a region: the mock speaks the OpenAI wire; the region is what the limiter keys on. */
function regional(server: MockServer, region: string): ModelClient {
  const inner = new OpenAIChatClient({
    provider: "mock",
    model: "chatty",
    apiKey: "k",
    baseURL: `${server.url}/v1`,
    stream: true,
    timeoutMs: 30_000,
  });
  return { provider: "mock", model: "chatty", region, generate: (r) => inner.generate(r) };
}

/** `tasks` concurrent tasks of `calls` sequential model calls each; returns what the retry layer saw. */
async function workload(client: ModelClient, registry: LimiterRegistry, keyRegion: string | undefined, tasks = 8, calls = 3) {
  const limiter = registry.get(endpointKey({ provider: client.provider, model: client.model, region: keyRegion, account: "mock" }));
  let retries = 0;
  let limiterWaitMs = 0;
  await Promise.all(
    Array.from({ length: tasks }, async () => {
      for (let i = 0; i < calls; i++) {
        await generateWithRetry(client, REQUEST, FAST, { limiter, onRetry: () => retries++, onLimiterWait: (ms) => (limiterWaitMs += ms) });
      }
    }),
  );
  return { retries, limiterWaitMs, limiter };
}

describe("two regions of one model", () => {
  it("one region's 429s do not slow the other: separate keys, separate limits", async () => {
    const registry = new LimiterRegistry({ max: 8 });
    const before = clean.stats.requests;
    const [east, west] = await Promise.all([
      workload(regional(throttled, "us-east-1"), registry, "us-east-1"),
      workload(regional(clean, "us-west-2"), registry, "us-west-2"),
    ]);
    // The throttled region was cut and retried...
    expect(east.retries).toBeGreaterThan(0);
    expect(east.limiter.throttleEvents).toBeGreaterThan(0);
    expect(east.limiter.snapshot().changes.length).toBeGreaterThan(0);
    // ...while the other region never waited, never retried and kept its full limit.
    expect(west).toMatchObject({ retries: 0, limiterWaitMs: 0 });
    expect(west.limiter.snapshot()).toMatchObject({ limit: 8, throttle_events: 0, changes: [] });
    expect(clean.stats.requests - before).toBe(24);
    expect(clean.stats.byStatus["429"]).toBeUndefined();
    expect(Object.keys(registry.snapshot()).sort()).toEqual(["mock|mock|us-east-1|chatty", "mock|mock|us-west-2|chatty"]);
  });

  it("control: keyed by model alone (as Inspect keys Bedrock), the clean region waits behind the throttled one", async () => {
    const registry = new LimiterRegistry({ max: 8 });
    const [east, west] = await Promise.all([
      workload(regional(throttled, "us-east-1"), registry, undefined),
      workload(regional(clean, "us-west-2"), registry, undefined),
    ]);
    expect(east.limiter).toBe(west.limiter);
    expect(east.limiter.limit).toBeLessThan(8);
    expect(west.limiterWaitMs).toBeGreaterThan(0);
  });
});

describe("the retry layer against the mock", () => {
  it("honours the quota's retry-after-ms hint: no attempt comes back before the bucket has room", async () => {
    const server = await startMockServer({ quota: { rpm: 60, windowMs: 1000 } });
    try {
      const client = regional(server, "us-east-1");
      await generateWithRetry(client, REQUEST, FAST);
      const waits: number[] = [];
      const t0 = performance.now();
      await generateWithRetry(client, REQUEST, { ...FAST, maxHintMs: 5000 }, { onRetry: (_e, _a, ms) => waits.push(ms) });
      // One token per second: the hint says about 1000 ms, the jitter (under 20 ms) is smaller.
      expect(waits).toHaveLength(1);
      expect(waits[0]).toBeGreaterThan(900);
      expect(waits[0]).toBeLessThanOrEqual(1000);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(900);
      expect(server.requests.map((r) => r.status)).toEqual([200, 429, 200]);
      expect(server.requests[1]).toMatchObject({ throttled: true });
    } finally {
      await server.close();
    }
  });

  it("a stream cut mid-way (and a connection reset) retry the whole call, which then succeeds", async () => {
    const server = await startMockServer({ faults: [{ kind: "cut" }, { kind: "reset" }] });
    try {
      const errors: string[] = [];
      const response = await generateWithRetry(regional(server, "us-east-1"), REQUEST, FAST, { onRetry: (e) => errors.push(e.errorClass) });
      expect(errors).toEqual(["transient", "transient"]);
      expect(response.message.text.length).toBeGreaterThan(0);
      expect(server.requests).toHaveLength(3);
    } finally {
      await server.close();
    }
  });
});
