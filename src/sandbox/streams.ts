// Byte-stream primitives of Docker's attach/exec connections: the multiplexed stdout/stderr framing, output kept
// within a byte budget while it flows, and collecting a stream.

import type { Duplex, Readable } from "node:stream";

/**
 * Splits Docker's multiplexed exec stream (8-byte header: stream type, 3 zero bytes, big-endian length)
 * into stdout (1) and stderr (2) payloads. Headers and payloads may be split across chunks.
 */
export class Demuxer {
  readonly #onFrame: (kind: number, payload: Buffer) => void;
  #header = Buffer.alloc(0);
  #kind = 0;
  #remaining = 0;

  constructor(onFrame: (kind: number, payload: Buffer) => void) {
    this.#onFrame = onFrame;
  }

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, chunk.length - offset);
        this.#onFrame(this.#kind, chunk.subarray(offset, offset + take));
        this.#remaining -= take;
        offset += take;
        continue;
      }
      const need = 8 - this.#header.length;
      this.#header = Buffer.concat([this.#header, chunk.subarray(offset, offset + need)]);
      offset += Math.min(need, chunk.length - offset);
      if (this.#header.length < 8) return;
      this.#kind = this.#header[0] ?? 1;
      this.#remaining = this.#header.readUInt32BE(4);
      this.#header = Buffer.alloc(0);
    }
  }
}

/**
 * Keeps the first and last halves of a byte budget of a stream while it flows, counting what falls out
 * of the middle, so a command printing gigabytes costs no more memory than one printing the budget.
 */
export class BoundedOutput {
  readonly #headMax: number;
  readonly #tailMax: number;
  readonly #head: Buffer[] = [];
  #headLength = 0;
  readonly #tail: Buffer[] = [];
  #tailLength = 0;
  #dropped = 0;

  constructor(maxBytes: number) {
    this.#headMax = Math.floor(maxBytes / 2);
    this.#tailMax = maxBytes - this.#headMax;
  }

  /** Bytes left out of text(), including the few bytes of a character split at either seam. */
  get droppedBytes(): number {
    if (this.#dropped === 0) return 0;
    const { head, headEnd, tailStart } = this.#seams();
    return this.#dropped + (head.length - headEnd) + tailStart;
  }

  push(chunk: Buffer): void {
    if (this.#headLength < this.#headMax) {
      const take = Math.min(chunk.length, this.#headMax - this.#headLength);
      this.#head.push(Buffer.from(chunk.subarray(0, take)));
      this.#headLength += take;
      chunk = chunk.subarray(take);
    }
    if (chunk.length === 0) return;
    if (chunk.length >= this.#tailMax) {
      this.#dropped += this.#tailLength + chunk.length - this.#tailMax;
      this.#tail.length = 0;
      this.#tail.push(Buffer.from(chunk.subarray(chunk.length - this.#tailMax)));
      this.#tailLength = this.#tailMax;
      return;
    }
    this.#tail.push(Buffer.from(chunk));
    this.#tailLength += chunk.length;
    while (this.#tailLength > this.#tailMax) {
      const first = this.#tail[0] as Buffer;
      const excess = this.#tailLength - this.#tailMax;
      if (first.length <= excess) {
        this.#tail.shift();
        this.#tailLength -= first.length;
        this.#dropped += first.length;
      } else {
        this.#tail[0] = first.subarray(excess);
        this.#tailLength -= excess;
        this.#dropped += excess;
      }
    }
  }

  /** The kept bytes as UTF-8 (invalid sequences become U+FFFD), with a note where the middle was cut. */
  text(): string {
    if (this.#dropped === 0) return decode(Buffer.concat([...this.#head, ...this.#tail]));
    const { head, tail, headEnd, tailStart } = this.#seams();
    return `${decode(head.subarray(0, headEnd))}\n[... ${this.droppedBytes} bytes truncated ...]\n${decode(tail.subarray(tailStart))}`;
  }

  /** Cut points at character boundaries, so the seams do not add replacement characters to valid UTF-8. */
  #seams(): { head: Buffer; tail: Buffer; headEnd: number; tailStart: number } {
    const head = Buffer.concat(this.#head);
    const tail = Buffer.concat(this.#tail);
    let tailStart = 0;
    while (tailStart < Math.min(3, tail.length) && ((tail[tailStart] ?? 0) & 0xc0) === 0x80) tailStart++;
    return { head, tail, headEnd: utf8Boundary(head, head.length), tailStart };
  }
}

/** The largest index ≤ end that does not split a UTF-8 sequence. */
function utf8Boundary(buf: Buffer, end: number): number {
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const byte = buf[end - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? end - back : end;
  }
  return end;
}

const decoder = new TextDecoder("utf-8", { fatal: false });
function decode(buf: Buffer): string {
  return decoder.decode(buf);
}

export async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

export type MarkerOutcome =
  | { kind: "marker"; match: RegExpExecArray; output: string }
  | { kind: "ended" | "timeout"; output: string }
  | { kind: "stream-error" | "source-error"; error: Error; output: string };

/**
 * Watches an attach stream's output (demultiplexed, its last 8 000 characters kept) until `pattern` shows up, the
 * stream ends or fails, `timeoutMs` passes, or `source` (started once the watch is in place: what is being fed into
 * the stream) fails. Every listener it added is gone when the promise settles, so the stream can be handed on.
 */
export function awaitMarker(stdio: Duplex, pattern: RegExp, timeoutMs: number, source?: () => Readable): Promise<MarkerOutcome> {
  return new Promise((resolve) => {
    let output = "";
    let settled = false;
    const settle = (outcome: MarkerOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stdio.off("data", onData);
      stdio.off("end", onEnd);
      stdio.off("close", onEnd);
      stdio.off("error", onError);
      resolve(outcome);
    };
    const demux = new Demuxer((_kind, payload) => {
      output = (output + payload.toString("utf8")).slice(-8_000);
      const match = pattern.exec(output);
      if (match) settle({ kind: "marker", match, output: output.slice(0, match.index) });
    });
    const onData = (chunk: Buffer): void => demux.push(chunk);
    const onEnd = (): void => settle({ kind: "ended", output });
    const onError = (error: Error): void => settle({ kind: "stream-error", error, output });
    const timer = setTimeout(() => settle({ kind: "timeout", output }), timeoutMs);
    stdio.on("data", onData);
    stdio.once("end", onEnd);
    stdio.once("close", onEnd);
    stdio.once("error", onError);
    source?.().on("error", (error: Error) => settle({ kind: "source-error", error, output }));
  });
}

/** Splits a text stream's chunks into lines (without their `\n`); end() hands on what is left after the last one. */
export class LineSplitter {
  readonly #onLine: (line: string) => void;
  #buffered = "";

  constructor(onLine: (line: string) => void) {
    this.#onLine = onLine;
  }

  push(chunk: Buffer | string): void {
    this.#buffered += chunk.toString();
    for (let newline = this.#buffered.indexOf("\n"); newline >= 0; newline = this.#buffered.indexOf("\n")) {
      const line = this.#buffered.slice(0, newline);
      this.#buffered = this.#buffered.slice(newline + 1);
      this.#onLine(line);
    }
  }

  end(): void {
    const rest = this.#buffered;
    this.#buffered = "";
    this.#onLine(rest);
  }
}
