// A job's attempts: the agent slot each waits for (and ProgressSink.taskStarted), runTask's context, --task-retries
// (an infrastructure error runs again in a fresh workspace) and a failed --docker-host (re-queued elsewhere,
// uncounted). The queues that run the jobs, and what a run shares (RunScope), are set up in jobs.ts.

import path from "node:path";
import type PQueue from "p-queue";
import type { Gate } from "../gate.js";
import type { CellSpec } from "../models/call-options.js";
import type { PriceOverride } from "../models/cost.js";
import type { ModelClient } from "../models/types.js";
import { cellDirName, type TaskResult } from "../report/types.js";
import type { TrackingProvider } from "../sandbox/tracking.js";
import type { JobsInput } from "./jobs-types.js";
import type { EndpointLimiter } from "./limiter.js";
import type { Job } from "./plan.js";
import { trackGrading } from "./progress.js";
import type { RunPulls } from "./pulls.js";
import { DEFAULT_RETRY_POLICY, sleep } from "./retry.js";
import { isInfrastructureError, type RunLimits, taskRetryDelayMs } from "./run-limits.js";
import { runTask, type TaskContext } from "./task.js";

/** What every attempt of a run shares. */
export interface RunScope {
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

/**
 * A job's attempts: --task-retries runs an infrastructure error again in a fresh workspace (`attempt` counts); a
 * Docker host that died under it (--docker-host) re-queues it elsewhere, uncounted. Undefined: never started, or cut
 * short by an interrupt (no result: resume runs it again).
 */
export async function runJob(scope: RunScope, index: number, job: Job): Promise<TaskResult | undefined> {
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

/** Stands in for a model client in a `bench grade` cell: no agent runs there, so it is never called. */
const NO_MODEL: ModelClient = {
  generate: () => Promise.reject(new Error("bench grade runs no model")),
} as unknown as ModelClient;
