// The mock server's listener: one TCP port serving HTTP/1.1 and cleartext HTTP/2 (sniffed from the preface), or
// HTTPS with ALPN h2 and http/1.1; open connections and exchanges tracked so close() ends them all at once, and
// idle connections reset after idleResetMs (an idle-timeout NAT or load balancer).

import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";
import type { AddressInfo } from "node:net";
import { Exchange } from "./exchange.js";

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export interface ListenerOptions {
  host: string;
  /** 0 picks a free one. */
  port: number;
  tls?: { cert: string | Buffer; key: string | Buffer } | undefined;
  idleResetMs?: number | undefined;
  /** Answers one exchange; a rejection resets it. */
  handle: (ex: Exchange) => Promise<void>;
  /** Each accepted TCP connection. */
  onConnection: () => void;
}

export interface Listener {
  readonly port: number;
  /** Resolves once no client connection is open (at once if none is). */
  whenNoConnections(): Promise<void>;
  /** Stops listening, stops every open exchange's waits and destroys open connections. Idempotent. */
  close(): Promise<void>;
}

type Closable = { once(event: "close", listener: () => void): unknown };

/**
 * idleResetMs: a connection (an HTTP/1.1 socket or an HTTP/2 session) with no request open is destroyed after it;
 * counted per request, not per byte, so a slow answer is never cut.
 */
function idleTracker(idleResetMs: number | undefined) {
  const idle = new WeakMap<object, { open: number; timer?: NodeJS.Timeout }>();
  const stateOf = (conn: object) => {
    const state = idle.get(conn) ?? { open: 0 };
    idle.set(conn, state);
    clearTimeout(state.timer);
    return state;
  };
  /** The connection is idle unless a request is open: destroy it after idleResetMs. */
  const arm = (conn: object, destroy: () => void): void => {
    if (idleResetMs === undefined) return;
    const state = stateOf(conn);
    if (state.open === 0) state.timer = setTimeout(destroy, idleResetMs).unref();
  };
  /** A request is open on the connection until `res` closes. */
  const hold = (conn: object, destroy: () => void, res: Closable): void => {
    if (idleResetMs === undefined) return;
    const state = stateOf(conn);
    state.open++;
    res.once("close", () => {
      state.open--;
      arm(conn, destroy);
    });
  };
  return { arm, hold };
}

/** Hands a cleartext socket to the HTTP/2 server when it opens with the h2 preface, else to the HTTP/1.1 one. */
function sniffProtocol(socket: net.Socket, h1: http.Server, h2: http2.Http2Server): void {
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
}

/** The HTTP/1.1 and HTTP/2 servers (no port of their own: the TCP listener hands them sockets). */
function httpServers(options: ListenerOptions, run: (ex: Exchange) => void) {
  const idle = idleTracker(options.idleResetMs);
  const h1 = http.createServer((req, res) => {
    idle.hold(req.socket, () => req.socket.destroy(), res);
    run(new Exchange(req, res));
  });
  h1.on("connection", (socket: net.Socket) => idle.arm(socket, () => socket.destroy()));
  // Long benchmark runs reuse connections; keep them as long as a real API front end does.
  h1.keepAliveTimeout = 65_000;
  const h2 = http2.createServer({}, (req, res) => {
    const session = req.stream.session;
    if (session) idle.hold(session, () => session.destroy(), res);
    run(new Exchange(req, res));
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    idle.arm(session, () => session.destroy());
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
  return { h1, h2, secure, sessions };
}

/** Listens; resolves once the port is bound. */
export async function listen(options: ListenerOptions): Promise<Listener> {
  let closing = false;
  // Open exchanges, so close() can stop their waits (latency, hangs, slow streams) at once.
  const live = new Set<Exchange>();
  const run = (ex: Exchange): void => {
    if (closing) {
      ex.reset();
      return;
    }
    live.add(ex);
    ex.onDone(() => live.delete(ex));
    options.handle(ex).catch(() => ex.reset());
  };
  const { h1, h2, secure, sessions } = httpServers(options, run);

  const sockets = new Set<net.Socket>();
  /** whenNoConnections() callers, answered when the last open socket closes. */
  let noConnectionWaiters: (() => void)[] = [];
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    options.onConnection();
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
    if (secure) secure.emit("connection", socket);
    else sniffProtocol(socket, h1, h2);
  });

  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(options.port, options.host, () => {
      tcp.off("error", reject);
      resolve();
    });
  });

  let closed: Promise<void> | undefined;
  return {
    port: (tcp.address() as AddressInfo).port,
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
