// One task attempt in one cell: workspace → agent → patch → grading (src/grading/attempt.ts) → TaskResult
// (src/runner/result.ts). Every workspace is owned by one WorkspaceLease at a time and always removed.

import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { runAgent, type AgentLimits, type AgentOutcome } from "../agent/loop.js";
import { BashTool, defaultTools } from "../agent/tools.js";
import { FileTrajectory } from "../agent/trajectory.js";
import type { CellSpec } from "../models/call-options.js";
import type { Task } from "../datasets/types.js";
import { errorMessage } from "../errors.js";
import { gradeAttempt } from "../grading/attempt.js";
import type { GradeResult } from "../grading/grader.js";
import { reusableForGrading, WorkspaceLease, workspaceSpec } from "../grading/workspace.js";
import { priceCalls, type PriceOverride } from "../models/cost.js";
import type { ModelClient, Usage } from "../models/types.js";
import type { TaskResult } from "../report/types.js";
import { PendingSandbox } from "../sandbox/pending.js";
import { DEFAULT_WORKDIR, type Sandbox, type SandboxProvider, type WorkspaceSpec } from "../sandbox/types.js";
import type { EndpointLimiter } from "./limiter.js";
import { buildTaskResult, countPatchLines, type AttemptError } from "./result.js";
import { generateWithRetry, type RetryPolicy } from "./retry.js";

export interface TaskContext {
  runId: string;
  runDir: string;
  task: Task;
  cell: CellSpec;
  /** tasks/<cell-dir>/<instance_id> relative to runDir. */
  taskDir: string;
  client: ModelClient;
  sandboxes: SandboxProvider;
  image: string;
  limits: AgentLimits;
  retry: RetryPolicy;
  commandTimeoutSec: number;
  /** Send images to the model; false replaces them with a text note (--no-vision). @default true */
  vision?: boolean;
  gradingTimeoutSec: number;
  priceOverride?: PriceOverride;
  attempt: number;
  signal?: AbortSignal;
  /** The endpoint limiter of the cell's key: every model call of the task goes through it. @default none */
  limiter?: EndpointLimiter;
  /**
   * Wall clock of the agent phase, seconds, from the task's start (the workspace starts during the first model call)
   * (--task-timeout): task_timeout, then the patch is taken and graded. @default none
   */
  taskTimeoutSec?: number;
  /** Aborts at the run's --deadline: a running agent stops with task_timeout. @default none */
  deadline?: AbortSignal;
  /** Runs the grading (the --grading-concurrency queue). @default at once */
  grading?: <T>(work: () => Promise<T>) => Promise<T>;
  /**
   * `reuse`: grade in the agent's workspace after Sandbox.reset (a non-root workspace with a copied repository), else
   * in a new one; `fresh`: always a new one (--grading-workspace). @default "reuse"
   */
  gradingWorkspace?: "reuse" | "fresh";
  /**
   * Called once, when the agent phase is over (before the patch is taken and graded), with what its model calls cost
   * (null: unpriced): the runner counts it against --max-cost and frees the agent slot.
   */
  agentDone?: (costUsd: number | null) => void;
  /**
   * `bench grade`: the patch to grade (a prediction; "" for none): no agent runs and no model is called; the patch is
   * graded in a new workspace. @default undefined (the agent makes the patch)
   */
  prediction?: string;
  /** Makes the task's image present (--pull) before its workspace starts; resolves with the ms the task waited. @default none */
  pullImage?: (image: string) => Promise<number>;
}

const seconds = (ms: number): number => ms / 1000;

/** What one attempt carries from phase to phase: its files, clock, counters and the workspace starter. */
interface Attempt {
  ctx: TaskContext;
  /** The attempt's folder (runDir/taskDir). */
  dir: string;
  trajectory: FileTrajectory;
  labels: Record<string, string>;
  /** performance.now() at the start. */
  t0: number;
  counters: { retries: number; throttleWaitMs: number; throttleEvents: number };
  /** Milliseconds waited for image pulls; null while nothing was pulled. */
  pullWaitMs: number | null;
  /** What these calls cost in this cell (per-call prices, the run's overrides). */
  priced: (calls: readonly Usage[]) => ReturnType<typeof priceCalls>;
  /** Frees the agent slot with the agent's cost, once. */
  agentDone: (costUsd: number | null) => void;
}

/** What the agent phase leaves (or the prediction that stands in for it). */
interface AgentPhase {
  outcome?: AgentOutcome;
  patch: string;
  failure?: AttemptError;
  sandboxStartS: number | null;
  agentS: number | null;
  /** The agent's workspace, kept for grading (reusableForGrading): its lease is handed to the grading. */
  kept?: WorkspaceLease;
}

