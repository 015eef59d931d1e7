// `bench datasets list|validate <path>`: the built-in datasets (one tab-separated line each on stdout), or a dataset's gold/empty patch
// check (progress on stderr, exit 2 listing the problems).

import { UsageError } from "../../errors.js";
import type { BenchCommand } from "../command.js";
import { log, missingAction, out, pingedDocker } from "../shared.js";

const ACTIONS = ["list", "validate"] as const;

export const datasetsCommand: BenchCommand = {
  command: "datasets [action] [path]",
  describe: "List the built-in datasets, or validate one (gold patch resolves every task, empty patch none)",
  builder: (y) =>
    y
      .positional("action", { type: "string", choices: ACTIONS, describe: "list | validate" })
      .positional("path", { type: "string", describe: "Dataset name or path (validate)" })
      .option("concurrency", { type: "number", default: 4, describe: "validate: tasks at once" }),
  run: async (args) => {
    if (args["action"] === undefined) throw missingAction("datasets", ACTIONS, "bench datasets list");
    const { listDatasets, validateDataset } = await import("../../grading/validate.js");
    if (args["action"] === "list") {
      for (const d of listDatasets()) out(`${d.name}\t${d.tasks} tasks\t${d.dir}`);
      return 0;
    }
    if (!args["path"]) throw new UsageError("bench datasets validate <path>: a dataset name or path is required");
    const report = await validateDataset(String(args["path"]), await pingedDocker(), { concurrency: Number(args["concurrency"]), log });
    if (report.problems.length > 0) {
      throw new UsageError(`dataset ${report.file}: ${report.problems.length} problem(s):\n  ${report.problems.join("\n  ")}`);
    }
    log(`dataset ${report.file}: all ${report.tasks} task(s) valid (gold patch resolves, empty patch does not)`);
    return 0;
  },
};
