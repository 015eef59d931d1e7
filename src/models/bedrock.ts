// Amazon Bedrock provider: ConverseStream (default) or Converse through @aws-sdk/client-bedrock-runtime, one cached
// SDK client per region and settings (pooled HTTP/2 connections, evicted on stale-connection errors, counted per
// origin), a deadline on every call, TTFT.

import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  type BedrockRuntimeClientConfig,
  type ConverseStreamOutput,
} from "@aws-sdk/client-bedrock-runtime";
import { createHash } from "node:crypto";
import net from "node:net";
import tls from "node:tls";
import type { Duplex } from "node:stream";
import { toConverseRequest, type ConverseOptions, type GuardrailOptions } from "./bedrock-convert.js";
import { ConverseStreamAccumulator, fromConverseResponse } from "./bedrock-response.js";
import { classifyBedrockError, CREDENTIAL_OPTIONS } from "./bedrock-errors.js";
import { regionMismatchWarning, resolveBedrockRegion } from "./bedrock-model-id.js";
import { ModelError } from "./errors.js";
import type { GenerationParams } from "./generation.js";
import type { ModelClient, ModelRequest, ModelResponse } from "./types.js";

type Credentials = BedrockRuntimeClientConfig["credentials"];

/** What identifies one SDK client: calls with equal settings share it (and its connections). */
export interface RuntimeClientSettings {
  region: string;
  /** @default the SDK's endpoint resolution (AWS_ENDPOINT_URL_BEDROCK_RUNTIME, else the regional endpoint) */
  endpoint?: string;
  /** Bedrock API key: bearer auth instead of SigV4. */
  bearerToken?: string;
  /** Explicit credentials instead of the default chain. */
  credentials?: Credentials;
  /** The HTTP/2 handler's per-stream inactivity timeout, ms. */
  requestTimeoutMs: number;
  /** Extra trusted CA certificates (PEM) for TLS endpoints, e.g. a test server's self-signed one. @default the default CA store */
  ca?: string | Buffer;
  /** Told the origin (`https://host:port`) of every connection the client's handler opens. @default none */
  onConnection?: (origin: string) => void;
}

export interface Lease {
  readonly client: BedrockRuntimeClient;
  /** Ends this call's use of the client (destroys an evicted client once nobody uses it). */
  release(): void;
}

interface Entry {
  key: string;
  client: BedrockRuntimeClient;
  inFlight: number;
  evicted: boolean;
}

const objectIds = new WeakMap<object, number>();
let nextObjectId = 1;
function objectId(o: object): number {
  let id = objectIds.get(o);
  if (id === undefined) {
    id = nextObjectId++;
    objectIds.set(o, id);
  }
  return id;
}

/**
 * On Node < 22 the AWS SDK prints a 9-line NodeVersionSupportWarning at its first client. bench says it in one line
 * instead (returned, for the caller to print once) and turns the SDK's off through the SDK's own switch; a user who set
 * that switch hears nothing. Sets `env`'s switch: pass process.env, the SDK reads it there.
 */
export function awsSdkNodeNotice(version: string, env: NodeJS.ProcessEnv): string | undefined {
  if (env[AWS_SDK_NODE_WARNING_SWITCH] !== undefined) return undefined;
  env[AWS_SDK_NODE_WARNING_SWITCH] = "true";
  const major = Number(/^v(\d+)\./.exec(version)?.[1]);
  if (!(major < 22)) return undefined;
  return `note: Node ${version} is past its end of life; AWS SDK releases after the first week of January 2027 need Node 22 or later (bench is tested on 22, 24 and 26)`;
}

/** The AWS SDK's switch for its Node-version warning (@aws-sdk/core). */
const AWS_SDK_NODE_WARNING_SWITCH = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";

/**
 * Opens the socket of one HTTP/2 session the way http2.connect does by itself (TLS with ALPN h2 for https), so that
 * every connection is counted where it is made: the handler has no other hook for it.
 */
