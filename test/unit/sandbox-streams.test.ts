// Pure stream primitives of src/sandbox/streams.ts and exec.ts's timed-out rule, without Docker.
import { Duplex, PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { killedByTimeout } from "../../src/sandbox/exec.js";
import { Demuxer, LineSplitter, awaitMarker } from "../../src/sandbox/streams.js";

/** One frame of Docker's multiplexed stream: kind, three zero bytes, big-endian length, payload. */
const frame = (kind: number, text: string): Buffer => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

/** A duplex whose readable side is `out` (what the container says) and whose writes go to `sent`. */
function attach(): { stdio: Duplex; out: PassThrough; sent: Buffer[] } {
  const out = new PassThrough();
  const sent: Buffer[] = [];
  const stdio = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, done) {
      sent.push(chunk);
      done();
    },
  });
  out.on("data", (chunk: Buffer) => stdio.push(chunk));
  out.on("end", () => stdio.push(null));
  return { stdio, out, sent };
}

describe("Demuxer", () => {
  it("splits frames whose headers and payloads cross chunk boundaries", () => {
    const got: [number, string][] = [];
    const demux = new Demuxer((kind, payload) => got.push([kind, payload.toString()]));
    const bytes = Buffer.concat([frame(1, "hello"), frame(2, "oops"), frame(1, "!")]);
    for (let i = 0; i < bytes.length; i += 3) demux.push(bytes.subarray(i, i + 3));
    const joined = (kind: number) =>
      got
        .filter(([k]) => k === kind)
        .map(([, t]) => t)
        .join("");
    expect([joined(1), joined(2)]).toEqual(["hello!", "oops"]);
  });
});

describe("LineSplitter", () => {
  it("hands on whole lines as they complete, and the rest at the end", () => {
    const lines: string[] = [];
    const split = new LineSplitter((line) => lines.push(line));
    split.push("a\nb");
    split.push(Buffer.from("c\n\nd"));
    expect(lines).toEqual(["a", "bc", ""]);
    split.end();
    expect(lines).toEqual(["a", "bc", "", "d"]);
  });
});

describe("awaitMarker", () => {
  it("resolves at the marker with the output before it, and leaves no listener behind", async () => {
    const { stdio, out } = attach();
    const before = stdio.listenerCount("data");
    const watching = awaitMarker(stdio, /\n__DONE__(\d+)\n/, 5_000);
    out.write(frame(1, "working\n__DO"));
    out.write(frame(2, "NE__7\nlater"));
    const outcome = await watching;
    expect(outcome.kind).toBe("marker");
    if (outcome.kind === "marker") expect([outcome.match[1], outcome.output]).toEqual(["7", "working"]);
    expect(stdio.listenerCount("data")).toBe(before);
    expect(stdio.listenerCount("end") + stdio.listenerCount("close") + stdio.listenerCount("error")).toBe(0);
  });

  it("says the stream ended, timed out, or that what fed it failed", async () => {
    const ended = attach();
    const endedOutcome = awaitMarker(ended.stdio, /__DONE__/, 5_000);
    ended.out.end(frame(1, "bye"));
    expect(await endedOutcome).toEqual({ kind: "ended", output: "bye" });

    expect(await awaitMarker(attach().stdio, /__DONE__/, 20)).toEqual({ kind: "timeout", output: "" });

    const fed = attach();
    const source = new PassThrough();
    const failed = awaitMarker(fed.stdio, /__DONE__/, 5_000, () => source);
    source.destroy(new Error("cannot read the repository"));
    expect(await failed).toMatchObject({ kind: "source-error", error: { message: "cannot read the repository" } });
  });
});

describe("killedByTimeout", () => {
  it("is timeout's exit code (124 TERM, 137 KILL) at or past the timeout, nothing else", () => {
    expect(killedByTimeout(124, 1_000, 1)).toBe(true);
    expect(killedByTimeout(137, 950, 1)).toBe(true);
    expect(killedByTimeout(137, 949, 1)).toBe(false);
    expect(killedByTimeout(1, 5_000, 1)).toBe(false);
    expect(killedByTimeout(undefined, 5_000, 1)).toBe(false);
  });
});
