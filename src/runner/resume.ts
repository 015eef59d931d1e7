// Resume and run-directory ownership: what must match to continue a run, which jobs are still to do,
// and the lock file that keeps two processes off one run directory.

import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { CellSpec } from "../config/model-spec.js";
import type { RunOptions } from "../config/options.js";
import type { Task } from "../datasets/types.js";
import { UsageError } from "../errors.js";
import type { TaskResult } from "../report/types.js";
import { parseShard, shardText } from "./shard.js";

/** The settings a resumed run must share with the original, by name. */
export function runFingerprint(options: RunOptions, datasetHash: string, cells: CellSpec[]): Record<string, unknown> {
  return {
    dataset_hash: datasetHash,
    cells: cells.map((c) => c.cell),
    max_iterations: options.maxIterations,
    max_fake_responses: options.maxFakeResponses,
    command_timeout: options.commandTimeout,
    grading_timeout: options.gradingTimeout,
    stream: options.stream,
    base_url: options.baseUrl ?? null,
    // Only when sharded, so runs recorded before --shard existed still resume.
    ...(options.shard ? { shard: shardText(parseShard(options.shard)) } : {}),
    // Per-task limits change what a result means; only set ones are recorded, so older runs still resume.
    ...(options.maxBudgetPerTask !== undefined ? { max_budget_per_task: options.maxBudgetPerTask } : {}),
    ...(options.maxTokensPerTask !== undefined ? { max_tokens_per_task: options.maxTokensPerTask } : {}),
    ...(options.taskTimeout !== undefined ? { task_timeout: options.taskTimeout } : {}),
    // Only when not the default, so runs recorded before --grading-workspace existed still resume.
    ...(options.gradingWorkspace === "fresh" ? { grading_workspace: "fresh" } : {}),
    // Config cells' own options (labels are the cell names above); only when some cell has them, so older runs still resume.
    ...(cells.some((c) => c.options) ? { cell_options: Object.fromEntries(cells.filter((c) => c.options).map((c) => [c.cell, c.options])) } : {}),
  };
}

/** Human-readable differences between two fingerprints: "max_iterations: 100 → 50". */
export function fingerprintDiff(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
    .map((k) => `${k}: ${JSON.stringify(before[k])} → ${JSON.stringify(after[k])}`);
}

/** Jobs without a final result; with rerunErrors, jobs whose latest result is an error run again. */
export function pendingJobs<J extends { cell: CellSpec; task: Task }>(jobs: J[], existing: readonly TaskResult[], rerunErrors: boolean): J[] {
  const latest = new Map<string, TaskResult>();
  for (const r of existing) latest.set(`${r.cell}\0${r.instance_id}`, r);
  return jobs.filter(({ cell, task }) => {
    const r = latest.get(`${cell.cell}\0${task.instance_id}`);
    return !r || (rerunErrors && r.status === "error");
  });
}

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes `<runDir>/.lock` (pid and host). A lock held by a live process on this host is refused;
 * a stale one (dead pid on this host) is taken over. Returns the release function.
 */
export function acquireRunLock(runDir: string): () => void {
  const file = path.join(runDir, ".lock");
  const host = os.hostname();
  for (let tries = 0; tries < 2; tries++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, JSON.stringify({ pid: process.pid, host, since: new Date().toISOString() }));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let holder: { pid?: number; host?: string } = {};
      try {
        holder = JSON.parse(readFileSync(file, "utf8")) as typeof holder;
      } catch {
        // A torn lock file (crash while writing it) is stale.
      }
      if (holder.host && holder.host !== host) {
        throw new UsageError(`${runDir} is locked by pid ${holder.pid} on host ${holder.host}; if that run is dead, delete ${file}`);
      }
      if (holder.pid && pidAlive(holder.pid) && holder.pid !== process.pid) {
        throw new UsageError(`${runDir} is in use by another bench process (pid ${holder.pid}); wait for it or stop it first`);
      }
      rmSync(file, { force: true });
    }
  }
  throw new UsageError(`${runDir}: could not take the run lock ${file}`);
}

/** Reads run.json of an existing run directory, or null when there is none. */
export function readRunJson(runDir: string): Record<string, unknown> | null {
  const file = path.join(runDir, "run.json");
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`${file}: not valid JSON (${(err as Error).message}); cannot resume this run`);
  }
}
