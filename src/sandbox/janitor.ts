// The janitor: removes bench containers whose owner run is gone (owner pid dead on this host), or on demand.

import os from "node:os";
import type Docker from "dockerode";
import { pidAlive } from "../runner/resume.js";
import { LABELS, removeContainers, type RemovedContainer } from "./docker.js";

export interface JanitorOptions {
  /** Remove only this run's containers (any owner state). */
  runId?: string;
  /** Remove every bench-managed container, live owners included. */
  all?: boolean;
  /** @default os.hostname() */
  host?: string;
}

/**
 * Default (no runId, no all): containers labelled on this host whose owner pid is not alive.
 * Containers from other hosts are left alone: their owner cannot be checked from here.
 */
export async function reapContainers(docker: Docker, options: JanitorOptions = {}): Promise<RemovedContainer[]> {
  if (options.all) return removeContainers(docker, { [LABELS.managed]: "true" });
  if (options.runId) return removeContainers(docker, { [LABELS.managed]: "true", [LABELS.runId]: options.runId });
  const host = options.host ?? os.hostname();
  const found = await docker.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`, `${LABELS.host}=${host}`] } });
  const orphans = found.filter((c) => {
    const pid = Number(c.Labels[LABELS.ownerPid]);
    return pid !== process.pid && !pidAlive(pid);
  });
  const removed: RemovedContainer[] = [];
  await Promise.all(
    orphans.map(async (c) => {
      try {
        await docker.getContainer(c.Id).remove({ force: true, v: true });
        removed.push({ id: c.Id, labels: c.Labels });
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        if (status !== 404 && status !== 409) throw err;
      }
    }),
  );
  return removed;
}
