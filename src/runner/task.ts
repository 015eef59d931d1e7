// One task attempt in one cell: workspace → agent → patch → grading → TaskResult. The workspace is always removed.

import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { runAgent, type AgentLimits, type AgentOutcome } from "../agent/loop.js";
import { BashTool, defaultTools } from "../agent/tools.js";
import { FileTrajectory } from "../agent/trajectory.js";
import type { CellSpec } from "../config/model-spec.js";
import { taskUser } from "../datasets/load.js";
import type { Task } from "../datasets/types.js";
import { errorMessage } from "../errors.js";
import { gradeInSandbox, gradeTask, type GradeResult } from "../grading/grader.js";
import { priceCalls, type PriceOverride } from "../models/cost.js";
import type { ModelClient, Usage } from "../models/types.js";
import { percentile } from "../report/stats.js";
import type { TaskResult } from "../report/types.js";
import { PendingSandbox } from "../sandbox/pending.js";
import { DEFAULT_WORKDIR, type Sandbox, type SandboxProvider, type WorkspaceSpec } from "../sandbox/types.js";
import type { EndpointLimiter } from "./limiter.js";
import { workspaceSpec } from "./workspace.js";
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

export async function runTask(ctx: TaskContext): Promise<TaskResult> {
  const { task, cell } = ctx;
  const dir = path.join(ctx.runDir, ctx.taskDir);
  mkdirSync(dir, { recursive: true });
  const trajectory = new FileTrajectory(path.join(dir, "trajectory.jsonl"));
  const startedAt = new Date();
  const t0 = performance.now();
  const labels = { "bench.run-id": ctx.runId, "bench.task-id": task.instance_id, "bench.cell": cell.cell };
  let sandboxStartS: number | null = null;
  let agentS: number | null = null;
  let gradingS: number | null = null;
  let outcome: AgentOutcome | undefined;
  let patch = "";
  let grade: GradeResult | undefined;
  let failure: { errorClass: string; message: string } | undefined;
  let retries = 0;
  let throttleWaitMs = 0;
  let throttleEvents = 0;

  /** What these calls cost in this cell (per-call prices, the run's overrides). */
  const priced = (calls: readonly Usage[]) => priceCalls(calls, cell.provider, cell.model, ctx.priceOverride, cell.region);
  let agentReleased = false;
  const agentDone = (costUsd: number | null): void => {
    if (!agentReleased) ctx.agentDone?.(costUsd);
    agentReleased = true;
  };
  /** The agent's workspace, kept for grading (Sandbox.reset); removed by whoever is last to hold it. */
  let kept: Sandbox | undefined;
  let pullWaitMs: number | null = null;
  /** The task's image present (pulled if needed), then its workspace: a pull failure is a sandbox_start error. */
  const createWorkspace = async (spec: WorkspaceSpec): Promise<Sandbox> => {
    try {
      if (ctx.pullImage) pullWaitMs = (pullWaitMs ?? 0) + (await ctx.pullImage(spec.image));
      return await ctx.sandboxes.create(spec);
    } catch (err) {
      throw new WorkspaceStartError(err);
    }
  };
  try {
    if (ctx.prediction !== undefined) {
      // bench grade: the patch is given; nothing runs before the grading.
      patch = ctx.prediction;
      writeFileSync(path.join(dir, "patch.diff"), patch);
      trajectory.write({ type: "prediction", patch_lines: countPatchLines(patch) });
      agentDone(null);
    } else {
      let sandbox: Sandbox | undefined;
      // The workspace starts while the agent's first model call is in flight: the tools wait for it (PendingSandbox), and
      // its failure ends the agent at once (sandbox_start).
      const spec = workspaceSpec(task, ctx.image, labels);
      const starting = createWorkspace(spec).then((started) => {
        sandbox = started;
        sandboxStartS = seconds(performance.now() - t0);
        trajectory.write({ type: "sandbox", container: started.id, start_s: sandboxStartS });
        return started;
      });
      const pending = new PendingSandbox(starting, spec.workdir ?? DEFAULT_WORKDIR);
      const tools = defaultTools(pending, { commandTimeoutSec: ctx.commandTimeoutSec, vision: ctx.vision ?? true });
      // The shells open as soon as the workspace is up (the bash tool's, the one behind exec and the file tools), while
      // the model is still thinking, not at the agent's first command.
      starting.then(
        (started) => {
          started.warm?.();
          for (const tool of tools) if (tool instanceof BashTool) tool.prepare();
        },
        () => undefined,
      );
      try {
        const timers = [ctx.taskTimeoutSec !== undefined ? AbortSignal.timeout(ctx.taskTimeoutSec * 1000) : undefined, ctx.deadline].filter((s) => s !== undefined);
        const deadline = timers.length > 1 ? AbortSignal.any(timers) : timers[0];
        outcome = await runAgent({
          task,
          tools,
          workspace: starting,
          limits: ctx.limits,
          trajectory,
          ...(ctx.signal ? { signal: ctx.signal } : {}),
          ...(deadline ? { deadline } : {}),
          costOf: (_usage, calls) => priced(calls).cost,
          callCostOf: (call) => priced([call]).cost,
          callModel: (request) =>
            generateWithRetry(ctx.client, request, ctx.retry, {
              ...(ctx.limiter ? { limiter: ctx.limiter } : {}),
              onLimiterWait: (ms) => {
                throttleWaitMs += ms;
              },
              onRetry: (err, attempt, delayMs) => {
                retries++;
                throttleWaitMs += delayMs;
                if (err.errorClass === "rate_limit") throttleEvents++;
                trajectory.write({ type: "retry", attempt, error_class: err.errorClass, message: err.message, delay_s: seconds(delayMs) });
              },
            }),
        });
        agentS = seconds(performance.now() - t0);
        // The agent's slot is free once it is done: the next task's agent starts while this one's patch is taken.
        agentDone(priced(outcome.callUsages).cost);
        const workspace = await starting;
        const diff = await workspace.exec("git add -A && git diff --cached --binary HEAD", { timeoutSec: 120, maxOutputBytes: 20_000_000 });
        if (diff.exitCode !== 0 || diff.truncatedBytes > 0) {
          throw new Error(`could not extract the patch (exit ${diff.exitCode}${diff.truncatedBytes ? ", patch over 20 MB" : ""}): ${diff.stderr.slice(0, 500)}`);
        }
        patch = diff.stdout;
        writeFileSync(path.join(dir, "patch.diff"), patch);
        // Reset is equivalent to a new container only where bench knows every place the user can write: its own image.
        const resettable = task.repoDir !== undefined && task.image === undefined && taskUser(task) !== undefined && workspace.reset !== undefined;
        if (ctx.gradingWorkspace !== "fresh" && resettable && outcome.endReason !== "error") kept = workspace;
      } catch (err) {
        failure = { errorClass: sandbox ? "sandbox" : "sandbox_start", message: errorMessage(err) };
      } finally {
        // Whatever the agent's end, a workspace still starting is waited for and removed.
        if (kept === undefined) await pending.remove().catch(() => undefined);
      }

      agentDone(0); // the agent never ran to an end (the workspace did not start, or the agent threw)
    }
    if (!failure && (ctx.prediction !== undefined || (outcome && outcome.endReason !== "error"))) {
      // grading_s is the grading itself, not the wait for a --grading-concurrency slot.
      let tg = performance.now();
      try {
        const fresh = () =>
          gradeTask(task, patch, { create: createWorkspace }, {
            image: ctx.image,
            labels: { ...labels, "bench.role": "grading" },
            timeoutSec: ctx.gradingTimeoutSec,
          });
        const grading = async (): Promise<GradeResult> => {
          tg = performance.now();
          const workspace = kept;
          kept = undefined;
          if (workspace === undefined) {
            trajectory.write({ type: "grading", workspace: "new" });
            return fresh();
          }
          try {
            // The agent's container, back at the base state: saves a container's start and removal per task.
            try {
              await workspace.reset!(task.repoDir!);
            } catch (err) {
              trajectory.write({ type: "grading", workspace: "new", reason: `reset failed: ${errorMessage(err)}` });
              await workspace.remove().catch(() => undefined);
              return await fresh();
            }
            trajectory.write({ type: "grading", workspace: "reset" });
            return await gradeInSandbox(task, patch, workspace, { timeoutSec: ctx.gradingTimeoutSec });
          } finally {
            await workspace.remove().catch(() => undefined);
          }
        };
        grade = await (ctx.grading ? ctx.grading(grading) : grading());
        writeFileSync(path.join(dir, "test_output.txt"), grade.log);
        // SWE-bench's own per-instance files beside bench's: its report.json and the eval script that ran.
        writeFileSync(path.join(dir, "report.json"), `${JSON.stringify(grade.report, null, 2)}\n`);
        if (grade.evalScript !== undefined) writeFileSync(path.join(dir, "eval.sh"), grade.evalScript);
        trajectory.write({ type: "grading_result", resolved: grade.resolved, patch_applied: grade.patchApplied, failure: grade.failure?.class ?? null, tests: grade.tests });
      } catch (err) {
        // A grading workspace that could not start (its image cannot be pulled, Docker refused it) is the same
        // infrastructure error as an agent's workspace that could not: sandbox_start.
        failure = { errorClass: err instanceof WorkspaceStartError ? "sandbox_start" : "grading", message: errorMessage(err) };
      }
      gradingS = seconds(performance.now() - tg);
    }
  } finally {
    await kept?.remove().catch(() => undefined); // not graded (an error before grading)
    await trajectory.close().catch(() => undefined);
  }

  const usage = outcome?.usage ?? { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
  const { cost, source } = priced(outcome?.callUsages ?? []);
  const error = failure ?? (outcome?.endReason === "error" ? outcome.error : undefined);
  // A log the environment broke (SWE-bench's environment-tier infra failure: out of memory, no Docker daemon) is no
  // verdict on the patch: an infrastructure error, which --task-retries re-runs.
  const infra = grade !== undefined && grade.failure?.class === "no_test_results" && grade.report[task.instance_id]?.infra_failure === true;
  const gradeError = infra ? { errorClass: "grading", message: `${grade!.failure!.message} (${grade!.report[task.instance_id]?.infra_failure_reason ?? "environment"})` } : undefined;
  const finalError = error ?? gradeError;
  const status = finalError ? "error" : grade?.resolved ? "resolved" : "unresolved";
  // Not resolved for a reason other than its tests (the patch is empty or does not apply, the tests timed out …): said in error_class.
  const gradeNote = !finalError && grade?.failure ? { errorClass: grade.failure.class, message: grade.failure.message } : undefined;
  const latencies = outcome?.latenciesS ?? [];
  const ttfts = outcome?.ttftsS ?? [];
  const round3 = (x: number | null): number | null => (x === null ? null : Math.round(x * 1000) / 1000);
  return {
    run_id: ctx.runId,
    cell: cell.cell,
    provider: cell.provider,
    model: cell.model,
    region: cell.region ?? null,
    instance_id: task.instance_id,
    status,
    resolved: status === "resolved",
    end_reason: failure || gradeError ? "error" : ctx.prediction !== undefined ? "prediction" : (outcome?.endReason ?? "error"),
    error_class: (finalError ?? gradeNote)?.errorClass ?? null,
    error_message: (finalError ?? gradeNote)?.message.slice(0, 2000) ?? null,
    iterations: outcome?.iterations ?? 0,
    fake_user_responses: outcome?.fakeUserResponses ?? 0,
    tool_calls: outcome?.toolCalls ?? 0,
    llm_calls: outcome?.iterations ?? 0,
    llm_retries: retries,
    throttle_wait_s: round3(seconds(throttleWaitMs)),
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cache_read_tokens: usage.cacheReadTokens,
    cache_write_tokens: usage.cacheWriteTokens,
    reasoning_tokens: usage.reasoningTokens,
    cost_usd: cost,
    cost_source: source,
    llm_latency_s_total: round3(latencies.reduce((a, b) => a + b, 0)) ?? 0,
    llm_latency_s_p50: round3(percentile(latencies, 50)),
    llm_latency_s_p95: round3(percentile(latencies, 95)),
    ttft_s_p50: round3(percentile(ttfts, 50)),
    sandbox_start_s: round3(sandboxStartS),
    agent_s: round3(agentS),
    grading_s: round3(gradingS),
    wall_s: round3(seconds(performance.now() - t0)) ?? 0,
    patch_lines: countPatchLines(patch),
    fail_to_pass: grade ? `${grade.failToPass.passed}/${grade.failToPass.total}` : null,
    pass_to_pass: grade ? `${grade.passToPass.passed}/${grade.passToPass.total}` : null,
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    attempt: ctx.attempt,
    llm_latencies_s: latencies.map((x) => Math.round(x * 1e6) / 1e6),
    ttfts_s: ttfts.map((x) => Math.round(x * 1e6) / 1e6),
    throttle_events: throttleEvents,
    ...(pullWaitMs !== null ? { pull_wait_s: round3(seconds(pullWaitMs)) } : {}),
    ...(grade ? { patch_applied: grade.patchApplied, tests: grade.tests } : {}),
  };
}

/** Added plus removed lines of a unified diff (headers excluded). */
export function countPatchLines(patch: string): number {
  let n = 0;
  for (const line of patch.split("\n")) {
    if ((line.startsWith("+") && !line.startsWith("+++")) || (line.startsWith("-") && !line.startsWith("---"))) n++;
  }
  return n;
}

/** A workspace (the agent's or the grading's) could not start: its image could not be pulled, or Docker refused it. */
class WorkspaceStartError extends Error {
  constructor(cause: unknown) {
    super(errorMessage(cause), { cause });
    this.name = "WorkspaceStartError";
  }
}
