// One request/response of the mock server, HTTP/1.1 or HTTP/2, behind one small interface: headers, body with a
// size cap, whole answers, frames with backpressure, a reset the client sees as such, and waits that stop when the
// client goes away.

import type http from "node:http";
import http2 from "node:http2";
import { MockHttpError, type HttpAnswer } from "./wire.js";

/**
 * Pause between the last frame and a mid-body reset: a TCP RST discards data the peer has not read yet,
 * so without it the client would see the reset but none of the frames sent before it.
 */
export const RESET_GRACE_MS = 25;

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
export class Exchange {
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

/** Waits ms; false when the signal ended the wait first (the client went away, the server is closing). */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
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
