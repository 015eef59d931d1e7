// Sharding (--shard I/N) and the pure side of bench merge: partition properties, shard checks, merged run.json.
import { describe, expect, it } from "vitest";
import { checkShards, mergedRunJson, type ShardRun } from "../../src/runner/merge.js";
import { shardOf, shardTasks } from "../../src/runner/shard.js";
import { parseShard } from "../../src/config/shard.js";
import { makeResult } from "./report-fixtures.js";

const ids = Array.from({ length: 200 }, (_, i) => ({ instance_id: `repo__pkg-${1000 + i}` }));

describe("--shard", () => {
  it("parses I/N and rejects the rest", () => {
    expect(parseShard("2/4")).toEqual({ index: 2, count: 4 });
    expect(parseShard(" 1 / 1 ")).toEqual({ index: 1, count: 1 });
    for (const bad of ["0/3", "4/3", "1/0", "1", "a/b", "-1/3", "1/3/4", ""]) {
      expect(() => parseShard(bad)).toThrowError(`--shard: expected I/N with 1 ≤ I ≤ N (e.g. 2/4), got ${JSON.stringify(bad)}`);
    }
  });
  it("partitions: every task in exactly one shard, shards roughly even", () => {
    const shards = [1, 2, 3].map((index) => shardTasks(ids, { index, count: 3 }));
    expect(
      shards
        .flat()
        .map((t) => t.instance_id)
        .sort(),
    ).toEqual(ids.map((t) => t.instance_id).sort());
    for (const s of shards) expect(s.length).toBeGreaterThan(40);
  });
  it("is stable under dataset reordering and independent of the other tasks", () => {
    const reversed = [...ids].reverse();
    for (const index of [1, 2, 3]) {
      const a = shardTasks(ids, { index, count: 3 })
        .map((t) => t.instance_id)
        .sort();
      const b = shardTasks(reversed, { index, count: 3 })
        .map((t) => t.instance_id)
        .sort();
      expect(b).toEqual(a);
    }
    expect(shardTasks(ids.slice(0, 10), { index: 2, count: 3 })).toEqual(ids.slice(0, 10).filter((t) => shardOf(t.instance_id, 3) === 2));
    // Fixed values: the partition is a contract between machines and bench versions.
    expect(["astropy__astropy-12907", "django__django-11099", "sympy__sympy-20590"].map((id) => shardOf(id, 4))).toEqual([1, 2, 2]); // = int(sha256(id).hexdigest()[:12], 16) % 4 + 1
    expect(shardOf("anything", 1)).toBe(1);
  });
});

function shardRun(dir: string, shard: string | null, tasks: string[], overrides: Record<string, unknown> = {}): ShardRun {
  return {
    dir,
    runJson: {
      run_id: `n-${dir}`,
      started_at: "2025-01-01T00:00:00.000Z",
      finished_at: "2025-01-01T00:10:00.000Z",
      status: "completed",
      host: "h1",
      dataset: { name: "swe-lite", hash: "abc", tasks: tasks.length },
      cells: [{ cell: "mock/oracle", provider: "mock", model: "oracle", region: null }],
      shard,
      fingerprint: { dataset_hash: "abc", cells: ["mock/oracle"], max_iterations: 100, ...(shard ? { shard } : {}) },
      config: { dataset: "swe-lite", model: ["mock/oracle"], limit: 6, concurrency: 4, shard, runId: `n-${dir}` },
      ...overrides,
    },
    results: tasks.map((t) => makeResult({ instance_id: t, run_id: `n-${dir}` })),
  };
}

describe("checkShards", () => {
  it("accepts the shards of one run (per-shard options may differ) and warns about missing or unfinished ones", () => {
    const a = shardRun("a", "1/3", ["t1", "t2"]);
    const c = shardRun("c", "3/3", ["t3"], { status: "interrupted" });
    (c.runJson["config"] as Record<string, unknown>)["concurrency"] = 8;
    expect(checkShards([a, c])).toEqual({
      problems: [],
      warnings: [
        "shard 2/3 is missing: its tasks are not in the merged run",
        "c: shard 3/3 is interrupted, not completed: its missing tasks are not in the merged run",
      ],
    });
  });
  it("refuses non-shards, other shard counts, repeated shards, other configurations and overlapping tasks, naming them", () => {
    const a = shardRun("a", "1/3", ["t1"]);
    const other = shardRun("b", "2/3", ["t2"], {
      fingerprint: { dataset_hash: "abc", cells: ["mock/oracle"], max_iterations: 50, shard: "2/3" },
    });
    const limit = shardRun("c", "3/3", ["t3"]);
    (limit.runJson["config"] as Record<string, unknown>)["limit"] = 8;
    expect(checkShards([a, shardRun("x", null, []), shardRun("y", "1/2", []), other, limit]).problems).toEqual([
      "x: not a shard (its run.json has no shard; run it with --shard I/N)",
      "y: shard 1/2 is not one of 3 shards like a (1/3)",
      "b: configuration differs from a: max_iterations: 100 → 50",
      "c: options differ from a: limit: 6 → 8",
    ]);
    expect(checkShards([a, shardRun("a2", "1/3", [])]).problems).toEqual(["shard 1/3 given more than once: a, a2"]);
    expect(checkShards([a, shardRun("b", "2/3", ["t2", "t1"])]).problems).toEqual([
      "overlapping results, 1 (cell, instance_id) in more than one run: mock/oracle t1 (in a and b)",
    ]);
  });
});

describe("mergedRunJson", () => {
  it("earliest start, latest finish, summed tasks, shards listed, completed only when all are there", () => {
    const a = shardRun("a", "2/2", ["t1", "t2"], {
      started_at: "2025-01-01T00:05:00.000Z",
      finished_at: "2025-01-01T00:20:00.000Z",
      host: "h2",
    });
    const b = shardRun("b", "1/2", ["t3"]);
    const merged = mergedRunJson([a, b], "nightly", new Date("2025-01-02T00:00:00.000Z"));
    expect(merged).toMatchObject({
      run_id: "nightly",
      started_at: "2025-01-01T00:00:00.000Z",
      finished_at: "2025-01-01T00:20:00.000Z",
      status: "completed",
      host: "h2,h1",
      shard: null,
      dataset: { name: "swe-lite", hash: "abc", tasks: 3 },
      fingerprint: { dataset_hash: "abc", cells: ["mock/oracle"], max_iterations: 100 },
      merged_at: "2025-01-02T00:00:00.000Z",
      shards: [
        {
          shard: "1/2",
          dir: "b",
          run_id: "n-b",
          host: "h1",
          started_at: "2025-01-01T00:00:00.000Z",
          finished_at: "2025-01-01T00:10:00.000Z",
          status: "completed",
          tasks: 1,
          results: 1,
        },
        {
          shard: "2/2",
          dir: "a",
          run_id: "n-a",
          host: "h2",
          started_at: "2025-01-01T00:05:00.000Z",
          finished_at: "2025-01-01T00:20:00.000Z",
          status: "completed",
          tasks: 2,
          results: 2,
        },
      ],
    });
    expect(merged["config"]).not.toHaveProperty("shard");
    expect(mergedRunJson([a], "n", new Date())["status"]).toBe("partial");
  });
});
