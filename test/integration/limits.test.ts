// Every limit and end reason with real Docker against the mock: per-task budget, tokens and wall clock (a hung
// command), run-level --max-cost and --deadline (tasks never started are "not run", and resume runs them), --task-retries.
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveRunOptions } from "../../src/config/options.js";
import { startMockServer, type MockServer } from "../../src/mock/index.js";
import { OpenAIChatClient } from "../../src/models/openai-chat.js";
import type { ModelClient, ModelResponse } from "../../src/models/types.js";
import { executeRun } from "../../src/runner/run.js";
import { runTask, type TaskContext } from "../../src/runner/task.js";
import { containersOf, docker, MINI_TASK, miniTaskContext, repoRoot } from "./helpers.js";

const out = mkdtempSync(path.join(os.tmpdir(), "bench-limits-"));
let mock: MockServer;
let oracle: ModelClient;

beforeAll(async () => {
  mock = await startMockServer({ tasks: [MINI_TASK] });
  oracle = new OpenAIChatClient({ provider: "mock", model: "oracle", apiKey: "k", baseURL: `${mock.url}/v1`, stream: true });
});
afterAll(async () => {
  await mock?.close();
});

const context = (name: string, overrides: Partial<TaskContext>): TaskContext => miniTaskContext("limits", name, out, oracle, overrides);

describe("per-task limits (graded)", () => {
  it("--max-budget-per-task: budget_exceeded once the cost reaches it, then graded", async () => {
    const r = await runTask(context("budget", { limits: { maxIterations: 20, maxFakeResponses: 4, maxCostUsd: 1e-6 } }));
    // Stopped before any edit: the patch is empty, graded unresolved without running the tests (as SWE-bench does).
    expect(r).toMatchObject({
      end_reason: "budget_exceeded",
      status: "unresolved",
      error_class: "empty_patch",
      iterations: 1,
      fail_to_pass: "0/1",
      cost_source: "price_table",
    });
    expect(r.cost_usd).toBeGreaterThanOrEqual(1e-6);
  });

  it("--max-tokens-per-task: budget_exceeded once the tokens reach it, then graded", async () => {
    const r = await runTask(context("tokens", { limits: { maxIterations: 20, maxFakeResponses: 4, maxTokens: 100 } }));
    expect(r).toMatchObject({ end_reason: "budget_exceeded", status: "unresolved", iterations: 1, fail_to_pass: "0/1" });
    expect(r.input_tokens + r.output_tokens + r.cache_read_tokens).toBeGreaterThanOrEqual(100);
  });

  it("--task-timeout: a hung command does not hold the task; the patch is taken with a fresh exec, graded, the workspace removed", async () => {
    // A scripted model: write a file, then run a command that never ends.
    const scripted: ModelClient = {
      provider: "mock",
      model: "oracle",
      async generate(request): Promise<ModelResponse> {
        const turn = request.messages.filter((m) => m.role === "assistant").length;
        const command = turn === 0 ? "echo partial > /testbed/PARTIAL.txt" : "sleep 600";
        return {
          message: { role: "assistant", text: "", toolCalls: [{ id: `c${turn}`, name: "bash", arguments: JSON.stringify({ command }) }] },
          stopReason: "tool_use",
          usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
          latencyMs: 1,
        };
      },
    };
    const ctx = context("timeout", { client: scripted, taskTimeoutSec: 4, commandTimeoutSec: 600 });
    const r = await runTask(ctx);
    expect(r).toMatchObject({ end_reason: "task_timeout", status: "unresolved", error_class: null, iterations: 2, fail_to_pass: "0/1" });
    // The agent phase ends at the deadline, not after the 600 s command (wide margin for a loaded machine).
    expect(r.agent_s).toBeLessThan(60);
    expect(r.patch_lines).toBe(1);
    expect(readFileSync(path.join(out, ctx.taskDir, "patch.diff"), "utf8")).toContain("+partial");
    expect(await containersOf(ctx.runId)).toBe(0);
  });
});

