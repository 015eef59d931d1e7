// The impure edge of gates.ts: reading a --baseline file and turning gate options into a GateSpec,
// checked against the run's cells before anything runs (a bad gate is exit 2, not a late surprise).

import { readFileSync, statSync } from "node:fs";
import path from "node:path";

import { z } from "zod";

import { UsageError, errorMessage } from "../errors.js";
import { gateSpecProblems, parseFailUnder, parseMaxInfraErrors, type BaselineCell, type GateSpec } from "./gates.js";
import { SUMMARY_JSON } from "./write.js";

/** The gate options of `bench run` and `bench merge` (RunOptions field names). */
export interface GateOptions {
  failUnder?: readonly (string | number)[] | undefined;
  baseline?: string | undefined;
  maxRegression?: number | undefined;
  maxInfraErrors?: string | number | undefined;
}

// summary.json and the `--json` output both have `cells: [{cell, resolve_rate, ...}]`.
const baselineSchema = z.looseObject({
  cells: z.array(z.looseObject({ cell: z.string().min(1), resolve_rate: z.number().min(0).max(1) })),
});

/**
 * Reads a baseline: a summary.json, a saved `--json` output, or a run directory (its summary.json).
 * @throws UsageError when it is missing or has no `cells` with `cell` and `resolve_rate`.
 */
export function readBaseline(file: string, cwd = process.cwd()): { source: string; cells: BaselineCell[] } {
  let resolved = path.resolve(cwd, file);
  try {
    if (statSync(resolved).isDirectory()) resolved = path.join(resolved, SUMMARY_JSON);
  } catch (err) {
    throw new UsageError(`--baseline ${file}: no such file or directory (expected a summary.json, a --json output or a run directory)`, {
      cause: err,
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(resolved, "utf8"));
  } catch (err) {
    throw new UsageError(`--baseline ${file}: cannot read ${resolved} (${errorMessage(err)})`, { cause: err });
  }
  const parsed = baselineSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(
      `--baseline ${file}: not a summary.json: ${issue?.path.map(String).join(".") ?? ""}: ${issue?.message ?? "invalid"}`,
    );
  }
  return { source: file, cells: parsed.data.cells.map((c) => ({ cell: c.cell, resolve_rate: c.resolve_rate })) };
}

/**
 * The GateSpec of the options, with the baseline read, checked against the run's cells.
 * @throws UsageError for a bad value, --max-regression without --baseline, a CELL=RATE naming no
 *   cell of the run, or a baseline with no cell in common.
 */
export function loadGateSpec(options: GateOptions, cells: readonly string[], cwd = process.cwd()): GateSpec {
  const usage = <T>(f: () => T): T => {
    try {
      return f();
    } catch (err) {
      throw new UsageError(errorMessage(err));
    }
  };
  const spec: GateSpec = { failUnder: (options.failUnder ?? []).map((v) => usage(() => parseFailUnder(v))) };
  if (options.maxInfraErrors !== undefined) {
    const raw = options.maxInfraErrors;
    spec.maxInfraErrors = usage(() => parseMaxInfraErrors(raw));
  }
  if (options.maxRegression !== undefined && options.baseline === undefined) {
    throw new UsageError(`--max-regression ${options.maxRegression}: needs --baseline <summary.json> to compare with`);
  }
  if (options.baseline !== undefined) {
    spec.baseline = readBaseline(options.baseline, cwd);
    spec.maxRegression = options.maxRegression ?? 0;
  }
  const problems = gateSpecProblems(spec, cells);
  if (problems.length > 0) throw new UsageError(problems.join("\n"));
  return spec;
}
