// Runs a run's jobs: run.json at the start, the mock server, workspaces and model clients, the agent slots and the
// grading queue, each job's attempts (--task-retries, a failed --docker-host), results.jsonl, and at the end run.json
// and the reports. Progress (ProgressSink) is told here: begin, taskStarted, taskFinished, end.

import os from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import PQueue from "p-queue";
import { pickCallOptions } from "../models/call-options.js";
import type { CellSpec } from "../models/call-options.js";
import { cellDirName } from "../report/types.js";
import type { RunOptions } from "../config/options.js";
import type { Predictions } from "../datasets/predictions.js";
import type { Dataset, Task } from "../datasets/types.js";
import { Gate } from "../gate.js";
import { unpricedModels, type PriceOverride } from "../models/cost.js";
import { connectionCounts, connectionsSince, createClient } from "../models/factory.js";
import type { ModelClient } from "../models/types.js";
import { type ResultsStore, writeJsonAtomic } from "../report/store.js";
import type { SummaryRow } from "../report/summary.js";
import { writeSwebenchFiles } from "../report/swebench-report.js";
import type { TaskResult } from "../report/types.js";
import { writeReports } from "../report/write.js";
import { DockerSandboxProvider } from "../sandbox/docker.js";
import type { DockerHostPool } from "../sandbox/host-pool.js";
import { ensureImage } from "../sandbox/images.js";
import { TrackingProvider } from "../sandbox/tracking.js";
import { accountIdentity, endpointKey } from "./endpoint.js";
import { LimiterRegistry, type EndpointLimiter } from "./limiter.js";
import { PREDICTIONS_PROVIDER, priceOverrideOf, type Job } from "./plan.js";
import { trackGrading, type ProgressSink } from "./progress.js";
import { RunPulls } from "./pulls.js";
import { DEFAULT_RETRY_POLICY, sleep } from "./retry.js";
import { isInfrastructureError, mockSettingsOf, RunLimits, taskRetryDelayMs } from "./run-limits.js";
import { runJsonAtStart, runStartedAt } from "./run-json.js";
import { runTask, type TaskContext } from "./task.js";

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

/** What every attempt of a run shares. */
interface RunScope {
  input: JobsInput;
  /** The built-in image's tag ("" when no job needs it). */
  image: string;
  limits: RunLimits;
  sandboxes: TrackingProvider;
  clients: Map<string, ModelClient>;
  priceOverride: PriceOverride | undefined;
  limiterOf: (cell: CellSpec) => EndpointLimiter;
  /** Agent slots: --concurrency, or what the --docker-host hosts hold together. */
  agents: Gate;
  gradingQueue: PQueue;
  pulls: RunPulls | undefined;
}

