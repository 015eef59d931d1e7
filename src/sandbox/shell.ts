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
// keep its original environment: KILL_SCRIPT). If the shell itself does not come back (a builtin loop, `wait`), it is
// TERMed, then KILLed, then abandoned, and replaced at the next command. Output is bounded while it streams
// (BoundedOutput); output a background process writes while no command runs is dropped.
//
// The same session, stateless (each command in a subshell), carries Sandbox.exec / readFile / writeFile of a Docker
// workspace (execInShell, readFileInShell, writeFileInShell): a runc exec or an archive call costs 55–85 ms of CPU.

import { randomUUID } from "node:crypto";
import type { Duplex } from "node:stream";
import type Docker from "dockerode";
import { InfraError, errorMessage } from "../errors.js";
import { BoundedOutput, Demuxer, exitCodeOf } from "./docker.js";
import type { ExecResult, Shell, ShellResult, ShellRunOptions } from "./types.js";

const DEFAULT_TIMEOUT_SEC = 120;
const DEFAULT_MAX_OUTPUT_BYTES = 100_000;
/** Seconds between the SIGTERM and the SIGKILL of a timed-out command's processes (like `timeout -k 2`). */
const KILL_AFTER_SEC = 2;
/** After the kill exec finished, how long the shell has to print its marker before it is itself killed. */
const SHELL_GRACE_MS = 1_000;
/** After the shell was killed, how long to wait for its stream before abandoning it. */
const ABANDON_GRACE_MS = 2_000;
/** Once one stream's marker arrived, how long the other may lag (Docker copies stdout and stderr separately). */
const OTHER_STREAM_GRACE_MS = 1_000;
/** Deadline of a shell's start (exec create + start + the bootstrap's marker). */
const START_TIMEOUT_MS = 30_000;
/** Environment variable every command's processes carry; the timeout kill finds them by it. */
const EXEC_MARKER_VAR = "BENCH_EXEC_ID";
/** A marker's tail (`<rc>__<pwd>\0`) longer than this is not a marker the shell printed. */
const MAX_MARKER_TAIL = 8_192;

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

interface Marker {
  kind: "END" | "EXIT";
  exitCode: number;
  cwd: string;
}

/** One stream of one command: payload goes to a BoundedOutput until the command's marker, which is parsed. */
class MarkerScanner {
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

type Ending = "markers" | "stream-closed" | "abandoned";

/** The command a shell is running: its two streams and how to settle it (exactly once). */
interface Pending {
  stdout: MarkerScanner;
  stderr: MarkerScanner;
  settle: (how: Ending) => void;
  /** Started when one stream's marker is in; the other gets OTHER_STREAM_GRACE_MS to follow. */
  graceTimer?: NodeJS.Timeout;
}

/** One running `bash` process: an attached exec whose stdin is the command channel. */
class ShellProcess {
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

  /** Runs a helper script in a second exec (the kill path), bounded in time; never throws. */
  async helper(script: string, args: string[], timeoutMs: number): Promise<void> {
    try {
      const exec = await this.#container.exec({
        Cmd: ["bash", "-c", script, "bench-shell-kill", ...args],
        AttachStdout: true,
        AttachStderr: true,
        ...(this.#user !== undefined ? { User: this.#user } : {}),
      });
      const stream = await exec.start({ hijack: true, stdin: false });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
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
      // The container may be gone or out of pids; the caller abandons the shell.
    }
  }
}

/**
 * The timeout kill, run in a second exec: `kill-script MODE SHELL_PID ID AFTER`. Targets: every process whose environment
 * carries BENCH_EXEC_ID=ID (the command's programs, also those that left its process group or were reparented), plus
 * the shell's descendants with no BENCH_EXEC_ID at all (subshells the shell forked without exec, e.g. a `while` loop in
 * a pipeline, keep the shell's original environment). Background programs of earlier commands carry an older id and
 * survive, as they would a Ctrl-C in a terminal. MODE `command`: TERM the targets, KILL what is left after AFTER
 * seconds. MODE `shell`: the same, and the shell itself (TERM first, so its EXIT trap runs).
 */
