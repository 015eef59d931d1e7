// Removing workspace containers: one (quietly, when it is already gone) or every one carrying given labels.

import type Docker from "dockerode";
import { InfraError, UsageError, errorMessage } from "../errors.js";
import { statusCode } from "./engine.js";

export interface RemovedContainer {
  id: string;
  labels: Record<string, string>;
}

/**
 * Force-removes every container carrying all the given labels (value `true`: the label is present with any value);
 * returns what was removed. Containers already gone or being removed are skipped silently.
 */
export async function removeContainers(docker: Docker, filterLabels: Record<string, string | true>): Promise<RemovedContainer[]> {
  const label = Object.entries(filterLabels).map(([key, value]) => (value === true ? key : `${key}=${value}`));
  if (label.length === 0) throw new UsageError("removeContainers: expected at least one label filter, got none");
  let found: Docker.ContainerInfo[];
  try {
    found = await docker.listContainers({ all: true, filters: { label } });
  } catch (err) {
    throw new InfraError(`cannot list containers: ${errorMessage(err)}`, { cause: err });
  }
  const removed: RemovedContainer[] = [];
  await Promise.all(
    found.map(async (info) => {
      if (await removeQuietly(docker.getContainer(info.Id))) removed.push({ id: info.Id, labels: info.Labels });
    }),
  );
  return removed;
}

/** Force-removes a container; true when this call removed it, false when it was already gone or going. */
export async function removeQuietly(container: Docker.Container): Promise<boolean> {
  try {
    await container.remove({ force: true, v: true });
    return true;
  } catch (err) {
    const code = statusCode(err);
    // 404: already gone; 409: "removal of container … is already in progress".
    if (code === 404 || code === 409) return false;
    throw new InfraError(`cannot remove container ${container.id.slice(0, 12)}: ${errorMessage(err)}`, { cause: err });
  }
}
