// `--shard I/N`: the option's text and its parsed form (src/runner/shard.ts partitions the tasks by it). Pure.

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
