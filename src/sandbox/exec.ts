// Command execution in a workspace through `docker exec`: the limits every command path shares (default timeout and
// output budget, the `timeout -k` grace, the exec marker, the timed-out rule), the exit code of a finished exec,
// bounded helper execs, and one command with an in-container timeout plus a host-side deadline.

import { randomUUID } from "node:crypto";
import type Docker from "dockerode";
import { InfraError, UsageError, errorMessage } from "../errors.js";
import { script } from "./shell-scripts.js";
import { BoundedOutput, Demuxer } from "./streams.js";
import type { ExecResult } from "./types.js";

export const DEFAULT_TIMEOUT_SEC = 120;
export const DEFAULT_MAX_OUTPUT_BYTES = 100_000;
/** `timeout -k`: seconds between the in-container SIGTERM and SIGKILL (the persistent shell's kill waits as long). */
export const KILL_AFTER_SEC = 2;
/** The host-side deadline fires this long after the in-container timeout should have killed everything. */
export const HOST_GRACE_MS = 3_000;
/** After the host-side kill, how long to wait for Docker to close the output stream before abandoning it. */
const STREAM_CLOSE_GRACE_MS = 2_000;
/**
 * Set on every command's processes so a deadline can find them, even ones that left its process group. The scripts
 * (scripts/*.sh) name it literally; test/unit/shell-scripts.test.ts checks they agree.
 */
export const EXEC_MARKER_VAR = "BENCH_EXEC_ID";

/** The command was killed by its `timeout` (exit 124 on TERM, 137 on KILL) rather than ending so by itself. */
export function killedByTimeout(exitCode: number | undefined, durationMs: number, timeoutSec: number): boolean {
  return (exitCode === 124 || exitCode === 137) && durationMs >= timeoutSec * 1000 - 50;
}

export function requirePositive(what: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${what}: expected a positive number, got ${value}`);
}

/** An exec's timeout and output budget, defaults applied, checked. */
export function execLimits(options: { timeoutSec?: number; maxOutputBytes?: number }): { timeoutSec: number; maxOutputBytes: number } {
  const timeoutSec = options.timeoutSec ?? DEFAULT_TIMEOUT_SEC;
  const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  requirePositive("exec timeoutSec", timeoutSec);
  if (!Number.isInteger(maxOutputBytes) || maxOutputBytes < 0) {
    throw new UsageError(`exec maxOutputBytes: expected a non-negative integer, got ${maxOutputBytes}`);
  }
  return { timeoutSec, maxOutputBytes };
}

/** Exit code of a finished exec, polling briefly: the stream can close a moment before Docker records it. */
export async function exitCodeOf(exec: Docker.Exec): Promise<number | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const info = await exec.inspect();
      if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    } catch {
      return undefined;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return undefined;
}

/**
 * Runs a helper program (`bash -c <text> <name> <args…>`, output discarded) in a second exec, waiting at most
 * `timeoutMs` for it; never throws (the container may be gone or out of pids: the caller goes on regardless).
 */
export async function runHelper(
  container: Docker.Container,
  helper: { text: string; name: string; args: string[]; user: string | undefined; timeoutMs: number },
): Promise<void> {
  try {
    const exec = await container.exec({
      Cmd: ["bash", "-c", helper.text, helper.name, ...helper.args],
      AttachStdout: true,
      AttachStderr: true,
      ...(helper.user !== undefined ? { User: helper.user } : {}),
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, helper.timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      stream.on("end", done);
      stream.on("close", done);
      stream.on("error", done);
      stream.resume();
    });
  } catch {
    // Nothing to report: the caller's own deadline covers a helper that could not run.
  }
}

export interface DockerExecOptions {
  timeoutSec: number;
  maxOutputBytes: number;
  cwd: string;
  /** `KEY=value` entries (the workspace's environment, then the call's). */
  env: string[];
  user: string | undefined;
}

/**
 * One command in its own `docker exec`: `timeout -k KILL_AFTER_SEC T bash -c <command>` (GNU timeout signals the
 * command's whole process group), plus a host-side deadline HOST_GRACE_MS after that which SIGKILLs every process
 * carrying this exec's marker and stops waiting for the stream. Output is bounded while it streams.
 */
export async function dockerExec(container: Docker.Container, command: string, options: DockerExecOptions): Promise<ExecResult> {
  const where = `sandbox ${container.id.slice(0, 12)}`;
  const marker = randomUUID();
  const started = performance.now();
  let exec: Docker.Exec;
  let stream: NodeJS.ReadWriteStream;
  try {
    exec = await container.exec({
      Cmd: ["timeout", "-k", String(KILL_AFTER_SEC), String(options.timeoutSec), "bash", "-c", command],
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      Env: [...options.env, `${EXEC_MARKER_VAR}=${marker}`],
      WorkingDir: options.cwd,
      ...(options.user !== undefined ? { User: options.user } : {}),
    });
    stream = await exec.start({ hijack: true, stdin: false });
  } catch (err) {
    throw new InfraError(`cannot exec in ${where}: ${errorMessage(err)}`, { cause: err });
  }
  const stdout = new BoundedOutput(options.maxOutputBytes);
  const stderr = new BoundedOutput(options.maxOutputBytes);
  const demux = new Demuxer((kind, payload) => (kind === 2 ? stderr : stdout).push(payload));
  const killMarked = (): Promise<void> =>
    runHelper(container, { text: script("kill-marked"), name: "bench-kill", args: [marker], user: options.user, timeoutMs: 5_000 });
  const deadlineMs = (options.timeoutSec + KILL_AFTER_SEC) * 1000 + HOST_GRACE_MS;
  const { hostDeadlineHit, streamError } = await drain(stream, (chunk) => demux.push(chunk), deadlineMs, killMarked);
  const exitCode = await exitCodeOf(exec);
  if (exitCode === undefined && streamError !== undefined && !hostDeadlineHit) {
    throw new InfraError(`lost the output of a command in ${where}: ${streamError.message}`, { cause: streamError });
  }
  const durationMs = Math.round(performance.now() - started);
  return {
    exitCode: exitCode ?? 137,
    stdout: stdout.text(),
    stderr: stderr.text(),
    timedOut: hostDeadlineHit || killedByTimeout(exitCode, durationMs, options.timeoutSec),
    truncatedBytes: stdout.droppedBytes + stderr.droppedBytes,
    durationMs,
  };
}

/**
 * Feeds `stream` to `onData` until it ends; past `deadlineMs`, runs `kill` and, should Docker still not close the
 * stream STREAM_CLOSE_GRACE_MS later, destroys it.
 */
function drain(
  stream: NodeJS.ReadWriteStream,
  onData: (chunk: Buffer) => void,
  deadlineMs: number,
  kill: () => Promise<void>,
): Promise<{ hostDeadlineHit: boolean; streamError?: Error }> {
  return new Promise((resolve) => {
    let done = false;
    let hostDeadlineHit = false;
    let streamError: Error | undefined;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      resolve({ hostDeadlineHit, ...(streamError !== undefined ? { streamError } : {}) });
    };
    stream.on("data", onData);
    stream.on("end", finish);
    stream.on("close", finish);
    stream.on("error", (err: Error) => {
      streamError = err;
      finish();
    });
    const deadline = setTimeout(() => {
      hostDeadlineHit = true;
      void kill().finally(() => {
        // Docker normally closes the stream once the processes are gone; do not wait on it forever.
        setTimeout(() => {
          if (!done) {
            (stream as unknown as { destroy?: () => void }).destroy?.();
            finish();
          }
        }, STREAM_CLOSE_GRACE_MS).unref();
      });
    }, deadlineMs);
  });
}
