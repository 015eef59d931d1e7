// The Bedrock Runtime SDK clients: one per region and settings (the default HTTP/2 handler with pooled sessions,
// every connection counted where it is made), cached and evicted on stale-connection errors.

import { BedrockRuntimeClient, type BedrockRuntimeClientConfig } from "@aws-sdk/client-bedrock-runtime";
import { createHash } from "node:crypto";
import net from "node:net";
import tls from "node:tls";
import type { Duplex } from "node:stream";

export type Credentials = BedrockRuntimeClientConfig["credentials"];

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
