// The workspace starts while the agent's first model call is in flight: PendingSandbox makes the tools wait for it,
// and when the start fails runAgent ends at once, the model call in flight abandoned, with end_reason error and class
// sandbox_start (an outcome, not a rejection). Fake tools, models, sandboxes and timers.
import { afterEach, describe, expect, it, vi } from "vitest";
import { runAgent } from "../../src/agent/loop.js";
import type { Tool } from "../../src/agent/tools.js";
import { MemoryTrajectory } from "../../src/agent/trajectory.js";
import type { Task } from "../../src/datasets/types.js";
import type { ModelRequest, ModelResponse, Usage } from "../../src/models/types.js";
import { PendingSandbox } from "../../src/sandbox/pending.js";
import type { ExecResult, Sandbox } from "../../src/sandbox/types.js";

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
const USAGE: Usage = { inputTokens: 10, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
const LIMITS = { maxIterations: 5, maxFakeResponses: 1 };

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const answer = (toolCalls: { id: string; name: string; arguments: string }[]): ModelResponse => ({
  message: { role: "assistant", text: "", toolCalls },
  stopReason: toolCalls.length ? "tool_use" : "end_turn",
  usage: USAGE,
  latencyMs: 1,
});

/** A model call that answers after `ms`, or rejects when its signal aborts (as the SDKs do). */
const slowCall = (ms: number, response: ModelResponse) => (request: ModelRequest) =>
  new Promise<ModelResponse>((resolve, reject) => {
    const timer = setTimeout(() => resolve(response), ms);
    request.signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new Error("Request was aborted."));
    });
  });

const fakeSandbox = (log: string[]): Sandbox => ({
  id: "c0ffee",
  workdir: "/testbed",
  exec: async (command): Promise<ExecResult> => {
    log.push(`exec ${command}`);
    return { exitCode: 0, stdout: "ok", stderr: "", timedOut: false, truncatedBytes: 0, durationMs: 1 };
  },
  readFile: async () => Buffer.from("data"),
  writeFile: async (p) => void log.push(`write ${p}`),
  remove: async () => void log.push("remove"),
});

/** Resolves true once `promise` settles, polled after the fake clock moved. */
function settledFlag(promise: Promise<unknown>): () => boolean {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return () => settled;
}