function connectionOpener(settings: Pick<RuntimeClientSettings, "ca" | "onConnection">): (authority: URL) => Duplex {
  return (authority) => {
    const secure = authority.protocol === "https:";
    const host = authority.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = Number(authority.port || (secure ? 443 : 80));
    settings.onConnection?.(`${authority.protocol}//${authority.host}`);
    if (!secure) return net.connect({ host, port });
    return tls.connect({
      host,
      port,
      // SNI takes host names only (RFC 6066).
      ...(net.isIP(host) ? {} : { servername: host }),
      ALPNProtocols: ["h2"],
      ...(settings.ca ? { ca: [...tls.rootCertificates, settings.ca.toString()] } : {}),
    });
  };
}

/** The SDK client for a region and settings: the default HTTP/2 handler with pooled sessions, SDK retries off. */
export function createRuntimeClient(settings: RuntimeClientSettings): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: settings.region,
    // The harness's retry layer (src/runner/retry.ts) is the only one.
    maxAttempts: 1,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.bearerToken ? { token: { token: settings.bearerToken }, authSchemePreference: ["httpBearerAuth"] } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    // A plain object configures the default HTTP/2 handler; without requestTimeout it arms no timeout at all, and a
    // stalled stream would hang forever. It is an inactivity timeout: the call's AbortSignal bounds the whole call.
    // Concurrent streams stay on: with disableConcurrentStreams every call opened (and closed) a session of its own,
    // so every latency and TTFT carried a TCP + TLS handshake. Pooled sessions leave the pool when they close, error
    // or get a GOAWAY; a call that still meets a dead one fails as a stale connection and evicts the whole client.
    requestHandler: {
      requestTimeout: settings.requestTimeoutMs,
      disableConcurrentStreams: false,
      nodeHttp2ConnectOptions: { createConnection: connectionOpener(settings) },
    },
  });
}

/**
 * SDK clients by settings. A stale-connection error evicts its client so the retry builds a fresh one with fresh
 * connections; calls still running on the evicted client finish first, then it is destroyed.
 */
export class BedrockClientCache {
  #entries = new Map<string, Entry>();
  #create: (settings: RuntimeClientSettings) => BedrockRuntimeClient;
  /** SDK clients created so far. */
  created = 0;
  /** Evictions so far. */
  evictions = 0;
  #connections = new Map<string, number>();

  constructor(create: (settings: RuntimeClientSettings) => BedrockRuntimeClient = createRuntimeClient) {
    this.#create = create;
  }

