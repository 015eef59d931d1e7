// `bench merge`: joins the shard run directories of one run (--shard I/N) into one run directory —
// results.jsonl, run.json, tasks/ — and rebuilds its reports. The checks and the merged run.json are
// pure (checkShards, mergedRunJson); mergeRuns is the file-system edge.

import { cpSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";

import { UsageError } from "../errors.js";
import { latestResults } from "../report/latest.js";
import { RESULTS_FILE, readResults, writeFileAtomic, writeJsonAtomic } from "../report/store.js";
import type { TaskResult } from "../report/types.js";
import { RUN_JSON, rebuildReports, type RebuiltReports } from "../report/write.js";
import { fingerprintDiff, readRunJson } from "./resume.js";
import { parseShard, shardText, type Shard } from "../config/shard.js";

/** One shard run directory as read. */
export interface ShardRun {
  dir: string;
  runJson: Record<string, unknown>;
  /** results.jsonl lines in file order. */
  results: TaskResult[];
}

/**
 * run.json `config` keys that may differ between the shards of one run: how each shard ran, not
 * what it measured. Every other option must be the same in all shards.
 */
export const PER_SHARD_OPTIONS: ReadonlySet<string> = new Set([
  "shard",
  "runId",
  "outputDir",
  "resume",
  "rerunErrors",
  "json",
  "quiet",
  "concurrency",
  "gradingConcurrency",
  "failUnder",
  "baseline",
  "maxRegression",
  "maxInfraErrors",
  "dockerHost",
]);

const record = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

function withoutKeys(o: Record<string, unknown>, drop: (k: string) => boolean): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !drop(k)));
}

function shardOfRun(run: ShardRun): Shard | null {
  const raw = run.runJson["shard"];
  if (typeof raw !== "string") return null;
  try {
    return parseShard(raw);
  } catch {
    return null;
  }
}

/** What stops a merge (problems) and what the merged run lacks (warnings). */
export interface ShardCheck {
  problems: string[];
  warnings: string[];
}

/**
 * Checks that the runs are shards of one run: each has a shard, all of the same count, no index
 * twice, the same fingerprint and options (but the per-shard ones), and no (cell, instance_id) in
 * two of them. Missing shards and unfinished ones are warnings: the merge still has what they hold.
 */
export function checkShards(runs: readonly ShardRun[]): ShardCheck {
  const problems: string[] = [];
  const warnings: string[] = [];
  const first = runs[0];
  if (!first) return { problems: ["no run directories to merge"], warnings };
  const shards = runs.map(shardOfRun);
  const firstShard = shards[0];
  const byIndex = new Map<number, string[]>();
  runs.forEach((run, i) => {
    const shard = shards[i];
    if (!shard) {
      problems.push(`${run.dir}: not a shard (its run.json has no shard; run it with --shard I/N)`);
      return;
    }
    if (firstShard && shard.count !== firstShard.count) {
      problems.push(
        `${run.dir}: shard ${shardText(shard)} is not one of ${firstShard.count} shards like ${first.dir} (${shardText(firstShard)})`,
      );
      return;
    }
    byIndex.set(shard.index, [...(byIndex.get(shard.index) ?? []), run.dir]);
    if (run === first) return;
    const fingerprint = (r: ShardRun) => withoutKeys(record(r.runJson["fingerprint"]), (k) => k === "shard");
    const fpDiff = fingerprintDiff(fingerprint(first), fingerprint(run));
    if (fpDiff.length > 0) problems.push(`${run.dir}: configuration differs from ${first.dir}: ${fpDiff.join("; ")}`);
    const config = (r: ShardRun) => withoutKeys(record(r.runJson["config"]), (k) => PER_SHARD_OPTIONS.has(k));
    const configDiff = fingerprintDiff(config(first), config(run));
    if (configDiff.length > 0) problems.push(`${run.dir}: options differ from ${first.dir}: ${configDiff.join("; ")}`);
  });
  for (const [index, dirs] of [...byIndex].sort(([a], [b]) => a - b)) {
    if (dirs.length > 1 && firstShard) problems.push(`shard ${index}/${firstShard.count} given more than once: ${dirs.join(", ")}`);
  }

  const owner = new Map<string, string>();
  const overlaps: string[] = [];
  for (const run of runs) {
    for (const r of latestResults(run.results)) {
      const key = JSON.stringify([r.cell, r.instance_id]);
      const other = owner.get(key);
      if (other !== undefined && other !== run.dir) overlaps.push(`${r.cell} ${r.instance_id} (in ${other} and ${run.dir})`);
      else owner.set(key, run.dir);
    }
  }
  if (overlaps.length > 0) {
    const shown = overlaps.slice(0, 10).join(", ");
    problems.push(
      `overlapping results, ${overlaps.length} (cell, instance_id) in more than one run: ${shown}${overlaps.length > 10 ? ", …" : ""}`,
    );
  }

  if (problems.length === 0 && firstShard) {
    for (let i = 1; i <= firstShard.count; i++) {
      if (!byIndex.has(i)) warnings.push(`shard ${i}/${firstShard.count} is missing: its tasks are not in the merged run`);
    }
    for (const run of runs) {
      const status = run.runJson["status"];
      if (status !== "completed")
        warnings.push(
          `${run.dir}: shard ${shardText(shardOfRun(run)!)} is ${String(status)}, not completed: its missing tasks are not in the merged run`,
        );
    }
  }
  return { problems, warnings };
}

