// The agent loop end to end on one task: mock server (real openai SDK over HTTP) + real Docker workspace + grader.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAgent } from "../../src/agent/loop.js";
import { FAKE_USER_RESPONSE, GIVE_UP_HINT } from "../../src/agent/prompts.js";
import { defaultTools } from "../../src/agent/tools.js";
import { MemoryTrajectory } from "../../src/agent/trajectory.js";
import { gradeTask } from "../../src/grading/grader.js";
import { startMockServer, type MockServer } from "../../src/mock/index.js";
import { OpenAIChatClient } from "../../src/models/openai-chat.js";
import { generateWithRetry } from "../../src/runner/retry.js";
import { MINI_TASK, provider, sandboxImage } from "./helpers.js";

let mock: MockServer;
beforeAll(async () => {
  mock = await startMockServer({ tasks: [MINI_TASK] });
});
afterAll(async () => {
  await mock?.close();
});

async function agentRun(policy: string, limits = { maxIterations: 20, maxFakeResponses: 4 }, stream = true) {
  const sandboxes = provider(`test-agent-${policy}-${process.pid}`);
  const sandbox = await sandboxes.create({
    image: sandboxImage(),
    labels: { "bench.task-id": MINI_TASK.instance_id },
    repoDir: MINI_TASK.repoDir!,
  });
  try {
    const client = new OpenAIChatClient({ provider: "mock", model: policy, apiKey: "k", baseURL: `${mock.url}/v1`, stream });
    const trajectory = new MemoryTrajectory();
    const outcome = await runAgent({
      task: MINI_TASK,
      tools: defaultTools(sandbox),
      limits,
      trajectory,
      callModel: (req) => generateWithRetry(client, req),
    });
    const diff = await sandbox.exec("git add -A && git diff --cached HEAD");
    return { outcome, events: trajectory.events, patch: diff.stdout };
  } finally {
    await sandbox.remove();
  }
}

describe("agent loop against the mock", () => {
  it("oracle: one fake-user reply, a parallel tool-call turn answered call by call, a patch that resolves", async () => {
    const { outcome, events, patch } = await agentRun("oracle");
    expect(outcome.endReason).toBe("finished");
    expect(outcome.fakeUserResponses).toBe(1);
    expect(events.filter((e) => e.type === "fake_user").map((e) => e["text"])).toEqual([FAKE_USER_RESPONSE]);
    // Every tool call is answered by an observation with its id, in order, before the next model call.
    const calls = events.filter((e) => e.type === "model_call");
    const parallel = calls.find((e) => (e["response"] as { tool_calls: unknown[] }).tool_calls.length >= 2);
    expect(parallel).toBeDefined();
    const seq = events.filter((e) => ["model_call", "tool_call", "observation"].includes(e.type));
    for (let i = 0; i < seq.length; i++) {
      if (seq[i]!.type !== "model_call") continue;
      const ids = (seq[i] as unknown as { response: { tool_calls: { id: string }[] } }).response.tool_calls.map((c) => c.id);
      const answered = seq
        .slice(i + 1, i + 1 + ids.length * 2)
        .filter((e) => e.type === "observation")
        .map((e) => e["id"]);
      expect(answered).toEqual(ids);
    }
    expect(outcome.usage.inputTokens).toBeGreaterThan(0);
    expect(outcome.usage.cacheReadTokens).toBeGreaterThan(0);
    expect(outcome.latenciesS).toHaveLength(outcome.iterations);
    expect(outcome.ttftsS).toHaveLength(outcome.iterations);
    expect(patch).toContain("+        return high");
    const grade = await gradeTask(MINI_TASK, patch, provider(`test-grade-${process.pid}`), { image: sandboxImage(), labels: {} });
    expect(grade).toMatchObject({
      resolved: true,
      patchApplied: true,
      failToPass: { passed: 1, total: 1 },
      passToPass: { passed: 2, total: 2 },
    });
  });

  it("oracle without streaming reaches the same end", async () => {
    const { outcome } = await agentRun("oracle", undefined, false);
    expect(outcome.endReason).toBe("finished");
    expect(outcome.ttftsS).toEqual([]);
  });

  it("chatty: fake-user replies until max_fake_responses, with the give-up hint from the third on", async () => {
    const { outcome, events } = await agentRun("chatty", { maxIterations: 50, maxFakeResponses: 4 });
    expect(outcome.endReason).toBe("max_fake_responses");
    expect(outcome.fakeUserResponses).toBe(4);
    expect(outcome.iterations).toBe(5);
    const texts = events.filter((e) => e.type === "fake_user").map((e) => e["text"]);
    expect(texts).toEqual([
      FAKE_USER_RESPONSE,
      FAKE_USER_RESPONSE,
      `${FAKE_USER_RESPONSE} ${GIVE_UP_HINT}`,
      `${FAKE_USER_RESPONSE} ${GIVE_UP_HINT}`,
    ]);
  });

  it("lazy: ends at max_iterations", async () => {
    const { outcome } = await agentRun("lazy", { maxIterations: 3, maxFakeResponses: 10 });
    expect(outcome).toMatchObject({ endReason: "max_iterations", iterations: 3 });
  });

  it("wrong: a real edit that the grader marks unresolved", async () => {
    const { outcome, patch } = await agentRun("wrong");
    expect(outcome.endReason).toBe("finished");
    expect(patch).not.toBe("");
    const grade = await gradeTask(MINI_TASK, patch, provider(`test-grade-w-${process.pid}`), { image: sandboxImage(), labels: {} });
    expect(grade).toMatchObject({ resolved: false, patchApplied: true, failToPass: { passed: 0, total: 1 } });
  });

  it("a model error that is not retryable ends the task with its class", async () => {
    mock.faults.push({ kind: "http", status: 401, message: "bad key" } as never);
    const { outcome } = await agentRun("oracle");
    expect(outcome.endReason).toBe("error");
    expect(outcome.error?.errorClass).toBe("auth");
  });

  it("context overflow ends the task with context_overflow", async () => {
    mock.faults.push({ kind: "http", status: 400, code: "context_length_exceeded", message: "too long" } as never);
    const { outcome } = await agentRun("oracle");
    expect(outcome.endReason).toBe("context_overflow");
  });
});

