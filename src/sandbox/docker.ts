// Docker implementation of the Sandbox seam: labelled, isolated workspace containers, bounded command
// execution with an in-container timeout plus a host-side deadline, and files moved as tar streams.

import { randomUUID } from "node:crypto";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { type Duplex, Readable } from "node:stream";
import type Docker from "dockerode";
import * as tar from "tar-stream";
import { InfraError, UsageError, errorMessage } from "../errors.js";
import { statusCodeOf } from "../util/status-code.js";
import { type BaseFile, baseCommitEntries, needsRealGit } from "./git-base.js";
import type { ShellSession } from "./shell.js";
import { DEFAULT_WORKDIR, type ExecOptions, type ExecResult, type Sandbox, type SandboxProvider, type Shell, type WorkspaceSpec } from "./types.js";

/** Label keys the provider owns; spec.labels cannot override them. */
export const LABELS = {
  runId: "bench.run-id",
  taskId: "bench.task-id",
  cell: "bench.cell",
  ownerPid: "bench.owner-pid",
  host: "bench.host",
  managed: "bench.managed",
} as const;

const DEFAULT_MEMORY_BYTES = 2 * 1024 ** 3;
const DEFAULT_CPUS = 1;
const DEFAULT_PIDS_LIMIT = 512;
const DEFAULT_MAX_FILE_BYTES = 1024 ** 3;
const DEFAULT_TIMEOUT_SEC = 120;
const DEFAULT_MAX_OUTPUT_BYTES = 100_000;
/** `timeout -k`: seconds between the in-container SIGTERM and SIGKILL. */
const KILL_AFTER_SEC = 2;
/** The host-side deadline fires this long after the in-container timeout should have killed everything. */
const HOST_GRACE_MS = 3_000;
/** After the host-side kill, how long to wait for Docker to close the output stream before abandoning it. */
const STREAM_CLOSE_GRACE_MS = 2_000;
/** Files up to this size are read through the command shell (base64 on its stdout); bigger ones through the archive API. */
const MAX_SHELL_READ_BYTES = 4 * 1024 ** 2;
/** Files up to this size are written through the command shell (base64 in a here-document bash reads byte by byte). */
const MAX_SHELL_WRITE_BYTES = 48 * 1024;
/** Set on every exec so the host-side deadline can find the command's processes, even ones that left its process group. */
const EXEC_MARKER_VAR = "BENCH_EXEC_ID";

export interface DockerSandboxProviderOptions {
  /** Value of the `bench.run-id` label on every container this provider creates. */
  runId: string;
  /** Value of the `bench.owner-pid` label; the janitor removes containers whose owner is gone. @default process.pid */
  ownerPid?: number;
  /** Value of the `bench.host` label. @default os.hostname() */
  host?: string;
  /**
   * Capabilities added back after `CapDrop: ["ALL"]`. The Python image needs none: git, pip (as root into
   * root-owned paths), pytest, `timeout` and the deadline's kill all work without any. @default []
   */
  capAdd?: string[];
}

export interface RemovedContainer {
  id: string;
  labels: Record<string, string>;
}

/** Fails with an InfraError that says how to fix it when the Docker engine cannot be reached. */
export async function checkDocker(docker: Docker): Promise<void> {
  try {
    await docker.ping();
  } catch (err) {
    throw new InfraError(
      `Docker is not reachable (${errorMessage(err)}): start the Docker engine or set DOCKER_HOST`,
      { cause: err },
    );
  }
}

export class DockerSandboxProvider implements SandboxProvider {
  readonly #docker: Docker;
  readonly #runId: string;
  readonly #ownerPid: number;
  readonly #host: string;
  readonly #capAdd: string[];
  /** hostCommitPossible per repository: a task's repository is the same for every attempt of a run. */
  readonly #hostCommit = new Map<string, Promise<boolean>>();

  constructor(docker: Docker, options: DockerSandboxProviderOptions) {
    if (options.runId === "") throw new UsageError("DockerSandboxProvider runId: expected a non-empty string, got \"\"");
    this.#docker = docker;
    this.#runId = options.runId;
    this.#ownerPid = options.ownerPid ?? process.pid;
    this.#host = options.host ?? os.hostname();
    this.#capAdd = options.capAdd ?? [];
  }

