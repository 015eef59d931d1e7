// The TaskResult builder (src/runner/result.ts): every field of a results.jsonl line from an attempt's record, and the
// status / end_reason / error_class rule, with exact values.
import { describe, expect, it } from "vitest";
import type { AgentOutcome } from "../../src/agent/loop.js";
import type { GradeResult } from "../../src/grading/grader.js";
import {
  attemptVerdict,
  buildTaskResult,
  countPatchLines,
  gradingInfraError,
  round3,
  type AttemptRecord,
} from "../../src/runner/result.js";

const USAGE = { inputTokens: 100, outputTokens: 20, cacheReadTokens: 5, cacheWriteTokens: 3, reasoningTokens: 7 };
const OUTCOME: AgentOutcome = {
  endReason: "finished",
  iterations: 3,
  fakeUserResponses: 1,
  toolCalls: 4,
  usage: USAGE,
  callUsages: [USAGE],
  latenciesS: [0.5, 1.25, 2.0000004],
  ttftsS: [0.1234567, 0.2],
};
const report = (infra: boolean, reason?: string) => ({
  "t-1": {
    patch_is_None: false,
    patch_exists: true,
    patch_successfully_applied: !infra,
    resolved: false,
    infra_failure: infra,
    ...(reason ? { infra_failure_reason: reason } : {}),
  },
});
const GRADE: GradeResult = {
  resolved: true,
  failToPass: { passed: 1, total: 1, failing: [] },
  passToPass: { passed: 2, total: 3, failing: ["t::c"] },
  patchApplied: true,
  log: "log",
  tests: { "t::a": "PASSED", "t::b": "PASSED", "t::c": "FAILED" },
  testsStatus: null,
  report: report(false),
};
const RECORD: AttemptRecord = {
  runId: "r1",
  cell: { cell: "openai/gpt-x", provider: "openai", model: "gpt-x" },
  instanceId: "t-1",
  attempt: 2,
  prediction: false,
  outcome: OUTCOME,
  patch: "--- a/x\n+++ b/x\n-old\n+new\n+more\n",
  grade: GRADE,
  price: { cost: 0.0123, source: "price_table" },
  retries: 2,
  throttleWaitMs: 1234.5678,
  throttleEvents: 1,
  sandboxStartS: 0.81234,
  agentS: 12.3456,
  gradingS: 3.0004,
  wallS: 16.00049,
  pullWaitMs: null,
  startedAt: new Date("2026-01-02T03:04:05.000Z"),
  finishedAt: new Date("2026-01-02T03:04:21.000Z"),
};

describe("buildTaskResult", () => {
  it("a graded attempt: every field", () => {
    expect(buildTaskResult(RECORD)).toEqual({
      run_id: "r1",
      cell: "openai/gpt-x",
      provider: "openai",
      model: "gpt-x",
      region: null,
      instance_id: "t-1",
      status: "resolved",
      resolved: true,
      end_reason: "finished",
      error_class: null,
      error_message: null,
      iterations: 3,
      fake_user_responses: 1,
      tool_calls: 4,
      llm_calls: 3,
      llm_retries: 2,
      throttle_wait_s: 1.235,
      input_tokens: 100,
      output_tokens: 20,
      cache_read_tokens: 5,
      cache_write_tokens: 3,
      reasoning_tokens: 7,
      cost_usd: 0.0123,
      cost_source: "price_table",
      llm_latency_s_total: 3.75,
      llm_latency_s_p50: 1.25,
      llm_latency_s_p95: 1.925,
      ttft_s_p50: 0.162,
      sandbox_start_s: 0.812,
      agent_s: 12.346,
      grading_s: 3,
      wall_s: 16,
      patch_lines: 3,
      fail_to_pass: "1/1",
      pass_to_pass: "2/3",
      started_at: "2026-01-02T03:04:05.000Z",
      finished_at: "2026-01-02T03:04:21.000Z",
      attempt: 2,
      llm_latencies_s: [0.5, 1.25, 2],
      ttfts_s: [0.123457, 0.2],
      throttle_events: 1,
      patch_applied: true,
      tests: { "t::a": "PASSED", "t::b": "PASSED", "t::c": "FAILED" },
    });
  });

  it("no agent outcome, no grade: zero counts, blank timings, no grading fields; pull wait in seconds", () => {
    const result = buildTaskResult({
      ...RECORD,
      outcome: undefined,
      grade: undefined,
      failure: { errorClass: "sandbox_start", message: "x".repeat(2500) },
      sandboxStartS: null,
      agentS: null,
      gradingS: null,
      pullWaitMs: 2500.4,
      cell: { cell: "bedrock/m@eu-west-1", provider: "bedrock", model: "m", region: "eu-west-1" },
      price: { cost: null, source: "unknown" },
    });
    expect(result).toMatchObject({
      region: "eu-west-1",
      status: "error",
      resolved: false,
      end_reason: "error",
      error_class: "sandbox_start",
      iterations: 0,
      llm_calls: 0,
      input_tokens: 0,
      reasoning_tokens: 0,
      cost_usd: null,
      cost_source: "unknown",
      llm_latency_s_total: 0,
      llm_latency_s_p50: null,
      ttft_s_p50: null,
      sandbox_start_s: null,
      agent_s: null,
      grading_s: null,
      fail_to_pass: null,
      pass_to_pass: null,
      llm_latencies_s: [],
      pull_wait_s: 2.5,
    });
    expect(result.error_message).toBe("x".repeat(2000));
    expect("patch_applied" in result).toBe(false);
    expect("tests" in result).toBe(false);
    expect("pull_wait_s" in buildTaskResult(RECORD)).toBe(false);
  });
});

