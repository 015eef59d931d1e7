// `bench merge <dirs..> --out DIR`: join the shard run directories of one run, rebuild its reports, apply the gates;
// the summary table (or --json) on stdout.

import { UsageError } from "../../errors.js";
import type { BenchCommand } from "../command.js";
import { addRunFlags, flagValues } from "../run-flags.js";
import { failureExit, givenTextOf, log, out } from "../shared.js";

export const mergeCommand: BenchCommand = {
  command: "merge <dirs..>",
  describe: "Join the shard run directories of one run (--shard I/N) into one run directory and rebuild its reports",
  builder: (y) =>
    addRunFlags(
      y
        .positional("dirs", { type: "string", array: true, demandOption: true, describe: "Shard run directories" })
        .option("out", { type: "string", demandOption: true, describe: "The merged run directory (new or empty; its name is the run id)" })
        .option("html", { type: "boolean", default: false, describe: "Also write report.html" }),
      "merge",
    ),
  run: async (args, raw) => {
    const { mergeRuns } = await import("../../runner/merge.js");
    const { writeHtmlReport } = await import("../../report/write.js");
    const { formatSummaryTable } = await import("../../report/format.js");
    const { loadGateSpec } = await import("../../report/gates-load.js");
    const { evaluateGates, hasGates, runFailures } = await import("../../report/gates.js");
    const flags = flagValues(args, await givenTextOf(raw), "merge");
    const gateOptions = {
      failUnder: flags.failUnder,
      baseline: flags.baseline,
      maxRegression: flags.maxRegression,
      maxInfraErrors: flags.maxInfraErrors,
    };
    if (gateOptions.maxInfraErrors !== undefined && typeof gateOptions.maxInfraErrors !== "string") {
      throw new UsageError(`--max-infra-errors: expected a count or a fraction, got ${JSON.stringify(gateOptions.maxInfraErrors)}`);
    }
    const dirs = (args["dirs"] as unknown[]).map(String);
    let spec: ReturnType<typeof loadGateSpec> | undefined;
    const merged = await mergeRuns(dirs, String(args["out"]), {
      cwd: process.cwd(),
      log,
      beforeWrite: (cells) => {
        spec = loadGateSpec(gateOptions as Parameters<typeof loadGateSpec>[0], cells);
      },
    });
    if (!spec) throw new Error("merge: gates were not checked");
    const gates = hasGates(spec) ? evaluateGates(merged.summary, merged.cells, spec) : null;
    if (args["html"]) log(`report: ${await writeHtmlReport(merged.runDir, merged.runId, merged.results, merged.summary)}`);
    log(`merged ${dirs.length} shard(s) → ${merged.runDir} (${merged.status})`);
    if (args["json"]) {
      const { jsonSummary } = await import("../../report/json-summary.js");
      out(
        JSON.stringify(
          jsonSummary({ runId: merged.runId, runDir: merged.runDir, status: merged.status, shard: null, summary: merged.summary, gates }),
        ),
      );
    } else {
      out(formatSummaryTable(merged.summary, { width: process.stdout.isTTY ? process.stdout.columns : undefined }));
    }
    return failureExit(runFailures(merged.results), gates, log);
  },
};
