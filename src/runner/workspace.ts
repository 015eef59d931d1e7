// The workspace spec of a task: the one place that decides image, repository, user and network for the agent's
// workspace and for its grading alike.

import { taskUser } from "../datasets/load.js";
import type { Task } from "../datasets/types.js";
import type { WorkspaceSpec } from "../sandbox/types.js";

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
export const SWEBENCH_ACTIVATE = "if [ -f /opt/miniconda3/bin/activate ]; then source /opt/miniconda3/bin/activate && conda activate testbed; fi";