describe("attemptVerdict", () => {
  const base = { instanceId: "t-1", prediction: false, outcome: OUTCOME };
  it("resolved, unresolved, and unresolved with a note (the grading's failure class)", () => {
    expect(attemptVerdict({ ...base, grade: GRADE })).toEqual({ status: "resolved", endReason: "finished", error: null });
    expect(attemptVerdict({ ...base, grade: { ...GRADE, resolved: false } })).toEqual({
      status: "unresolved",
      endReason: "finished",
      error: null,
    });
    const apply = { ...GRADE, resolved: false, failure: { class: "patch_apply" as const, message: "does not apply" } };
    expect(attemptVerdict({ ...base, grade: apply })).toEqual({
      status: "unresolved",
      endReason: "finished",
      error: { errorClass: "patch_apply", message: "does not apply" },
    });
  });

  it("the agent's error, the runner's failure (wins, end_reason error), a prediction", () => {
    const agentError = { ...OUTCOME, endReason: "error" as const, error: { errorClass: "auth", message: "401" } };
    expect(attemptVerdict({ ...base, outcome: agentError })).toEqual({
      status: "error",
      endReason: "error",
      error: { errorClass: "auth", message: "401" },
    });
    const timeout = { ...OUTCOME, endReason: "task_timeout" as const };
    expect(attemptVerdict({ ...base, outcome: timeout, failure: { errorClass: "grading", message: "boom" } })).toEqual({
      status: "error",
      endReason: "error",
      error: { errorClass: "grading", message: "boom" },
    });
    expect(attemptVerdict({ instanceId: "t-1", prediction: true, grade: GRADE })).toEqual({
      status: "resolved",
      endReason: "prediction",
      error: null,
    });
    expect(attemptVerdict({ instanceId: "t-1", prediction: false })).toEqual({ status: "unresolved", endReason: "error", error: null });
  });

  it("an environment-broken log is an infrastructure error of class grading; an ambiguous one is a note", () => {
    const broken = {
      ...GRADE,
      resolved: false,
      failure: { class: "no_test_results" as const, message: "no results" },
      report: report(true, "out of memory"),
    };
    expect(gradingInfraError(broken, "t-1")).toEqual({ errorClass: "grading", message: "no results (out of memory)" });
    expect(gradingInfraError({ ...broken, report: report(true) }, "t-1")).toEqual({
      errorClass: "grading",
      message: "no results (environment)",
    });
    expect(attemptVerdict({ ...base, grade: broken })).toEqual({
      status: "error",
      endReason: "error",
      error: { errorClass: "grading", message: "no results (out of memory)" },
    });
    const ambiguous = { ...broken, report: report(false) };
    expect(gradingInfraError(ambiguous, "t-1")).toBeUndefined();
    expect(attemptVerdict({ ...base, grade: ambiguous })).toEqual({
      status: "unresolved",
      endReason: "finished",
      error: { errorClass: "no_test_results", message: "no results" },
    });
    expect(gradingInfraError(undefined, "t-1")).toBeUndefined();
  });
});

describe("countPatchLines, round3", () => {
  it("counts added and removed lines, not headers", () => {
    expect(countPatchLines("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1,2 @@\n-a\n+b\n+c\n context\n")).toBe(3);
    expect(countPatchLines("")).toBe(0);
  });
  it("rounds to milliseconds; null stays null", () => {
    expect([round3(1.0005), round3(2.4444), round3(null)]).toEqual([1.001, 2.444, null]);
  });
});