const KILL_SCRIPT = `
mode=$1 shell=$2 id=$3 after=$4
tag() { # the process's BENCH_EXEC_ID, "-" when it has none (builtins only: no fork per process)
  local e
  while IFS= read -r -d '' e; do [[ $e == ${EXEC_MARKER_VAR}=* ]] && { printf '%s' "\${e#*=}"; return; }; done < "/proc/$1/environ"
  printf -- -
}
targets() {
  local d p s rest q c
  local -A kids=()
  local -a queue=()
  for d in /proc/[0-9]*; do
    p=\${d#/proc/}
    [ "$p" = "$$" ] && continue
    read -r s < "$d/stat" 2>/dev/null || continue
    rest=\${s##*) }; set -- $rest
    kids[$2]+=" $p"
    [ "$(tag "$p" 2>/dev/null)" = "$id" ] && echo "$p"
  done
  [ "$shell" -gt 1 ] 2>/dev/null && queue=("$shell")
  while ((\${#queue[@]})); do
    q=\${queue[0]}; queue=("\${queue[@]:1}")
    for c in \${kids[$q]}; do
      queue+=("$c")
      [ "$(tag "$c" 2>/dev/null)" = - ] && echo "$c"
    done
  done
}
signal() { local p; for p in $(targets); do kill -"$1" "$p" 2>/dev/null; done; }
# Builtins only (no fork): works when a fork bomb has used up the pids limit. Returns 1 when nothing was found.
sweep() {
  local d p e found=1
  for d in /proc/[0-9]*; do
    p=\${d#/proc/}
    [ "$p" = "$$" ] && continue
    while IFS= read -r -d '' e; do
      if [[ $e == ${EXEC_MARKER_VAR}=$id ]]; then kill -"$1" "$p" 2>/dev/null; found=0; break; fi
    done < "$d/environ" 2>/dev/null
  done
  return $found
}
now() { echo "\${EPOCHREALTIME/[.,]/}"; }
for ((i = 0; i < 50; i++)); do sweep TERM || break; done
signal TERM
[ "$mode" = shell ] && kill -TERM "$shell" 2>/dev/null
deadline=$(( $(now) + after * 1000000 ))
while (( $(now) < deadline )); do
  [ -z "$(targets)" ] && { [ "$mode" != shell ] || ! kill -0 "$shell" 2>/dev/null; } && exit 0
  sleep 0.1
done
signal KILL
# Processes forking as fast as they are killed (a fork bomb) need several passes; each pass is fork-free.
for ((i = 0; i < 200; i++)); do sweep KILL || break; done
[ "$mode" = shell ] && kill -KILL "$shell" 2>/dev/null
true
`;

const quote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

/** printf of a marker to both original streams (stderr first). Builtins by name: a function called printf cannot interfere. */
function markerPrintf(kind: "END" | "EXIT", rc: string): string {
  const format = `"\\n__BENCH_${kind}_%s__%d__%s\\0"`;
  return `builtin printf ${format} "$__bench_id" ${rc} "$PWD" >&99; builtin printf ${format} "$__bench_id" ${rc} "$PWD" >&98`;
}

/**
 * The driver's functions, defined once per shell. Per-command lines are plain function calls, never `{ … }` groups:
 * after an `eval` that hit "unexpected EOF while looking for matching …", bash fails to parse a reserved word at the
 * start of the next line (and a non-interactive shell exits on a syntax error); a simple command parses fine.
 * Their redirections keep their own xtrace output out of the command's stderr.
 */
function driverFunctions(envFile: string): string[] {
  return [
    PIDS_GUARD,
    `__bench_begin() { __bench_id=$1; builtin export ${EXEC_MARKER_VAR}=$1; IFS= builtin read -r -d '' __bench_cmd || builtin :; __bench_guard; } 2>/dev/null`,
    `__bench_end() { __bench_guard; ${markerPrintf("END", "$1")}; } 2>/dev/null`,
    // The EXIT trap runs on `exit`, under `set -e`, and on SIGTERM: save the environment, say how the shell ended.
    `__bench_exit() { builtin export -p >| ${quote(envFile)}; ${markerPrintf("EXIT", "$1")}; } 2>/dev/null`,
    "trap '__bench_exit $?' EXIT",
  ];
}

/**
 * Runs before and after every command, in the shell itself and with builtins only (no fork: it must work when a fork
 * bomb has used up the pids limit). When the workspace's processes reach 80% of its cgroup's pids limit (v2 or v1),
 * every process any command started is SIGKILLed, pass after pass until none is left, and the command's stderr says
 * so. Spared: the container's own processes (init's session) and session leaders (the shells and exec'd helpers),
 * unless a leader carries BENCH_EXEC_ID (a command's `setsid`). Any shell's guard clears any shell's leftovers: a fork
 * bomb's subshells carry no environment mark and are reparented to init, but stay out of init's session. A bomb that
 * backgrounded itself is thus gone by the next command of either shell (the agent's next one, or the harness's patch
 * extraction) instead of starving it of forks until the bomb dies out (it never does at 512 pids).
 */
