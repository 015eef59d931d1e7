// A task's workspace: its spec (the one place that decides image, repository, user and network for the agent's
// workspace and for its grading alike), whether the agent's can be reset for grading, and who owns it (WorkspaceLease).

import { taskUser } from "../datasets/load.js";
import type { Task } from "../datasets/types.js";
import type { Sandbox, WorkspaceSpec } from "../sandbox/types.js";

/** The workspace of a task: the task's image (else the run's), its repository, its user and its network. */
export function workspaceSpec(task: Task, defaultImage: string, labels: Record<string, string>): WorkspaceSpec {
  const user = taskUser(task);
  return {
    image: task.image ?? defaultImage,
    labels,
    ...(task.repoDir ? { repoDir: task.repoDir } : {}),
    ...(user !== undefined ? { user } : {}),
    ...(task.network === true ? { network: true } : {}),
    // SWE-bench's layout (the image holds the repository at /testbed): commands run in its `testbed` conda env.
    ...(task.repoDir === undefined ? { activate: SWEBENCH_ACTIVATE } : {}),
  };
}

/** Activates SWE-bench's conda env where the image has it (official images do; an image without conda is left as is). */
export const SWEBENCH_ACTIVATE =
  "if [ -f /opt/miniconda3/bin/activate ]; then source /opt/miniconda3/bin/activate && conda activate testbed; fi";

/**
 * The agent's workspace may be graded in after Sandbox.reset (--grading-workspace reuse): reset is equivalent to a new
 * container only where bench knows every place the user can write, its own image with a copied repository and a
 * non-root user. `fresh` always grades in a new one.
 */
export function reusableForGrading(task: Task, workspace: Pick<Sandbox, "reset">, mode: "reuse" | "fresh" = "reuse"): boolean {
  return (
    mode !== "fresh" &&
    task.repoDir !== undefined &&
    task.image === undefined &&
    taskUser(task) !== undefined &&
    workspace.reset !== undefined
  );
}

/**
 * Owns one workspace until it is handed over (take) or removed (dispose): whoever holds the lease last removes the
 * workspace, exactly once. Removal errors are swallowed (the container carries the lifeline and is reaped).
 */
export class WorkspaceLease {
  #sandbox: Sandbox | undefined;

  constructor(sandbox: Sandbox) {
    this.#sandbox = sandbox;
  }

  /** True until the workspace is taken or disposed. */
  get held(): boolean {
    return this.#sandbox !== undefined;
  }

  /** Hands the workspace over: the caller owns (and removes) it now; the lease is empty. */
  take(): Sandbox | undefined {
    const sandbox = this.#sandbox;
    this.#sandbox = undefined;
    return sandbox;
  }

  /** Removes the workspace if the lease still holds it; later calls do nothing. */
  async dispose(): Promise<void> {
    await this.take()
      ?.remove()
      .catch(() => undefined);
  }
}
