// AWS event-stream framing (application/vnd.amazon.eventstream), as Bedrock's ConverseStream sends it:
// [total u32][headers u32][prelude CRC32][headers][payload][message CRC32], big-endian, CRC-32 as in zlib.

import { crc32 } from "node:zlib";

/** Header values: strings only (type 7), which is all Bedrock's event, exception and error frames use. */
export type FrameHeaders = Record<string, string>;

export interface Frame {
  headers: FrameHeaders;
  payload: Buffer;
}

const STRING_TYPE = 7;
const PRELUDE = 12;

export function encodeFrame(headers: FrameHeaders, payload: string | Buffer): Buffer {
  const parts = Object.entries(headers).map(([name, value]) => {
    const n = Buffer.from(name, "utf8");
    const v = Buffer.from(value, "utf8");
    if (n.length > 255) throw new Error(`event-stream header name longer than 255 bytes: ${name}`);
    if (v.length > 32767) throw new Error(`event-stream header ${name}: value longer than 32767 bytes`);
    const out = Buffer.alloc(1 + n.length + 1 + 2 + v.length);
    out.writeUInt8(n.length, 0);
    n.copy(out, 1);
    out.writeUInt8(STRING_TYPE, 1 + n.length);
    out.writeUInt16BE(v.length, 2 + n.length);
    v.copy(out, 4 + n.length);
    return out;
  });
  const head = Buffer.concat(parts);
  const body = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  const total = PRELUDE + head.length + body.length + 4;
  const frame = Buffer.alloc(total);
  frame.writeUInt32BE(total, 0);
  frame.writeUInt32BE(head.length, 4);
  frame.writeUInt32BE(crc32(frame.subarray(0, 8)), 8);
  head.copy(frame, PRELUDE);
  body.copy(frame, PRELUDE + head.length);
  frame.writeUInt32BE(crc32(frame.subarray(0, total - 4)), total - 4);
  return frame;
}

/** An event frame: `:event-type` names the ConverseStream member (messageStart, contentBlockDelta, …). */
export function eventFrame(eventType: string, payload: unknown): Buffer {
  return encodeFrame({ ":event-type": eventType, ":content-type": "application/json", ":message-type": "event" }, JSON.stringify(payload));
}

/** An exception frame inside a 200 stream: `:exception-type` is the camelCase member (throttlingException, …). */
export function exceptionFrame(exceptionType: string, payload: unknown): Buffer {
  return encodeFrame(
    { ":exception-type": exceptionType, ":content-type": "application/json", ":message-type": "exception" },
    JSON.stringify(payload),
  );
}

/** Splits a buffer of whole frames, checking lengths and both CRCs (for tests and recorded streams). */
export function decodeFrames(bytes: Buffer): Frame[] {
  const frames: Frame[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 16) throw new Error(`event-stream: truncated frame at byte ${at}`);
    const total = bytes.readUInt32BE(at);
    const headLength = bytes.readUInt32BE(at + 4);
    if (total < 16 || at + total > bytes.length) throw new Error(`event-stream: frame at byte ${at} claims ${total} bytes`);
    const frame = bytes.subarray(at, at + total);
    if (crc32(frame.subarray(0, 8)) !== frame.readUInt32BE(8)) throw new Error(`event-stream: prelude CRC mismatch at byte ${at}`);
    if (crc32(frame.subarray(0, total - 4)) !== frame.readUInt32BE(total - 4))
      throw new Error(`event-stream: message CRC mismatch at byte ${at}`);
    const headers: FrameHeaders = {};
    let h = PRELUDE;
    const end = PRELUDE + headLength;
    while (h < end) {
      const nameLength = frame.readUInt8(h);
      const name = frame.subarray(h + 1, h + 1 + nameLength).toString("utf8");
      const type = frame.readUInt8(h + 1 + nameLength);
      if (type !== STRING_TYPE) throw new Error(`event-stream: header ${name} has type ${type}; only strings (7) are supported`);
      const valueLength = frame.readUInt16BE(h + 2 + nameLength);
      headers[name] = frame.subarray(h + 4 + nameLength, h + 4 + nameLength + valueLength).toString("utf8");
      h += 4 + nameLength + valueLength;
    }
    frames.push({ headers, payload: Buffer.from(frame.subarray(end, total - 4)) });
    at += total;
  }
  return frames;
}
