// The mock LLM HTTP server: one TCP port serving HTTP/1.1 and cleartext HTTP/2 (sniffed from the preface),
// routing to wire adapters, applying latency and faults, and recording requests and stats for tests.

import { randomBytes } from "node:crypto";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";
import type { AddressInfo } from "node:net";
import type { Task } from "../datasets/types.js";
import { UsageError } from "../errors.js";
import { respond } from "./engine.js";
import { seededRandom } from "../util/random.js";
import { FaultPlan, httpFaultError, streamFaultError, type Fault, type FaultKind, type FaultPlanOptions } from "./faults.js";
import { latencySampler, type LatencySpec } from "./latency.js";
import { MockQuota, type MockQuotaOptions } from "./quota.js";
import { bedrockAdapter } from "./bedrock.js";
import { openAiChatAdapter } from "./openai-chat.js";
import { openAiResponsesAdapter } from "./openai-responses.js";
import { DEFAULT_POLICY, POLICY_NAMES, resolvePolicyName, type PolicyName } from "./policy-names.js";
import { MockHttpError, type CallContext, type HttpAnswer, type IncomingCall, type MockErrorSpec, type WireAdapter } from "./wire.js";

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

export interface MockRequestRecord {
  /** 1-based arrival order. */
  seq: number;
  /** Arrival time, ms since the epoch. */
  at: number;
  method: string;
  path: string;
  httpVersion: "1.1" | "2.0";
  /** Route name (e.g. "openai.chat.completions"); undefined for an unknown path. */
  route: string | undefined;
  /** Request headers, lower-case names (authorization, x-stainless-retry-count, user-agent, …). */
  headers: Record<string, string>;
  /** The parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
  /** Model name the client sent. */
  model?: string;
  policy?: PolicyName;
  /** instance_id of the task the call was matched to. */
  taskId?: string;
  fault?: FaultKind;
  /** Set when the quota answered the call with a 429. */
  throttled?: boolean;
  /** Status sent; undefined when none was (reset, hang, client gone). */
  status?: number;
}

export interface MockStats {
  /** Every request, model call or not. */
  requests: number;
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  byPolicy: Record<string, number>;
  /** Faults injected, by kind. */
  faults: Record<string, number>;
  /** Requests that arrived over HTTP/2. */
  http2Requests: number;
  connections: number;
  /** Usage reported in successful replies. */
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
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

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const DEFAULT_MAX_BODY = 32 * 1024 * 1024;
/**
 * Pause between the last frame and a mid-body reset: a TCP RST discards data the peer has not read yet,
 * so without it the client would see the reset but none of the frames sent before it.
 */
const RESET_GRACE_MS = 25;

type RequestLike = http.IncomingMessage | http2.Http2ServerRequest;
/** What both http.ServerResponse and http2.Http2ServerResponse offer. */
interface ResponseLike {
  writeHead(status: number, headers: Record<string, string>): unknown;
  write(chunk: string | Buffer): boolean;
  end(): unknown;
  end(chunk: string | Buffer): unknown;
  once(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
  readonly headersSent: boolean;
}

/** One request/response, HTTP/1.1 or HTTP/2, behind one small interface. */
class Exchange {
  readonly signal: AbortSignal;
  readonly #req: RequestLike;
  readonly #res: ResponseLike;
  readonly #reset: () => void;
  readonly #flush: () => void;

  readonly #controller = new AbortController();

  constructor(req: http.IncomingMessage, res: http.ServerResponse);
  constructor(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse);
  constructor(req: RequestLike, res: http.ServerResponse | http2.Http2ServerResponse) {
    this.#req = req;
    this.#res = res;
    this.signal = this.#controller.signal;
    res.once("close", () => this.abort());
    if (res instanceof http2.Http2ServerResponse) {
      // RST_STREAM: what an HTTP/2 server or proxy does when it drops a request.
      this.#reset = () => res.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      this.#flush = () => undefined;
    } else {
      // A TCP RST (ECONNRESET on the client), not a polite FIN.
      this.#reset = () => res.socket?.resetAndDestroy();
      this.#flush = () => res.flushHeaders();
    }
  }

  get httpVersion(): "1.1" | "2.0" {
    return this.#req.httpVersionMajor === 2 ? "2.0" : "1.1";
  }

  get method(): string {
    return this.#req.method ?? "GET";
  }

  get url(): string {
    return this.#req.url ?? "/";
  }