  /** Connections the cache's clients opened so far, by origin (`https://bedrock-runtime.us-east-1.amazonaws.com:443`…). */
  connections(): Record<string, number> {
    return Object.fromEntries(this.#connections);
  }

  static key(settings: RuntimeClientSettings): string {
    // The token is hashed: the key may show up in a debugger, never the secret.
    const auth = settings.bearerToken
      ? `bearer:${createHash("sha256").update(settings.bearerToken).digest("hex").slice(0, 16)}`
      : settings.credentials
        ? `explicit:${typeof settings.credentials === "object" || typeof settings.credentials === "function" ? objectId(settings.credentials) : 0}`
        : "chain";
    const ca = settings.ca ? createHash("sha256").update(settings.ca).digest("hex").slice(0, 16) : "";
    return JSON.stringify([settings.region, settings.endpoint ?? "", auth, settings.requestTimeoutMs, ca]);
  }

  acquire(settings: RuntimeClientSettings): Lease {
    const key = BedrockClientCache.key(settings);
    let entry = this.#entries.get(key);
    if (!entry) {
      const counted: RuntimeClientSettings = {
        ...settings,
        onConnection: (origin) => {
          this.#connections.set(origin, (this.#connections.get(origin) ?? 0) + 1);
          settings.onConnection?.(origin);
        },
      };
      entry = { key, client: this.#create(counted), inFlight: 0, evicted: false };
      this.created++;
      this.#entries.set(key, entry);
    }
    const held = entry;
    held.inFlight++;
    let released = false;
    return {
      client: held.client,
      release: () => {
        if (released) return;
        released = true;
        held.inFlight--;
        if (held.evicted && held.inFlight === 0) held.client.destroy();
      },
    };
  }

  /** Drops the lease's client from the cache (once); it is destroyed when its last call releases it. */
  evict(lease: Lease): boolean {
    for (const entry of this.#entries.values()) {
      if (entry.client !== lease.client) continue;
      this.#entries.delete(entry.key);
      entry.evicted = true;
      this.evictions++;
      if (entry.inFlight === 0) entry.client.destroy();
      return true;
    }
    return false;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Destroys every cached client (tests, shutdown). */
  clear(): void {
    for (const entry of this.#entries.values()) {
      entry.evicted = true;
      if (entry.inFlight === 0) entry.client.destroy();
    }
    this.#entries.clear();
  }
}

/** The process-wide cache: every BedrockClient of a run shares one SDK client per region. */
export const defaultBedrockClientCache = new BedrockClientCache();

const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.stderr.write(`warning: ${message}\n`);
}

export interface BedrockClientOptions extends GenerationParams {
  /** Model id as users write it: foundation id, inference profile (us., eu., apac., global., us-gov., jp., au.) or ARN. */
  model: string;
  /** @default AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1 */
  region?: string;
  /** Endpoint override (e.g. the mock server's URL). @default the SDK's (AWS_ENDPOINT_URL_BEDROCK_RUNTIME, else regional) */
  endpoint?: string;
  /** Bedrock API key (bearer auth). @default none: the SDK reads AWS_BEARER_TOKEN_BEDROCK itself, else the credential chain */
  bearerToken?: string;
  /** Explicit credentials. @default the default credential chain */
  credentials?: Credentials;
  /** Extra trusted CA certificates (PEM), e.g. a test server's self-signed one. @default the default CA store (and NODE_EXTRA_CA_CERTS) */
  ca?: string | Buffer;
  /** ConverseStream (true) or Converse (false). @default true */
  stream?: boolean;
  /** Deadline for the whole call, stream body included, ms. @default 300_000 */
  timeoutMs?: number;
  /** @default none */
  stopSequences?: string[];
  additionalModelRequestFields?: Record<string, unknown>;
  /** Cache points after the system prompt and the tools where the model supports them. @default false */
  promptCaching?: ConverseOptions["promptCaching"];
  guardrail?: GuardrailOptions;
  /** @default "auto" (Claude only) */
  toolResultStatus?: "auto" | boolean;
  /** @default defaultBedrockClientCache */
  cache?: BedrockClientCache;
  /** Where warnings go (each distinct one once per client). @default stderr, once per process */
  log?: (line: string) => void;
  /** Environment for the region default. @default process.env */
  env?: NodeJS.ProcessEnv;
}

export class BedrockClient implements ModelClient {
  readonly provider = "bedrock";
  readonly model: string;
  readonly region: string;
  #options: BedrockClientOptions;
  #settings: RuntimeClientSettings;
  #cache: BedrockClientCache;
  #warn: (message: string) => void;
  #timeoutMs: number;

  constructor(options: BedrockClientOptions) {
    this.#options = options;
    this.model = options.model;
    this.region = resolveBedrockRegion(options.region, options.env ?? process.env);
    this.#timeoutMs = options.timeoutMs ?? 300_000;
    this.#settings = {
      region: this.region,
      requestTimeoutMs: this.#timeoutMs,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.bearerToken ? { bearerToken: options.bearerToken } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.ca ? { ca: options.ca } : {}),
    };
    this.#cache = options.cache ?? defaultBedrockClientCache;
    if (options.log) {
      const seen = new Set<string>();
      const log = options.log;
      this.#warn = (line) => {
        if (seen.has(line)) return;
        seen.add(line);
        log(`warning: ${line}`);
      };
    } else {
      this.#warn = warnOnce;
    }
    if (options.seed !== undefined) this.#warn(`bedrock/${this.model}: Converse has no seed parameter; --seed ignored`);
    const mismatch = regionMismatchWarning(this.model, this.region);
    if (mismatch) this.#warn(mismatch);
  }