export async function runJobs(input: JobsInput): Promise<JobsOutcome> {
  const { options, envr, cells, jobs, runId, runDir } = input;
  const { log } = envr;
  const image = await builtinImageOf(input);
  // --deadline counts from the image check; --max-cost counts what a resumed run already spent.
  const limits = new RunLimits({
    maxCost: options.maxCost,
    deadlineSec:
      options.deadline === undefined ? undefined : Math.max(0.001, options.deadline - (performance.now() - input.imageCheckAt) / 1000),
    spentUsd: input.existing.reduce((sum, r) => sum + (r.cost_usd ?? 0), 0),
    log,
  });
  const startedAt = runStartedAt(input.previous);
  const runJson = runJsonAtStart({ ...input, startedAt, image });
  await writeJsonAtomic(path.join(runDir, "run.json"), runJson);
  log(
    `run ${runId}: ${input.tasks.length} task(s) × ${cells.length} cell(s), ${jobs.length} to run, concurrency ${options.concurrency} → ${runDir}`,
  );

  // Connections the model clients open from here on (run.json → connections): a handshake per call would show here.
  const connectionsBefore = connectionCounts();
  const needsMock = jobs.length > 0 && !input.predictions && cells.some((c) => c.provider === "mock");
  const mock = needsMock
    ? await (await import("../mock/server.js")).startMockServer({
        tasks: input.dataset.tasks,
        latencyMs: options.mockLatencyMs,
        ...mockSettingsOf(options),
      })
    : undefined;
  const sandboxes = startSandboxes(input);
  const clients = createClients(input, mock ? `${mock.url}/v1` : undefined);
  const priceOverride = priceOverrideOf(options);
  for (const name of options.maxBudgetPerTask !== undefined || options.maxCost !== undefined ? unpricedModels(cells, priceOverride) : []) {
    log(`warning: ${name} has no price: --max-budget-per-task and --max-cost are not enforced for it`);
  }
  // One limiter per endpoint (provider + account + region + model), shared by every task and cell on it.
  const limiters = new LimiterRegistry({
    max: options.concurrency,
    ...(options.rpm ? { rpm: options.rpm } : {}),
    ...(options.tpm ? { tpm: options.tpm } : {}),
    log,
  });
  const limiterOf = (cell: CellSpec) =>
    limiters.get(
      endpointKey({
        ...cell,
        account: accountIdentity(cell.provider, { baseUrl: options.baseUrl, apiKeyEnv: options.apiKeyEnv, env: envr.env }),
      }),
    );
  const gradingSlots = options.gradingConcurrency ?? options.concurrency;
  // Agents at once: --concurrency (with --docker-host, as many as the hosts hold together). A task leaves its agent
  // slot once its patch is taken, so the next task's agent starts while it is graded (the grading queue bounds that).
  const agentSlots = input.pool ? input.pool.totalCapacity : options.concurrency;
  const queue = new PQueue({ concurrency: agentSlots + gradingSlots });
  const onAbort = (): void => queue.clear();
  envr.signal?.addEventListener("abort", onAbort, { once: true });
  limits.onStop(() => queue.clear());
  const pulls = RunPulls.forRun(envr.docker, jobs, options, agentSlots, envr.env, log, input.pool !== undefined);
  const scope: RunScope = {
    input,
    image,
    limits,
    sandboxes,
    clients,
    priceOverride,
    limiterOf,
    agents: new Gate(agentSlots),
    gradingQueue: new PQueue({ concurrency: gradingSlots }),
    pulls,
  };
  const results: TaskResult[] = [];
  const recorded = new Set<number>();
  envr.progress?.begin(
    cells.map((c) => ({ cell: c.cell, total: input.tasks.length })),
    jobs.length > 0 ? input.existing : [],
  );
  try {
    for (const [index, job] of jobs.entries()) {
      void queue.add(async () => {
        const result = await runJob(scope, index, job);
        if (result === undefined) return;
        await pulls?.jobDone(job.task.image);
        await input.store.append(result);
        recorded.add(index);
        results.push(result);
        reportFinished(envr, result, results.length, jobs.length);
      });
    }
    await queue.onIdle();
  } finally {
    envr.progress?.end();
    limits.dispose();
    envr.signal?.removeEventListener("abort", onAbort);
    await sandboxes.removeAll();
    await pulls?.close();
    await mock?.close();
  }
  const interrupted = envr.signal?.aborted ?? false;
  const finishedAt = new Date();
  const notRun = jobs.filter((_, i) => !recorded.has(i)).map(({ cell, task }) => ({ cell: cell.cell, instance_id: task.instance_id }));
  await writeRunEnd(input, {
    runJson,
    finishedAt,
    interrupted,
    notRun,
    limits,
    limiters,
    connections: connectionsSince(connectionsBefore),
    pulls,
  });
  const summary = await writeRunReports(input, (finishedAt.getTime() - startedAt.getTime()) / 1000);
  return { runId, runDir, results, summary, interrupted };
}

/** The built-in image's tag: ensured before the run directory (a new run), else now if a job needs it, else run.json's. */
async function builtinImageOf(input: JobsInput): Promise<string> {
  const { envr } = input;
  if (input.builtinImage !== undefined) return input.builtinImage;
  if (!input.jobs.some((j) => j.task.image === undefined)) return String(input.previous?.["image"] ?? "");
  const ensure = (docker: Docker) => ensureImage(docker, "python", { onProgress: envr.log });
  return input.pool ? input.pool.ensureImage(ensure) : ensure(envr.docker);
}

/** The run's workspaces (on the --docker-host pool, else envr.docker), tracked for signal cleanup. */
function startSandboxes(input: JobsInput): TrackingProvider {
  const { envr, runId } = input;
  const providerOptions = { runId, ownerPid: process.pid, host: os.hostname() };
  const sandboxes = new TrackingProvider(
    input.pool ? input.pool.bind(providerOptions) : new DockerSandboxProvider(envr.docker, providerOptions),
  );
  envr.onSandboxes?.(sandboxes);
  return sandboxes;
}

