// Persistent shell of a workspace: one bash kept open through an attached `docker exec` (stdin hijacked), each command
// sent over its stdin and framed by unique end markers, so the working directory and environment persist as in a terminal.
//
// Wire, per command (id = a fresh UUID without dashes):
//   - the command text travels in a quoted here-document (never parsed until `eval`, so a syntax error cannot eat the
//     next command) and runs with `eval … </dev/null` in the shell itself: `cd`, `export`, functions persist, and a
//     command that reads stdin gets EOF instead of the next command;
//   - then the shell prints `\n__BENCH_END_<id>__<exit code>__<$PWD>\0` on stderr and on stdout (through fds 99 and
//     98, copies of the original stderr/stdout, so `exec >file` in a command cannot hide the marker). stdout and stderr
//     stay separate (Docker multiplexes them); each is complete once its own marker arrived.
//   - an EXIT trap prints `__BENCH_EXIT_…` instead when a command ends the shell (`exit 3`, `set -e`, a TERM) and saves
//     the exported environment; the next command then runs in a new shell with that environment and the same cwd.
// Every command's processes carry BENCH_EXEC_ID=<id> in their environment: a timeout SIGTERMs them (SIGKILL 2 s later)
// through a second exec, whatever process group they moved to, together with the subshells the shell forked (they
// keep its original environment: scripts/shell-kill.sh). If the shell itself does not come back (a builtin loop, `wait`), it is
// TERMed, then KILLed, then abandoned, and replaced at the next command. Output is bounded while it streams
// (BoundedOutput); output a background process writes while no command runs is dropped.
//
// The same session, stateless (each command in a subshell), carries Sandbox.exec / readFile / writeFile of a Docker
// workspace (execInShell, readFileInShell, writeFileInShell): a runc exec or an archive call costs 55–85 ms of CPU.

import { randomUUID } from "node:crypto";
import type { Duplex } from "node:stream";
import type Docker from "dockerode";
import { InfraError, errorMessage } from "../errors.js";
import { shellQuote as quote } from "../util/shell-quote.js";
import { DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_TIMEOUT_SEC, KILL_AFTER_SEC, exitCodeOf } from "./exec.js";
import { MarkerScanner, ShellProcess } from "./shell-process.js";
import { script } from "./shell-scripts.js";
import type { Shell, ShellResult, ShellRunOptions } from "./types.js";

/** After the kill exec finished, how long the shell has to print its marker before it is itself killed. */
const SHELL_GRACE_MS = 1_000;
/** After the shell was killed, how long to wait for its stream before abandoning it. */
const ABANDON_GRACE_MS = 2_000;
/** Deadline of a shell's start (exec create + start + the bootstrap's marker). */
const START_TIMEOUT_MS = 30_000;

/** No shell could be started; the command was not sent. Callers may fall back to one `docker exec` per command. */
export class ShellStartError extends InfraError {}

export interface ShellSessionOptions {
  /** Directory the first shell starts in, and the fallback when a restored cwd is gone. */
  workdir: string;
  /** User the shell and its kill helpers run as (exec `User`). @default the image's user */
  user?: string;
  /** `KEY=value` entries every shell starts with (a workspace's activated environment, e.g. conda's). @default none */
  env?: string[];
}

/** xtrace lines of the driver's own calls (`set -x` in a command traces them): not the command's output. */
const DRIVER_TRACE = /^\++ __bench_(?:begin|end) [^\n]*\n?/gm;

/**
 * A persistent bash in one workspace. Commands are serialized: concurrent `run` calls queue. A shell that ended
 * (`exit`, `set -e`, a timeout it did not survive) is replaced at the next command, in the same cwd and, when its EXIT
 * trap ran, with the exported environment it had.
 */
export class ShellSession implements Shell {
  readonly #container: Docker.Container;
  readonly #workdir: string;
  readonly #user: string | undefined;
  readonly #env: string[];
  /** Where an ending shell saves `export -p`; the next shell sources it. */
  readonly #envFile: string;
  #process: ShellProcess | undefined;
  #cwd: string;
  #restoreEnv = false;
  #closed = false;
  #queue: Promise<unknown> = Promise.resolve();
  #inFlight = 0;

  private constructor(container: Docker.Container, options: ShellSessionOptions) {
    this.#container = container;
    this.#workdir = options.workdir;
    this.#user = options.user;
    this.#env = options.env ?? [];
    this.#cwd = options.workdir;
    this.#envFile = `/tmp/.bench-shell-${randomUUID().replace(/-/g, "")}.env`;
  }

  /** Starts the first shell; rejects with ShellStartError when none can start (no bash, container gone). */
  static async open(container: Docker.Container, options: ShellSessionOptions): Promise<ShellSession> {
    const session = new ShellSession(container, options);
    session.#process = await session.#start();
    return session;
  }

  /**
   * A session whose first shell is a `bash --noprofile --norc` already running in `exec`, reading `socket` (saves the
   * exec a new shell costs); later shells start as usual. Rejects with ShellStartError when it does not answer.
   */
  static async adopt(container: Docker.Container, exec: Docker.Exec, socket: Duplex, options: ShellSessionOptions): Promise<ShellSession> {
    const session = new ShellSession(container, options);
    session.#process = await session.#start(ShellProcess.adopt(container, exec, socket, options.user));
    return session;
  }

  get containerId(): string {
    return this.#container.id;
  }

  /** The working directory after the last command. */
  get cwd(): string {
    return this.#cwd;
  }

  /** A command is running or queued. */
  get busy(): boolean {
    return this.#inFlight > 0;
  }

  run(command: string, options: ShellRunOptions = {}): Promise<ShellResult> {
    this.#inFlight++;
    const result = this.#queue.then(() => this.#run(command, options)).finally(() => this.#inFlight--);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#process?.close();
    this.#process = undefined;
  }

