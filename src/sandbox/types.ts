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

export interface Sandbox {
  readonly id: string;
  readonly workdir: string;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  readFile(path: string): Promise<Buffer>;
  writeFile(path: string, data: Buffer | string, mode?: number): Promise<void>;
  /** Idempotent; never throws for an already-removed container. */
  remove(): Promise<void>;
}

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
}

export interface SandboxProvider {
  /** Returns a started, labelled workspace with the repository committed as base, or leaves nothing behind. */
  create(spec: WorkspaceSpec): Promise<Sandbox>;
}
