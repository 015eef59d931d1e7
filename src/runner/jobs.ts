// Runs a run's jobs: run.json at the start, the mock server, workspaces and model clients, the agent slots and the
// grading queue, results.jsonl, and at the end run.json and the reports (each job's attempts: job-attempts.ts).
// Progress (ProgressSink) is told begin, taskFinished and end here (taskStarted: job-attempts.ts).

import os from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import PQueue from "p-queue";
import { pickCallOptions } from "../models/call-options.js";
import type { CellSpec } from "../models/call-options.js";
import type { MockServer } from "../mock/server.js";
import { Gate } from "../gate.js";
import { unpricedModels, type PriceOverride } from "../models/cost.js";
import { connectionCounts, connectionsSince, createClient } from "../models/factory.js";
import type { ModelClient } from "../models/types.js";
import { writeJsonAtomic } from "../report/store.js";
import type { SummaryRow } from "../report/summary.js";
import { writeSwebenchFiles } from "../report/swebench-report.js";
import type { TaskResult } from "../report/types.js";
import { writeReports } from "../report/write.js";
import { DockerSandboxProvider } from "../sandbox/docker.js";
import { ensureImage } from "../sandbox/images.js";
import { TrackingProvider } from "../sandbox/tracking.js";
import { accountIdentity, endpointKey } from "./endpoint.js";
import { LimiterRegistry, type EndpointLimiter } from "./limiter.js";
import { PREDICTIONS_PROVIDER, priceOverrideOf } from "./plan.js";
import { RunPulls } from "./pulls.js";
import { mockSettingsOf, RunLimits } from "./run-limits.js";
import { runJsonAtStart, runStartedAt } from "./run-json.js";
import { type RunScope, runJob } from "./job-attempts.js";
import type { JobsInput, JobsOutcome, RunEnvironment } from "./jobs-types.js";

/** What a run's jobs have recorded so far: their results, and which jobs (by index) have one. */
interface JobsDone {
  results: TaskResult[];
  recorded: Set<number>;
}

export async function runJobs(input: JobsInput): Promise<JobsOutcome> {
  const { envr, jobs } = input;
  const { image, limits, startedAt, runJson } = await openRun(input);
  // Connections the model clients open from here on (run.json → connections): a handshake per call would show here.
  const connectionsBefore = connectionCounts();
  const mock = await startMock(input);
  const sandboxes = startSandboxes(input);
  const clients = createClients(input, mock ? `${mock.url}/v1` : undefined);
  const priceOverride = priceOverrideOf(input.options);
  warnUnpriced(input, priceOverride);
  const { limiters, limiterOf } = endpointLimiters(input);
  const slots = slotsOf(input);
  const queue = new PQueue({ concurrency: slots.agents + slots.grading });
  const onAbort = (): void => queue.clear();
  envr.signal?.addEventListener("abort", onAbort, { once: true });
  limits.onStop(() => queue.clear());
  const pulls = RunPulls.forRun(envr.docker, jobs, input.options, slots.agents, envr.env, envr.log, input.pool !== undefined);
  const scope: RunScope = {
    input,
    image,
    limits,
    sandboxes,
    clients,
    priceOverride,
    limiterOf,
    agents: new Gate(slots.agents),
    gradingQueue: new PQueue({ concurrency: slots.grading }),
    pulls,
  };
  const done: JobsDone = { results: [], recorded: new Set() };
  envr.progress?.begin(
    input.cells.map((c) => ({ cell: c.cell, total: input.tasks.length })),
    jobs.length > 0 ? input.existing : [],
  );
  try {
    await runQueued(scope, queue, done);
  } finally {
    envr.progress?.end();
    limits.dispose();
    envr.signal?.removeEventListener("abort", onAbort);
    await sandboxes.removeAll();
    await pulls?.close();
    await mock?.close();
  }
  return finishRun(input, { runJson, startedAt, done, limits, limiters, connectionsBefore, pulls });
}

/** A run's start: the built-in image, its --max-cost / --deadline limits, run.json's first document, the run's line. */
async function openRun(input: JobsInput): Promise<{ image: string; limits: RunLimits; startedAt: Date; runJson: Record<string, unknown> }> {
  const { options, envr, runDir } = input;
  const image = await builtinImageOf(input);
  // --deadline counts from the image check; --max-cost counts what a resumed run already spent.
  const limits = new RunLimits({
    maxCost: options.maxCost,
    deadlineSec:
      options.deadline === undefined ? undefined : Math.max(0.001, options.deadline - (performance.now() - input.imageCheckAt) / 1000),
    spentUsd: input.existing.reduce((sum, r) => sum + (r.cost_usd ?? 0), 0),
    log: envr.log,
  });
  const startedAt = runStartedAt(input.previous);
  const runJson = runJsonAtStart({ ...input, startedAt, image });
  await writeJsonAtomic(path.join(runDir, "run.json"), runJson);
  envr.log(
    `run ${input.runId}: ${input.tasks.length} task(s) × ${input.cells.length} cell(s), ${input.jobs.length} to run, concurrency ${options.concurrency} → ${runDir}`,
  );
  return { image, limits, startedAt, runJson };
}

