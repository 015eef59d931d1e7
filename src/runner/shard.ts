// `--shard I/N`: which tasks one shard of a run owns. A task's shard is a hash of its instance id, so
// the partition does not depend on dataset order, and adding a task never moves the others. Pure.

import { createHash } from "node:crypto";

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/**
 * Parses `I/N` with 1 ≤ I ≤ N.
 * @throws Error naming the flag, what was expected and what was given.
 */
export function parseShard(raw: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(raw);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count) {
    throw new Error(`--shard: expected I/N with 1 ≤ I ≤ N (e.g. 2/4), got ${JSON.stringify(raw)}`);
  }
  return { index, count };
}

export function shardText(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/** The 1-based shard of an instance id among `count`: sha256(instance_id) mod count. */
export function shardOf(instanceId: string, count: number): number {
  // 48 bits of the digest: exact in a double, and the modulo bias is negligible for any shard count.
  const high = Number.parseInt(createHash("sha256").update(instanceId, "utf8").digest("hex").slice(0, 12), 16);
  return (high % count) + 1;
}

/** The tasks of one shard, in their given order. */
export function shardTasks<T extends { instance_id: string }>(tasks: readonly T[], shard: Shard): T[] {
  return tasks.filter((t) => shardOf(t.instance_id, shard.count) === shard.index);
}