  get #where(): string {
    return `bedrock/${this.model}@${this.region}`;
  }

  async generate(request: ModelRequest): Promise<ModelResponse> {
    const o = this.#options;
    const stream = o.stream ?? true;
    const { input, warnings } = toConverseRequest(request, {
      modelId: this.model,
      stream,
      ...(o.maxOutputTokens !== undefined ? { maxTokens: o.maxOutputTokens } : {}),
      ...(o.reasoningEffort !== undefined ? { reasoningEffort: o.reasoningEffort } : {}),
      ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
      ...(o.topP !== undefined ? { topP: o.topP } : {}),
      ...(o.stopSequences ? { stopSequences: o.stopSequences } : {}),
      ...(o.additionalModelRequestFields ? { additionalModelRequestFields: o.additionalModelRequestFields } : {}),
      ...(o.promptCaching !== undefined ? { promptCaching: o.promptCaching } : {}),
      ...(o.guardrail ? { guardrail: o.guardrail } : {}),
      ...(o.toolResultStatus !== undefined ? { toolResultStatus: o.toolResultStatus } : {}),
    });
    for (const w of warnings) this.#warn(w);

    const deadline = AbortSignal.timeout(this.#timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline;
    const lease = this.#cache.acquire(this.#settings);
    // isEventStream false: the HTTP/2 handler gives every event-stream operation (ConverseStream) a session of its own,
    // which bidirectional streams need; ConverseStream only streams its response, so it shares the pooled sessions.
    const sendOptions: { abortSignal: AbortSignal; isEventStream: boolean } = { abortSignal: signal, isEventStream: false };
    const started = performance.now();
    try {
      if (!stream) {
        const out = await lease.client.send(new ConverseCommand(input), sendOptions);
        const done = fromConverseResponse(out, this.#where);
        return {
          message: done.message,
          stopReason: done.stopReason,
          usage: done.usage,
          latencyMs: performance.now() - started,
          ...(out.$metadata.requestId ? { requestId: out.$metadata.requestId } : {}),
        };
      }
      const out = await lease.client.send(new ConverseStreamCommand(input), sendOptions);
      if (!out.stream) throw new ModelError("transient", `${this.#where}: ConverseStream answered without an event stream`);
      const acc = new ConverseStreamAccumulator();
      let ttftMs: number | undefined;
      for await (const event of untilAborted(out.stream, signal)) {
        if (ttftMs === undefined && ConverseStreamAccumulator.isContent(event)) ttftMs = performance.now() - started;
        acc.add(event);
      }
      const done = acc.finish(this.#where);
      return {
        message: done.message,
        stopReason: done.stopReason,
        usage: done.usage,
        latencyMs: performance.now() - started,
        ...(ttftMs !== undefined ? { ttftMs } : {}),
        ...(out.$metadata.requestId ? { requestId: out.$metadata.requestId } : {}),
      };
    } catch (err) {
      const error =
        deadline.aborted && !(err instanceof ModelError)
          ? new ModelError("transient", `${this.#where}: call deadline of ${this.#timeoutMs} ms exceeded`, { cause: err, staleConnection: true })
          : classifyBedrockError(err, { model: this.model, region: this.region });
      // The next attempt must not reuse a connection that just failed under us.
      if (error.staleConnection) this.#cache.evict(lease);
      throw error;
    } finally {
      lease.release();
    }
  }
}

/** Iterates an event stream, rejecting as soon as the signal aborts (the SDK may otherwise wait on a stalled body). */
async function* untilAborted(source: AsyncIterable<ConverseStreamOutput>, signal: AbortSignal): AsyncGenerator<ConverseStreamOutput> {
  const iterator = source[Symbol.asyncIterator]();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  let finished = false;
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
    if (!finished) void Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}

/**
 * Resolves credentials the way calls will (bearer token, else the default chain), so a run without any stops
 * before its first sandbox. Throws ModelError("auth") naming every option.
 */
export async function checkBedrockCredentials(options: { region: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<"bearer" | "credentials"> {
  if (options.env["AWS_BEARER_TOKEN_BEDROCK"]?.trim()) return "bearer";
  const probe = new BedrockRuntimeClient({ region: options.region, maxAttempts: 1 });
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`credential lookup gave no answer within ${options.timeoutMs ?? 20_000} ms`)), options.timeoutMs ?? 20_000);
    });
    const credentials = await Promise.race([probe.config.credentials(), timeout]);
    if (!credentials.accessKeyId) throw new Error("the credential chain returned no access key");
    return "credentials";
  } catch (err) {
    const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new ModelError("auth", `no AWS credentials for Bedrock (${reason}): ${CREDENTIAL_OPTIONS}`, { cause: err });
  } finally {
    clearTimeout(timer);
    probe.destroy();
  }
}