  #hostCommitPossible(repoDir: string): Promise<boolean> {
    let known = this.#hostCommit.get(repoDir);
    if (known === undefined) this.#hostCommit.set(repoDir, (known = hostCommitPossible(repoDir)));
    return known;
  }

  async create(spec: WorkspaceSpec): Promise<Sandbox> {
    const workdir = spec.workdir ?? DEFAULT_WORKDIR;
    const memoryBytes = spec.memoryBytes ?? DEFAULT_MEMORY_BYTES;
    const cpus = spec.cpus ?? DEFAULT_CPUS;
    const pidsLimit = spec.pidsLimit ?? DEFAULT_PIDS_LIMIT;
    if (!path.posix.isAbsolute(workdir)) throw new UsageError(`workspace workdir: expected an absolute path, got ${JSON.stringify(workdir)}`);
    requirePositive("workspace memoryBytes", memoryBytes);
    requirePositive("workspace cpus", cpus);
    requirePositive("workspace pidsLimit", pidsLimit);

    const labels: Record<string, string> = {
      [LABELS.taskId]: "",
      [LABELS.cell]: "",
      ...spec.labels,
      [LABELS.runId]: this.#runId,
      [LABELS.ownerPid]: String(this.#ownerPid),
      [LABELS.host]: this.#host,
      [LABELS.managed]: "true",
    };
    const user = spec.user;
    if (user !== undefined && !USER_SPEC.test(user)) {
      throw new UsageError(`workspace user: expected uid[:gid] or user[:group] names, got ${JSON.stringify(user)}`);
    }
    // A numeric user gets the repository from tar directly (owner in every entry); a named one through `chown -R`.
    // Only with the base commit built on the host: git committing as root could not write into the user's tree.
    const ids = user !== undefined ? /^(\d+):(\d+)$/.exec(user) : null;
    const owner = ids && spec.repoDir !== undefined && (await this.#hostCommitPossible(spec.repoDir)) ? { uid: Number(ids[1]), gid: Number(ids[2]) } : undefined;
    let container: Docker.Container | undefined;
    let lifeline: Duplex | undefined;
    let step = "create container";
    try {
      container = await this.#docker.createContainer({
        Image: spec.image,
        // The entrypoint unpacks the repository from stdin (no putArchive: Docker untars through a helper process,
        // ~45 ms), commits it, hands the workdir to the user, then waits on stdin: the lifeline (see PREPARE_SCRIPT).
        Entrypoint: ["bash", "-c", PREPARE_SCRIPT, "bench-prepare"],
        Cmd: [],
        Env: [`BENCH_REPO=${spec.repoDir !== undefined ? 1 : 0}`, `BENCH_OWNER=${user ?? ""}`, `BENCH_TAR_OWNER=${owner ? 1 : 0}`],
        OpenStdin: true,
        StdinOnce: true,
        Labels: labels,
        WorkingDir: workdir,
        Tty: false,
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        HostConfig: {
          Init: true,
          // The container ends when its lifeline closes (the owner exited or was killed); Docker then removes it.
          AutoRemove: true,
          NetworkMode: spec.network === true ? "bridge" : "none",
          // `docker-default` (SWE-bench's grading container): Docker's own defaults, no limit nor dropped capability.
          ...(spec.isolation === "docker-default"
            ? {}
            : {
                Memory: memoryBytes,
                MemorySwap: memoryBytes, // no swap: the limit is the limit
                NanoCpus: Math.round(cpus * 1e9),
                PidsLimit: pidsLimit,
                CapDrop: ["ALL"],
                // Only for the root entrypoint handing the repository to the user (tar --same-owner, or chown -R); the
                // user's commands get no capability (a non-root process's effective set is empty after execve).
                CapAdd: user !== undefined ? [...new Set([...this.#capAdd, ...ENTRYPOINT_CAPS])] : this.#capAdd,
                SecurityOpt: ["no-new-privileges"],
                // No single file past this size (RLIMIT_FSIZE, bytes): a runaway write fails fast instead of filling
                // the host disk. overlay2 on ext4 has no per-container quota, so this is the bound that works everywhere.
                Ulimits: [
                  { Name: "fsize", Soft: spec.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES, Hard: spec.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES },
                  { Name: "nofile", Soft: 4096, Hard: 4096 },
                ],
              }),
          LogConfig: { Type: "none", Config: {} }, // the entrypoint's output comes through the attach stream
        },
      });
      step = "attach to the container";
      // Attached before start, so nothing the entrypoint prints is lost.
      const stdio = (await container.attach({ stream: true, hijack: true, stdin: true, stdout: true, stderr: true })) as unknown as Duplex;
      lifeline = stdio;
      stdio.on("error", () => {}); // a broken lifeline ends the container; the next command reports it
      // The archive is written before the start: Docker holds it until the entrypoint reads stdin.
      const preparing = prepareWorkspace(stdio, spec.repoDir, PREPARE_TIMEOUT_MS, owner);
      preparing.catch(() => {}); // awaited below; a failed start must not leave it unhandled
      step = "start container";
      await container.start();
      step = spec.repoDir !== undefined ? `copy ${spec.repoDir} into ${workdir}` : "prepare the workspace";
      const prepared = await preparing;
      if (prepared.exitCode !== 0) {
        if (prepared.stage === "commit") step = "commit the repository as git base";
        if (prepared.stage === "owner") step = `hand ${workdir} to user ${user}`;
        throw new Error(`exit code ${prepared.exitCode}${prepared.timedOut ? " (timed out)" : ""}: ${prepared.output.trim()}`);
      }
      let env: string[] | undefined;
      if (spec.activate !== undefined) {
        step = "activate the workspace environment";
        env = await activatedEnvironment(container, spec.activate, workdir, user);
      }
      return new DockerSandbox(container, workdir, { lifeline: stdio, ...(user !== undefined ? { user } : {}), ...(env ? { env } : {}) });
    } catch (err) {
      lifeline?.destroy();
      // If even removal fails (engine gone), the labels let the janitor find the container later.
      if (container !== undefined) await removeQuietly(container).catch(() => {});
      const hint = statusCodeOf(err) === 404 && step === "create container" ? " (build it with `bench images build`)" : "";
      throw new InfraError(`cannot create workspace from image ${spec.image}: ${step} failed: ${errorMessage(err)}${hint}`, {
        cause: err,
      });
    }
  }
}

/**
 * Added back for the root entrypoint when a workspace has a user: CHOWN to give files away, FOWNER to set their mode
 * and times after that (tar --same-owner chowns, then chmods). Only root processes of the container hold them.
 */
const ENTRYPOINT_CAPS = ["CHOWN", "FOWNER"];

/** `uid[:gid]` or `name[:group]`, as Docker's exec `User` and `chown` take them. */
const USER_SPEC = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/;

/**
 * Entrypoint of every workspace, as root with every capability dropped but ENTRYPOINT_CAPS when a user is set:
 * - BENCH_REPO=1: unpack the tar on stdin into the workdir (tar stops at the archive's end; stdin stays open) and
 *   commit everything as the git base unless the archive brought its `.git` (the host built the commit: git-base.ts);
 * - BENCH_OWNER set: the workdir belongs to that user, who runs every command from then on: tar gives it the owner of
 *   every entry (BENCH_TAR_OWNER=1: a numeric `uid:gid` written into an archive that brings its base commit; tar
 *   delays directories' owner and mode to the end, since root without DAC_OVERRIDE cannot write into the user's
 *   folders), else `chown -R` after the commit;
 * - print `__BENCH_PREPARED__<stage>:<exit code>`;
 * - wait on stdin, the lifeline: the owner keeps the attach connection open for the workspace's life. When the owner
 *   exits or is killed, Docker closes stdin, `cat` ends, the container stops and Docker removes it (AutoRemove): no
 *   janitor needed, on this host or another. A non-root agent cannot signal this root process.
 */
const PREPARE_SCRIPT = `stage=copy rc=0 own=$BENCH_OWNER
if [ "$BENCH_REPO" = 1 ]; then
  if [ "$BENCH_TAR_OWNER" = 1 ]; then tar -x -f - --same-owner --delay-directory-restore; rc=$?; own=; else tar -x -f - --no-same-owner; rc=$?; fi
  if [ "$rc" -eq 0 ] && [ "$BENCH_TAR_OWNER" != 1 ] && [ ! -e .git ]; then stage=commit; own=$BENCH_OWNER; git init -q --template= && git add -A && git commit -q --no-verify -m base; rc=$?; fi
fi
if [ "$rc" -eq 0 ] && [ -n "$own" ]; then stage=owner; chown -R -- "$own" .; rc=$?; fi
printf '\n__BENCH_PREPARED__%s:%d\n' "$stage" "$rc"
exec cat >/dev/null`;
/**
 * DockerSandbox.reset, as the workspace user (`$1`: the workdir): SIGKILL every process of the user (`kill -1` spares
 * the caller and root's processes; repeated for anything forking meanwhile), empty every place the user could write
 * (POSIX message queues in /dev/mqueue included) and remove the user's System V IPC objects (they outlive processes),
 * then unpack the repository from stdin and commit it, as PREPARE_SCRIPT does; print `__BENCH_RESET__<exit code>`, and
 * on success exec a bash that reads the rest of stdin: the workspace's next command shell.
 */
const RESET_SCRIPT = `w=$1
for ((i = 0; i < 50; i++)); do kill -9 -1 2>/dev/null || break; done
places=()
for d in "$w" /tmp /var/tmp /run/lock /dev/shm /dev/mqueue "$HOME"; do [ -d "$d" ] && places+=("$d"); done
find "\${places[@]}" -mindepth 1 -user "$UID" -type d ! -perm -u=rwx -exec chmod u+rwx {} \\; 2>/dev/null
find "\${places[@]}" -mindepth 1 -depth -user "$UID" -delete 2>/dev/null
ipcrm --all 2>/dev/null
shopt -s nullglob dotglob
left=("$w"/*)
rc=0
if [ "\${#left[@]}" -gt 0 ]; then echo "cannot empty $w:"; printf '%s\\n' "\${left[@]}"; rc=3; fi
[ "$rc" -eq 0 ] && { cd "$w" && tar -x -f - --no-same-owner; rc=$?; }
[ "$rc" -eq 0 ] && [ ! -e .git ] && { git init -q --template= && git add -A && git commit -q --no-verify -m base; rc=$?; }
printf '\\n__BENCH_RESET__%d\\n' "$rc"
[ "$rc" -eq 0 ] && exec bash --noprofile --norc
exit "$rc"`;
/** GNU tar's default record size (blocking factor 20). */
const TAR_RECORD_BYTES = 20 * 512;
/** Deadline of unpacking and committing the repository. */
const PREPARE_TIMEOUT_MS = 300_000;

/**
 * Streams `repoDir` (when given) as a tar into the attached stdin of a started workspace, without ending stdin (it is
 * the lifeline), and waits for the entrypoint's verdict. A host-side read error leaves the archive incomplete (tar
 * never sees its end) and rejects; the caller removes the container.
 */
function prepareWorkspace(
  stdio: Duplex,
  repoDir: string | undefined,
  timeoutMs: number,
  owner?: { uid: number; gid: number },
): Promise<{ stage: "copy" | "commit" | "owner"; exitCode: number; output: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    let output = "";
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stdio.off("data", onData);
      fn();
    };
    const demux = new Demuxer((_kind, payload) => {
      output = (output + payload.toString("utf8")).slice(-8_000);
      const match = /\n__BENCH_PREPARED__(copy|commit|owner):(\d+)\n/.exec(output);
      if (match) {
        const rest = output.slice(0, match.index);
        settle(() => resolve({ stage: match[1] as "copy" | "commit" | "owner", exitCode: Number(match[2]), output: rest, timedOut: false }));
      }
    });
    const onData = (chunk: Buffer): void => demux.push(chunk);
    const timer = setTimeout(() => settle(() => resolve({ stage: "copy", exitCode: 124, output, timedOut: true })), timeoutMs);
    stdio.on("data", onData);
    const ended = (): void => settle(() => reject(new Error(`the container stopped before the workspace was ready: ${output.trim() || "no output"}`)));
    stdio.once("end", ended);
    stdio.once("close", ended);
    stdio.once("error", (err: Error) => settle(() => reject(err)));
    if (repoDir === undefined) return;
    sendRepository(repoDir, stdio, owner).on("error", (err: Error) => settle(() => reject(err)));
  });
}

