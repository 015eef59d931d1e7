// `--shard I/N`: which tasks one shard of a run owns. A task's shard is a hash of its instance id, so
// the partition does not depend on dataset order, and adding a task never moves the others. Pure. (Parsing `I/N`
// is an option check: src/config/shard.ts.)

import { createHash } from "node:crypto";
import type { Shard } from "../config/shard.js";

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