/** A model client per model cell; none when nothing is left to run (a fully resumed run starts nothing). */
function createClients(input: JobsInput, mockBaseUrl: string | undefined): Map<string, ModelClient> {
  const { options, envr } = input;
  const clients = new Map<string, ModelClient>();
  for (const cell of input.jobs.length > 0 ? input.cells.filter((c) => c.provider !== PREDICTIONS_PROVIDER) : []) {
    clients.set(
      cell.cell,
      createClient(cell, {
        apiKeyEnv: options.apiKeyEnv,
        stream: options.stream,
        timeoutMs: options.llmTimeout * 1000,
        env: envr.env,
        ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
        ...(mockBaseUrl ? { mockBaseUrl } : {}),
        ...(options.bedrockEndpoint ? { bedrockEndpoint: options.bedrockEndpoint } : {}),
        // Run-level generation and Bedrock request options; the cell's own (config `cells`) win inside createClient.
        callOptions: pickCallOptions(options) ?? {},
        log: envr.log,
      }),
    );
  }
  return clients;
}

/**
 * A job's attempts: --task-retries runs an infrastructure error again in a fresh workspace (`attempt` counts); a
 * Docker host that died under it (--docker-host) re-queues it elsewhere, uncounted. Undefined: never started, or cut
 * short by an interrupt (no result: resume runs it again).
 */
async function runJob(scope: RunScope, index: number, job: Job): Promise<TaskResult | undefined> {
  const { input, limits, agents } = scope;
  const { envr, options } = input;
  const { cell, task } = job;
  if (envr.signal?.aborted || limits.stopped) return undefined;
  let result: TaskResult | undefined;
  /** Attempts re-queued because their Docker host failed (--docker-host): not counted by --task-retries. */
  let requeued = 0;
  for (let attempt = 1; ; attempt++) {
    const releaseAgent = await agents.acquire();
    if (envr.signal?.aborted || limits.stopped) {
      releaseAgent();
      return result; // never started: not run
    }
    if (attempt === 1) {
      envr.progress?.taskStarted(cell.cell);
      scope.pulls?.started(index);
    }
    // --max-cost counts an attempt's spend when its agent is done, before the next task may take the slot.
    let counted = false;
    const agentDone = (cost: number | null): void => {
      if (!counted) limits.addCost(cost);
      counted = true;
      releaseAgent();
    };
    try {
      result = await runTask(taskContextOf(scope, job, attempt, agentDone));
      if (!counted) agentDone(result.cost_usd);
    } finally {
      releaseAgent();
    }
    // An attempt cut short by an interrupt is not a result: resume runs it again.
    if (envr.signal?.aborted) return undefined;
    // A Docker host that died under the task: re-queued elsewhere, whatever --task-retries says.
    const lost =
      input.pool && isInfrastructureError(result) && !limits.stopped ? await input.pool.lostHostOf(cell.cell, task.instance_id) : null;
    if (lost && input.pool!.healthyCount > 0) {
      envr.log(`${cell.cell} ${task.instance_id}: docker host ${lost} failed during attempt ${attempt}; re-queued on another host`);
      requeued++;
      continue;
    }
    if (attempt - requeued > options.taskRetries || !isInfrastructureError(result) || limits.stopped) return result;
    envr.log(
      `${cell.cell} ${task.instance_id}: attempt ${attempt} ended in an infrastructure error (${result.error_class}); running it again in a fresh workspace`,
    );
    try {
      await sleep(taskRetryDelayMs(attempt), envr.signal ? AbortSignal.any([envr.signal, limits.deadline]) : limits.deadline);
    } catch {
      return result;
    }
  }
}