/** The mock server, when a cell is mock/* and a job is left to run (bench grade runs no model). */
async function startMock(input: JobsInput): Promise<MockServer | undefined> {
  const { options } = input;
  const needsMock = input.jobs.length > 0 && !input.predictions && input.cells.some((c) => c.provider === "mock");
  if (!needsMock) return undefined;
  return (await import("../mock/server.js")).startMockServer({
    tasks: input.dataset.tasks,
    latencyMs: options.mockLatencyMs,
    ...mockSettingsOf(options),
  });
}

/** A warning per model without a price when --max-budget-per-task or --max-cost would need one. */
function warnUnpriced(input: JobsInput, priceOverride: PriceOverride | undefined): void {
  const { options } = input;
  for (const name of options.maxBudgetPerTask !== undefined || options.maxCost !== undefined
    ? unpricedModels(input.cells, priceOverride)
    : []) {
    input.envr.log(`warning: ${name} has no price: --max-budget-per-task and --max-cost are not enforced for it`);
  }
}

/** One limiter per endpoint (provider + account + region + model), shared by every task and cell on it. */
function endpointLimiters(input: JobsInput): { limiters: LimiterRegistry; limiterOf: (cell: CellSpec) => EndpointLimiter } {
  const { options, envr } = input;
  const limiters = new LimiterRegistry({
    max: options.concurrency,
    ...(options.rpm ? { rpm: options.rpm } : {}),
    ...(options.tpm ? { tpm: options.tpm } : {}),
    log: envr.log,
  });
  const limiterOf = (cell: CellSpec) =>
    limiters.get(
      endpointKey({
        ...cell,
        account: accountIdentity(cell.provider, { baseUrl: options.baseUrl, apiKeyEnv: options.apiKeyEnv, env: envr.env }),
      }),
    );
  return { limiters, limiterOf };
}

/** Agent and grading slots. */
function slotsOf(input: JobsInput): { agents: number; grading: number } {
  const { options } = input;
  const grading = options.gradingConcurrency ?? options.concurrency;
  // Agents at once: --concurrency (with --docker-host, as many as the hosts hold together). A task leaves its agent
  // slot once its patch is taken, so the next task's agent starts while it is graded (the grading queue bounds that).
  const agents = input.pool ? input.pool.totalCapacity : options.concurrency;
  return { agents, grading };
}

/** Every job through the queue; each result is appended to results.jsonl, recorded and reported as it finishes. */
async function runQueued(scope: RunScope, queue: PQueue, done: JobsDone): Promise<void> {
  const { input } = scope;
  for (const [index, job] of input.jobs.entries()) {
    void queue.add(async () => {
      const result = await runJob(scope, index, job);
      if (result === undefined) return;
      await scope.pulls?.jobDone(job.task.image);
      await input.store.append(result);
      done.recorded.add(index);
      done.results.push(result);
      reportFinished(input.envr, result, done.results.length, input.jobs.length);
    });
  }
  await queue.onIdle();
}

/** After the jobs: run.json's end (what was not run), the reports, and the outcome. */
async function finishRun(
  input: JobsInput,
  run: {
    runJson: Record<string, unknown>;
    startedAt: Date;
    done: JobsDone;
    limits: RunLimits;
    limiters: LimiterRegistry;
    connectionsBefore: ReturnType<typeof connectionCounts>;
    pulls: RunPulls | undefined;
  },
): Promise<JobsOutcome> {
  const { envr, jobs, runId, runDir } = input;
  const interrupted = envr.signal?.aborted ?? false;
  const finishedAt = new Date();
  const notRun = jobs
    .filter((_, i) => !run.done.recorded.has(i))
    .map(({ cell, task }) => ({ cell: cell.cell, instance_id: task.instance_id }));
  await writeRunEnd(input, {
    runJson: run.runJson,
    finishedAt,
    interrupted,
    notRun,
    limits: run.limits,
    limiters: run.limiters,
    connections: connectionsSince(run.connectionsBefore),
    pulls: run.pulls,
  });
  const summary = await writeRunReports(input, (finishedAt.getTime() - run.startedAt.getTime()) / 1000);
  return { runId, runDir, results: run.done.results, summary, interrupted };
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
