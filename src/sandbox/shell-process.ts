// One running `bash` of a persistent shell (shell.ts): an attached exec whose stdin carries the commands, and the
// scanner that finds a command's end marker in each of its output streams.

import type { Duplex } from "node:stream";
import type Docker from "dockerode";
import { runHelper } from "./exec.js";
import { script } from "./shell-scripts.js";
import { BoundedOutput, Demuxer } from "./streams.js";

/** Once one stream's marker arrived, how long the other may lag (Docker copies stdout and stderr separately). */
const OTHER_STREAM_GRACE_MS = 1_000;
/** A marker's tail (`<rc>__<pwd>\0`) longer than this is not a marker the shell printed. */
const MAX_MARKER_TAIL = 8_192;

export interface Marker {
  kind: "END" | "EXIT";
  exitCode: number;
  cwd: string;
}

/** One stream of one command: payload goes to a BoundedOutput until the command's marker, which is parsed. */
export class MarkerScanner {
  readonly output: BoundedOutput;
  readonly #prefixes: { kind: "END" | "EXIT"; bytes: Buffer }[];
  readonly #holdBack: number;
  #pending: Buffer = Buffer.alloc(0);
  #tail: { kind: "END" | "EXIT"; bytes: Buffer } | undefined;
  marker: Marker | undefined;

  constructor(id: string, maxBytes: number) {
    this.output = new BoundedOutput(maxBytes);
    this.#prefixes = (["END", "EXIT"] as const).map((kind) => ({ kind, bytes: Buffer.from(`\n__BENCH_${kind}_${id}__`) }));
    this.#holdBack = Math.max(...this.#prefixes.map((p) => p.bytes.length)) - 1;
  }

  push(chunk: Buffer): void {
    if (this.marker !== undefined) return;
    if (this.#tail !== undefined) {
      this.#tail.bytes = Buffer.concat([this.#tail.bytes, chunk]);
      this.#parseTail();
      return;
    }
    const buf = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    let found: { at: number; kind: "END" | "EXIT"; length: number } | undefined;
    for (const prefix of this.#prefixes) {
      const at = buf.indexOf(prefix.bytes);
      if (at >= 0 && (found === undefined || at < found.at)) found = { at, kind: prefix.kind, length: prefix.bytes.length };
    }
    if (found !== undefined) {
      this.output.push(buf.subarray(0, found.at));
      this.#pending = Buffer.alloc(0);
      this.#tail = { kind: found.kind, bytes: Buffer.from(buf.subarray(found.at + found.length)) };
      this.#parseTail();
      return;
    }
    // Keep back what could be the start of a marker split across chunks.
    const keep = Math.min(buf.length, this.#holdBack);
    this.output.push(buf.subarray(0, buf.length - keep));
    this.#pending = Buffer.from(buf.subarray(buf.length - keep));
  }

  /** Bytes held back at the end (no marker came): they are output after all. */
  flush(): void {
    if (this.marker !== undefined) return;
    this.output.push(this.#pending);
    this.#pending = Buffer.alloc(0);
  }

  #parseTail(): void {
    const tail = this.#tail;
    if (tail === undefined) return;
    const nul = tail.bytes.indexOf(0);
    if (nul < 0) {
      if (tail.bytes.length > MAX_MARKER_TAIL) this.#tail = undefined; // not ours after all; drop it
      return;
    }
    const text = tail.bytes.subarray(0, nul).toString("utf8");
    const match = /^(\d+)__([\s\S]*)$/.exec(text);
    this.marker = { kind: tail.kind, exitCode: Number(match?.[1] ?? 1), cwd: match?.[2] ?? "" };
    this.#tail = undefined;
  }
}

export type Ending = "markers" | "stream-closed" | "abandoned";

/** The command a shell is running: its two streams and how to settle it (exactly once). */
interface Pending {
  stdout: MarkerScanner;
  stderr: MarkerScanner;
  settle: (how: Ending) => void;
  /** Started when one stream's marker is in; the other gets OTHER_STREAM_GRACE_MS to follow. */
  graceTimer?: NodeJS.Timeout;
}

/** One running `bash` process: an attached exec whose stdin is the command channel. */
export class ShellProcess {
  readonly #container: Docker.Container;
  readonly exec: Docker.Exec;
  readonly #socket: Duplex;
  readonly #user: string | undefined;
  /** The shell's PID inside the container (from the bootstrap); 0 until known. */
  pid = 0;
  #alive = true;
  #current: Pending | undefined;

  private constructor(container: Docker.Container, exec: Docker.Exec, socket: Duplex, user: string | undefined) {
    this.#container = container;
    this.exec = exec;
    this.#socket = socket;
    this.#user = user;
    const demux = new Demuxer((kind, payload) => {
      const current = this.#current;
      if (current === undefined) return; // a background process writing between commands: dropped
      (kind === 2 ? current.stderr : current.stdout).push(payload);
      const outDone = current.stdout.marker !== undefined;
      const errDone = current.stderr.marker !== undefined;
      if (outDone && errDone) current.settle("markers");
      // One marker in, the other stream lagging (or its fd closed by the command): do not wait for it forever.
      else if ((outDone || errDone) && current.graceTimer === undefined) {
        current.graceTimer = setTimeout(() => current.settle("markers"), OTHER_STREAM_GRACE_MS);
      }
    });
    socket.on("data", (chunk: Buffer) => demux.push(chunk));
    const closed = (): void => {
      this.#alive = false;
      this.#current?.settle("stream-closed");
    };
    socket.on("end", closed);
    socket.on("close", closed);
    socket.on("error", closed);
  }

  /** A shell already running in `exec` (its stdin is `socket`), e.g. one a reset script exec'd into. */
  static adopt(container: Docker.Container, exec: Docker.Exec, socket: Duplex, user: string | undefined): ShellProcess {
    return new ShellProcess(container, exec, socket, user);
  }

  static async start(container: Docker.Container, workdir: string, user: string | undefined, env: string[] = []): Promise<ShellProcess> {
    const exec = await container.exec({
      Cmd: ["bash", "--noprofile", "--norc"],
      ...(env.length > 0 ? { Env: env } : {}),
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      WorkingDir: workdir,
      ...(user !== undefined ? { User: user } : {}),
    });
    const socket = (await exec.start({ hijack: true, stdin: true })) as unknown as Duplex;
    return new ShellProcess(container, exec, socket, user);
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** Writes a script; the promise settles when both markers are in, the stream closed, or the shell was abandoned. */
  send(stdout: MarkerScanner, stderr: MarkerScanner, script: string): Promise<Ending> {
    return new Promise((resolve) => {
      const entry: Pending = {
        stdout,
        stderr,
        settle: (how) => {
          if (this.#current !== entry) return;
          this.#current = undefined;
          clearTimeout(entry.graceTimer);
          resolve(how);
        },
      };
      this.#current = entry;
      if (!this.#alive) entry.settle("stream-closed");
      else this.#socket.write(script);
    });
  }

  /** Settles the current command as abandoned (the shell is stuck) and drops the connection. */
  abandon(): void {
    this.#alive = false;
    this.#current?.settle("abandoned");
    this.#socket.destroy();
  }

  close(): void {
    this.#alive = false;
    this.#socket.destroy();
  }

  /** Runs scripts/shell-kill.sh in a second exec, bounded in time; never throws (the caller abandons the shell). */
  kill(args: string[], timeoutMs: number): Promise<void> {
    return runHelper(this.#container, { text: script("shell-kill"), name: "bench-shell-kill", args, user: this.#user, timeoutMs });
  }
}
