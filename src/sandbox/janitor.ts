// The janitor: removes bench containers whose owner run is gone, or on demand. Started workspaces normally end with
// their owner by themselves (the lifeline: scripts/prepare.sh, container-config.ts); the janitor handles what that cannot reach.

import os from "node:os";
import type Docker from "dockerode";
import { pidAlive } from "../util/process.js";
import { LABELS } from "./container-config.js";
import { removeContainers, type RemovedContainer } from "./removal.js";

export interface JanitorOptions {
  /** Remove only this run's containers (any owner state). */
  runId?: string;
  /** Remove every bench-managed container, live owners included. */
  all?: boolean;
  /** @default os.hostname() */
  host?: string;
  /**
   * A container of another host that is not running (never started, or stopped but not removed) is an orphan once
   * it is this old: a live owner starts its workspaces within seconds, and a started one is removed when it stops.
   * @default 600
   */
  staleAfterSec?: number;
}

/** Docker states of a container that is not running (and so has no lifeline to end it). */
const NOT_RUNNING = new Set(["created", "exited", "dead"]);

/**
 * Default (no runId, no all): containers labelled with this host whose owner pid is not alive, and containers of
 * other hosts that are not running and older than staleAfterSec. A running container of another host is left alone:
 * its owner cannot be checked from here, and its lifeline ends it when that owner goes.
 */
export async function reapContainers(docker: Docker, options: JanitorOptions = {}): Promise<RemovedContainer[]> {
  if (options.all) return removeContainers(docker, { [LABELS.managed]: "true" });
  if (options.runId) return removeContainers(docker, { [LABELS.managed]: "true", [LABELS.runId]: options.runId });
  const host = options.host ?? os.hostname();
  const staleBefore = Date.now() / 1000 - (options.staleAfterSec ?? 600);
  const found = await docker.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`] } });
  const orphans = found.filter((c) => {
    if (c.Labels[LABELS.host] !== host) return NOT_RUNNING.has(c.State) && c.Created <= staleBefore;
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
