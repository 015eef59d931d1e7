// The page's data blob: the task index (every task × cell's result, in run.json's cell order) and, for a run small
// enough, every task's files embedded (EMBED_LIMIT_BYTES); loadTaskFiles reads them from the run directory.

import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { cellDirName, type TaskResult } from "../types.js";
import type { TaskFiles, ViewData, ViewResult, ViewTask } from "./story.js";

/** report.html embeds the task files while they total at most this many bytes; above, `bench view` shows them. */
export const EMBED_LIMIT_BYTES = 25 * 1024 * 1024;

/** The files of a task directory the page shows. */
export const TASK_FILES = {
  trajectory: "trajectory.jsonl",
  patch: "patch.diff",
  test_output: "test_output.txt",
  report: "report.json",
} as const;

/** How the page gets the task files: embedded, from `bench view`'s server, or not at all (with why). */
export type Detail = { source: "embedded"; files: Record<string, TaskFiles> } | { source: "fetch" } | { source: "none"; note: string };

function viewResult(r: TaskResult): ViewResult {
  return {
    status: r.status,
    end_reason: r.end_reason,
    error_class: r.error_class,
    error_message: r.error_message,
    llm_calls: r.llm_calls,
    input_tokens: r.input_tokens,
    output_tokens: r.output_tokens,
    cache_read_tokens: r.cache_read_tokens,
    cache_write_tokens: r.cache_write_tokens,
    reasoning_tokens: r.reasoning_tokens,
    cost_usd: r.cost_usd,
    wall_s: r.wall_s,
    fail_to_pass: r.fail_to_pass,
    pass_to_pass: r.pass_to_pass,
    patch_applied: r.patch_applied ?? null,
    tests: r.tests ?? null,
  };
}

/** The blob: `tasks` in the grid's row order, results per cell in `cells` order. Pure. */
export function buildViewData(
  runId: string,
  cells: readonly string[],
  results: readonly TaskResult[],
  tasks: readonly string[],
  detail: Detail,
): ViewData {
  const byKey = new Map<string, TaskResult>();
  for (const r of results) byKey.set(JSON.stringify([r.instance_id, r.cell]), r);
  const rows: ViewTask[] = tasks.map((id) => ({
    id,
    results: cells.map((c) => {
      const r = byKey.get(JSON.stringify([id, c]));
      return r === undefined ? null : viewResult(r);
    }),
  }));
  return {
    runId,
    cells: [...cells],
    cellDirs: cells.map(cellDirName),
    tasks: rows,
    source: detail.source,
    files: detail.source === "embedded" ? detail.files : null,
    note: detail.source === "none" ? detail.note : null,
  };
}

/** JSON for a `<script type="application/json">`: `<` escaped so no text can close the element. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw err;
  }
}

async function textOf(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/**
 * The task files of every result in `runDir`, embedded when they total at most `limitBytes`; else a note that
 * sends the reader to `bench view`. Keys are "<cell-dir>/<instance_id>" (the page's loadFiles).
 */
export async function loadTaskFiles(runDir: string, results: readonly TaskResult[], limitBytes = EMBED_LIMIT_BYTES): Promise<Detail> {
  const dirs = [...new Set(results.map((r) => `${cellDirName(r.cell)}/${r.instance_id}`))];
  const names = Object.values(TASK_FILES);
  let total = 0;
  for (const d of dirs) {
    for (const n of names) total += await sizeOf(path.join(runDir, "tasks", d, n));
    if (total > limitBytes) {
      const mb = (limitBytes / 1024 / 1024).toFixed(0);
      return {
        source: "none",
        note: `The task files of this run are over ${mb} MB, too many to put in one page: open the run directory with \`bench view <run-dir>\` to read each task's story.`,
      };
    }
  }
  const files: Record<string, TaskFiles> = {};
  for (const d of dirs) {
    const base = path.join(runDir, "tasks", d);
    const [trajectory, patch, test_output, report] = await Promise.all(names.map((n) => textOf(path.join(base, n))));
    files[d] = { trajectory: trajectory ?? null, patch: patch ?? null, test_output: test_output ?? null, report: report ?? null };
  }
  return { source: "embedded", files };
}