describe("run-level limits (executeRun, swe-lite, mock)", () => {
  const lines: string[] = [];
  const envr = () => ({ docker, log: (l: string) => void lines.push(l), env: { ...process.env, OPENAI_API_KEY: "" }, cwd: repoRoot });
  const options = (flags: Record<string, unknown>) =>
    resolveRunOptions({ dataset: "swe-lite", outputDir: out, concurrency: 1, ...flags }, {}, {});
  const runJson = (dir: string) => JSON.parse(readFileSync(path.join(dir, "run.json"), "utf8")) as Record<string, unknown>;
  const resultLines = (dir: string) =>
    readFileSync(path.join(dir, "results.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it("--max-cost: no task starts once the cost is reached; the rest are not run (not failures) and --resume runs them", async () => {
    lines.length = 0;
    const first = await executeRun(options({ runId: "max-cost", limit: 3, maxCost: 1e-6 }), envr());
    expect(first.results).toHaveLength(1);
    const json = runJson(first.runDir);
    expect(json["stopped"]).toMatchObject({ reason: "max_cost" });
    expect(json["not_run"]).toHaveLength(2);
    expect(resultLines(first.runDir)).toHaveLength(1);
    expect(lines.some((l) => /^2 of 3 task\(s\) not run \(--max-cost reached\); `bench run --resume .*max-cost` runs them$/.test(l))).toBe(
      true,
    );
    expect(first.summary[0]).toMatchObject({ tasks: 1, errors: 0 });

    const resumed = await executeRun(options({ runId: "max-cost", limit: 3, resume: first.runDir }), envr());
    expect(resumed.results).toHaveLength(2);
    expect(runJson(first.runDir)).toMatchObject({ stopped: null, not_run: [] });
    expect(resultLines(first.runDir).map((r) => r["status"])).toEqual(["resolved", "resolved", "resolved"]);
  });

  it("--deadline: the running task stops with task_timeout and is graded; tasks never started are not run", async () => {
    lines.length = 0;
    const outcome = await executeRun(options({ runId: "deadline", limit: 2, deadline: 3, mockLatency: "fixed:1500" }), envr());
    expect(outcome.results).toHaveLength(1);
    expect(outcome.results[0]).toMatchObject({ end_reason: "task_timeout", status: "unresolved" });
    expect(outcome.results[0]!.fail_to_pass).not.toBeNull();
    const json = runJson(outcome.runDir);
    expect(json["stopped"]).toMatchObject({ reason: "deadline" });
    expect(json["not_run"]).toEqual([{ cell: "mock/oracle", instance_id: expect.any(String) }]);
    expect(await containersOf("deadline")).toBe(0);
  });

  it("--task-retries: a task whose model calls exhausted their retries runs again in a fresh workspace; attempt counts", async () => {
    lines.length = 0;
    const outcome = await executeRun(options({ runId: "task-retries", limit: 1, taskRetries: 2, llmRetries: 0, mockFaultRate: 1 }), envr());
    expect(outcome.results).toHaveLength(1);
    expect(outcome.results[0]).toMatchObject({ status: "error", end_reason: "error", error_class: "transient", attempt: 3 });
    expect(outcome.results[0]!.error_message).toContain("gave up: 1 attempt(s), --llm-retries 0");
    expect(
      lines.filter((l) => l.includes("ended in an infrastructure error (transient); running it again in a fresh workspace")),
    ).toHaveLength(2);
    const trajectory = readFileSync(
      path.join(outcome.runDir, "tasks", "mock_oracle", outcome.results[0]!.instance_id, "trajectory.jsonl"),
      "utf8",
    );
    expect(trajectory.split("\n").filter((l) => l.includes('"type":"sandbox"'))).toHaveLength(3);
    expect(runJson(outcome.runDir)["limiter"]).toMatchObject({ "mock|mock|-|oracle": { limit: 1, max: 1 } });
    // Every attempted task of the cell ended in an infrastructure error: the run measured nothing (the CLI exits 1).
    expect(outcome.failures).toEqual([
      expect.stringMatching(
        /^cell mock\/oracle: its 1 attempted task ended in an infrastructure error \(transient: .*gave up: 1 attempt\(s\), --llm-retries 0/,
      ),
    ]);
  });
});