  headers(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.#req.headers)) {
      if (name.startsWith(":") || value === undefined) continue;
      out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
    }
    return out;
  }

  async readBody(limit: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.#req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw new MockHttpError({ status: 413, message: `Request body too large: more than ${limit} bytes.` });
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  send(answer: HttpAnswer): void {
    if (this.signal.aborted) return;
    const body = typeof answer.body === "string" ? Buffer.from(answer.body) : answer.body;
    this.#res.writeHead(answer.status, { ...answer.headers, "content-length": String(body.length) });
    this.#res.end(body);
  }

  head(status: number, headers: Record<string, string>): void {
    if (this.signal.aborted) return;
    this.#res.writeHead(status, headers);
    // Streams must show their headers at once: time to first byte is what the client measures.
    this.#flush();
  }

  /** Writes one frame; false when the client is gone. Waits for drain so a slow reader sees real backpressure. */
  async write(chunk: string | Buffer): Promise<boolean> {
    if (this.signal.aborted) return false;
    if (this.#res.write(chunk)) return true;
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        this.#res.off("drain", onDrain);
        this.signal.removeEventListener("abort", onAbort);
        resolve(ok);
      };
      const onDrain = (): void => done(true);
      const onAbort = (): void => done(false);
      this.#res.once("drain", onDrain);
      this.signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  end(): void {
    if (!this.signal.aborted) this.#res.end();
  }

  reset(): void {
    this.#reset();
  }

  /** Stops pending waits and writes: the client went away or the server is closing. */
  abort(): void {
    this.#controller.abort();
  }

  onDone(listener: () => void): void {
    this.#res.once("close", listener);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!signal.aborted);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

const bump = (counter: Record<string, number>, key: string): void => {
  counter[key] = (counter[key] ?? 0) + 1;
};

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
    throw new UsageError(`mock server: expected defaultPolicy one of ${POLICY_NAMES.join(", ")}, got ${JSON.stringify(options.defaultPolicy)}`);
  }
}

/** Starts the mock server; resolves once it listens. */
export async function startMockServer(options: MockServerOptions = {}): Promise<MockServer> {
  validateOptions(options);
  const host = options.host ?? "127.0.0.1";
  const tasks = options.tasks ?? [];
  const defaultPolicy = resolvePolicyName(options.defaultPolicy ?? DEFAULT_POLICY) ?? DEFAULT_POLICY;
  const latencyMs = options.latencyMs ?? 0;
  const chunkDelayMs = options.chunkDelayMs ?? 0;
  const logLimit = options.requestLogLimit ?? 1000;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const now = options.now ?? Date.now;
  const plan = new FaultPlan(Array.isArray(options.faults) ? { queue: options.faults } : options.faults);
  const quota = options.quota ? new MockQuota(options.quota) : undefined;
  const drawLatency = options.latency ? latencySampler(options.latency, seededRandom(options.seed ?? 1)) : undefined;

  const adapters: WireAdapter[] = [
    openAiChatAdapter({
      models: POLICY_NAMES,
      ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
      ...(options.rejectParams ? { rejectParams: options.rejectParams } : {}),
    }),
    openAiResponsesAdapter({
      ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
      ...(options.rejectParams ? { rejectParams: options.rejectParams } : {}),
    }),
    bedrockAdapter(),
  ];
  // Unknown paths get an error in the OpenAI shape, the most common client.
  const fallback = adapters[0] as WireAdapter;

  const requests: MockRequestRecord[] = [];
  const stats: MockStats = {
    requests: 0,
    byRoute: {},
    byStatus: {},
    byPolicy: {},
    faults: {},
    http2Requests: 0,
    connections: 0,
    promptTokens: 0,
    completionTokens: 0,
    cachedTokens: 0,
  };
  let closing = false;
  let seq = 0;

  async function handle(ex: Exchange): Promise<void> {
    const [path = "/"] = ex.url.split("?");
    const record: MockRequestRecord = {
      seq: ++seq,
      at: now(),
      method: ex.method,
      path,
      httpVersion: ex.httpVersion,
      route: undefined,
      headers: ex.headers(),
      body: undefined,
    };
    requests.push(record);
    if (requests.length > logLimit) requests.splice(0, requests.length - logLimit);
    stats.requests++;
    if (record.httpVersion === "2.0") stats.http2Requests++;
    const ctx: CallContext = { requestId: `req_${randomBytes(16).toString("hex")}`, now: now() };

    let adapter = fallback;
    const sendError = (error: MockErrorSpec): void => {
      record.status = error.status;
      bump(stats.byStatus, String(error.status));
      ex.send(adapter.error(error, ctx));
    };
    const send = (answer: HttpAnswer): void => {
      record.status = answer.status;
      bump(stats.byStatus, String(answer.status));
      ex.send(answer);
    };

    try {
      let route;
      for (const a of adapters) {
        route = a.route(record.method, path);
        if (route) {
          adapter = a;
          break;
        }
      }
      const body = await ex.readBody(maxBody);
      if (body.length > 0) {
        const text = body.toString("utf8");
        try {
          record.body = JSON.parse(text);
        } catch {
          record.body = text;
        }
      }
      if (route === undefined) {
        bump(stats.byRoute, "unknown");
        sendError({ status: 404, message: `Invalid URL (${record.method} ${path})`, type: "invalid_request_error", code: null, param: null, headers: {} });
        return;
      }
      record.route = route.name;
      bump(stats.byRoute, route.name);
      const call: IncomingCall = { method: record.method, path, headers: record.headers, body };
      if (route.kind === "static") {
        send(route.answer(call, ctx));
        return;
      }

      // The quota answers first and at once, as a real front door does: a throttled call costs the service nothing.
      const throttled = quota?.admit(Math.ceil(body.length / 4));
      if (throttled) {
        record.throttled = true;
        bump(stats.faults, "quota");
        return sendError(throttled);
      }
      // Faults come first, as at a real service's front door: a 429 does not depend on the request being valid.
      const fault = plan.next();
      if (fault) {
        record.fault = fault.kind;
        bump(stats.faults, fault.kind);
      }
      if (!(await sleep(latencyMs + (drawLatency?.() ?? 0), ex.signal))) return;
      if (fault?.kind === "http") return sendError(httpFaultError(fault));
      if (fault?.kind === "reset") return ex.reset();
      if (fault?.kind === "hang" && fault.afterChunks === undefined) return;

      const parsed = route.parse(call, ctx);
      record.model = parsed.conversation.model;
      const { reply, policy, task } = respond(parsed.conversation, {
        tasks,
        defaultPolicy,
        contextWindowTokens: options.contextWindowTokens,
      });
      record.policy = policy;
      quota?.charge(reply.usage.completionTokens);
      bump(stats.byPolicy, policy);
      if (task) record.taskId = task.instance_id;

      if (!parsed.conversation.stream) {
        const answer = parsed.render.body(reply);
        if (fault === undefined) {
          stats.promptTokens += reply.usage.promptTokens;
          stats.completionTokens += reply.usage.completionTokens;
          stats.cachedTokens += reply.usage.cachedTokens;
          return send(answer);
        }
        // A non-streamed body can only break by being cut short; an in-stream error becomes a 500.
        if (fault.kind === "stream-error") return sendError(streamFaultError(fault));
        if (fault.kind === "hang") return;
        record.status = answer.status;
        bump(stats.byStatus, String(answer.status));
        const bytes = typeof answer.body === "string" ? Buffer.from(answer.body) : answer.body;
        ex.head(answer.status, answer.headers);
        await ex.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
        if (fault.kind === "cut") return ex.end();
        await sleep(RESET_GRACE_MS, ex.signal);
        return ex.reset();
      }

      const stream = parsed.render.stream(reply);
      record.status = stream.status;
      bump(stats.byStatus, String(stream.status));
      let stopAt = stream.frames.length;
      if (fault) {
        const half = Math.max(1, Math.floor(stream.messageEnd / 2));
        stopAt = Math.min(fault.afterChunks ?? half, stream.messageEnd);
      }
      ex.head(stream.status, stream.headers);
      for (let i = 0; i < stopAt; i++) {
        if (i > 0 && !(await sleep(chunkDelayMs, ex.signal))) return;
        if (!(await ex.write(stream.frames[i] ?? ""))) return;
      }
      switch (fault?.kind) {
        case "cut":
          return ex.end();
        case "cut-reset":
          await sleep(RESET_GRACE_MS, ex.signal);
          return ex.reset();
        case "stream-error":
          await ex.write(parsed.render.streamError(streamFaultError(fault), stopAt));
          return ex.end();
        case "hang":
          return;
        default:
          stats.promptTokens += reply.usage.promptTokens;
          stats.completionTokens += reply.usage.completionTokens;
          stats.cachedTokens += reply.usage.cachedTokens;
          return ex.end();
      }
    } catch (err) {
      if (err instanceof MockHttpError) return sendError(err.spec);
      // A bug in the mock must still answer like a server, and be visible in the message.
      sendError({
        status: 500,
        message: `mock server internal error: ${err instanceof Error ? err.message : String(err)}`,
        type: "server_error",
        code: null,
        param: null,
        headers: {},
      });
    }
  }

  // Open exchanges, so close() can stop their waits (latency, hangs, slow streams) at once.
  const live = new Set<Exchange>();
  const run = (ex: Exchange): void => {
    if (closing) return ex.reset();
    live.add(ex);
    ex.onDone(() => live.delete(ex));
    handle(ex).catch(() => ex.reset());
  };
  // idleResetMs: a connection (an HTTP/1.1 socket or an HTTP/2 session) with no request open is destroyed after it;
  // counted per request, not per byte, so a slow answer is never cut.
  const idle = new WeakMap<object, { open: number; timer?: NodeJS.Timeout }>();
  const armIdle = (conn: object, destroy: () => void): void => {
    if (options.idleResetMs === undefined) return;
    const state = idle.get(conn) ?? { open: 0 };
    idle.set(conn, state);
    clearTimeout(state.timer);
    if (state.open === 0) state.timer = setTimeout(destroy, options.idleResetMs).unref();
  };
  const holdIdle = (conn: object, destroy: () => void, res: { once(event: "close", listener: () => void): unknown }): void => {
    if (options.idleResetMs === undefined) return;
    const state = idle.get(conn) ?? { open: 0 };
    idle.set(conn, state);
    clearTimeout(state.timer);
    state.open++;
    res.once("close", () => {
      state.open--;
      armIdle(conn, destroy);
    });
  };
  const h1 = http.createServer((req, res) => {
    holdIdle(req.socket, () => req.socket.destroy(), res);
    run(new Exchange(req, res));
  });
  h1.on("connection", (socket: net.Socket) => armIdle(socket, () => socket.destroy()));
  // Long benchmark runs reuse connections; keep them as long as a real API front end does.
  h1.keepAliveTimeout = 65_000;
  const h2 = http2.createServer({}, (req, res) => {
    const session = req.stream.session;
    if (session) holdIdle(session, () => session.destroy(), res);
    run(new Exchange(req, res));
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    armIdle(session, () => session.destroy());
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  h2.on("sessionError", () => undefined);

  // TLS mode: the protocol is the one ALPN chose, no preface sniffing needed.
  const secure = options.tls
    ? tls.createServer({ cert: options.tls.cert, key: options.tls.key, ALPNProtocols: ["h2", "http/1.1"] }, (socket) => {
        socket.on("error", () => undefined);
        (socket.alpnProtocol === "h2" ? h2 : h1).emit("connection", socket);
      })
    : undefined;
  secure?.on("tlsClientError", () => undefined);

  const sockets = new Set<net.Socket>();
  /** whenNoConnections() callers, answered when the last open socket closes. */
  let noConnectionWaiters: (() => void)[] = [];
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    stats.connections++;
    socket.once("close", () => {
      sockets.delete(socket);
      if (sockets.size > 0) return;
      const waiters = noConnectionWaiters;
      noConnectionWaiters = [];
      for (const resolve of waiters) resolve();
    });
    // Resets (ours and clients') surface as socket errors; they are expected here.
    socket.on("error", () => undefined);
    socket.setNoDelay(true);
    if (secure) {
      secure.emit("connection", socket);
      return;
    }
    let seen = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      seen = Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, H2_PREFACE.length);
      const h2Prefix = seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (h2Prefix && seen.length < H2_PREFACE.length) return;
      socket.off("data", onData);
      socket.pause();
      socket.unshift(seen);
      (h2Prefix ? h2 : h1).emit("connection", socket);
      process.nextTick(() => socket.resume());
    };
    socket.on("data", onData);
  });

  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(options.port ?? 0, host, () => {
      tcp.off("error", reject);
      resolve();
    });
  });
  const port = (tcp.address() as AddressInfo).port;
  const urlHost = net.isIPv6(host) ? `[${host}]` : host;

  let closed: Promise<void> | undefined;
  return {
    url: `${options.tls ? "https" : "http"}://${urlHost}:${port}`,
    port,
    host,
    faults: plan,
    requests,
    get stats(): MockStats {
      return structuredClone(stats);
    },
    whenNoConnections() {
      return sockets.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => noConnectionWaiters.push(resolve));
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        for (const ex of live) ex.abort();
        tcp.close(() => resolve());
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}
