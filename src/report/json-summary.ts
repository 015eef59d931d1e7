// The one JSON document `--json` prints on stdout (bench run, bench merge): the run, its cells with
// rates, intervals and costs (numbers as in summary.json), and the gate results. Pure.

import { normalizeRow } from "./format.js";
import type { GateReport, GateResult } from "./gates.js";
import type { SummaryRow } from "./summary.js";
import { SUMMARY_COLUMNS } from "./types.js";

export interface JsonSummary {
  run_id: string;
  run_dir: string;
  /** `completed`, `interrupted`, or for a merge with shards missing or unfinished, `partial`. */
  status: string;
  /** `I/N` for one shard of a run, null otherwise. */
  shard: string | null;
  /** summary.json rows. */
  cells: Record<string, unknown>[];
  /** null when no gate was set. */
  gates: { passed: boolean; exit_code: number; results: GateResult[] } | null;
}

export function jsonSummary(input: {
  runId: string;
  runDir: string;
  status: string;
  shard: string | null;
  summary: readonly SummaryRow[];
  gates: GateReport | null;
}): JsonSummary {
  return {
    run_id: input.runId,
    run_dir: input.runDir,
    status: input.status,
    shard: input.shard,
    cells: input.summary.map((row) => normalizeRow(SUMMARY_COLUMNS, row)),
    gates: input.gates ? { passed: input.gates.passed, exit_code: input.gates.exitCode, results: input.gates.results } : null,
  };
}
