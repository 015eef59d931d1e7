// `bench report <run-dir>`: rebuild the reports from results.jsonl; the summary table on stdout (--json: the JSON
// summary), notices on stderr — including that a run still in progress is reported as far as it got.

import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BenchCommand } from "../command.js";
import { log, out } from "../shared.js";

/** True when run.json says `running` and its lock is held by a live process on this host (the run is going on now). */
export async function runInProgress(dir: string): Promise<boolean> {
  const [{ readRunJson }, { pidAlive }] = await Promise.all([import("../../runner/resume.js"), import("../../util/process.js")]);
  if (readRunJson(dir)?.["status"] !== "running") return false;
  let holder: { pid?: unknown; host?: unknown };
  try {
    holder = JSON.parse(readFileSync(path.join(dir, ".lock"), "utf8")) as typeof holder;
  } catch {
    return false;
  }
  return typeof holder.pid === "number" && holder.host === os.hostname() && pidAlive(holder.pid);
}

export const reportCommand: BenchCommand = {
  command: "report <run-dir>",
  describe: "Rebuild report.csv, summary.csv and summary.json from results.jsonl (--html: also report.html)",
  builder: (y) =>
    y
      .positional("run-dir", { type: "string", demandOption: true, describe: "A run directory (results/<run-id>)" })
      .option("html", {
        type: "boolean",
        default: false,
        describe: "Also write report.html: one self-contained page with tables and charts",
      })
      .option("json", { type: "boolean", default: false, describe: "Print one JSON summary on stdout instead of the table" }),
  run: async (args) => {
    const { rebuildReports, writeHtmlReport } = await import("../../report/write.js");
    const { formatSummaryTable } = await import("../../report/format.js");
    const dir = String(args["run-dir"]);
    if (await runInProgress(dir)) log(`notice: ${dir} is still running: the reports cover the results so far`);
    const rebuilt = await rebuildReports(dir);
    for (const s of rebuilt.skipped) log(`warning: results.jsonl line ${s.line} skipped (${s.reason})`);
    if (args["html"]) log(`report: ${await writeHtmlReport(dir, rebuilt.runId, rebuilt.results, rebuilt.summary)}`);
    if (args["json"]) {
      const { jsonSummary } = await import("../../report/json-summary.js");
      const { readRunJson } = await import("../../runner/resume.js");
      const recorded = readRunJson(dir);
      const status = typeof recorded?.["status"] === "string" ? recorded["status"] : "completed";
      const shard = typeof recorded?.["shard"] === "string" ? recorded["shard"] : null;
      out(JSON.stringify(jsonSummary({ runId: rebuilt.runId, runDir: dir, status, shard, summary: rebuilt.summary, gates: null })));
    } else {
      out(formatSummaryTable(rebuilt.summary, { width: process.stdout.isTTY ? process.stdout.columns : undefined }));
    }
    return 0;
  },
};