export async function runTask(ctx: TaskContext): Promise<TaskResult> {
  const { task, cell } = ctx;
  const dir = path.join(ctx.runDir, ctx.taskDir);
  mkdirSync(dir, { recursive: true });
  const startedAt = new Date();
  let agentReleased = false;
  const a: Attempt = {
    ctx,
    dir,
    trajectory: new FileTrajectory(path.join(dir, "trajectory.jsonl")),
    labels: { "bench.run-id": ctx.runId, "bench.task-id": task.instance_id, "bench.cell": cell.cell },
    t0: performance.now(),
    counters: { retries: 0, throttleWaitMs: 0, throttleEvents: 0 },
    pullWaitMs: null,
    priced: (calls) => priceCalls(calls, cell.provider, cell.model, ctx.priceOverride, cell.region),
    agentDone: (costUsd) => {
      if (!agentReleased) ctx.agentDone?.(costUsd);
      agentReleased = true;
    },
  };
  let agent: AgentPhase | undefined;
  let grading: GradingPhase | undefined;
  try {
    agent = ctx.prediction !== undefined ? predictionPhase(a, ctx.prediction) : await agentPhase(a);
    if (!agent.failure && (ctx.prediction !== undefined || (agent.outcome && agent.outcome.endReason !== "error"))) {
      grading = await gradingPhase(a, agent.patch, agent.kept);
    }
  } finally {
    await agent?.kept?.dispose(); // not graded (an error before grading)
    await a.trajectory.close().catch(() => undefined);
  }
  const failure = agent.failure ?? grading?.failure;
  return buildTaskResult({
    runId: ctx.runId,
    cell,
    instanceId: task.instance_id,
    attempt: ctx.attempt,
    prediction: ctx.prediction !== undefined,
    ...(agent.outcome ? { outcome: agent.outcome } : {}),
    patch: agent.patch,
    ...(grading?.grade ? { grade: grading.grade } : {}),
    ...(failure ? { failure } : {}),
    price: a.priced(agent.outcome?.callUsages ?? []),
    ...a.counters,
    sandboxStartS: agent.sandboxStartS,
    agentS: agent.agentS,
    gradingS: grading?.gradingS ?? null,
    wallS: seconds(performance.now() - a.t0),
    pullWaitMs: a.pullWaitMs,
    startedAt,
    finishedAt: new Date(),
  });
}

/** bench grade: the patch is given; nothing runs before the grading. */
function predictionPhase(a: Attempt, patch: string): AgentPhase {
  writeFileSync(path.join(a.dir, "patch.diff"), patch);
  a.trajectory.write({ type: "prediction", patch_lines: countPatchLines(patch) });
  a.agentDone(null);
  return { patch, sandboxStartS: null, agentS: null };
}

/** The task's image present (pulled if needed), then its workspace: a pull failure is a sandbox_start error. */
async function createWorkspace(a: Attempt, spec: WorkspaceSpec): Promise<Sandbox> {
  try {
    if (a.ctx.pullImage) a.pullWaitMs = (a.pullWaitMs ?? 0) + (await a.ctx.pullImage(spec.image));
    return await a.ctx.sandboxes.create(spec);
  } catch (err) {
    throw new WorkspaceStartError(err);
  }
}

/**
 * The workspace starts while the agent's first model call is in flight: the tools wait for it (PendingSandbox), and
 * its failure ends the agent at once (sandbox_start). Then the patch is taken; the workspace is removed, or kept for
 * grading under a lease.
 */
async function agentPhase(a: Attempt): Promise<AgentPhase> {
  const { ctx } = a;
  let sandboxStartS: number | null = null;
  let started = false;
  const spec = workspaceSpec(ctx.task, ctx.image, a.labels);
  const starting = createWorkspace(a, spec).then((sandbox) => {
    started = true;
    sandboxStartS = seconds(performance.now() - a.t0);
    a.trajectory.write({ type: "sandbox", container: sandbox.id, start_s: sandboxStartS });
    return sandbox;
  });
  const pending = new PendingSandbox(starting, spec.workdir ?? DEFAULT_WORKDIR);
  const tools = defaultTools(pending, { commandTimeoutSec: ctx.commandTimeoutSec, vision: ctx.vision ?? true });
  // The shells open as soon as the workspace is up (the bash tool's, the one behind exec and the file tools), while
  // the model is still thinking, not at the agent's first command.
  starting.then(
    (sandbox) => {
      sandbox.warm?.();
      for (const tool of tools) if (tool instanceof BashTool) tool.prepare();
    },
    () => undefined,
  );
  let outcome: AgentOutcome | undefined;
  let agentS: number | null = null;
  let patch = "";
  let kept: WorkspaceLease | undefined;
  try {
    outcome = await callAgent(a, tools, starting);
    agentS = seconds(performance.now() - a.t0);
    // The agent's slot is free once it is done: the next task's agent starts while this one's patch is taken.
    a.agentDone(a.priced(outcome.callUsages).cost);
    const workspace = await starting;
    patch = await extractPatch(workspace);
    writeFileSync(path.join(a.dir, "patch.diff"), patch);
    if (outcome.endReason !== "error" && reusableForGrading(ctx.task, workspace, ctx.gradingWorkspace))
      kept = new WorkspaceLease(workspace);
  } catch (err) {
    return {
      ...(outcome ? { outcome } : {}),
      patch,
      agentS,
      sandboxStartS,
      failure: { errorClass: started ? "sandbox" : "sandbox_start", message: errorMessage(err) },
    };
  } finally {
    // Whatever the agent's end, a workspace still starting is waited for and removed (unless kept for grading).
    if (kept === undefined) await pending.remove().catch(() => undefined);
    a.agentDone(0); // the agent never ran to an end (the workspace did not start, or the agent threw)
  }
  return { outcome, patch, agentS, sandboxStartS, ...(kept ? { kept } : {}) };
}