/**
 * Streams `repoDir` as a tar into `stdin` without ending it (the stream goes on being the lifeline, or a shell's
 * input), so tar must find the archive's end without an EOF: reading a pipe, GNU tar waits for whole records (20
 * blocks of 512 bytes), so the archive is padded with zeros to a whole record. Returns the source for its errors.
 */
function sendRepository(repoDir: string, stdin: Duplex, owner?: { uid: number; gid: number }): Readable {
  const source = Readable.from(packDirectory(repoDir, { date: new Date() }, owner));
  let sent = 0;
  source.on("data", (chunk: Buffer) => {
    sent += chunk.length;
  });
  source.on("end", () => stdin.write(Buffer.alloc((TAR_RECORD_BYTES - (sent % TAR_RECORD_BYTES)) % TAR_RECORD_BYTES)));
  source.pipe(stdin, { end: false });
  return source;
}

/** Variables that describe one process, not an environment to hand on. */
const PROCESS_VARIABLES = new Set(["PWD", "OLDPWD", "SHLVL", "_", "HOSTNAME"]);

/**
 * Runs `activate` (e.g. `source /opt/miniconda3/bin/activate && conda activate testbed`) once in a new workspace and
 * returns the environment it leaves, as `KEY=value` entries every later exec and shell starts with: the agent's
 * commands then run inside that environment, activation scripts (conda's activate.d) included, for one exec per
 * workspace instead of one per command.
 */