const minIso = (xs: string[]): string | null => (xs.length === 0 ? null : xs.reduce((a, b) => (Date.parse(b) < Date.parse(a) ? b : a)));
const maxIso = (xs: string[]): string | null => (xs.length === 0 ? null : xs.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a)));

/**
 * run.json of the merged run: the first shard's fields, with the earliest start, the latest finish
 * (null when a shard never finished), the summed task count, and every shard listed. `status` is
 * `completed` only when all N shards are there and completed, else `partial`.
 */
export function mergedRunJson(runs: readonly ShardRun[], runId: string, now: Date): Record<string, unknown> {
  const first = runs[0];
  if (!first) throw new Error("mergedRunJson: no runs");
  const shards = runs.map((r) => ({ run: r, shard: shardOfRun(r) }));
  const count = shards[0]?.shard?.count ?? runs.length;
  const complete = new Set(shards.map((s) => s.shard?.index)).size === count && runs.every((r) => r.runJson["status"] === "completed");
  const strings = (key: string) => runs.map((r) => r.runJson[key]).filter((v): v is string => typeof v === "string");
  const finished = strings("finished_at");
  const dataset = record(first.runJson["dataset"]);
  return {
    ...first.runJson,
    run_id: runId,
    started_at: minIso(strings("started_at")),
    finished_at: finished.length === runs.length ? maxIso(finished) : null,
    status: complete ? "completed" : "partial",
    host: [...new Set(strings("host"))].join(","),
    pid: null,
    // An empty shard never builds the image and records "".
    image: strings("image").find((i) => i !== "") ?? first.runJson["image"] ?? null,
    dataset: {
      ...dataset,
      tasks: runs.reduce((n, r) => n + Number(record(r.runJson["dataset"])["tasks"] ?? 0), 0),
      // The shards' tasks together: the denominator of SWE-bench's run report (swebench/<cell>.<run_id>.json).
      ...(runs.every((r) => Array.isArray(record(r.runJson["dataset"])["instance_ids"]))
        ? { instance_ids: runs.flatMap((r) => record(r.runJson["dataset"])["instance_ids"] as string[]) }
        : {}),
    },
    shard: null,
    fingerprint: withoutKeys(record(first.runJson["fingerprint"]), (k) => k === "shard"),
    config: withoutKeys(record(first.runJson["config"]), (k) => k === "shard"),
    resumes: [],
    merged_at: now.toISOString(),
    shards: shards
      .sort((a, b) => (a.shard?.index ?? 0) - (b.shard?.index ?? 0))
      .map(({ run, shard }) => ({
        shard: shard ? shardText(shard) : null,
        dir: run.dir,
        run_id: run.runJson["run_id"] ?? null,
        host: run.runJson["host"] ?? null,
        started_at: run.runJson["started_at"] ?? null,
        finished_at: run.runJson["finished_at"] ?? null,
        status: run.runJson["status"] ?? null,
        tasks: record(run.runJson["dataset"])["tasks"] ?? null,
        results: latestResults(run.results).length,
      })),
  };
}

