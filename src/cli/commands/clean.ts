// `bench clean`: remove sandbox containers left behind (dead owner runs by default, one run, or all); one line per
// removed container on stdout, the count on stderr.

import type { BenchCommand } from "../command.js";
import { log, out, pingedDocker } from "../shared.js";

export const cleanCommand: BenchCommand = {
  command: "clean",
  describe: "Remove sandbox containers left behind: by default those whose owner run is dead (on this host)",
  builder: (y) =>
    y
      .option("run-id", { type: "string", describe: "Remove every container of this run" })
      .option("all", { type: "boolean", describe: "Remove every bench container, live runs included" })
      .conflicts("run-id", "all"),
  run: async (args) => {
    const { reapContainers } = await import("../../sandbox/janitor.js");
    const removed = await reapContainers(await pingedDocker(), {
      ...(args["run-id"] ? { runId: String(args["run-id"]) } : {}),
      ...(args["all"] ? { all: true } : {}),
    });
    for (const r of removed) {
      out(
        `${r.id.slice(0, 12)}\trun ${r.labels["bench.run-id"] ?? "?"}\ttask ${r.labels["bench.task-id"] ?? "?"}\towner pid ${r.labels["bench.owner-pid"] ?? "?"}`,
      );
    }
    log(`removed ${removed.length} container(s)`);
    return 0;
  },
};
