// `bench view <run-dir>`: serve a run directory on 127.0.0.1 (src/report/view-server.ts); the URL on stdout, until SIGINT / SIGTERM.

import type { BenchCommand } from "../command.js";
import { log, out } from "../shared.js";

export const viewCommand: BenchCommand = {
  command: "view <run-dir>",
  describe: "Serve a run directory on 127.0.0.1: report.html's page, each task's story loaded when opened",
  builder: (y) =>
    y
      .positional("run-dir", { type: "string", demandOption: true })
      .option("port", { type: "number", default: 0, describe: "Port (0: any free port; the URL is printed)" })
      .option("host", {
        type: "string",
        default: "127.0.0.1",
        describe: "Address to listen on (the run's files are readable by whoever reaches it)",
      }),
  run: async (args) => {
    const { startViewServer } = await import("../../report/view-server.js");
    const server = await startViewServer({
      runDir: String(args["run-dir"]),
      port: Number(args["port"] ?? 0),
      host: String(args["host"] ?? "127.0.0.1"),
    });
    out(server.url);
    log("bench view: serving read-only; Ctrl-C stops it");
    await new Promise<void>((resolve) => {
      const stop = (): void => void server.close().then(resolve);
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    return 0;
  },
};
