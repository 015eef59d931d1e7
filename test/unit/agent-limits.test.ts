// The agent loop's limits (cost, tokens, wall clock) and the run-level stop rules, with fake tools and clocks.
import { afterEach, describe, expect, it, vi } from "vitest";
import { runAgent, type AgentLimits, type AgentOutcome } from "../../src/agent/loop.js";
import type { Tool } from "../../src/agent/tools.js";
import { MemoryTrajectory } from "../../src/agent/trajectory.js";
import type { Task } from "../../src/datasets/types.js";
import type { ModelRequest, ModelResponse, Usage } from "../../src/models/types.js";
import { isInfrastructureError, RunLimits, taskRetryDelayMs } from "../../src/runner/run-limits.js";

const TASK: Task = {
  instance_id: "t-1",
  repo: "r",
  problem_statement: "fix it",
  patch: "",
  test_patch: "",
  FAIL_TO_PASS: [],
  PASS_TO_PASS: [],
  test_framework: "pytest",
};
const USAGE: Usage = { inputTokens: 1000, outputTokens: 100, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };

/** A model that always calls bash once. */
const bashModel = async (): Promise<ModelResponse> => ({
  message: { role: "assistant", text: "", toolCalls: [{ id: "c", name: "bash", arguments: '{"command":"ls"}' }] },
  stopReason: "tool_use",
  usage: USAGE,
  latencyMs: 1,
});

function bash(execute: () => Promise<string>): Tool {
  return {
    spec: { name: "bash", description: "", parameters: {} },
    execute: async () => ({ content: [{ type: "text", text: await execute() }], isError: false }),
  };
}

const limits = (extra: Partial<AgentLimits> = {}): AgentLimits => ({ maxIterations: 50, maxFakeResponses: 3, ...extra });

afterEach(() => {
  vi.useRealTimers();
});

describe("agent loop limits", () => {
  it("costOf sees every call's own usage (long-context tiers are priced per call), and the outcome keeps them", async () => {
    const seen: number[] = [];
    const outcome = await runAgent({
      task: TASK,
      tools: [bash(async () => "ok")],
      callModel: bashModel,
      limits: limits({ maxCostUsd: 1, maxIterations: 3 }),
      trajectory: new MemoryTrajectory(),
      costOf: (usage, calls) => {
        seen.push(calls.length);
        expect(usage.inputTokens).toBe(calls.reduce((n, c) => n + c.inputTokens, 0));
        return 0;
      },
    });
    expect(outcome.callUsages).toEqual([USAGE, USAGE, USAGE]);
    expect(seen).toEqual([0, 1, 2]); // before each call; max_iterations ends it before a fourth check
  });

  it("budget_exceeded once the accumulated cost reaches --max-budget-per-task (the last answer's tools ran)", async () => {
    let ran = 0;
    const trajectory = new MemoryTrajectory();
    const outcome = await runAgent({
      task: TASK,
      tools: [bash(async () => String(++ran))],
      callModel: bashModel,
      limits: limits({ maxCostUsd: 0.0025 }),
      trajectory,
      costOf: (u) => (u.inputTokens + u.outputTokens) * 1e-6,
    });
    // 0.0011 per call: 0.0022 < 0.0025 ≤ 0.0033.
    expect([outcome.endReason, outcome.iterations, ran]).toEqual(["budget_exceeded", 3, 3]);
    expect(trajectory.events.at(-1)).toMatchObject({ type: "end", end_reason: "budget_exceeded" });
  });

  it("an unknown cost does not enforce the budget", async () => {
    const outcome = await runAgent({
      task: TASK,
      tools: [bash(async () => "ok")],
      callModel: bashModel,
      limits: limits({ maxIterations: 5, maxCostUsd: 1e-9 }),
      trajectory: new MemoryTrajectory(),
      costOf: () => null,
    });
    expect(outcome.endReason).toBe("max_iterations");
  });

  it("budget_exceeded once the task's tokens reach --max-tokens-per-task", async () => {
    const outcome = await runAgent({
      task: TASK,
      tools: [bash(async () => "ok")],
      callModel: bashModel,
      limits: limits({ maxTokens: 3300 }),
      trajectory: new MemoryTrajectory(),
    });
    expect([outcome.endReason, outcome.iterations]).toEqual(["budget_exceeded", 3]);
  });

  it("task_timeout while a tool call hangs: the loop does not wait for it", async () => {
    vi.useFakeTimers();
    const timer = new AbortController();
    setTimeout(() => timer.abort(), 10_000);
    const deadline = timer.signal;
    let started = 0;
    const hung = new Promise<string>(() => undefined);
    const run = runAgent({
      task: TASK,
      tools: [bash(() => (++started === 2 ? hung : Promise.resolve("ok")))],
      callModel: bashModel,
      limits: limits(),
      trajectory: new MemoryTrajectory(),
      deadline,
    });
    let outcome: AgentOutcome | undefined;
    void run.then((o) => (outcome = o));
    await vi.advanceTimersByTimeAsync(9_999);
    expect(outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome).toMatchObject({ endReason: "task_timeout", iterations: 2, toolCalls: 2 });
  });

  it("task_timeout while the model call is in flight: the call's signal aborts", async () => {
    const controller = new AbortController();
    const seen: (AbortSignal | undefined)[] = [];
    const callModel = (req: ModelRequest) =>
      new Promise<ModelResponse>((_, reject) => {
        seen.push(req.signal);
        req.signal?.addEventListener("abort", () => reject(new Error("aborted")));
        setTimeout(() => controller.abort(), 5);
      });
    const outcome = await runAgent({
      task: TASK,
      tools: [],
      callModel,
      limits: limits(),
      trajectory: new MemoryTrajectory(),
      deadline: controller.signal,
    });
    expect(outcome.endReason).toBe("task_timeout");
    expect(seen[0]?.aborted).toBe(true);
  });
});

