// The shape of one `bench` command (src/cli/commands/*): its yargs builder and a handler that returns the exit code.
// Command files load their heavy modules inside `run`, so `bench --help` stays fast.

import type { Argv } from "yargs";

export interface BenchCommand {
  /** yargs command string, e.g. "report <run-dir>". */
  command: string;
  describe: string;
  builder: (y: Argv) => Argv;
  /** Handles the parsed arguments; `raw` is the argument list as typed (error messages quote it). Resolves to the exit code. */
  run: (args: Record<string, unknown>, raw: readonly string[]) => Promise<number>;
}