export interface MergeOutcome extends RebuiltReports {
  runDir: string;
  status: string;
  warnings: string[];
  /** Cells of the run (from run.json), for the gates. */
  cells: string[];
}

/**
 * Merges shard run directories into `out` (a new folder, or an empty one): results.jsonl (each
 * shard's lines in argument order, run_id set to the merged run's), run.json, tasks/, reports.
 * @throws UsageError when an input is not a run directory, `out` already holds a run, or checkShards finds problems.
 */
export async function mergeRuns(
  dirs: readonly string[],
  out: string,
  opts: {
    cwd: string;
    log: (line: string) => void;
    now?: Date;
    /** Called with the run's cells after the checks, before anything is written (gate options are checked here). */
    beforeWrite?: (cells: string[]) => void;
  },
): Promise<MergeOutcome> {
  const outDir = path.resolve(opts.cwd, out);
  const runs: ShardRun[] = [];
  for (const dir of dirs) {
    const abs = path.resolve(opts.cwd, dir);
    if (abs === outDir) throw new UsageError(`--out ${out}: is also one of the runs to merge; merge into a new folder`);
    const runJson = readRunJson(abs);
    if (!runJson) throw new UsageError(`${dir}: not a run directory (no ${RUN_JSON})`);
    let results: TaskResult[] = [];
    try {
      const read = await readResults(path.join(abs, RESULTS_FILE));
      results = read.results;
      for (const s of read.skipped) opts.log(`warning: ${dir}: results.jsonl line ${s.line} skipped (${s.reason})`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    runs.push({ dir, runJson, results });
  }
  const check = checkShards(runs);
  if (check.problems.length > 0) throw new UsageError(`cannot merge:\n  ${check.problems.join("\n  ")}`);
  for (const w of check.warnings) opts.log(`warning: ${w}`);
  if (existsSync(outDir) && readdirSync(outDir).length > 0) {
    throw new UsageError(`--out ${out}: not empty; merge into a new folder`);
  }

  const cells = cellsOf(runs[0]!.runJson);
  opts.beforeWrite?.(cells);

  const runId = path.basename(outDir);
  mkdirSync(outDir, { recursive: true });
  for (const run of runs) {
    const tasks = path.resolve(opts.cwd, run.dir, "tasks");
    // No two shards hold the same task (checked), so folders never collide.
    if (existsSync(tasks)) cpSync(tasks, path.join(outDir, "tasks"), { recursive: true, force: false });
  }
  const lines = runs.flatMap((r) => r.results.map((result) => `${JSON.stringify({ ...result, run_id: runId })}\n`));
  await writeFileAtomic(path.join(outDir, RESULTS_FILE), lines.join(""));
  const runJson = mergedRunJson(runs, runId, opts.now ?? new Date());
  await writeJsonAtomic(path.join(outDir, RUN_JSON), runJson);
  const rebuilt = await rebuildReports(outDir);
  return { ...rebuilt, runDir: outDir, status: String(runJson["status"]), warnings: check.warnings, cells };
}

/** Cell names recorded in a run.json. */
function cellsOf(runJson: Record<string, unknown>): string[] {
  const cells = runJson["cells"];
  return Array.isArray(cells) ? cells.map((c) => String(record(c)["cell"])) : [];
}