async function activatedEnvironment(container: Docker.Container, activate: string, workdir: string, user: string | undefined): Promise<string[]> {
  const exec = await container.exec({
    Cmd: ["bash", "-c", `${activate} >/dev/null 2>&1 || { echo "activation failed: exit $?" >&2; exit 1; }\nenv -0`],
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    WorkingDir: workdir,
    ...(user !== undefined ? { User: user } : {}),
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const stdout = new BoundedOutput(1_000_000);
  const stderr = new BoundedOutput(10_000);
  const demux = new Demuxer((kind, payload) => (kind === 2 ? stderr : stdout).push(payload));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no answer within 60 s")), 60_000);
    stream.on("data", (chunk: Buffer) => demux.push(chunk));
    stream.once("end", () => (clearTimeout(timer), resolve()));
    stream.once("close", () => (clearTimeout(timer), resolve()));
    stream.once("error", (err: Error) => (clearTimeout(timer), reject(err)));
  });
  const exitCode = await exitCodeOf(exec);
  if (exitCode !== 0) throw new Error(`\`${activate}\` failed (exit ${exitCode}): ${stderr.text().trim()}`);
  return stdout
    .text()
    .split("\0")
    .filter((entry) => entry.includes("=") && !PROCESS_VARIABLES.has(entry.slice(0, entry.indexOf("="))));
}

export interface DockerSandboxOptions {
  /** User every command runs as (exec `User`); the image's user when absent. */
  user?: string;
  /** `KEY=value` entries every exec and shell starts with (WorkspaceSpec.activate's environment). @default none */
  env?: string[];
  /** The attach connection whose stdin keeps the container alive (PREPARE_SCRIPT); closed after removal. */
  lifeline?: Duplex;
}

/** A started workspace container. Commands run as the workspace's user (else the image's) through `docker exec`. */
export class DockerSandbox implements Sandbox {
  readonly id: string;
  readonly workdir: string;
  readonly #container: Docker.Container;
  readonly #user: string | undefined;
  readonly #env: string[];
  readonly #lifeline: Duplex | undefined;
  #removal: Promise<void> | undefined;
  readonly #shells = new Set<Shell>();
  /** The shell behind exec() (opened on first use); null when it cannot start. */
  #commandShell: Promise<ShellSession | null> | undefined;

  constructor(container: Docker.Container, workdir: string, options: DockerSandboxOptions = {}) {
    this.#container = container;
    this.id = container.id;
    this.workdir = workdir;
    this.#user = options.user;
    this.#env = options.env ?? [];
    this.#lifeline = options.lifeline;
  }

  /** The user commands run as; undefined: the image's (root). */
  get user(): string | undefined {
    return this.#user;
  }