  async #start(adopted?: ShellProcess): Promise<ShellProcess> {
    const where = `sandbox ${this.#container.id.slice(0, 12)}`;
    if (this.#closed) throw new ShellStartError(`the shell of ${where} is closed`);
    let proc: ShellProcess;
    try {
      proc = adopted ?? (await ShellProcess.start(this.#container, this.#workdir, this.#user, this.#env));
    } catch (err) {
      throw new ShellStartError(`cannot start a shell in ${where}: ${errorMessage(err)}`, { cause: err });
    }
    const id = newId();
    const bootstrap = [
      "exec 98>&1 99>&2",
      `__bench_id=${id}`,
      script("shell-driver"),
      // The EXIT trap runs on `exit`, under `set -e`, and on SIGTERM: it saves the environment, says how the shell ended.
      `trap ${quote(`__bench_exit $? ${quote(this.#envFile)}`)} EXIT`,
      ...(this.#restoreEnv ? [`[ -r ${quote(this.#envFile)} ] && . ${quote(this.#envFile)} 2>/dev/null`] : []),
      `cd -- ${quote(this.#cwd)} 2>/dev/null || cd -- ${quote(this.#workdir)}`,
      'builtin printf "%s\\n" "$$"',
      "__bench_end 0",
      "",
    ].join("\n");
    const stdout = new MarkerScanner(id, 4_096);
    const stderr = new MarkerScanner(id, 4_096);
    const timer = setTimeout(() => proc.abandon(), START_TIMEOUT_MS);
    const how = await proc.send(stdout, stderr, bootstrap);
    clearTimeout(timer);
    const marker = stdout.marker;
    if (how !== "markers" || marker?.kind !== "END") {
      proc.close();
      stderr.flush();
      const said = stderr.output.text().trim();
      throw new ShellStartError(`cannot start a shell in ${where}: it ended before it was ready${said ? `: ${said}` : ""}`);
    }
    proc.pid = Number.parseInt(stdout.output.text(), 10) || 0;
    if (marker.cwd.startsWith("/")) this.#cwd = marker.cwd;
    return proc;
  }

  async #run(command: string, options: ShellRunOptions): Promise<ShellResult> {
    const timeoutSec = options.timeoutSec ?? DEFAULT_TIMEOUT_SEC;
    const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    if (this.#process?.alive !== true) this.#process = await this.#start();
    const proc = this.#process;
    const started = performance.now();
    const id = newId();
    const delimiter = `__BENCH_CMD_${id}`;
    const script =
      `__bench_begin ${id} <<'${delimiter}'\n` +
      // bash drops NUL bytes from its input anyway; a line equal to the delimiter cannot occur (fresh UUID).
      `${command.replace(/\0/g, "")}\n${delimiter}\n` +
      `builtin eval "$__bench_cmd" </dev/null\n` +
      `__bench_end $?\n`;
    const stdout = new MarkerScanner(id, maxOutputBytes);
    const stderr = new MarkerScanner(id, maxOutputBytes);

    // Timeout: TERM then KILL the command's processes; if the shell still does not answer, TERM then KILL the shell;
    // if even its stream stays open (a background process holds it), abandon it.
    let timedOut = false;
    let shellSignaled = false;
    /** The timeout's kill sweep; awaited before answering so the next command does not meet leftovers (a fork bomb's). */
    let commandKill: Promise<void> | undefined;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const later = (ms: number, fn: () => void): void => {
      if (!settled) timers.push(setTimeout(fn, ms));
    };
    later(timeoutSec * 1000, () => {
      timedOut = true;
      const kill = (mode: "command" | "shell", afterSec: number): Promise<void> =>
        proc.kill([mode, String(proc.pid), id, String(afterSec)], (afterSec + 5) * 1000);
      commandKill = kill("command", KILL_AFTER_SEC);
      void commandKill.then(() =>
        later(SHELL_GRACE_MS, () => {
          shellSignaled = true;
          void kill("shell", 1);
          later(ABANDON_GRACE_MS + 1_000, () => proc.abandon());
        }),
      );
    });
    const how = await proc.send(stdout, stderr, script);
    if (commandKill) await commandKill;
    settled = true;
    for (const timer of timers) clearTimeout(timer);
    stdout.flush();
    stderr.flush();

    const marker = stdout.marker ?? stderr.marker;
    if (marker?.cwd.startsWith("/")) this.#cwd = marker.cwd;
    // A shell we had to kill reports 137 whatever its EXIT trap saw (`$?` there is the last builtin's status).
    const exitCode = shellSignaled ? 137 : (marker?.exitCode ?? (how === "stream-closed" ? await exitCodeOf(proc.exec) : undefined) ?? 137);
    const shellEnded = marker?.kind !== "END" || !proc.alive;
    if (shellEnded) {
      proc.close();
      if (this.#process === proc) this.#process = undefined;
      // Only an EXIT trap saved the environment; a killed shell left none worth restoring (or an older one).
      this.#restoreEnv = marker?.kind === "EXIT";
    }
    return {
      exitCode,
      stdout: stdout.output.text(),
      stderr: stripDriverTrace(stderr.output.text()),
      timedOut,
      truncatedBytes: stdout.output.droppedBytes + stderr.output.droppedBytes,
      durationMs: Math.round(performance.now() - started),
      cwd: this.#cwd,
      shellEnded,
    };
  }
}

export const newId = (): string => randomUUID().replace(/-/g, "");

function stripDriverTrace(stderr: string): string {
  return stderr.includes("__bench_") ? stderr.replace(DRIVER_TRACE, "") : stderr;
}
