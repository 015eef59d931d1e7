// A synthetic run directory (run.json, results.jsonl, tasks/<cell-dir>/<id>/ files) with realistic trajectories, for
// bench:view and the viewer's tests. Seeded: the same options give the same bytes. Each result's model calls,
// tokens and cost are the sums of its trajectory's model_call events.

import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { TrajectoryEvent } from "../src/agent/trajectory.js";
import { cellDirName } from "../src/report/types.js";
import { seededRandom } from "../src/util/random.js";
import type { TaskResult } from "../src/report/types.js";

export interface SyntheticRunOptions {
  tasks: number;
  cells: string[];
  /** @default 1 */
  seed?: number;
  /** Events per trajectory, drawn in [min, max]. @default [20, 60] */
  events?: [number, number];
  /** Share of observations that are large (tens of KB). @default 0.05 */
  largeShare?: number;
  /** Text put into the first observation of every trajectory (hostile-text tests). */
  injectText?: string;
  /** Instance ids to use (default task-0000…). */
  ids?: string[];
}

const LOREM = "the quick brown fox jumps over the lazy dog while the test suite runs and reports its findings ".repeat(4);

/** One task × cell: its trajectory events, patch, test output, report.json and TaskResult. */
function makeTask(rand: () => number, runId: string, cell: string, id: string, o: SyntheticRunOptions) {
  const [lo, hi] = o.events ?? [20, 60];
  const target = lo + Math.floor(rand() * (hi - lo + 1));
  const events: TrajectoryEvent[] = [
    {
      type: "start",
      instance_id: id,
      system: "You are a careful software engineer.",
      prompt: {
        role: "user",
        content: [
          {
            type: "text",
            text: `<issue>\n${id}: calling frobnicate() with an empty list raises IndexError.\n${LOREM}\n</issue>\n\nThe repository is at /testbed.`,
          },
        ],
      },
    },
    { type: "sandbox", container: `c-${id}`, start_s: 0.4 + rand() },
  ];
  const usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
  let cost = 0;
  const latencies: number[] = [];
  let iteration = 0;
  while (events.length < target - 1) {
    iteration++;
    const u = {
      inputTokens: 800 + Math.floor(rand() * 4000),
      outputTokens: 20 + Math.floor(rand() * 400),
      cacheReadTokens: Math.floor(rand() * 2000),
      cacheWriteTokens: 0,
      reasoningTokens: Math.floor(rand() * 100),
    };
    const callCost = Number(((u.inputTokens * 2.5 + u.cacheReadTokens * 1.25 + u.outputTokens * 10) / 1e6).toFixed(8));
    const latency = Number((0.3 + rand() * 3).toFixed(3));
    const callId = `call_${iteration}`;
    const command =
      rand() < 0.5 ? `grep -rn "frobnicate" src/ | head -${iteration}` : `python -m pytest tests/test_frob.py -x -q -k case_${iteration}`;
    events.push({
      type: "model_call",
      iteration,
      request: { messages: iteration * 2, last_role: "tool" },
      response: {
        text: `Step ${iteration}: let me look at the code.`,
        tool_calls: [{ id: callId, name: "bash", arguments: JSON.stringify({ command }) }],
        ...(rand() < 0.3 ? { reasoning: [{ type: "reasoning" as const, text: `Thinking about step ${iteration}.` }] } : {}),
      },
      stop_reason: "tool_use",
      usage: u,
      latency_s: latency,
      ttft_s: Number((latency / 3).toFixed(3)),
      cost_usd: callCost,
    });
    for (const k of Object.keys(usage) as (keyof typeof usage)[]) usage[k] += u[k];
    cost += callCost;
    latencies.push(latency);
    events.push({ type: "tool_call", id: callId, name: "bash", arguments: JSON.stringify({ command }) });
    const large = rand() < (o.largeShare ?? 0.05);
    const body =
      iteration === 1 && o.injectText !== undefined
        ? o.injectText
        : large
          ? `${LOREM}\n`.repeat(120)
          : `src/frob.py:${iteration}: def frobnicate(items):\n${LOREM.slice(0, 200)}`;
    const code = rand() < 0.2 ? 1 : 0;
    events.push({
      type: "observation",
      id: callId,
      name: "bash",
      is_error: code !== 0,
      content: [{ type: "text", text: `${body}\n[exit code: ${code}]` }],
      duration_s: Number((rand() * 2).toFixed(3)),
    });
  }
  const resolved = rand() < 0.55;
  events.push({ type: "end", end_reason: "finished", finish_message: "Fixed frobnicate for empty lists." });
  events.push({ type: "grading", workspace: "reset" });
  const tests = {
    "tests/test_frob.py::test_empty": resolved ? "PASSED" : "FAILED",
    "tests/test_frob.py::test_one": "PASSED",
    "tests/test_frob.py::test_many": "PASSED",
  };
  events.push({ type: "grading_result", resolved, patch_applied: true, failure: null, tests });
  const patch = `diff --git a/src/frob.py b/src/frob.py\nindex 1111111..2222222 100644\n--- a/src/frob.py\n+++ b/src/frob.py\n@@ -1,4 +1,6 @@\n def frobnicate(items):\n+    if not items:\n+        return []\n-    first = items[0]\n+    first = items[0]\n     return [first] + items[1:]\n`;
  const report = {
    [id]: {
      patch_is_None: false,
      patch_exists: true,
      patch_successfully_applied: true,
      resolved,
      tests_status: {
        FAIL_TO_PASS: {
          success: resolved ? ["tests/test_frob.py::test_empty"] : [],
          failure: resolved ? [] : ["tests/test_frob.py::test_empty"],
        },
        PASS_TO_PASS: { success: ["tests/test_frob.py::test_one", "tests/test_frob.py::test_many"], failure: [] },
      },
    },
  };
  const testOutput = `+ git apply -v patch.diff\nApplied patch src/frob.py cleanly.\n+ pytest -rA tests/test_frob.py\n${Object.entries(
    tests,
  )
    .map(([t, s]) => `${s} ${t}`)
    .join("\n")}\n`;
  const [provider, model] = cell.split("/") as [string, string];
  const result: TaskResult = {
    run_id: runId,
    cell,
    provider,
    model,
    region: null,
    instance_id: id,
    status: resolved ? "resolved" : "unresolved",
    resolved,
    end_reason: "finished",
    error_class: null,
    error_message: null,
    iterations: iteration,
    fake_user_responses: 0,
    tool_calls: iteration,
    llm_calls: iteration,
    llm_retries: 0,
    throttle_wait_s: 0,
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cache_read_tokens: usage.cacheReadTokens,
    cache_write_tokens: 0,
    reasoning_tokens: usage.reasoningTokens,
    cost_usd: Number(cost.toFixed(8)),
    cost_source: "price_table",
    llm_latency_s_total: Number(latencies.reduce((a, b) => a + b, 0).toFixed(3)),
    llm_latency_s_p50: latencies[Math.floor(latencies.length / 2)] ?? null,
    llm_latency_s_p95: latencies[Math.floor(latencies.length * 0.95)] ?? null,
    ttft_s_p50: null,
    sandbox_start_s: 1,
    agent_s: 10,
    grading_s: 3,
    wall_s: 14,
    patch_lines: 4,
    fail_to_pass: resolved ? "1/1" : "0/1",
    pass_to_pass: "2/2",
    started_at: "2026-01-01T00:00:00.000Z",
    finished_at: "2026-01-01T00:00:14.000Z",
    attempt: 1,
    llm_latencies_s: latencies,
    ttfts_s: [],
    throttle_events: 0,
    patch_applied: true,
    tests,
  };
  return { events, patch, testOutput, report, result };
}