describe("run-level limits", () => {
  it("--max-cost: stops scheduling once the finished tasks' cost reaches it; unknown costs do not count", () => {
    const lines: string[] = [];
    const limits = new RunLimits({ maxCost: 1, spentUsd: 0.5, log: (l) => lines.push(l) });
    let stops = 0;
    limits.onStop(() => stops++);
    limits.addCost(null);
    limits.addCost(0.4);
    expect(limits.stopped).toBeUndefined();
    limits.addCost(0.1);
    expect(limits.stopped?.reason).toBe("max_cost");
    limits.addCost(5);
    expect(stops).toBe(1);
    expect(lines).toEqual(["--max-cost 1 USD reached (1.0000 USD spent): no new tasks; running tasks finish"]);
    limits.dispose();
  });

  it("--deadline: stops scheduling and aborts the deadline signal on time", async () => {
    vi.useFakeTimers();
    const limits = new RunLimits({ deadlineSec: 30, log: () => undefined });
    await vi.advanceTimersByTimeAsync(29_999);
    expect([limits.stopped, limits.deadline.aborted]).toEqual([undefined, false]);
    await vi.advanceTimersByTimeAsync(1);
    expect(limits.stopped?.reason).toBe("deadline");
    expect(limits.deadline.aborted).toBe(true);
  });

  it("--task-retries re-runs infrastructure errors only, with a bounded full-jitter wait", () => {
    for (const cls of ["sandbox_start", "sandbox", "grading", "rate_limit", "transient"])
      expect(isInfrastructureError({ status: "error", error_class: cls })).toBe(true);
    for (const cls of ["auth", "quota", "invalid_request", "context_overflow", "aborted"])
      expect(isInfrastructureError({ status: "error", error_class: cls })).toBe(false);
    expect(isInfrastructureError({ status: "unresolved", error_class: null })).toBe(false);
    expect([1, 2, 3, 10].map((a) => taskRetryDelayMs(a, () => 0.999999))).toEqual([1999, 3999, 7999, 29999]);
  });
});
