// Pure: an attempt's TaskResult (a results.jsonl line) from what the runner saw: the agent's outcome, the patch, the
// grading, the first failure, counters and timings. How an attempt's status, end_reason and error_class are decided.

import type { AgentOutcome } from "../agent/loop.js";
import type { CellSpec } from "../models/call-options.js";
import type { GradeResult } from "../grading/grader.js";
import type { CostSource, TaskResult } from "../report/types.js";
import { percentile } from "../report/stats.js";

/** An error an attempt ended in, or why a graded patch is unresolved (its error_class and message). */
export interface AttemptError {
  errorClass: string;
  message: string;
}

export interface AttemptRecord {
  runId: string;
  cell: CellSpec;
  instanceId: string;
  attempt: number;
  /** bench grade: the patch was a prediction, no agent ran. */
  prediction: boolean;
  /** The agent's outcome; absent when no agent ran or it did not run to an end. */
  outcome?: AgentOutcome;
  patch: string;
  grade?: GradeResult;
  /** The runner's own failure (workspace start, patch extraction, grading): it wins over the agent's error. */
  failure?: AttemptError;
  /** What the agent's model calls cost (priced per call). */
  price: { cost: number | null; source: CostSource };
  retries: number;
  throttleWaitMs: number;
  throttleEvents: number;
  /** Seconds from the attempt's start; null where the phase did not happen. */
  sandboxStartS: number | null;
  agentS: number | null;
  gradingS: number | null;
  wallS: number;
  /** Milliseconds the attempt waited for image pulls; null when it pulled nothing (--pull off or no image). */
  pullWaitMs: number | null;
  startedAt: Date;
  finishedAt: Date;
}

export interface AttemptVerdict {
  status: TaskResult["status"];
  endReason: TaskResult["end_reason"];
  /** The error the attempt ended in, else why it is unresolved other than by its tests (empty patch …), else null. */
  error: AttemptError | null;
}

const NO_USAGE = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };

/** Rounds seconds to milliseconds. */
export const round3 = (x: number | null): number | null => (x === null ? null : Math.round(x * 1000) / 1000);

/**
 * A grading whose log the environment broke (SWE-bench's environment-tier infra failure: out of memory, no Docker
 * daemon) is no verdict on the patch: an infrastructure error of class `grading`, which --task-retries re-runs.
 */
export function gradingInfraError(grade: GradeResult | undefined, instanceId: string): AttemptError | undefined {
  if (grade === undefined || grade.failure?.class !== "no_test_results") return undefined;
  const entry = grade.report[instanceId];
  if (entry?.infra_failure !== true) return undefined;
  return { errorClass: "grading", message: `${grade.failure.message} (${entry.infra_failure_reason ?? "environment"})` };
}

/** An attempt's status, end_reason and error (see AttemptVerdict). */
export function attemptVerdict(r: Pick<AttemptRecord, "instanceId" | "prediction" | "outcome" | "grade" | "failure">): AttemptVerdict {
  const gradeError = gradingInfraError(r.grade, r.instanceId);
  const error = r.failure ?? (r.outcome?.endReason === "error" ? r.outcome.error : undefined) ?? gradeError;
  const status = error ? "error" : r.grade?.resolved ? "resolved" : "unresolved";
  // Not resolved for a reason other than its tests (the patch is empty or does not apply, the tests timed out …).
  const note = !error && r.grade?.failure ? { errorClass: r.grade.failure.class, message: r.grade.failure.message } : undefined;
  const endReason = r.failure || gradeError ? "error" : r.prediction ? "prediction" : (r.outcome?.endReason ?? "error");
  return { status, endReason, error: error ?? note ?? null };
}

/** The results.jsonl line of an attempt. */
export function buildTaskResult(r: AttemptRecord): TaskResult {
  const { outcome, grade } = r;
  const verdict = attemptVerdict(r);
  const usage = outcome?.usage ?? NO_USAGE;
  const latencies = outcome?.latenciesS ?? [];
  const ttfts = outcome?.ttftsS ?? [];
  return {
    run_id: r.runId,
    cell: r.cell.cell,
    provider: r.cell.provider,
    model: r.cell.model,
    region: r.cell.region ?? null,
    instance_id: r.instanceId,
    status: verdict.status,
    resolved: verdict.status === "resolved",
    end_reason: verdict.endReason,
    error_class: verdict.error?.errorClass ?? null,
    error_message: verdict.error?.message.slice(0, 2000) ?? null,
    iterations: outcome?.iterations ?? 0,
    fake_user_responses: outcome?.fakeUserResponses ?? 0,
    tool_calls: outcome?.toolCalls ?? 0,
    llm_calls: outcome?.iterations ?? 0,
    llm_retries: r.retries,
    throttle_wait_s: round3(r.throttleWaitMs / 1000),
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cache_read_tokens: usage.cacheReadTokens,
    cache_write_tokens: usage.cacheWriteTokens,
    reasoning_tokens: usage.reasoningTokens,
    cost_usd: r.price.cost,
    cost_source: r.price.source,
    llm_latency_s_total: round3(latencies.reduce((a, b) => a + b, 0)) ?? 0,
    llm_latency_s_p50: round3(percentile(latencies, 50)),
    llm_latency_s_p95: round3(percentile(latencies, 95)),
    ttft_s_p50: round3(percentile(ttfts, 50)),
    sandbox_start_s: round3(r.sandboxStartS),
    agent_s: round3(r.agentS),
    grading_s: round3(r.gradingS),
    wall_s: round3(r.wallS) ?? 0,
    patch_lines: countPatchLines(r.patch),
    fail_to_pass: grade ? `${grade.failToPass.passed}/${grade.failToPass.total}` : null,
    pass_to_pass: grade ? `${grade.passToPass.passed}/${grade.passToPass.total}` : null,
    started_at: r.startedAt.toISOString(),
    finished_at: r.finishedAt.toISOString(),
    attempt: r.attempt,
    llm_latencies_s: latencies.map((x) => Math.round(x * 1e6) / 1e6),
    ttfts_s: ttfts.map((x) => Math.round(x * 1e6) / 1e6),
    throttle_events: r.throttleEvents,
    ...(r.pullWaitMs !== null ? { pull_wait_s: round3(r.pullWaitMs / 1000) } : {}),
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