/** Writes the run into `dir` (created); returns its results. */
export function writeSyntheticRun(dir: string, o: SyntheticRunOptions): TaskResult[] {
  const rand = seededRandom(o.seed ?? 1);
  const runId = path.basename(dir);
  const ids = o.ids ?? Array.from({ length: o.tasks }, (_, i) => `task-${String(i).padStart(4, "0")}`);
  mkdirSync(dir, { recursive: true });
  const cells = o.cells.map((cell) => ({
    cell,
    provider: cell.split("/")[0],
    model: cell.split("/").slice(1).join("/"),
    region: null,
    label: null,
    options: null,
  }));
  writeFileSync(
    path.join(dir, "run.json"),
    `${JSON.stringify({ run_id: runId, bench_version: "synthetic", started_at: "2026-01-01T00:00:00.000Z", finished_at: "2026-01-01T01:00:00.000Z", status: "finished", cells }, null, 2)}\n`,
  );
  const results: TaskResult[] = [];
  for (const id of ids) {
    for (const cell of o.cells) {
      const t = makeTask(rand, runId, cell, id, o);
      const taskDir = path.join(dir, "tasks", cellDirName(cell), id);
      mkdirSync(taskDir, { recursive: true });
      writeFileSync(
        path.join(taskDir, "trajectory.jsonl"),
        t.events.map((e, i) => `${JSON.stringify({ ts: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(), ...e })}\n`).join(""),
      );
      writeFileSync(path.join(taskDir, "patch.diff"), t.patch);
      writeFileSync(path.join(taskDir, "test_output.txt"), t.testOutput);
      writeFileSync(path.join(taskDir, "report.json"), `${JSON.stringify(t.report, null, 2)}\n`);
      results.push(t.result);
    }
  }
  writeFileSync(path.join(dir, "results.jsonl"), results.map((r) => `${JSON.stringify(r)}\n`).join(""));
  return results;
}
