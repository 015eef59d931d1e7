// How an attempt is graded (src/grading/attempt.ts): the agent's workspace after reset, else a new one, every
// workspace removed; who owns a workspace (WorkspaceLease) and when the agent's may be reused. Fake sandboxes.
import { describe, expect, it } from "vitest";
import type { Task } from "../../src/datasets/types.js";
import { gradeAttempt, type GradingWorkspaceEvent } from "../../src/grading/attempt.js";
import { reusableForGrading, WorkspaceLease } from "../../src/grading/workspace.js";
import type { Sandbox, WorkspaceSpec } from "../../src/sandbox/types.js";

const TASK: Task = {
  instance_id: "t-1",
  repo: "r",
  problem_statement: "fix it",
  patch: "",
  test_patch: "",
  FAIL_TO_PASS: ["a"],
  PASS_TO_PASS: [],
  test_framework: "pytest",
  repoDir: "/repos/t-1",
};

const fakeSandbox = (id: string, log: string[], reset?: (repoDir: string) => Promise<void>): Sandbox => ({
  id,
  workdir: "/testbed",
  exec: async () => ({ exitCode: 0, stdout: "", stderr: "", timedOut: false, truncatedBytes: 0, durationMs: 1 }),
  readFile: async () => Buffer.from(""),
  writeFile: async () => undefined,
  remove: async () => void log.push(`remove ${id}`),
  ...(reset ? { reset } : {}),
});

/** An empty patch grades without running anything (empty_patch), so only the workspace handling shows. */
function setup() {
  const log: string[] = [];
  const events: GradingWorkspaceEvent[] = [];
  const specs: WorkspaceSpec[] = [];
  const input = {
    task: TASK,
    patch: "",
    createWorkspace: async (spec: WorkspaceSpec) => {
      specs.push(spec);
      log.push("create new");
      return fakeSandbox("new", log);
    },
    image: "bench-python:1",
    labels: { "bench.run-id": "r1" },
    timeoutSec: 60,
    onWorkspace: (e: GradingWorkspaceEvent) => void events.push(e),
  };
  return { log, events, specs, input };
}

describe("gradeAttempt", () => {
  it("no agent workspace: grades in a new one (labelled bench.role grading) and removes it", async () => {
    const { log, events, specs, input } = setup();
    const grade = await gradeAttempt(input);
    expect(grade.failure).toEqual({ class: "empty_patch", message: "the patch is empty" });
    expect(events).toEqual([{ workspace: "new" }]);
    expect(specs).toEqual([
      { image: "bench-python:1", labels: { "bench.run-id": "r1", "bench.role": "grading" }, repoDir: "/repos/t-1", user: "1000:1000" },
    ]);
    expect(log).toEqual(["create new", "remove new"]);
  });

  it("the agent's workspace: taken from its lease, reset to the base, graded in, removed; nothing new starts", async () => {
    const { log, events, input } = setup();
    const lease = new WorkspaceLease(fakeSandbox("agent", log, async (dir) => void log.push(`reset ${dir}`)));
    await gradeAttempt({ ...input, agentWorkspace: lease });
    expect(events).toEqual([{ workspace: "reset" }]);
    expect(log).toEqual(["reset /repos/t-1", "remove agent"]);
    expect(lease.held).toBe(false);
    await lease.dispose();
    expect(log).toEqual(["reset /repos/t-1", "remove agent"]);
  });

  it("a reset that fails: the agent's workspace is removed and the grading runs in a new one", async () => {
    const { log, events, input } = setup();
    const lease = new WorkspaceLease(fakeSandbox("agent", log, async () => Promise.reject(new Error("tar failed"))));
    await gradeAttempt({ ...input, agentWorkspace: lease });
    expect(events).toEqual([{ workspace: "new", reason: "reset failed: tar failed" }]);
    expect(log).toEqual(["remove agent", "create new", "remove new", "remove agent"]);
  });

  it("a grading workspace that cannot start: the error propagates as thrown", async () => {
    const { input } = setup();
    const refused = new Error("no such image");
    await expect(gradeAttempt({ ...input, createWorkspace: () => Promise.reject(refused) })).rejects.toBe(refused);
  });
});

describe("WorkspaceLease", () => {
  it("dispose removes once; take hands the workspace over and leaves the lease empty", async () => {
    const log: string[] = [];
    const lease = new WorkspaceLease(fakeSandbox("a", log));
    expect(lease.held).toBe(true);
    await lease.dispose();
    await lease.dispose();
    expect(log).toEqual(["remove a"]);
    expect(lease.take()).toBeUndefined();
    const other = new WorkspaceLease(fakeSandbox("b", log));
    expect(other.take()?.id).toBe("b");
    await other.dispose();
    expect(log).toEqual(["remove a"]);
  });

  it("a removal that fails is swallowed", async () => {
    const lease = new WorkspaceLease({ ...fakeSandbox("c", []), remove: () => Promise.reject(new Error("gone")) });
    await expect(lease.dispose()).resolves.toBeUndefined();
  });
});

describe("reusableForGrading", () => {
  const resettable = { reset: async () => undefined };
  it("only bench's own image with a copied repository and a non-root user, unless fresh", () => {
    expect(reusableForGrading(TASK, resettable)).toBe(true);
    expect(reusableForGrading(TASK, resettable, "reuse")).toBe(true);
    expect(reusableForGrading(TASK, resettable, "fresh")).toBe(false);
    expect(reusableForGrading(TASK, {})).toBe(false);
    expect(reusableForGrading({ ...TASK, user: "root" }, resettable)).toBe(false);
    expect(reusableForGrading({ ...TASK, image: "own:1" }, resettable)).toBe(false);
    expect(reusableForGrading({ ...TASK, repoDir: undefined }, resettable)).toBe(false);
  });
});