describe("runAgent with a workspace still starting", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a start failure abandons the model call in flight and ends the agent with sandbox_start", async () => {
    vi.useFakeTimers();
    const start = deferred<unknown>();
    let aborted = false;
    const trajectory = new MemoryTrajectory();
    const run = runAgent({
      task: TASK,
      tools: [],
      callModel: (request) => {
        request.signal?.addEventListener("abort", () => (aborted = true));
        return slowCall(10_000, answer([]))(request);
      },
      limits: LIMITS,
      trajectory,
      workspace: start.promise,
    });
    const settled = settledFlag(run);
    setTimeout(() => start.reject(new Error("image bench-x:1 has no bash")), 20);
    await vi.advanceTimersByTimeAsync(19);
    expect([settled(), aborted]).toEqual([false, false]);
    // The start fails at 20 ms: the agent ends then, not when the call would have answered (10 s).
    await vi.advanceTimersByTimeAsync(1);
    expect([settled(), aborted]).toEqual([true, true]);
    const outcome = await run;
    expect(outcome).toMatchObject({
      endReason: "error",
      error: { errorClass: "sandbox_start", message: "image bench-x:1 has no bash" },
      iterations: 0,
      callUsages: [],
    });
    expect(trajectory.events.some((e) => e.type === "model_error")).toBe(false);
    expect(trajectory.events.at(-1)).toMatchObject({ type: "end", end_reason: "error", error: { errorClass: "sandbox_start" } });
  });

  it("a start failure between model calls ends the agent before its next call; the answered call's usage is kept", async () => {
    vi.useFakeTimers();
    const start = deferred<unknown>();
    let calls = 0;
    const run = runAgent({
      task: TASK,
      tools: [],
      callModel: async (request) => {
        calls++;
        if (calls === 1) {
          start.reject(new Error("no space left on device"));
          await new Promise((r) => setTimeout(r, 5));
          return answer([]); // text only: a fake user answer, then a second call
        }
        if (request.signal?.aborted) throw new Error("Request was aborted.");
        return answer([]);
      },
      limits: LIMITS,
      trajectory: new MemoryTrajectory(),
      workspace: start.promise,
    });
    // The first call answers 5 ms after the start failed.
    await vi.advanceTimersByTimeAsync(5);
    const outcome = await run;
    expect(calls).toBe(2);
    expect(outcome).toMatchObject({
      endReason: "error",
      error: { errorClass: "sandbox_start", message: "no space left on device" },
      iterations: 1,
      callUsages: [USAGE],
    });
    expect(outcome.usage.inputTokens).toBe(10);
  });

  it("a tool call waiting for a workspace that fails ends the agent with sandbox_start, not a thrown error", async () => {
    vi.useFakeTimers();
    const start = deferred<Sandbox>();
    const pending = new PendingSandbox(start.promise, "/testbed");
    const tool: Tool = {
      spec: { name: "bash", description: "", parameters: {} },
      execute: async () => ({ content: [{ type: "text", text: (await pending.exec("ls")).stdout }], isError: false }),
    };
    const run = runAgent({
      task: TASK,
      tools: [tool],
      callModel: async () => {
        setTimeout(() => start.reject(new Error("container exited at start")), 20);
        return answer([{ id: "a", name: "bash", arguments: '{"command":"ls"}' }]);
      },
      limits: LIMITS,
      trajectory: new MemoryTrajectory(),
      workspace: start.promise,
    });
    const settled = settledFlag(run);
    // The tool call waits for the workspace until it fails (20 ms after the call answered).
    await vi.advanceTimersByTimeAsync(19);
    expect(settled()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await run).toMatchObject({
      endReason: "error",
      error: { errorClass: "sandbox_start", message: "container exited at start" },
      iterations: 1,
      toolCalls: 1,
    });
  });

  it("the model call runs while the workspace starts; the tool call waits for it", async () => {
    vi.useFakeTimers();
    const start = deferred<Sandbox>();
    const log: string[] = [];
    const pending = new PendingSandbox(start.promise, "/testbed");
    const tool: Tool = {
      spec: { name: "bash", description: "", parameters: {} },
      execute: async () => {
        const r = await pending.exec("ls");
        return { content: [{ type: "text", text: r.stdout }], isError: false };
      },
    };
    let n = 0;
    const run = runAgent({
      task: TASK,
      tools: [tool],
      callModel: async () => {
        n++;
        log.push(`model ${n}`);
        if (n === 1) {
          setTimeout(() => {
            log.push("started");
            start.resolve(fakeSandbox(log));
          }, 30);
          return answer([{ id: "a", name: "bash", arguments: '{"command":"ls"}' }]);
        }
        return answer([]);
      },
      limits: { maxIterations: 2, maxFakeResponses: 0 },
      trajectory: new MemoryTrajectory(),
      workspace: start.promise,
    });
    await vi.advanceTimersByTimeAsync(29);
    expect(log).toEqual(["model 1"]);
    await vi.advanceTimersByTimeAsync(1);
    const outcome = await run;
    expect(outcome.endReason).toBe("max_fake_responses");
    expect(log).toEqual(["model 1", "started", "exec ls", "model 2"]);
  });
});

describe("PendingSandbox", () => {
  it("forwards every call once started; id is empty until then; remove waits for the start", async () => {
    const start = deferred<Sandbox>();
    const log: string[] = [];
    const pending = new PendingSandbox(start.promise, "/work");
    expect([pending.id, pending.workdir]).toEqual(["", "/work"]);
    const write = pending.writeFile("/tmp/a", "x");
    const removed = pending.remove();
    start.resolve(fakeSandbox(log));
    await write;
    await removed;
    expect(pending.id).toBe("c0ffee");
    expect(log).toEqual(["write /tmp/a", "remove"]);
    expect((await pending.readFile("/x")).toString()).toBe("data");
    await expect(pending.openShell()).rejects.toThrow("no persistent shell");
  });

  it("every call fails with the start error; remove resolves (nothing was made)", async () => {
    const pending = new PendingSandbox(Promise.reject(new Error("create failed: no such image")), "/testbed");
    await expect(pending.exec("ls")).rejects.toThrow("create failed: no such image");
    await expect(pending.readFile("/a")).rejects.toThrow("create failed");
    await expect(pending.remove()).resolves.toBeUndefined();
  });
});