/** What runTask needs for one attempt of a job. */
function taskContextOf(scope: RunScope, { cell, task }: Job, attempt: number, agentDone: (cost: number | null) => void): TaskContext {
  const { input, limits } = scope;
  const { options, envr } = input;
  return {
    runId: input.runId,
    runDir: input.runDir,
    task,
    cell,
    taskDir: path.join("tasks", cellDirName(cell.cell), task.instance_id),
    client: scope.clients.get(cell.cell) ?? NO_MODEL,
    ...(input.predictions ? { prediction: input.predictions.byModel.get(cell.cell)?.get(task.instance_id)?.model_patch ?? "" } : {}),
    ...(scope.pulls ? { pullImage: (wanted: string) => scope.pulls!.ensure(wanted) } : {}),
    sandboxes: scope.sandboxes,
    image: scope.image,
    limits: {
      maxIterations: options.maxIterations,
      maxFakeResponses: options.maxFakeResponses,
      ...(options.maxBudgetPerTask !== undefined ? { maxCostUsd: options.maxBudgetPerTask } : {}),
      ...(options.maxTokensPerTask !== undefined ? { maxTokens: options.maxTokensPerTask } : {}),
    },
    retry: {
      ...DEFAULT_RETRY_POLICY,
      maxRetries: options.llmRetries,
      baseMs: options.llmBackoffBaseMs,
      capMs: options.llmBackoffCapMs,
      timeoutMs: options.llmRetryTimeout * 1000,
    },
    commandTimeoutSec: options.commandTimeout,
    gradingTimeoutSec: options.gradingTimeout,
    gradingWorkspace: options.gradingWorkspace,
    vision: options.vision,
    ...(scope.priceOverride ? { priceOverride: scope.priceOverride } : {}),
    attempt,
    ...(envr.signal ? { signal: envr.signal } : {}),
    limiter: scope.limiterOf(cell),
    ...(options.taskTimeout !== undefined ? { taskTimeoutSec: options.taskTimeout } : {}),
    deadline: limits.deadline,
    grading: (work) => scope.gradingQueue.add(trackGrading(envr.progress, cell.cell, work)),
    agentDone,
  };
}

/** A finished job's line: to the progress sink, else to the log. */
function reportFinished(envr: RunEnvironment, result: TaskResult, done: number, total: number): void {
  const extra = result.error_message ? ` — ${result.error_class}: ${result.error_message.split("\n")[0]!.slice(0, 160)}` : "";
  const line = `[${done}/${total}] ${result.cell} ${result.instance_id}: ${result.status} (${result.end_reason}, ${result.llm_calls} calls, ${result.wall_s.toFixed(1)} s)${extra}`;
  if (envr.progress) envr.progress.taskFinished(result, line);
  else envr.log(line);
}

/** The end of a run: what was not run and why, limiter and pull lines, and run.json's final document. */
async function writeRunEnd(
  input: JobsInput,
  end: {
    runJson: Record<string, unknown>;
    finishedAt: Date;
    interrupted: boolean;
    notRun: { cell: string; instance_id: string }[];
    limits: RunLimits;
    limiters: LimiterRegistry;
    connections: ReturnType<typeof connectionsSince>;
    pulls: RunPulls | undefined;
  },
): Promise<void> {
  const { envr, jobs, runDir } = input;
  const { limits, notRun, pulls } = end;
  // Tasks never started (or cut short by an interrupt) are no failures: no result line, so --resume runs them.
  if (notRun.length > 0) {
    const why =
      limits.stopped?.reason === "max_cost"
        ? "--max-cost reached"
        : limits.stopped?.reason === "deadline"
          ? "--deadline passed"
          : "interrupted";
    envr.log(`${notRun.length} of ${jobs.length} task(s) not run (${why}); \`bench run --resume ${runDir}\` runs them`);
  }
  end.limiters.flushLogs();
  const pullLine = pulls?.summary();
  if (pullLine) envr.log(pullLine);
  await writeJsonAtomic(path.join(runDir, "run.json"), {
    ...end.runJson,
    finished_at: end.finishedAt.toISOString(),
    status: end.interrupted ? "interrupted" : "completed",
    stopped: limits.stopped ?? null,
    not_run: notRun,
    limiter: end.limiters.snapshot(),
    connections: end.connections,
    docker_hosts: input.pool?.snapshot() ?? null,
    images: pulls?.json() ?? null,
  });
}

/** report.csv, summary.csv and SWE-bench's files from every latest result; the summary table to the log. */
async function writeRunReports(input: JobsInput, runWallS: number): Promise<SummaryRow[]> {
  const { envr, runDir, runId } = input;
  const { results: all } = await input.store.read();
  const written = await writeReports(runDir, all, { runId, runWallS });
  await writeSwebenchFiles(
    runDir,
    runId,
    all,
    input.tasks.map((t) => t.instance_id),
  );
  envr.log(`reports: ${path.relative(envr.cwd, written.reportCsv) || written.reportCsv}, ${path.relative(envr.cwd, written.summaryCsv)}`);
  return written.summary;
}

/** Stands in for a model client in a `bench grade` cell: no agent runs there, so it is never called. */
const NO_MODEL: ModelClient = {
  generate: () => Promise.reject(new Error("bench grade runs no model")),
} as unknown as ModelClient;
