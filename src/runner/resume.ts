// Resume and run-directory ownership: what must match to continue a run, which jobs are still to do,
// and the lock file that keeps two processes off one run directory.

import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { CellSpec } from "../models/call-options.js";
import type { RunOptions } from "../config/options.js";
import type { Task } from "../datasets/types.js";
import { UsageError } from "../errors.js";
import type { TaskResult } from "../report/types.js";
import { pidAlive } from "../util/process.js";
import { parseShard, shardText } from "../config/shard.js";

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
    ...(cells.some((c) => c.options)
      ? { cell_options: Object.fromEntries(cells.filter((c) => c.options).map((c) => [c.cell, c.options])) }
      : {}),
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
export function pendingJobs<J extends { cell: CellSpec; task: Task }>(
  jobs: J[],
  existing: readonly TaskResult[],
  rerunErrors: boolean,
): J[] {
  const latest = new Map<string, TaskResult>();
  for (const r of existing) latest.set(`${r.cell}\0${r.instance_id}`, r);
  return jobs.filter(({ cell, task }) => {
    const r = latest.get(`${cell.cell}\0${task.instance_id}`);
    return !r || (rerunErrors && r.status === "error");
  });
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

/** The task-selection flags of a run, as typed: `--limit 10 --shard 1/2`, or "no --limit/--instances/--shard". */
function selectionText(sel: { limit?: unknown; instances?: unknown; shard?: unknown }): string {
  const parts: string[] = [];
  if (Array.isArray(sel.instances) && sel.instances.length > 0) {
    const ids = sel.instances.map(String);
    parts.push(`--instances ${ids.slice(0, 3).join(",")}${ids.length > 3 ? `,… (${ids.length} ids)` : ""}`);
  }
  if (sel.limit !== undefined && sel.limit !== null) parts.push(`--limit ${String(sel.limit)}`);
  if (sel.shard !== undefined && sel.shard !== null) parts.push(`--shard ${String(sel.shard)}`);
  return parts.length > 0 ? parts.join(" ") : "no --limit/--instances/--shard";
}

/**
 * A resume must run the plan it continues: a narrower selection would rewrite run.json as a completed run of fewer
 * tasks (the rest silently dropped), a wider or different one would mix two plans in one results.jsonl. The planned
 * tasks are run.json's `dataset.instance_ids` (runs since it was recorded); older runs fall back to the recorded
 * `--limit` / `--instances` / `--shard` values.
 * @throws UsageError naming the recorded and the given selection.
 */
export function checkResumePlan(
  previous: Record<string, unknown>,
  given: Pick<RunOptions, "limit" | "instances" | "shard">,
  plannedIds: readonly string[],
  runDir: string,
): void {
  const config = (previous["config"] ?? {}) as Record<string, unknown>;
  const recorded = { limit: config["limit"], instances: config["instances"], shard: config["shard"] };
  const hint = "Resume without --limit, --instances and --shard (the run's own selection applies), or start a new run with a new --run-id.";
  const dataset = (previous["dataset"] ?? {}) as Record<string, unknown>;
  const recordedIds = Array.isArray(dataset["instance_ids"]) ? (dataset["instance_ids"] as unknown[]).map(String) : undefined;
  if (recordedIds) {
    const now = new Set(plannedIds);
    const before = new Set(recordedIds);
    const dropped = recordedIds.filter((id) => !now.has(id)).length;
    const added = plannedIds.filter((id) => !before.has(id)).length;
    if (dropped === 0 && added === 0) return;
    const change = [dropped > 0 ? `${dropped} planned task(s) left out` : "", added > 0 ? `${added} task(s) not in the plan added` : ""]
      .filter(Boolean)
      .join(", ");
    throw new UsageError(
      `cannot resume ${runDir}: it was planned with ${selectionText(recorded)} (${recordedIds.length} task(s)); ${selectionText(given)} selects ${plannedIds.length} task(s) (${change}). ${hint}`,
    );
  }
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  if (same(recorded.limit, given.limit) && same(recorded.instances, given.instances) && same(recorded.shard, given.shard)) return;
  throw new UsageError(`cannot resume ${runDir}: it was planned with ${selectionText(recorded)}; given ${selectionText(given)}. ${hint}`);
}
