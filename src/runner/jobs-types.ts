// The inputs and outcome of a run's jobs (src/runner/jobs.ts runs them, job-attempts.ts runs one): types only, so
// the two modules share them without importing each other.

import type Docker from "dockerode";
import type { RunOptions } from "../config/options.js";
import type { Predictions } from "../datasets/predictions.js";
import type { Dataset, Task } from "../datasets/types.js";
import type { CellSpec } from "../models/call-options.js";
import type { ResultsStore } from "../report/store.js";
import type { SummaryRow } from "../report/summary.js";
import type { TaskResult } from "../report/types.js";
import type { DockerHostPool } from "../sandbox/host-pool.js";
import type { TrackingProvider } from "../sandbox/tracking.js";
import type { Job } from "./plan.js";
import type { ProgressSink } from "./progress.js";

export interface RunEnvironment {
  docker: Docker;
  /** One line to stderr. */
  log: (line: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted on SIGINT/SIGTERM: stop scheduling, end running tasks, keep what finished. */
  signal?: AbortSignal;
  /** Called with the live-workspace tracker so a second signal can remove everything at once. */
  onSandboxes?: (tracker: TrackingProvider) => void;
  /** True when no flag, config file or BENCH_MODEL named a model (the CLI knows): the run says it uses mock/oracle. */
  defaultModel?: boolean;
  /** Live status / per-task lines (src/runner/progress.ts); without one, each finished task is logged. */
  progress?: ProgressSink;
}

export interface JobsInput {
  options: RunOptions;
  envr: RunEnvironment;
  dataset: Dataset;
  tasks: Task[];
  cells: CellSpec[];
  jobs: Job[];
  total: number;
  runId: string;
  runDir: string;
  store: ResultsStore;
  /** Results already in results.jsonl when the run (or resume) started. */
  existing: readonly TaskResult[];
  previous: Record<string, unknown> | null;
  fingerprint: Record<string, unknown>;
  dockerVersion: string;
  /** --docker-host: the engines workspaces are spread over (else envr.docker). */
  pool?: DockerHostPool;
  /** performance.now() when the images were checked: --deadline counts from there. */
  imageCheckAt: number;
  /** Tag of the built-in sandbox image, when it was ensured before the run directory was made (a new run). */
  builtinImage?: string;
  /** bench grade: the patches to grade, per cell (model_name_or_path) and instance. */
  predictions?: Predictions;
}

export interface JobsOutcome {
  runId: string;
  runDir: string;
  results: TaskResult[];
  summary: SummaryRow[];
  interrupted: boolean;
}