const PIDS_GUARD = `__bench_guard() {
  builtin local f cur= max= init d p s e k n=0 i found sig
  for f in /sys/fs/cgroup/pids.current /sys/fs/cgroup/pids/pids.current; do
    [[ -r $f ]] && { builtin read -r cur < "$f"; builtin read -r max < "\${f%.current}.max"; builtin break; }
  done
  [[ $cur =~ ^[0-9]+$ && $max =~ ^[0-9]+$ ]] && (( cur * 10 >= max * 8 )) || builtin return 0
  builtin read -r s < /proc/1/stat; s=\${s##*) }; builtin set -- $s; init=$4
  # Stop first, then kill: killing one by one frees a pid that another bomb process takes at once, but a stopped
  # process forks no more. Passes repeat until one finds nothing left to do (processes forked meanwhile).
  # Each process is signalled once per phase (keyed by pid and start time: a pid may be reused), so a pass that
  # meets only processes still on their way to stopping or dying ends the phase.
  builtin local -A seen
  for sig in STOP KILL; do
    seen=()
    for ((i = 0; i < 100; i++)); do
      found=0
      for d in /proc/[0-9]*; do
        p=\${d#/proc/}
        [[ $p == "$$" ]] && builtin continue
        builtin read -r s < "$d/stat" || builtin continue
        s=\${s##*) }; builtin set -- $s
        [[ $1 == [ZX] || $4 == "$init" ]] && builtin continue # dead already, or the container's own
        [[ $sig == STOP && $1 == T ]] && builtin continue # stopped already
        k=$p:\${20}
        [[ -n \${seen[$k]} ]] && builtin continue
        if [[ $4 == "$p" ]]; then # a session leader: a shell, unless a command started it (setsid)
          while IFS= builtin read -r -d '' e; do [[ $e == ${EXEC_MARKER_VAR}=* ]] && { s=; builtin break; }; done < "$d/environ"
          [[ -z $s ]] || builtin continue
        fi
        builtin kill -"$sig" "$p" && { seen[$k]=1; found=1; [[ $sig == KILL ]] && n=$((n + 1)); }
      done
      ((found)) || builtin break
    done
  done
  ((n)) && builtin printf 'bench: the workspace reached its process limit (%s of %s): %d processes started by commands were killed\\n' "$cur" "$max" "$n" >&99
  builtin return 0
} 2>/dev/null`;

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
      ...driverFunctions(this.#envFile),
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
        proc.helper(KILL_SCRIPT, [mode, String(proc.pid), id, String(afterSec)], (afterSec + 5) * 1000);
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

const newId = (): string => randomUUID().replace(/-/g, "");

function stripDriverTrace(stderr: string): string {
  return stderr.includes("__bench_") ? stderr.replace(DRIVER_TRACE, "") : stderr;
}

export interface ShellExecOptions {
  timeoutSec: number;
  maxOutputBytes: number;
  cwd: string;
  env: Record<string, string>;
  /** `timeout -k`: seconds between the in-container SIGTERM and SIGKILL. */
  killAfterSec: number;
  /** The shell's own deadline fires this long after the in-container timeout should have killed everything. */
  hostGraceMs: number;
}

/**
 * One `Sandbox.exec` through a shell kept open for that purpose: the same `timeout -k K T bash -c <command>` a
 * `docker exec` runs, started by the shell in a subshell (so nothing persists between calls) instead of by a new
 * runc exec, which costs ~65 ms of CPU each on this kind of machine. Rejects with ShellStartError when the shell is
 * gone and cannot be restarted (the caller falls back to a docker exec), with InfraError when it died mid-command.
 */
export async function execInShell(shell: ShellSession, command: string, options: ShellExecOptions): Promise<ExecResult> {
  const env = Object.entries(options.env).map(([key, value]) => quote(`${key}=${value}`));
  const line =
    `( cd -- ${quote(options.cwd)} || exit 126; ` +
    `exec ${env.length > 0 ? `env ${env.join(" ")} ` : ""}timeout -k ${options.killAfterSec} ${options.timeoutSec} bash -c ${quote(command)} )`;
  const result = await shell.run(line, {
    timeoutSec: options.timeoutSec + options.killAfterSec + options.hostGraceMs / 1000,
    maxOutputBytes: options.maxOutputBytes,
  });
  if (result.shellEnded && !result.timedOut) {
    throw new InfraError(`lost the command shell of sandbox ${shell.containerId.slice(0, 12)} while a command ran (exit ${result.exitCode})`);
  }
  const killedByTimeout = (result.exitCode === 124 || result.exitCode === 137) && result.durationMs >= options.timeoutSec * 1000 - 50;
  return {
    exitCode: result.exitCode,
    stdout: result.stdout,
    stderr: result.stderr,
    timedOut: result.timedOut || killedByTimeout,
    truncatedBytes: result.truncatedBytes,
    durationMs: result.durationMs,
  };
}

/** An error shaped like Node's fs errors (`code`), for a bad path rather than a broken sandbox. */
function fsError(target: string, code: string, what: string): Error {
  return Object.assign(new Error(`${target}: ${what}`), { code });
}

/** Maps a coreutils/bash error message (LC_ALL=C) about `target` to an fs-like error; undefined when it is no path problem. */
function pathError(target: string, message: string): Error | undefined {
  if (/Not a directory/.test(message)) return fsError(target, "ENOTDIR", "a parent is not a directory");
  if (/Is a directory/.test(message)) return fsError(target, "EISDIR", "is a directory");
  if (/No such file or directory/.test(message)) return fsError(target, "ENOENT", "no such file or directory");
  if (/Too many levels of symbolic links/.test(message)) return fsError(target, "ELOOP", "too many levels of symbolic links");
  return undefined;
}

/**
 * `Sandbox.readFile` through the command shell: `stat` then `base64` of the file (symlinks followed). Undefined when
 * the file is larger than `maxBytes` (the caller reads it through Docker's archive API instead).
 */
export async function readFileInShell(shell: ShellSession, target: string, maxBytes: number): Promise<Buffer | undefined> {
  const script =
    `( export LC_ALL=C; t=${quote(target)}; [ -d "$t" ] && exit 3; ` +
    `s=$(stat -L -c '%s %F' -- "$t" 2>&1) || { echo "$s" >&2; exit 2; }; ` +
    `[ "\${s#* }" = "regular file" ] || [ "\${s#* }" = "regular empty file" ] || { echo "\${s#* }" >&2; exit 5; }; ` +
    `[ "\${s%% *}" -le ${maxBytes} ] || exit 4; base64 -w0 -- "$t" )`;
  const result = await shell.run(script, { timeoutSec: 120, maxOutputBytes: Math.ceil(maxBytes / 3) * 4 + 64 });
  if (result.shellEnded) throw new InfraError(`lost the command shell of sandbox ${shell.containerId.slice(0, 12)} reading ${target}`);
  switch (result.exitCode) {
    case 0:
      return Buffer.from(result.stdout, "base64");
    case 3:
      throw fsError(target, "EISDIR", "is a directory, not a file");
    case 4:
      return undefined;
    case 5:
      throw fsError(target, "EISDIR", `is a ${result.stderr.trim()}, not a file`);
    default:
      throw pathError(target, result.stderr) ?? new InfraError(`cannot read ${target} in sandbox: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
  }
}

/**
 * `Sandbox.writeFile` through the command shell, as fs.writeFile does it: symlinks followed (by the redirection), a
 * folder refused (EISDIR), missing parents created (0755), the mode kept unless given (the redirection keeps an
 * existing file's; a new file gets 0644 under umask 022). Two processes in the common case (the subshell, `base64 -d`):
 * a process costs ~1 ms of CPU here. The content travels base64 in a here-document, which bash reads byte by byte:
 * callers send only small files this way.
 */
export async function writeFileInShell(shell: ShellSession, target: string, content: Buffer, mode: number | undefined): Promise<void> {
  const delimiter = `__BENCH_DATA_${newId()}`;
  const script =
    `( export LC_ALL=C; umask 022; r=${quote(target)}; { [ "$r" = / ] || [ -d "$r" ]; } && exit 3; ` +
    `d=\${r%/*}; if [ -n "$d" ] && [ ! -d "$d" ]; then [ -e "$d" ] && exit 20; mkdir -p -- "$d" || exit 2; fi; ` +
    `base64 -d > "$r" <<'${delimiter}' || exit 2\n${content.toString("base64").replace(/.{1,76}/g, "$&\n")}${delimiter}\n` +
    (mode === undefined ? ")" : `chmod ${(mode & 0o7777).toString(8)} -- "$r" || exit 2 )`);
  const result = await shell.run(script, { timeoutSec: 120, maxOutputBytes: 4_000 });
  if (result.shellEnded) throw new InfraError(`lost the command shell of sandbox ${shell.containerId.slice(0, 12)} writing ${target}`);
  if (result.exitCode === 0) return;
  if (result.exitCode === 3) throw fsError(target, "EISDIR", "is a directory");
  if (result.exitCode === 20) throw fsError(target, "ENOTDIR", "a parent is not a directory");
  throw pathError(target, result.stderr) ?? new InfraError(`cannot write ${target} in sandbox: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
}
