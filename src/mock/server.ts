// The mock LLM server: its options and its handle. It puts together the listener (listener.ts: HTTP/1.1, h2c, TLS,
// connections), the request handler (handler.ts: routing, quota, faults, latency, answers) and the wire adapters.

import net from "node:net";
import type { Task } from "../datasets/types.js";
import { UsageError } from "../errors.js";
import { seededRandom } from "../util/random.js";
import { bedrockAdapter } from "./bedrock.js";
import { FaultPlan, type Fault, type FaultPlanOptions } from "./faults.js";
import { RequestHandler, type MockRequestRecord, type MockStats } from "./handler.js";
import { latencySampler, type LatencySpec } from "./latency.js";
import { listen } from "./listener.js";
import { openAiChatAdapter } from "./openai-chat.js";
import { openAiResponsesAdapter } from "./openai-responses.js";
import { DEFAULT_POLICY, POLICY_NAMES, resolvePolicyName } from "./policy-names.js";
import { MockQuota, type MockQuotaOptions } from "./quota.js";

export type { MockRequestRecord, MockStats } from "./handler.js";

const DEFAULT_MAX_BODY = 32 * 1024 * 1024;

export interface MockServerOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to listen on. @default "127.0.0.1" */
  host?: string;
  /** Tasks the policies can solve; a call's task is the one whose problem statement its first user message holds. @default [] */
  tasks?: readonly Task[];
  /** Policy for a model name that names none (e.g. "gpt-4o"): oracle, lazy, chatty, wrong or hostile. @default "oracle" */
  defaultPolicy?: string;
  /** Fixed delay before answering each model call, in ms (faults included). @default 0 */
  latencyMs?: number;
  /** Latency drawn per model call (fixed, uniform or log-normal), added to latencyMs. @default none */
  latency?: LatencySpec;
  /** Seed of the latency draws. @default 1 */
  seed?: number;
  /** Requests/tokens per minute; over it a call gets a 429 at once (before faults and latency). @default no quota */
  quota?: MockQuotaOptions;
  /** Delay between stream frames, in ms. @default 0 */
  chunkDelayMs?: number;
  /** Faults for model calls: a FIFO of one-shot faults, or a plan with rates. @default none */
  faults?: Fault[] | FaultPlanOptions;
  /** When set, OpenAI routes require `Authorization: Bearer <apiKey>` (401 otherwise). @default any key accepted */
  apiKey?: string;
  /** Prompt tokens above which a model call fails with 400 context_length_exceeded. @default no limit */
  contextWindowTokens?: number;
  /** Request parameters OpenAI routes answer with 400 "Unrecognized request argument supplied" (a strict compatible server). @default none */
  rejectParams?: readonly string[];
  /** How many recent requests `requests` keeps. @default 1000 */
  requestLogLimit?: number;
  /** Largest request body accepted, in bytes (413 above). @default 32 MiB */
  maxBodyBytes?: number;
  /** Clock for `created` fields. @default Date.now */
  now?: () => number;
  /** Serve HTTPS instead (ALPN h2 and http/1.1 on one port) with this PEM certificate and key. @default plain HTTP + h2c */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Destroy a connection whose socket carried no bytes for this long, in ms, without GOAWAY or FIN first (an idle-timeout NAT or load balancer). @default never */
  idleResetMs?: number;
}

export interface MockServer {
  /** Base URL, e.g. http://127.0.0.1:PORT (https with `tls`; OpenAI clients use url + "/v1"). */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** The live fault plan: push() one-shot faults or setRates() at any time. */
  readonly faults: FaultPlan;
  /** Recent requests, oldest first (at most requestLogLimit). */
  readonly requests: readonly MockRequestRecord[];
  /** A snapshot of the counters. */
  readonly stats: MockStats;
  /** Resolves once no client connection is open (at once if none is): e.g. after idleResetMs dropped them. */
  whenNoConnections(): Promise<void>;
  /** Stops listening and destroys open connections (hung ones included). Idempotent. */
  close(): Promise<void>;
}

function validateOptions(options: MockServerOptions): void {
  const nonNegative = (name: string, value: number | undefined): void => {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      throw new UsageError(`mock server: expected ${name} to be a number >= 0, got ${JSON.stringify(value)}`);
    }
  };
  nonNegative("port", options.port);
  nonNegative("latencyMs", options.latencyMs);
  nonNegative("chunkDelayMs", options.chunkDelayMs);
  nonNegative("contextWindowTokens", options.contextWindowTokens);
  nonNegative("requestLogLimit", options.requestLogLimit);
  if (options.defaultPolicy !== undefined && resolvePolicyName(options.defaultPolicy) === undefined) {
    throw new UsageError(
      `mock server: expected defaultPolicy one of ${POLICY_NAMES.join(", ")}, got ${JSON.stringify(options.defaultPolicy)}`,
    );
  }
}

/** Starts the mock server; resolves once it listens. */
export async function startMockServer(options: MockServerOptions = {}): Promise<MockServer> {
  validateOptions(options);
  const host = options.host ?? "127.0.0.1";
  const keyAndParams = {
    ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
    ...(options.rejectParams ? { rejectParams: options.rejectParams } : {}),
  };
  const plan = new FaultPlan(Array.isArray(options.faults) ? { queue: options.faults } : options.faults);
  const handler = new RequestHandler({
    // The first adapter also answers unknown paths: OpenAI's shape, the most common client.
    adapters: [openAiChatAdapter({ models: POLICY_NAMES, ...keyAndParams }), openAiResponsesAdapter(keyAndParams), bedrockAdapter()],
    tasks: options.tasks ?? [],
    defaultPolicy: resolvePolicyName(options.defaultPolicy ?? DEFAULT_POLICY) ?? DEFAULT_POLICY,
    contextWindowTokens: options.contextWindowTokens,
    latencyMs: options.latencyMs ?? 0,
    drawLatency: options.latency ? latencySampler(options.latency, seededRandom(options.seed ?? 1)) : undefined,
    chunkDelayMs: options.chunkDelayMs ?? 0,
    maxBody: options.maxBodyBytes ?? DEFAULT_MAX_BODY,
    logLimit: options.requestLogLimit ?? 1000,
    now: options.now ?? Date.now,
    plan,
    quota: options.quota ? new MockQuota(options.quota) : undefined,
  });
  const listener = await listen({
    host,
    port: options.port ?? 0,
    tls: options.tls,
    idleResetMs: options.idleResetMs,
    handle: (ex) => handler.handle(ex),
    onConnection: () => void handler.stats.connections++,
  });
  const urlHost = net.isIPv6(host) ? `[${host}]` : host;
  return {
    url: `${options.tls ? "https" : "http"}://${urlHost}:${listener.port}`,
    port: listener.port,
    host,
    faults: plan,
    requests: handler.requests,
    get stats(): MockStats {
      return structuredClone(handler.stats);
    },
    whenNoConnections: () => listener.whenNoConnections(),
    close: () => listener.close(),
  };
}
