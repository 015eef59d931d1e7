// Which results count: one per (cell, instance_id), the last line written winning (retries, resume).

import type { TaskResult } from "./types.js";

/** Code-unit order: the same on every machine and locale (localeCompare is not). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The latest result of every (cell, instance_id) — the last in `results` order, which is the
 * results.jsonl line order — sorted by cell, then instance_id, in code-unit order.
 * Both reports use it, so a re-run task is counted once, with its final outcome.
 */
export function latestResults(results: readonly TaskResult[]): TaskResult[] {
  const byKey = new Map<string, TaskResult>();
  for (const result of results) {
    // JSON of the pair: no separator character can make two different pairs collide.
    byKey.set(JSON.stringify([result.cell, result.instance_id]), result);
  }
  return [...byKey.values()].sort((a, b) => compareText(a.cell, b.cell) || compareText(a.instance_id, b.instance_id));
}