  /** A persistent bash in the workdir (src/sandbox/shell.ts); closed when the sandbox is removed. */
  async openShell(): Promise<Shell> {
    const { ShellSession } = await import("./shell.js"); // shell.ts imports this module: load it on first use
    const shell = await ShellSession.open(this.#container, this.#shellOptions());
    this.#shells.add(shell);
    return shell;
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const timeoutSec = options.timeoutSec ?? DEFAULT_TIMEOUT_SEC;
    const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    requirePositive("exec timeoutSec", timeoutSec);
    if (!Number.isInteger(maxOutputBytes) || maxOutputBytes < 0) {
      throw new UsageError(`exec maxOutputBytes: expected a non-negative integer, got ${maxOutputBytes}`);
    }
    const viaShell = await this.#execViaShell(command, { timeoutSec, maxOutputBytes, cwd: options.cwd ?? this.workdir, env: options.env ?? {} });
    if (viaShell !== undefined) return viaShell;
    const marker = randomUUID();
    const env = [...this.#env, ...Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`)];
    env.push(`${EXEC_MARKER_VAR}=${marker}`);
    const started = performance.now();

    let exec: Docker.Exec;
    let stream: NodeJS.ReadWriteStream;
    try {
      exec = await this.#container.exec({
        // GNU timeout runs the command in its own process group and signals the whole group on expiry.
        Cmd: ["timeout", "-k", String(KILL_AFTER_SEC), String(timeoutSec), "bash", "-c", command],
        AttachStdin: false,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        Env: env,
        WorkingDir: options.cwd ?? this.workdir,
        ...(this.#user !== undefined ? { User: this.#user } : {}),
      });
      stream = await exec.start({ hijack: true, stdin: false });
    } catch (err) {
      throw new InfraError(`cannot exec in sandbox ${this.id.slice(0, 12)}: ${errorMessage(err)}`, { cause: err });
    }

    const stdout = new BoundedOutput(maxOutputBytes);
    const stderr = new BoundedOutput(maxOutputBytes);
    const demux = new Demuxer((kind, payload) => (kind === 2 ? stderr : stdout).push(payload));
    let hostDeadlineHit = false;
    let streamError: Error | undefined;

    await new Promise<void>((resolve) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(deadline);
        resolve();
      };
      stream.on("data", (chunk: Buffer) => demux.push(chunk));
      stream.on("end", finish);
      stream.on("close", finish);
      stream.on("error", (err: Error) => {
        streamError = err;
        finish();
      });
      const deadline = setTimeout(() => {
        hostDeadlineHit = true;
        void this.#killMarked(marker).finally(() => {
          // Docker normally closes the stream once the processes are gone; do not wait on it forever.
          setTimeout(() => {
            if (!done) {
              (stream as unknown as { destroy?: () => void }).destroy?.();
              finish();
            }
          }, STREAM_CLOSE_GRACE_MS).unref();
        });
      }, (timeoutSec + KILL_AFTER_SEC) * 1000 + HOST_GRACE_MS);
    });

    const exitCode = await exitCodeOf(exec);
    if (exitCode === undefined && streamError !== undefined && !hostDeadlineHit) {
      throw new InfraError(`lost the output of a command in sandbox ${this.id.slice(0, 12)}: ${streamError.message}`, {
        cause: streamError,
      });
    }
    const durationMs = Math.round(performance.now() - started);
    const killedByTimeout = (exitCode === 124 || exitCode === 137) && durationMs >= timeoutSec * 1000 - 50;
    return {
      exitCode: exitCode ?? 137,
      stdout: stdout.text(),
      stderr: stderr.text(),
      timedOut: hostDeadlineHit || killedByTimeout,
      truncatedBytes: stdout.droppedBytes + stderr.droppedBytes,
      durationMs,
    };
  }

  /**
   * exec() through a persistent shell (src/sandbox/shell.ts execInShell): the same `timeout … bash -c` command line,
   * started by a shell instead of a runc exec (~65 ms of CPU each). Undefined when that shell is busy (concurrent
   * calls), cannot start, or the sandbox is being removed: the caller then uses a docker exec.
   */
  #execViaShell(
    command: string,
    options: { timeoutSec: number; maxOutputBytes: number; cwd: string; env: Record<string, string> },
  ): Promise<ExecResult | undefined> {
    return this.#viaCommandShell((shell, m) => m.execInShell(shell, command, { ...options, killAfterSec: KILL_AFTER_SEC, hostGraceMs: HOST_GRACE_MS }));
  }

  warm(): void {
    void this.#viaCommandShell(async () => undefined).catch(() => undefined);
  }

  /**
   * Runs `work` on the command shell behind exec/readFile/writeFile (opened on first use or by warm). Undefined when that shell
   * is busy, cannot start, or the sandbox is being removed, or when `work` itself declines: the caller then goes
   * through the Docker API (docker exec, archive upload/download: ~55–85 ms of daemon CPU each).
   */
  async #viaCommandShell<T>(work: (shell: ShellSession, m: typeof import("./shell.js")) => Promise<T | undefined>): Promise<T | undefined> {
    if (this.#removal !== undefined) return undefined;
    const m = await import("./shell.js");
    this.#commandShell ??= m.ShellSession.open(this.#container, this.#shellOptions()).then(
      (shell) => {
        this.#shells.add(shell);
        return shell;
      },
      () => null,
    );
    const shell = await this.#commandShell;
    if (shell === null || shell.busy || this.#removal !== undefined) return undefined;
    try {
      return await work(shell, m);
    } catch (err) {
      if (!(err instanceof m.ShellStartError)) throw err;
      this.#commandShell = Promise.resolve(null);
      return undefined;
    }
  }

  async readFile(filePath: string): Promise<Buffer> {
    const viaShell = await this.#viaCommandShell((shell, m) => m.readFileInShell(shell, this.#resolve(filePath), MAX_SHELL_READ_BYTES));
    if (viaShell !== undefined) return viaShell;
    let target = this.#resolve(filePath);
    for (let hops = 0; hops < 16; hops++) {
      let archive: NodeJS.ReadableStream;
      try {
        archive = await this.#container.getArchive({ path: target });
      } catch (err) {
        throw fileError(err, target, "read");
      }
      const entry = await firstTarEntry(archive);
      if (entry === undefined) throw notFound(target);
      if (entry.type === "symlink" && entry.linkname !== undefined) {
        target = path.posix.resolve(path.posix.dirname(target), entry.linkname);
        continue;
      }
      if (entry.type !== "file") {
        throw Object.assign(new Error(`${target}: is a ${entry.type}, not a file`), { code: "EISDIR" });
      }
      return entry.content;
    }
    throw Object.assign(new Error(`${filePath}: too many levels of symbolic links`), { code: "ELOOP" });
  }

  async writeFile(filePath: string, data: Buffer | string, mode?: number): Promise<void> {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    if (bytes.length <= MAX_SHELL_WRITE_BYTES) {
      const written = await this.#viaCommandShell((shell, m) => m.writeFileInShell(shell, this.#resolve(filePath), bytes, mode).then(() => true));
      if (written) return;
    }
    let target = this.#resolve(filePath);
    // Like fs.writeFile: follow symlinks, refuse folders (Docker's untar would replace a folder by the file).
    let existing = await this.#stat(target);
    for (let hops = 0; existing?.linkTarget !== undefined; hops++) {
      if (hops >= 16) throw Object.assign(new Error(`${filePath}: too many levels of symbolic links`), { code: "ELOOP" });
      target = path.posix.resolve(path.posix.dirname(target), existing.linkTarget);
      existing = await this.#stat(target);
    }
    if (target === "/" || existing?.isDirectory === true) {
      throw Object.assign(new Error(`${target}: is a directory`), { code: "EISDIR" });
    }
    const content = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    const fileMode = mode ?? existing?.mode ?? 0o644;
    // With a workspace user, the file must be theirs: missing parents made by them, the entry carries their ids.
    const owner = this.#user !== undefined ? await this.#ownerIds(path.posix.dirname(target)) : { uid: 0, gid: 0 };
    const pack = tar.pack();
    // Extracting at "/" lets Docker create missing parent folders (0755, root), so no mkdir round trip as root.
    pack.entry({ name: target.slice(1), mode: fileMode & 0o7777, size: content.length, mtime: new Date(), ...owner }, content);
    pack.finalize();
    try {
      await this.#container.putArchive(await collect(Readable.from(pack)), { path: "/", ...(this.#user !== undefined ? { copyUIDGID: true } : {}) });
    } catch (err) {
      throw fileError(err, target, "write");
    }
  }

  async reset(repoDir: string): Promise<void> {
    if (this.#user === undefined) throw new InfraError("reset: only a workspace with a non-root user can be reset (a root agent could have changed anything)");
    if (this.#removal !== undefined) throw new InfraError(`reset: sandbox ${this.id.slice(0, 12)} is being removed`);
    // Its shells die with the user's processes: forget them, the next command opens new ones.
    for (const shell of this.#shells) void shell.close();
    this.#shells.clear();
    this.#commandShell = undefined;
    let exec: Docker.Exec;
    let stdio: Duplex;
    try {
      exec = await this.#container.exec({
        Cmd: ["bash", "-c", RESET_SCRIPT, "bench-reset", this.workdir],
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        WorkingDir: "/",
        User: this.#user,
      });
      stdio = (await exec.start({ hijack: true, stdin: true })) as unknown as Duplex;
    } catch (err) {
      throw new InfraError(`cannot reset sandbox ${this.id.slice(0, 12)}: ${errorMessage(err)}`, { cause: err });
    }
    // The script prints its verdict, then execs a bash on the same stdin: that becomes the command shell (one exec less).
    const where = `sandbox ${this.id.slice(0, 12)}`;
    const verdict = await new Promise<{ exitCode: number; output: string }>((resolve, reject) => {
      let output = "";
      const cleanup = (): void => {
        clearTimeout(timer);
        stdio.off("data", onData);
        stdio.off("end", onEnd);
        stdio.off("close", onEnd);
        stdio.off("error", onEnd);
      };
      const demux = new Demuxer((_kind, payload) => {
        output = (output + payload.toString("utf8")).slice(-8_000);
        const match = /\n__BENCH_RESET__(\d+)\n/.exec(output);
        if (match) {
          cleanup();
          resolve({ exitCode: Number(match[1]), output: output.slice(0, match.index) });
        }
      });
      const onData = (chunk: Buffer): void => demux.push(chunk);
      const onEnd = (): void => {
        cleanup();
        resolve({ exitCode: -1, output });
      };
      const timer = setTimeout(() => {
        cleanup();
        stdio.destroy();
        reject(new InfraError(`reset of ${where} timed out: ${output.trim()}`));
      }, PREPARE_TIMEOUT_MS);
      stdio.on("data", onData);
      stdio.once("end", onEnd);
      stdio.once("close", onEnd);
      stdio.once("error", onEnd);
      // stdin stays open for the shell the script execs into.
      sendRepository(repoDir, stdio).on("error", (err: Error) => {
        cleanup();
        stdio.destroy();
        reject(new InfraError(`reset of ${where}: cannot read ${repoDir}: ${err.message}`, { cause: err }));
      });
    });
    if (verdict.exitCode !== 0) {
      stdio.destroy();
      throw new InfraError(`reset of ${where} failed (exit ${verdict.exitCode === -1 ? "unknown" : verdict.exitCode}): ${verdict.output.trim()}`);
    }
    const m = await import("./shell.js");
    const session = m.ShellSession.adopt(this.#container, exec, stdio, this.#shellOptions()).then(
      (shell) => {
        this.#shells.add(shell);
        return shell;
      },
      () => null, // exec() then opens its own
    );
    this.#commandShell = session;
    await session;
  }

  remove(): Promise<void> {
    for (const shell of this.#shells) void shell.close();
    this.#shells.clear();
    // Concurrent calls share one request; a failed one (engine unreachable) may be retried.
    this.#removal ??= removeQuietly(this.#container).then(
      () => {
        this.#lifeline?.destroy();
      },
      (err: unknown) => {
        this.#removal = undefined;
        throw err;
      },
    );
    return this.#removal;
  }

  /** Numeric ids of the workspace user, after making `dir` (as that user) when it is missing. */
  async #ownerIds(dir: string): Promise<{ uid: number; gid: number }> {
    const r = await this.exec(`mkdir -p -- '${dir.replace(/'/g, "'\\''")}' && id -u && id -g`, { timeoutSec: 30 });
    const [uid, gid] = r.stdout.trim().split("\n").map(Number);
    if (r.exitCode !== 0 || !Number.isInteger(uid) || !Number.isInteger(gid)) {
      throw pathErrorOf(dir, r.stderr) ?? new InfraError(`cannot prepare ${dir} in sandbox: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
    }
    return { uid: uid as number, gid: gid as number };
  }

  #shellOptions(): { workdir: string; user?: string; env?: string[] } {
    return { workdir: this.workdir, ...(this.#user !== undefined ? { user: this.#user } : {}), ...(this.#env.length > 0 ? { env: this.#env } : {}) };
  }

  #resolve(filePath: string): string {
    return path.posix.resolve(this.workdir, filePath);
  }

  /** What Docker's archive HEAD says about a path; undefined when it does not exist. */
  async #stat(target: string): Promise<{ mode: number; isDirectory: boolean; linkTarget?: string } | undefined> {
    let res: { headers?: Record<string, string | undefined> };
    try {
      res = (await this.#container.infoArchive({ path: target })) as typeof res;
    } catch (err) {
      // A HEAD error has no body to say why; when Docker answered at all, let the write itself report the problem.
      if (statusCodeOf(err) !== undefined && !errorMessage(err).includes("No such container:")) return undefined;
      throw fileError(err, target, "stat");
    }
    const header = res.headers?.["x-docker-container-path-stat"];
    if (header === undefined) return undefined;
    const stat = JSON.parse(Buffer.from(header, "base64").toString("utf8")) as { mode?: number; linkTarget?: string };
    const goMode = stat.mode ?? 0;
    // Go's os.FileMode: type bits at the top (ModeDir 1<<31, ModeSymlink 1<<27), Unix permission bits at the bottom.
    const result: { mode: number; isDirectory: boolean; linkTarget?: string } = {
      mode: goMode & 0o777,
      isDirectory: (goMode & 2 ** 31) !== 0,
    };
    if ((goMode & 2 ** 27) !== 0 && stat.linkTarget) result.linkTarget = stat.linkTarget;
    return result;
  }

  /** The host-side deadline: SIGKILL every process that carries this exec's marker in its environment. */
  async #killMarked(marker: string): Promise<void> {
    const script =
      `for d in /proc/[0-9]*; do ` +
      `if grep -qsxzF "${EXEC_MARKER_VAR}=$1" "$d/environ"; then kill -KILL "\${d#/proc/}" 2>/dev/null; fi; ` +
      `done; true`;
    try {
      const killer = await this.#container.exec({
        Cmd: ["bash", "-c", script, "bench-kill", marker],
        AttachStdout: true,
        AttachStderr: true,
        ...(this.#user !== undefined ? { User: this.#user } : {}),
      });
      const stream = await killer.start({ hijack: true, stdin: false });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5_000);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        stream.on("end", done);
        stream.on("close", done);
        stream.on("error", done);
        stream.resume();
      });
    } catch {
      // The container may be gone or out of pids; the caller still gets timedOut and removes the sandbox.
    }
  }
}

/**
 * Force-removes every container carrying all the given labels (value `true`: the label is present with any value);
 * returns what was removed. Containers already gone or being removed are skipped silently.
 */
export async function removeContainers(
  docker: Docker,
  filterLabels: Record<string, string | true>,
): Promise<RemovedContainer[]> {
  const label = Object.entries(filterLabels).map(([key, value]) => (value === true ? key : `${key}=${value}`));
  if (label.length === 0) throw new UsageError("removeContainers: expected at least one label filter, got none");
  let found: Docker.ContainerInfo[];
  try {
    found = await docker.listContainers({ all: true, filters: { label } });
  } catch (err) {
    throw new InfraError(`cannot list containers: ${errorMessage(err)}`, { cause: err });
  }
  const removed: RemovedContainer[] = [];
  await Promise.all(
    found.map(async (info) => {
      if (await removeQuietly(docker.getContainer(info.Id))) removed.push({ id: info.Id, labels: info.Labels });
    }),
  );
  return removed;
}

/** Force-removes a container; true when this call removed it, false when it was already gone or going. */
async function removeQuietly(container: Docker.Container): Promise<boolean> {
  try {
    await container.remove({ force: true, v: true });
    return true;
  } catch (err) {
    const code = statusCodeOf(err);
    // 404: already gone; 409: "removal of container … is already in progress".
    if (code === 404 || code === 409) return false;
    throw new InfraError(`cannot remove container ${container.id.slice(0, 12)}: ${errorMessage(err)}`, { cause: err });
  }
}

/** Largest repository whose base commit is built on the host (git-base.ts); a bigger one is committed by git in the container. */
const MAX_HOST_BASE_BYTES = 16 * 1024 ** 2;
const MAX_HOST_BASE_FILES = 20_000;

/**
 * Whether packDirectory will bring the base commit built on the host (the same rules, from names and sizes alone),
 * so the entrypoint need not commit as root: then the archive can carry the user's ownership (tar --same-owner).
 */
async function hostCommitPossible(root: string): Promise<boolean> {
  let files = 0;
  let bytes = 0;
  const walk = async (rel: string): Promise<boolean> => {
    for (const entry of await fs.readdir(path.join(root, rel), { withFileTypes: true })) {
      if (rel === "" && entry.name === ".git") continue;
      const name = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (needsRealGit(name)) return false;
      if (entry.isDirectory()) {
        if (!(await walk(name))) return false;
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        bytes += entry.isFile() ? (await fs.lstat(path.join(root, name))).size : 0;
        if (++files >= MAX_HOST_BASE_FILES || bytes > MAX_HOST_BASE_BYTES) return false;
      }
    }
    return true;
  };
  return walk("").catch(() => false); // an unreadable repository fails in packDirectory, with its own message
}

/**
 * Stream of a tar archive of `root`'s contents (modes kept, owned by root, top-level .git left out). With `baseCommit`,
 * the archive ends with a `.git` holding the base commit (git-base.ts) when git's own `add -A` would commit exactly
 * the same (no ignore or attribute files, no nested repository, not too big); otherwise the entrypoint commits.
 */
function packDirectory(root: string, baseCommit?: { date: Date }, owner: { uid: number; gid: number } = { uid: 0, gid: 0 }): tar.Pack {
  const pack = tar.pack();
  let baseFiles: BaseFile[] | undefined = baseCommit ? [] : undefined;
  let baseBytes = 0;
  const collect = (file: BaseFile): void => {
    if (baseFiles === undefined) return;
    baseBytes += file.content.length;
    if (baseBytes > MAX_HOST_BASE_BYTES || baseFiles.length >= MAX_HOST_BASE_FILES) baseFiles = undefined;
    else baseFiles.push(file);
  };
  const addEntry = (header: Partial<tar.Header> & { name: string }, content?: Buffer) =>
    new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (content === undefined) pack.entry(header, done);
      else pack.entry(header, content, done);
    });
  const walk = async (rel: string): Promise<void> => {
    const entries = await fs.readdir(path.join(root, rel), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      // A fresh `git init` makes the base commit; a copied .git would bring someone else's history.
      if (rel === "" && entry.name === ".git") continue;
      const name = rel === "" ? entry.name : `${rel}/${entry.name}`;
      const full = path.join(root, name);
      const stat = await fs.lstat(full);
      const common = { name, mode: stat.mode & 0o7777, mtime: stat.mtime, ...owner };
      if (needsRealGit(name)) baseFiles = undefined;
      const base = { path: name, mode: stat.mode, mtimeSec: Math.floor(stat.mtime.getTime() / 1000) };
      if (stat.isDirectory()) {
        await addEntry({ ...common, type: "directory" });
        await walk(name);
      } else if (stat.isFile()) {
        const content = await fs.readFile(full);
        collect({ ...base, kind: "file", content });
        await addEntry({ ...common, type: "file", size: stat.size }, content);
      } else if (stat.isSymbolicLink()) {
        const target = await fs.readlink(full);
        collect({ ...base, kind: "symlink", content: Buffer.from(target) });
        await addEntry({ ...common, type: "symlink", linkname: target });
      }
      // sockets, fifos, devices: not part of a repository
    }
  };
  fs.stat(root)
    .then(async (stat) => {
      if (!stat.isDirectory()) throw new Error(`${root} is not a directory`);
      // The workdir itself: tar gives it this entry's owner and mode, as it does every other entry.
      await addEntry({ name: "./", type: "directory", mode: stat.mode & 0o7777, mtime: stat.mtime, ...owner });
      return walk("");
    })
    .then(async () => {
      if (baseCommit === undefined || baseFiles === undefined) return;
      const mtime = baseCommit.date;
      for (const entry of baseCommitEntries(baseFiles, { date: baseCommit.date }).entries) {
        const header = { name: entry.name, mode: entry.mode, mtime, ...owner };
        if (entry.type === "directory") await addEntry({ ...header, type: "directory" });
        else await addEntry({ ...header, type: "file", size: entry.content!.length }, entry.content);
      }
    })
    .then(
      () => pack.finalize(),
      (err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))),
    );
  return pack;
}

interface TarFile {
  type: string;
  linkname?: string;
  content: Buffer;
}

/** The first entry of a tar stream (Docker's getArchive puts the requested path first); the rest is drained. */
async function firstTarEntry(archive: NodeJS.ReadableStream): Promise<TarFile | undefined> {
  const extract = tar.extract();
  (archive as Readable).on("error", (err: Error) => extract.destroy(err)).pipe(extract);
  let first: TarFile | undefined;
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) if (first === undefined) chunks.push(chunk as Buffer);
    if (first === undefined) {
      first = { type: entry.header.type ?? "file", content: Buffer.concat(chunks) };
      if (entry.header.linkname != null) first.linkname = entry.header.linkname;
    }
  }
  return first;
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
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
    const { head, tail, headEnd, tailStart } = this.#seams();
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

function requirePositive(what: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${what}: expected a positive number, got ${value}`);
}

/** A `mkdir -p` failure that is the path's fault (a parent is a file), as an fs-like error. */
function pathErrorOf(target: string, stderr: string): Error | undefined {
  if (/Not a directory|File exists/.test(stderr)) return Object.assign(new Error(`${target}: a parent is not a directory`), { code: "ENOTDIR" });
  return undefined;
}

function notFound(target: string): Error {
  return Object.assign(new Error(`${target}: no such file or directory`), { code: "ENOENT" });
}

/** A bad path is the caller's business (an Error with an fs-like code); anything else is Docker's (InfraError). */
function fileError(err: unknown, target: string, action: "read" | "write" | "stat"): Error {
  const message = errorMessage(err);
  // dockerode words every 404 "no such container"; Docker's own text says which: "No such container: <id>" or
  // "Could not find the file <path> in container <id>".
  if (statusCodeOf(err) === 404 && !message.includes("No such container:")) return notFound(target);
  if (/not a directory/i.test(message)) {
    return Object.assign(new Error(`${target}: a parent is not a directory`), { code: "ENOTDIR", cause: err });
  }
  return new InfraError(`cannot ${action} ${target} in sandbox: ${message}`, { cause: err });
}
