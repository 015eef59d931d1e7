// The Sandbox seam: what the agent tools and the grader need from a workspace. Docker is one implementation.

export interface ExecOptions {
  /** In-container `timeout` seconds; a host-side deadline a few seconds later backs it up. @default 120 */
  timeoutSec?: number;
  /** Working directory inside the container. @default the workspace workdir */
  cwd?: string;
  env?: Record<string, string>;
  /** Cap on captured stdout and stderr, each; the middle is cut, head and tail kept. @default 100_000 */
  maxOutputBytes?: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The command was killed by the in-container timeout or the host-side deadline. */
  timedOut: boolean;
  /** Bytes dropped from the middle of stdout + stderr. */
  truncatedBytes: number;
  durationMs: number;
}

export interface ShellRunOptions {
  /** Seconds before the command's processes are killed (TERM, KILL 2 s later). @default 120 */
  timeoutSec?: number;
  /** Cap on captured stdout and stderr, each; the middle is cut while it streams. @default 100_000 */
  maxOutputBytes?: number;
}

export interface ShellResult extends ExecResult {
  /** The shell's working directory after the command. */
  cwd: string;
  /**
   * The command ended the shell (`exit`, `set -e`, `exec`, or a timeout the shell itself did not survive): the next
   * command runs in a new shell, in `cwd`, with the exported environment when the shell could save it.
   */
  shellEnded: boolean;
}

/** A shell kept open in a workspace: working directory and environment persist between commands. */
export interface Shell {
  /** Runs one command; concurrent calls run one after the other. */
  run(command: string, options?: ShellRunOptions): Promise<ShellResult>;
  close(): Promise<void>;
}

export interface Sandbox {
  readonly id: string;
  readonly workdir: string;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /**
   * Opens, in the background, what the first exec/readFile/writeFile will use (a command shell), so they do not wait
   * for it; failures are left to those calls. @default nothing to open
   */
  warm?(): void;
  /** A persistent shell in the workdir, when the implementation has one; rejects when none can start. */
  openShell?(): Promise<Shell>;
  readFile(path: string): Promise<Buffer>;
  writeFile(path: string, data: Buffer | string, mode?: number): Promise<void>;
  /**
   * Back to the state of a new workspace, for grading in it: every process of the (non-root) workspace user killed,
   * what that user could write (the workdir, /tmp, /var/tmp, /run/lock, /dev/shm, /dev/mqueue, home) emptied, their
   * System V IPC objects removed, and `repoDir` copied in and committed as at the start. Present only where the
   * implementation can make that equivalent to a new workspace; rejects (the caller then grades in a new workspace)
   * for a workspace whose commands run as root.
   */
  reset?(repoDir: string): Promise<void>;
  /** Idempotent; never throws for an already-removed container. */
  remove(): Promise<void>;
}

/** The workdir of a workspace whose spec names none. */
export const DEFAULT_WORKDIR = "/testbed";

export interface WorkspaceSpec {
  image: string;
  /** Labels added to the container (bench.* labels are added by the provider). */
  labels: Record<string, string>;
  /** Host folder copied into workdir and committed as the git base; omitted when the image has the repo. */
  repoDir?: string;
  /** @default /testbed */
  workdir?: string;
  /** @default false */
  network?: boolean;
  /** @default 2 GiB */
  memoryBytes?: number;
  /** @default 1 CPU */
  cpus?: number;
  /** @default 512 */
  pidsLimit?: number;
  /** Largest file a command may write, bytes (RLIMIT_FSIZE). @default 1 GiB */
  maxFileBytes?: number;
  /**
   * Unprivileged user every command runs as (`uid[:gid]` or names the image knows). The workdir is handed to it at
   * start (the container's root process gets CAP_CHOWN for that, and nothing runs as root afterwards). @default the
   * image's user (root, with every capability dropped)
   */
  user?: string;
  /**
   * Bash that activates the environment commands run in (SWE-bench images: `source /opt/miniconda3/bin/activate &&
   * conda activate testbed`): run once at start, its resulting environment given to every command. @default none
   */
  activate?: string;
  /**
   * `strict`: the limits above, every capability dropped, no-new-privileges; `docker-default`: Docker's defaults (no
   * limit, default capabilities), as SWE-bench's harness runs its grading containers. @default "strict"
   */
  isolation?: "strict" | "docker-default";
}

export interface SandboxProvider {
  /** Returns a started, labelled workspace with the repository committed as base, or leaves nothing behind. */
  create(spec: WorkspaceSpec): Promise<Sandbox>;
}

/** `sandbox` with its own `remove` replaced (every other member forwarded): for providers that wrap another. */
export function withRemove(sandbox: Sandbox, remove: () => Promise<void>): Sandbox {
  return {
    id: sandbox.id,
    workdir: sandbox.workdir,
    exec: (command, options) => sandbox.exec(command, options),
    readFile: (p) => sandbox.readFile(p),
    writeFile: (p, data, mode) => sandbox.writeFile(p, data, mode),
    ...(sandbox.warm ? { warm: () => sandbox.warm!() } : {}),
    ...(sandbox.openShell ? { openShell: () => sandbox.openShell!() } : {}),
    ...(sandbox.reset ? { reset: (repoDir: string) => sandbox.reset!(repoDir) } : {}),
    remove,
  };
}
