// Results in SWE-bench's own shapes, so they move both ways between bench and SWE-bench's tools: predictions.jsonl
// (`instance_id`, `model_name_or_path`, `model_patch`) and one run report per cell as SWE-bench's make_run_report
// writes it (`<model>.<run_id>.json`: counts and id lists, schema_version 2).

import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { getOrInsert } from "../util/maps.js";
import { writeFileAtomic, writeJsonAtomic } from "./store.js";
import { cellDirName, type TaskResult } from "./types.js";

/** How SWE-bench would count one result: a model patch that did not apply is its `error`, not `unresolved`. */
export type SwebenchOutcome = "resolved" | "unresolved" | "empty_patch" | "error";

export function swebenchOutcome(result: TaskResult): SwebenchOutcome {
  if (result.status === "error") return "error";
  if (result.error_class === "patch_apply" || result.error_class === "tests_timeout") return "error";
  if (result.error_class === "empty_patch") return "empty_patch";
  return result.resolved ? "resolved" : "unresolved";
}

export interface SwebenchRunReport {
  total_instances: number;
  submitted_instances: number;
  completed_instances: number;
  resolved_instances: number;
  unresolved_instances: number;
  empty_patch_instances: number;
  error_instances: number;
  completed_ids: string[];
  incomplete_ids: string[];
  empty_patch_ids: string[];
  submitted_ids: string[];
  resolved_ids: string[];
  unresolved_ids: string[];
  error_ids: string[];
  schema_version: 2;
}

/**
 * Pure: SWE-bench's run report of one cell. `instanceIds`: the run's tasks (its total); a task with no result is
 * incomplete. Submitted = has a result; completed = graded (resolved or unresolved); ids sorted as SWE-bench sorts them.
 */
export function swebenchRunReport(instanceIds: readonly string[], results: readonly TaskResult[]): SwebenchRunReport {
  const byId = new Map(results.map((r) => [r.instance_id, r]));
  const ids = {
    completed: [] as string[],
    incomplete: [] as string[],
    empty: [] as string[],
    submitted: [] as string[],
    resolved: [] as string[],
    unresolved: [] as string[],
    error: [] as string[],
  };
  for (const id of instanceIds) {
    const r = byId.get(id);
    if (r === undefined) {
      ids.incomplete.push(id);
      continue;
    }
    ids.submitted.push(id);
    const outcome = swebenchOutcome(r);
    if (outcome === "empty_patch") ids.empty.push(id);
    else if (outcome === "error") ids.error.push(id);
    else {
      ids.completed.push(id);
      (outcome === "resolved" ? ids.resolved : ids.unresolved).push(id);
    }
  }
  const sorted = (xs: string[]) => [...xs].sort();
  return {
    total_instances: instanceIds.length,
    submitted_instances: ids.submitted.length,
    completed_instances: ids.completed.length,
    resolved_instances: ids.resolved.length,
    unresolved_instances: ids.unresolved.length,
    empty_patch_instances: ids.empty.length,
    error_instances: ids.error.length,
    completed_ids: sorted(ids.completed),
    incomplete_ids: sorted(ids.incomplete),
    empty_patch_ids: sorted(ids.empty),
    submitted_ids: sorted(ids.submitted),
    resolved_ids: sorted(ids.resolved),
    unresolved_ids: sorted(ids.unresolved),
    error_ids: sorted(ids.error),
    schema_version: 2,
  };
}

/** SWE-bench's file name for a model's run report: `/` in the model name becomes `__`. */
export function swebenchReportName(cell: string, runId: string): string {
  return `${cell.replace(/\//g, "__")}.${runId}.json`;
}

/**
 * Writes predictions.jsonl (one line per result, the patch read from the task's patch.diff) and, per cell,
 * `swebench/<model>.<run_id>.json`. `instanceIds`: the run's tasks, in order. Returns the files written.
 */
export async function writeSwebenchFiles(
  runDir: string,
  runId: string,
  results: readonly TaskResult[],
  instanceIds: readonly string[],
): Promise<string[]> {
  const lines: string[] = [];
  const byCell = new Map<string, TaskResult[]>();
  for (const r of results) {
    const patchFile = path.join(runDir, "tasks", cellDirName(r.cell), r.instance_id, "patch.diff");
    const patch = existsSync(patchFile) ? readFileSync(patchFile, "utf8") : "";
    lines.push(JSON.stringify({ instance_id: r.instance_id, model_name_or_path: r.cell, model_patch: patch }));
    getOrInsert(byCell, r.cell, () => []).push(r);
  }
  const written = [path.join(runDir, "predictions.jsonl")];
  await writeFileAtomic(written[0]!, lines.length > 0 ? `${lines.join("\n")}\n` : "");
  const dir = path.join(runDir, "swebench");
  mkdirSync(dir, { recursive: true });
  for (const [cell, cellResults] of byCell) {
    const file = path.join(dir, swebenchReportName(cell, runId));
    await writeJsonAtomic(file, swebenchRunReport(instanceIds, cellResults));
    written.push(file);
  }
  return written;
}
