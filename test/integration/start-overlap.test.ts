// The workspace starts while the first model call is in flight (real Docker, the mock's oracle over HTTP): the call
// does not wait for the container, a tool call waits for it when it is slower than the model, a start failure ends the
// task at once as sandbox_start, and an interrupt during the start leaves no container behind.
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockServer, type MockServer } from "../../src/mock/index.js";
import { OpenAIChatClient } from "../../src/models/openai-chat.js";
import type { ModelClient } from "../../src/models/types.js";
import { runTask, type TaskContext } from "../../src/runner/task.js";
import type { SandboxProvider } from "../../src/sandbox/types.js";
import { containersOf, MINI_TASK, miniTaskContext } from "./helpers.js";

const out = mkdtempSync(path.join(os.tmpdir(), "bench-overlap-"));
let slow: MockServer; // every answer takes 1.5 s
let fast: MockServer;

beforeAll(async () => {
  slow = await startMockServer({ tasks: [MINI_TASK], latencyMs: 1500 });
  fast = await startMockServer({ tasks: [MINI_TASK] });
});
afterAll(async () => {
  await slow?.close();
  await fast?.close();
});

const client = (mock: MockServer): ModelClient =>
  new OpenAIChatClient({ provider: "mock", model: "oracle", apiKey: "k", baseURL: `${mock.url}/v1`, stream: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const context = (name: string, overrides: Partial<TaskContext>): TaskContext =>
  miniTaskContext("overlap", name, out, client(fast), overrides);

const trajectoryOf = (name: string) =>
  readFileSync(path.join(out, "tasks", name, MINI_TASK.instance_id, "trajectory.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; ts: string; [k: string]: unknown });

describe("the workspace starts during the first model call", () => {
  it("the first model call is sent before the workspace is up; the task resolves as before", async () => {
    const base = context("overlap", { client: client(slow) });
    let createdAt = 0;
    let firstCallAt = 0;
    const sandboxes: SandboxProvider = {
      create: async (spec) => {
        const sandbox = await base.sandboxes.create(spec);
        createdAt = performance.now();
        return sandbox;
      },
    };
    const inner = base.client;
    const counting: ModelClient = Object.assign(Object.create(inner) as ModelClient, {
      generate: (request: Parameters<ModelClient["generate"]>[0]) => {
        if (firstCallAt === 0) firstCallAt = performance.now();
        return inner.generate(request);
      },
    });
    const r = await runTask({ ...base, sandboxes, client: counting });
    expect(r).toMatchObject({ status: "resolved", error_class: null, end_reason: "finished" });
    expect(firstCallAt).toBeGreaterThan(0);
    expect(firstCallAt).toBeLessThan(createdAt);
    // Both count from the task's start: the start (~0.3 s) lies inside the agent's time, which holds ≥ 1.5 s per call.
    expect(r.sandbox_start_s!).toBeLessThan(1.5);
    expect(r.agent_s!).toBeGreaterThan(r.sandbox_start_s! + 1.5);
    const events = trajectoryOf("overlap").map((e) => e.type);
    expect(events.indexOf("sandbox")).toBeLessThan(events.indexOf("model_call"));
    expect(await containersOf(base.runId)).toBe(0);
  });

  it("a workspace slower than the model: the first tool call waits for it; the trajectory shows the order", async () => {
    const base = context("late", {});
    const sandboxes: SandboxProvider = {
      create: async (spec) => {
        await sleep(1500);
        return base.sandboxes.create(spec);
      },
    };
    const r = await runTask({ ...base, sandboxes });
    expect(r).toMatchObject({ status: "resolved", error_class: null });
    expect(r.sandbox_start_s!).toBeGreaterThanOrEqual(1.5);
    const events = trajectoryOf("late");
    const at = (type: string) => events.findIndex((e) => e.type === type);
    expect(at("model_call")).toBeLessThan(at("sandbox")); // the model answered before the workspace was up
    expect(at("sandbox")).toBeLessThan(at("observation")); // and the first tool ran after it
    expect(await containersOf(base.runId)).toBe(0);
  });

  it("a start failure ends the task at once as sandbox_start: the model call in flight is abandoned, nothing is graded", async () => {
    const base = context("fails", { client: client(slow) });
    const sandboxes: SandboxProvider = {
      create: async () => {
        await sleep(200);
        throw new Error("cannot start container: no space left on device");
      },
    };
    const r = await runTask({ ...base, sandboxes });
    expect(r).toMatchObject({
      status: "error",
      error_class: "sandbox_start",
      end_reason: "error",
      llm_calls: 0,
      grading_s: null,
      sandbox_start_s: null,
    });
    expect(r.error_message).toContain("no space left on device");
    expect(r.wall_s).toBeLessThan(1.4); // not the 1.5 s of the model call
  });

  it("calls answered before the start fails are counted: llm_calls, tokens and cost_usd (for --max-cost too)", async () => {
    const spent: (number | null)[] = [];
    const base = context("fails-late", { agentDone: (cost) => void spent.push(cost) });
    // The fast mock answers at once: a text turn, then tool calls, which wait for the workspace; it never comes.
    const sandboxes: SandboxProvider = {
      create: async () => {
        await sleep(1000);
        throw new Error("cannot start container: OCI runtime create failed");
      },
    };
    const r = await runTask({ ...base, sandboxes });
    expect(r).toMatchObject({
      status: "error",
      error_class: "sandbox_start",
      end_reason: "error",
      llm_calls: 2,
      cost_source: "price_table",
    });
    expect(r.error_message).toContain("OCI runtime create failed");
    expect(r.input_tokens).toBeGreaterThan(0);
    expect(r.cost_usd!).toBeGreaterThan(0);
    expect(spent).toEqual([r.cost_usd]);
    const events = trajectoryOf("fails-late");
    expect(events.at(-1)).toMatchObject({ type: "end", end_reason: "error", error: { errorClass: "sandbox_start" } });
  });

  it("an interrupt while the workspace starts: the task returns once the start is over and no container is left", async () => {
    const base = context("interrupt", { client: client(slow) });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const r = await runTask({ ...base, signal: controller.signal });
    expect(r.status).toBe("error");
    expect(r.error_class).toBe("aborted");
    expect(await containersOf(base.runId)).toBe(0);
  });
});
