// Writing a run's reports (report.csv, summary.csv, summary.json) from its results, rebuilding them
// from results.jsonl + run.json (`bench report`), and the short summary table printed on stderr.

import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";

import { z } from "zod";

import { UsageError } from "../errors.js";
import { reportRows, toCsv } from "./csv.js";
import { normalizeRow } from "./format.js";
import { writeSwebenchFiles } from "./swebench-report.js";
import { renderHtmlReport } from "./html.js";
import { loadTaskFiles } from "./html/data.js";
import { RESULTS_FILE, readResults, writeFileAtomic, type SkippedLine } from "./store.js";
import { latestResults } from "./latest.js";
import { runWallSeconds, summarize, type SummarizeOptions, type SummaryRow } from "./summary.js";
import { REPORT_COLUMNS, SUMMARY_COLUMNS, type TaskResult } from "./types.js";

export const REPORT_CSV = "report.csv";
export const SUMMARY_CSV = "summary.csv";
export const SUMMARY_JSON = "summary.json";
export const RUN_JSON = "run.json";
export const REPORT_HTML = "report.html";

/** summary.json: the summary.csv rows, numbers rounded the same way. No timestamp, so a rebuild is byte-identical. */
export interface SummaryJson {
  run_id: string;
  cells: SummaryRow[];
}

/** The three report files' contents, and the (unrounded) summary rows they came from. */
export interface RenderedReports {
  reportCsv: string;
  summaryCsv: string;
  summaryJson: string;
  summary: SummaryRow[];
}

/** Renders the reports of a run; pure. Only the latest result of each (cell, instance_id) counts. */
export function renderReports(results: readonly TaskResult[], opts: SummarizeOptions): RenderedReports {
  const summary = summarize(results, opts);
  const json: SummaryJson = {
    run_id: opts.runId,
    cells: summary.map((row) => normalizeRow(SUMMARY_COLUMNS, row)),
  };
  return {
    reportCsv: toCsv(REPORT_COLUMNS, reportRows(results)),
    summaryCsv: toCsv(SUMMARY_COLUMNS, summary),
    summaryJson: `${JSON.stringify(json, null, 2)}\n`,
    summary,
  };
}

/** Paths of the written report files, and the summary rows (for the stderr table, --json and gates). */
export interface WrittenReports {
  reportCsv: string;
  summaryCsv: string;
  summaryJson: string;
  summary: SummaryRow[];
}

/**
 * Writes report.csv, summary.csv and summary.json into `runDir`, each atomically.
 * For a byte-identical `bench report` later, pass `runWallS` from runWallSeconds(run.json times).
 */
export async function writeReports(runDir: string, results: readonly TaskResult[], opts: SummarizeOptions): Promise<WrittenReports> {
  const rendered = renderReports(results, opts);
  const paths = {
    reportCsv: join(runDir, REPORT_CSV),
    summaryCsv: join(runDir, SUMMARY_CSV),
    summaryJson: join(runDir, SUMMARY_JSON),
  };
  await mkdir(runDir, { recursive: true });
  await writeFileAtomic(paths.reportCsv, rendered.reportCsv);
  await writeFileAtomic(paths.summaryCsv, rendered.summaryCsv);
  await writeFileAtomic(paths.summaryJson, rendered.summaryJson);
  return { ...paths, summary: rendered.summary };
}

/** The part of run.json the reports need; the rest of the file is the runner's. */
const runJsonSchema = z.looseObject({
  run_id: z.string().min(1),
  started_at: z.string(),
  finished_at: z.string().nullable().optional(),
});

/** What rebuildReports wrote and what it read. */
export interface RebuiltReports extends WrittenReports {
  runId: string;
  runWallS: number | null;
  /** results.jsonl lines left out (torn or invalid), for a warning. */
  skipped: SkippedLine[];
  /** The results read (every valid line, file order). */
  results: TaskResult[];
}

/**
 * Rebuilds report.csv, summary.csv and summary.json of a run directory from results.jsonl and
 * run.json (`run_id`, `started_at`, `finished_at` — null or absent while unfinished).
 * A missing results.jsonl means no task finished: the reports have headers only.
 * @throws UsageError when run.json is missing or invalid.
 */
export async function rebuildReports(runDir: string): Promise<RebuiltReports> {
  const runFile = join(runDir, RUN_JSON);
  let runText: string;
  try {
    runText = await readFile(runFile, "utf8");
  } catch (err) {
    throw new UsageError(`${runFile}: cannot read run.json (is ${runDir} a run directory?)`, { cause: err });
  }
  let runJson: unknown;
  try {
    runJson = JSON.parse(runText);
  } catch (err) {
    throw new UsageError(`${runFile}: invalid JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const run = runJsonSchema.safeParse(runJson);
  if (!run.success) {
    const issue = run.error.issues[0];
    throw new UsageError(`${runFile}: ${issue?.path.map(String).join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
  }
  let runWallS: number | null;
  try {
    runWallS = runWallSeconds(run.data.started_at, run.data.finished_at);
  } catch (err) {
    throw new UsageError(`${runFile}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }

  let results: TaskResult[] = [];
  let skipped: SkippedLine[] = [];
  try {
    ({ results, skipped } = await readResults(join(runDir, RESULTS_FILE)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const runId = run.data.run_id;
  const written = await writeReports(runDir, results, { runId, runWallS });
  // SWE-bench's files too; the run's tasks (the report's total) from run.json, else the tasks with a result.
  const recorded = (runJson as { dataset?: { instance_ids?: unknown } }).dataset?.instance_ids;
  const instanceIds = Array.isArray(recorded) ? recorded.map(String) : [...new Set(results.map((r) => r.instance_id))];
  await writeSwebenchFiles(runDir, runId, results, instanceIds);
  return { ...written, runId, runWallS, skipped, results };
}

/**
 * Writes report.html (renderHtmlReport) into `runDir`, atomically, and returns its path.
 * `summary` must be the summary of the same results (as writeReports/rebuildReports return it).
 */
export async function writeHtmlReport(
  runDir: string,
  runId: string,
  results: readonly TaskResult[],
  summary: readonly SummaryRow[],
): Promise<string> {
  const file = join(runDir, REPORT_HTML);
  const latest = latestResults(results);
  const [cellOrder, detail] = await Promise.all([runCellOrder(runDir), loadTaskFiles(runDir, latest)]);
  await writeFileAtomic(file, renderHtmlReport({ runId, results: latest, summary, cellOrder, detail }));
  return file;
}

/** run.json's cell names in order (the config / command line); [] when it has none. */
export async function runCellOrder(runDir: string): Promise<string[]> {
  let run: unknown;
  try {
    run = JSON.parse(await readFile(join(runDir, "run.json"), "utf8"));
  } catch {
    return [];
  }
  const cells = (run as { cells?: unknown }).cells;
  if (!Array.isArray(cells)) return [];
  return cells.map((c: unknown) => (typeof c === "string" ? c : String((c as { cell?: unknown })?.cell ?? ""))).filter((c) => c !== "");
}
