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
  };
}