/** The agent run to its end: every model call through the retry layer and the endpoint's limiter. */
function callAgent(a: Attempt, tools: ReturnType<typeof defaultTools>, workspace: Promise<Sandbox>): Promise<AgentOutcome> {
  const { ctx, counters, trajectory } = a;
  const timers = [ctx.taskTimeoutSec !== undefined ? AbortSignal.timeout(ctx.taskTimeoutSec * 1000) : undefined, ctx.deadline].filter(
    (s) => s !== undefined,
  );
  const deadline = timers.length > 1 ? AbortSignal.any(timers) : timers[0];
  return runAgent({
    task: ctx.task,
    tools,
    workspace,
    limits: ctx.limits,
    trajectory,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(deadline ? { deadline } : {}),
    costOf: (_usage, calls) => a.priced(calls).cost,
    callCostOf: (call) => a.priced([call]).cost,
    callModel: (request) =>
      generateWithRetry(ctx.client, request, ctx.retry, {
        ...(ctx.limiter ? { limiter: ctx.limiter } : {}),
        onLimiterWait: (ms) => {
          counters.throttleWaitMs += ms;
        },
        onRetry: (err, attempt, delayMs) => {
          counters.retries++;
          counters.throttleWaitMs += delayMs;
          if (err.errorClass === "rate_limit") counters.throttleEvents++;
          trajectory.write({ type: "retry", attempt, error_class: err.errorClass, message: err.message, delay_s: seconds(delayMs) });
        },
      }),
  });
}

/** The workspace's changes against the base commit, binary-safe; an error when it cannot be taken whole. */
async function extractPatch(workspace: Sandbox): Promise<string> {
  const diff = await workspace.exec("git add -A && git diff --cached --binary HEAD", { timeoutSec: 120, maxOutputBytes: 20_000_000 });
  if (diff.exitCode !== 0 || diff.truncatedBytes > 0) {
    throw new Error(
      `could not extract the patch (exit ${diff.exitCode}${diff.truncatedBytes ? ", patch over 20 MB" : ""}): ${diff.stderr.slice(0, 500)}`,
    );
  }
  return diff.stdout;
}

interface GradingPhase {
  grade?: GradeResult;
  failure?: AttemptError;
  gradingS: number;
}

/** Grades the patch (in its --grading-concurrency slot) and writes the grading's files beside the trajectory. */
async function gradingPhase(a: Attempt, patch: string, kept: WorkspaceLease | undefined): Promise<GradingPhase> {
  const { ctx, trajectory } = a;
  // grading_s is the grading itself, not the wait for a --grading-concurrency slot.
  let tg = performance.now();
  const work = (): Promise<GradeResult> => {
    tg = performance.now();
    return gradeAttempt({
      task: ctx.task,
      patch,
      ...(kept ? { agentWorkspace: kept } : {}),
      createWorkspace: (spec) => createWorkspace(a, spec),
      image: ctx.image,
      labels: a.labels,
      timeoutSec: ctx.gradingTimeoutSec,
      onWorkspace: (event) => trajectory.write({ type: "grading", ...event }),
    });
  };
  try {
    const grade = await (ctx.grading ? ctx.grading(work) : work());
    writeGradingFiles(a.dir, grade);
    trajectory.write({
      type: "grading_result",
      resolved: grade.resolved,
      patch_applied: grade.patchApplied,
      failure: grade.failure?.class ?? null,
      tests: grade.tests,
    });
    return { grade, gradingS: seconds(performance.now() - tg) };
  } catch (err) {
    // A grading workspace that could not start (its image cannot be pulled, Docker refused it) is the same
    // infrastructure error as an agent's workspace that could not: sandbox_start.
    const failure = { errorClass: err instanceof WorkspaceStartError ? "sandbox_start" : "grading", message: errorMessage(err) };
    return { failure, gradingS: seconds(performance.now() - tg) };
  }
}

/** The grading log, and SWE-bench's own per-instance files beside bench's: its report.json and the eval script that ran. */
function writeGradingFiles(dir: string, grade: GradeResult): void {
  writeFileSync(path.join(dir, "test_output.txt"), grade.log);
  writeFileSync(path.join(dir, "report.json"), `${JSON.stringify(grade.report, null, 2)}\n`);
  if (grade.evalScript !== undefined) writeFileSync(path.join(dir, "eval.sh"), grade.evalScript);
}

/** A workspace (the agent's or the grading's) could not start: its image could not be pulled, or Docker refused it. */
class WorkspaceStartError extends Error {
  constructor(cause: unknown) {
    super(errorMessage(cause), { cause });
    this.name = "WorkspaceStartError";
  }
}