describe("grader", () => {
  it("an empty patch does not resolve; a patch that does not apply is reported", async () => {
    const p = provider(`test-grade-e-${process.pid}`);
    // As SWE-bench: an empty patch is not run at all.
    const empty = await gradeTask(MINI_TASK, "", p, { image: sandboxImage(), labels: {} });
    expect(empty).toMatchObject({
      resolved: false,
      patchApplied: false,
      failure: { class: "empty_patch" },
      failToPass: { passed: 0, total: 1 },
      passToPass: { passed: 0, total: 2 },
    });
    expect(empty.evalScript).toBeUndefined();
    // bench datasets validate runs it anyway: the FAIL_TO_PASS test really fails at base, PASS_TO_PASS pass.
    const ran = await gradeTask(MINI_TASK, "", p, { image: sandboxImage(), labels: {}, runEmpty: true });
    expect(ran).toMatchObject({
      resolved: false,
      patchApplied: true,
      failToPass: { passed: 0, total: 1 },
      passToPass: { passed: 2, total: 2 },
    });
    expect(ran.failure).toBeUndefined();
    const junk = await gradeTask(MINI_TASK, "diff --git a/nope.py b/nope.py\n--- a/nope.py\n+++ b/nope.py\n@@ -1 +1 @@\n-x\n+y\n", p, {
      image: sandboxImage(),
      labels: {},
    });
    expect(junk.patchApplied).toBe(false);
    expect(junk.resolved).toBe(false);
    expect(junk.log).toContain(">>>>> Patch Apply Failed");
    expect(junk.failure).toMatchObject({ class: "patch_apply" });
    for (const step of [
      "git apply --verbose /tmp/patch.diff",
      "git apply --check --reverse /tmp/patch.diff",
      "git apply --verbose --3way /tmp/patch.diff",
      "git apply --verbose --reject /tmp/patch.diff",
      "patch --batch --forward --fuzz=5 -p1 -i /tmp/patch.diff",
    ]) {
      expect(junk.log).toContain(`$ ${step}`);
    }
  });

  it("restores test files the model changed before applying the test patch", async () => {
    const cheat = `diff --git a/tests/test_ops.py b/tests/test_ops.py
--- a/tests/test_ops.py
+++ b/tests/test_ops.py
@@ -1,4 +1,4 @@
-from calc.ops import clamp, mean
+from calc.ops import clamp, mean  # tampered
 
 
 def test_clamp_inside():
`;
    const grade = await gradeTask(MINI_TASK, cheat + MINI_TASK.patch, provider(`test-grade-c-${process.pid}`), {
      image: sandboxImage(),
      labels: {},
    });
    expect(grade.resolved).toBe(true);
  });
});
