// CLI wiring only: register the commands (src/cli/commands/*), parse, map BenchError to exit codes.
// Command files load their heavy modules when they run, so `bench --help` stays fast.

import { readFileSync } from "node:fs";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { BenchError, UsageError } from "../errors.js";
import type { BenchCommand } from "./command.js";
import { cleanCommand } from "./commands/clean.js";
import { compareCommand } from "./commands/compare.js";
import { datasetsCommand } from "./commands/datasets.js";
import { imagesCommand } from "./commands/images.js";
import { mergeCommand } from "./commands/merge.js";
import { mockServerCommand } from "./commands/mock-server.js";
import { modelsCommand } from "./commands/models.js";
import { reportCommand } from "./commands/report.js";
import { gradeCommand, runCommand } from "./commands/run.js";
import { viewCommand } from "./commands/view.js";
import { log } from "./shared.js";

/** Every command, in help order. A new command is one file in src/cli/commands/ and one entry here (e.g. `bench view`). */
export const COMMANDS: readonly BenchCommand[] = [
  runCommand,
  gradeCommand,
  reportCommand,
  viewCommand,
  compareCommand,
  mergeCommand,
  cleanCommand,
  imagesCommand,
  datasetsCommand,
  modelsCommand,
  mockServerCommand,
];

/** package.json's version (bin/bench.js runs dist/cli/main.js, two folders below it). */
function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const parser = yargs(argv)
    .scriptName("bench")
    .usage(
      "$0 <command> [options]\n\nA headless harness that measures LLM coding agents in Docker sandboxes.\nResults (tables, --json) go to stdout; progress, notices and warnings to stderr.",
    );
  for (const c of COMMANDS) {
    parser.command(c.command, c.describe, c.builder, async (args) => {
      code = await c.run(args as Record<string, unknown>, argv);
    });
  }
  parser
    .demandCommand(1, "Name a command (e.g. bench run --dataset swe-lite); see bench --help")
    .strict()
    .help()
    .alias("h", "help")
    .version(version())
    .alias("V", "version")
    .wrap(Math.min(120, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(msg);
    });
  try {
    await parser.parseAsync();
  } catch (err) {
    if (err instanceof BenchError) {
      log(`bench: ${err.message}`);
      return err.exitCode;
    }
    log(`bench: internal error: ${err instanceof Error ? (process.env["BENCH_DEBUG"] ? err.stack : err.message) : String(err)}`);
    return 1;
  }
  return code;
}

// Exit explicitly: idle keep-alive sockets (Docker API, HTTP agents) must not hold the process open.
main(hideBin(process.argv)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`bench: internal error: ${String(err)}`);
    process.exit(1);
  },
);
