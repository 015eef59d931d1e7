// Reading `bench compare` inputs (a run directory, a results.jsonl or a summary.json) into CompareInputs.
// The impure edge of compare.ts.

import { mkdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

import { z } from "zod";

import { UsageError, errorMessage } from "../errors.js";
import type { CompareInput } from "./compare.js";
import { RESULTS_FILE, readResults, writeFileAtomic, type ReadResultsOutput, type SkippedLine } from "./store.js";
import type { SummaryRow } from "./summary.js";
import { RUN_JSON } from "./write.js";

/** A loaded input and the results.jsonl lines it left out (for a warning). */
export interface LoadedCompareInput {
  input: CompareInput;
  skipped: SkippedLine[];
  /** The run directory the input is or lies in: the first input's takes compare.csv unless --out says otherwise. */
  dir: string;
}

/** Where `bench compare` writes its CSV: --out, else compare.csv in the first input's run directory (never the current folder by accident). */
export function compareOutPath(out: string | undefined, first: Pick<LoadedCompareInput, "dir">): string {
  return out ?? join(first.dir, "compare.csv");
}

const num = z.number();
const numOrNull = z.number().nullable();
/** The summary.json fields compare reads; numbers the file may leave unknown are nullable. */
const summaryCellSchema = z.looseObject({
  run_id: z.string(),
  cell: z.string(),
  provider: z.string(),
  model: z.string(),
  region: z.string().nullable(),
  tasks: num,
  resolved: num,
  unresolved: num,
  errors: num,
  resolve_rate: num,
  resolve_rate_ci_low: num,
  resolve_rate_ci_high: num,
  cost_usd_total: numOrNull,
  cost_usd_mean: numOrNull,
  cost_per_resolved: numOrNull,
  input_tokens: num,
  output_tokens: num,
  cache_read_tokens: num,
  cache_write_tokens: num,
  reasoning_tokens: num,
  llm_latency_s_p50: numOrNull,
  llm_latency_s_p95: numOrNull,
});
const summaryJsonSchema = z.looseObject({ run_id: z.string(), cells: z.array(summaryCellSchema) });

/**
 * Loads one `bench compare` argument: a run directory (its results.jsonl; run id from run.json),
 * a results.jsonl file, or a summary.json (side-by-side figures only, no per-task data).
 * @throws UsageError for a path that is none of these or does not parse.
 */
export async function loadCompareInput(path: string): Promise<LoadedCompareInput> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (err) {
    throw new UsageError(`${path}: no such file or directory (expected a run directory, results.jsonl or summary.json)`, { cause: err });
  }
  if (isDir) {
    const file = join(path, RESULTS_FILE);
    const loaded = await loadResults(file, `${path}: not a run directory (no ${RESULTS_FILE})`);
    const runId = (await runIdOf(join(path, RUN_JSON))) ?? loaded.runId ?? basename(path);
    return { input: { kind: "results", source: path, runId, results: loaded.results }, skipped: loaded.skipped, dir: path };
  }
  if (path.endsWith(".jsonl")) {
    const loaded = await loadResults(path, `${path}: cannot read`);
    const runId = (await runIdOf(join(dirname(path), RUN_JSON))) ?? loaded.runId ?? basename(dirname(path));
    return { input: { kind: "results", source: path, runId, results: loaded.results }, skipped: loaded.skipped, dir: dirname(path) };
  }
  if (path.endsWith(".json")) {
    let data: unknown;
    try {
      data = JSON.parse(await readFile(path, "utf8"));
    } catch (err) {
      throw new UsageError(`${path}: cannot read summary.json (${errorMessage(err)})`, { cause: err });
    }
    const parsed = summaryJsonSchema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UsageError(`${path}: not a summary.json: ${issue?.path.map(String).join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
    }
    // The rows carry every field compare reads; the rest of SummaryRow is not used.
    const cells = parsed.data.cells as unknown as SummaryRow[];
    return { input: { kind: "summary", source: path, runId: parsed.data.run_id, cells }, skipped: [], dir: dirname(path) };
  }
  throw new UsageError(`${path}: expected a run directory, a results.jsonl or a summary.json`);
}

async function loadResults(file: string, missing: string) {
  let out: ReadResultsOutput;
  try {
    out = await readResults(file);
  } catch (err) {
    throw new UsageError(`${missing}: ${errorMessage(err)}`, { cause: err });
  }
  if (out.results.length === 0) throw new UsageError(`${file}: no task results to compare`);
  return { ...out, runId: out.results[0]?.run_id };
}

/** run_id of a run.json, or undefined when there is none (a results.jsonl copied elsewhere). */
async function runIdOf(file: string): Promise<string | undefined> {
  try {
    const data: unknown = JSON.parse(await readFile(file, "utf8"));
    const runId = (data as { run_id?: unknown } | null)?.run_id;
    return typeof runId === "string" && runId !== "" ? runId : undefined;
  } catch {
    return undefined;
  }
}

/** Writes compare.csv text to `file` atomically, creating its folder. */
export async function writeCompareCsv(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, text);
}
