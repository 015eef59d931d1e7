// `bench compare <inputs..>`: cells of runs side by side with paired statistics; the table on stdout, compare.csv
// into the first input's run directory (or --out), never silently into the current folder.

import type { BenchCommand } from "../command.js";
import { log, out } from "../shared.js";

export const compareCommand: BenchCommand = {
  command: "compare <inputs..>",
  describe: "Compare cells of runs side by side on their shared tasks, with paired statistics → compare.csv",
  builder: (y) =>
    y
      .positional("inputs", {
        type: "string",
        array: true,
        demandOption: true,
        describe: "Run directories, results.jsonl or summary.json files",
      })
      .option("out", {
        type: "string",
        describe: "Where to write the CSV",
        defaultDescription: "compare.csv in the first input's run directory",
      })
      .option("json", {
        type: "boolean",
        default: false,
        describe: "Print the comparison (cells, pairs, notes) as JSON on stdout instead of the table",
      })
      .example("$0 compare results/run-a results/run-b", "writes results/run-a/compare.csv"),
  run: async (args) => {
    const { compareOutPath, loadCompareInput, writeCompareCsv } = await import("../../report/compare-load.js");
    const { compareRuns, compareCsv, formatCompareTable } = await import("../../report/compare.js");
    const loaded = [];
    for (const path of (args["inputs"] as unknown[]).map(String)) {
      const one = await loadCompareInput(path);
      for (const s of one.skipped) log(`warning: ${path}: results.jsonl line ${s.line} skipped (${s.reason})`);
      loaded.push(one);
    }
    const comparison = compareRuns(loaded.map((l) => l.input));
    const file = compareOutPath(args["out"] === undefined ? undefined : String(args["out"]), loaded[0]!);
    await writeCompareCsv(file, compareCsv(comparison));
    if (args["json"]) out(JSON.stringify(comparison));
    else out(formatCompareTable(comparison));
    log(`compare: ${file}`);
    return 0;
  },
};
