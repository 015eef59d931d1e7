// How one attempt's patch is graded: in the agent's workspace after Sandbox.reset (its lease handed over), else in a
// new grading workspace. The runner decides when (the --grading-concurrency queue) and records the result.

import type { Task } from "../datasets/types.js";
import { errorMessage } from "../errors.js";
import type { Sandbox, WorkspaceSpec } from "../sandbox/types.js";
import { gradeInSandbox, gradeTask, type GradeResult } from "./grader.js";
import type { WorkspaceLease } from "./workspace.js";

/** Which workspace the grading ran in (the trajectory's `grading` event): `reset` the agent's, `new` a fresh one. */
export interface GradingWorkspaceEvent {
  workspace: "new" | "reset";
  /** Why a fresh one where the agent's was handed over. */
  reason?: string;
}

export interface GradeAttemptInput {
  task: Task;
  /** The patch to grade ("" for none). */
  patch: string;
  /** The agent's workspace, when it may be reset for grading (reusableForGrading): taken, graded in, removed. */
  agentWorkspace?: WorkspaceLease;
  /** Starts a grading workspace (the image pulled first if needed); its errors propagate unchanged. */
  createWorkspace: (spec: WorkspaceSpec) => Promise<Sandbox>;
  /** The run's image, for a task that names none. */
  image: string;
  /** The task's labels; `bench.role: grading` is added to a new grading workspace's. */
  labels: Record<string, string>;
  /** --grading-timeout, seconds. */
  timeoutSec: number;
  /** Told which workspace the grading runs in, before it runs. */
  onWorkspace?: (event: GradingWorkspaceEvent) => void;
}

/** Grades an attempt's patch; every workspace it started or was handed is removed when it returns or throws. */
export async function gradeAttempt(input: GradeAttemptInput): Promise<GradeResult> {
  const { task, patch } = input;
  const fresh = (): Promise<GradeResult> =>
    gradeTask(
      task,
      patch,
      { create: input.createWorkspace },
      {
        image: input.image,
        labels: { ...input.labels, "bench.role": "grading" },
        timeoutSec: input.timeoutSec,
      },
    );
  const workspace = input.agentWorkspace?.take();
  if (workspace === undefined) {
    input.onWorkspace?.({ workspace: "new" });
    return fresh();
  }
  try {
    // The agent's container, back at the base state: saves a container's start and removal per task.
    try {
      await workspace.reset!(task.repoDir!);
    } catch (err) {
      input.onWorkspace?.({ workspace: "new", reason: `reset failed: ${errorMessage(err)}` });
      await workspace.remove().catch(() => undefined);
      return await fresh();
    }
    input.onWorkspace?.({ workspace: "reset" });
    return await gradeInSandbox(task, patch, workspace, { timeoutSec: input.timeoutSec });
  } finally {
    await workspace.remove().catch(() => undefined);
  }
}
