// `bench run` and `bench grade`: resolve the options (flags > config file or the resumed run's run.json > env >
// defaults), run with Ctrl-C handling and the progress display on stderr, then the summary table (or --json) on stdout.

import type { RunOptions } from "../../config/options.js";
import { UsageError } from "../../errors.js";
import type { RunOutcome } from "../../runner/run.js";
import type { BenchCommand } from "../command.js";
import { addRunFlags, flagValues, modelOnlyFlagsGiven } from "../run-flags.js";
import { docker, failureExit, givenTextOf, log, out } from "../shared.js";

type Command = "run" | "grade";

/** The resumed run's recorded options, as the config layer (flags still override and must agree on what matters). */
async function resumedConfig(args: Record<string, unknown>, config: Record<string, unknown>): Promise<Record<string, unknown>> {
  const resume = args["resume"];
  if (typeof resume !== "string") return config;
  const { readRunJson } = await import("../../runner/resume.js");
  const { existsSync } = await import("node:fs");
  const path = await import("node:path");
  const dir = path.resolve(resume);
  if (!existsSync(dir)) throw new UsageError(`--resume ${resume}: no such directory`);
  const recorded = readRunJson(dir);
  if (!recorded) throw new UsageError(`--resume ${resume}: not a run directory (no run.json)`);
  // The run id is the directory's: a different --run-id would be silently ignored, so it is refused.
  const recordedId = typeof recorded["run_id"] === "string" ? recorded["run_id"] : path.basename(dir);
  if (args["run-id"] !== undefined && String(args["run-id"]) !== recordedId) {
    throw new UsageError(
      `--run-id ${String(args["run-id"])}: --resume ${resume} continues run ${recordedId}; drop --run-id (or give ${recordedId})`,
    );
  }
  const {
    json: _j,
    resume: _r,
    rerunErrors: _e,
    runId: _id,
    outputDir: _o,
    quiet: _q,
    dockerHost: _h,
    ...rest
  } = (recorded["config"] ?? {}) as Record<string, unknown>;
  return { ...config, ...rest };
}

/** Flags, config file (or resumed run), environment and defaults → validated options; and whether no layer named a model. */
export async function resolveCommandOptions(
  args: Record<string, unknown>,
  raw: readonly string[],
  command: Command,
): Promise<{ options: RunOptions; defaultModel: boolean }> {
  if (command === "grade") {
    if (args["predictions"] === undefined && args["resume"] === undefined)
      throw new UsageError("--predictions: required (a predictions .jsonl/.json file, or gold)");
    const given = modelOnlyFlagsGiven(args);
    if (given.length > 0) throw new UsageError(`bench grade runs no model: --${given.join(", --")} not accepted (use bench run)`);
  }
  const { readConfigFile, envOptions, resolveRunOptions } = await import("../../config/options.js");
  const flags = flagValues(args, await givenTextOf(raw), command);
  const config = await resumedConfig(args, readConfigFile(args["config"] as string | undefined));
  if (flags.dataset === undefined && config["dataset"] === undefined) throw new UsageError("--dataset: required (e.g. --dataset swe-lite)");
  const env = envOptions(process.env);
  const options = resolveRunOptions(flags, config, env);
  // Said only when no layer named a model: `--model mock/oracle` given on purpose is not "no --model".
  const defaultModel =
    command === "run" &&
    args["resume"] === undefined &&
    flags.model === undefined &&
    config["model"] === undefined &&
    config["cells"] === undefined &&
    env["model"] === undefined;
  return { options, defaultModel };
}

/** SIGINT/SIGTERM: the first stops the run (no new tasks, workspaces removed), the second exits at once. */
function signalHandling(controller: AbortController, say: (line: string) => void) {
  let removeAll: (() => Promise<void>) | undefined;
  let signals = 0;
  let caught: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals): void => {
    caught ??= sig;
    signals++;
    if (signals === 1) {
      say(`\n${sig}: stopping — no new tasks; removing workspaces; finished results are kept (press Ctrl-C again to exit now)`);
      controller.abort(new Error(`interrupted by ${sig}`));
      void removeAll?.();
      return;
    }
    say(`${sig} again: removing workspaces and exiting now`);
    void (removeAll?.() ?? Promise.resolve()).finally(() => process.exit(sig === "SIGINT" ? 130 : 143));
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    setRemoveAll: (f: () => Promise<void>) => {
      removeAll = f;
    },
    caught: () => caught,
    dispose: () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}

/** The results on stdout: the --json document, or the summary table (every planned cell, with its footnotes). */
async function printResults(options: RunOptions, outcome: RunOutcome, cells: readonly string[]): Promise<void> {
  if (options.json) {
    const { jsonSummary } = await import("../../report/json-summary.js");
    const status = outcome.interrupted ? "interrupted" : "completed";
    out(
      JSON.stringify(
        jsonSummary({
          runId: outcome.runId,
          runDir: outcome.runDir,
          status,
          shard: outcome.shard,
          summary: outcome.summary,
          gates: outcome.gates,
        }),
      ),
    );
    return;
  }
  const { formatSummaryTable } = await import("../../report/format.js");
  out(formatSummaryTable(outcome.summary, { cells, width: process.stdout.isTTY ? process.stdout.columns : undefined }));
}

async function runOrGrade(args: Record<string, unknown>, raw: readonly string[], command: Command): Promise<number> {
  const { options, defaultModel } = await resolveCommandOptions(args, raw, command);
  const { executeRun } = await import("../../runner/run.js");
  const { ProgressReporter, progressMode } = await import("../../runner/progress.js");
  const progress = new ProgressReporter({
    mode: progressMode({ quiet: options.quiet, isTTY: process.stderr.isTTY === true, env: process.env }),
    write: (text) => process.stderr.write(text),
    columns: () => process.stderr.columns,
  });
  const controller = new AbortController();
  // The notice goes through the progress display, so the live block is redrawn below it instead of over it.
  const signals = signalHandling(controller, (line) => progress.log(line));
  try {
    const outcome = await executeRun(options, {
      docker: await docker(),
      log: progress.log,
      progress,
      env: process.env,
      cwd: process.cwd(),
      defaultModel,
      signal: controller.signal,
      onSandboxes: (tracker) => signals.setRemoveAll(() => tracker.removeAll()),
    });
    await printResults(
      options,
      outcome,
      progress.snapshot().map((c) => c.cell),
    );
    if (outcome.interrupted) return signals.caught() === "SIGTERM" ? 143 : 130;
    return await failureExit(outcome.failures, outcome.gates, log);
  } finally {
    signals.dispose();
  }
}

const EXAMPLES: [string, string][] = [
  ["$0 run --dataset swe-lite", "the built-in dataset against the built-in mock model"],
  [
    "$0 run --dataset swe-bench-lite --model bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0 --region us-west-2 --region us-east-1",
    "one model in two regions (two cells)",
  ],
  ["$0 run --dataset swe-lite --model openai/gpt-4o --max-cost 5 --json", "stop starting tasks after $5; one JSON summary on stdout"],
  ["$0 run --resume results/20260101-120000Z --rerun-errors", "continue a run, re-running its infrastructure errors"],
];

export const runCommand: BenchCommand = {
  command: "run",
  describe: "Run a dataset against one or more models (cells = model × region)",
  builder: (y) => {
    addRunFlags(y, "run");
    for (const [cmd, what] of EXAMPLES) y.example(cmd, what);
    return y;
  },
  run: (args, raw) => runOrGrade(args, raw, "run"),
};

export const gradeCommand: BenchCommand = {
  command: "grade",
  describe:
    "Grade SWE-bench predictions (any system's patches, or `gold`) exactly as SWE-bench grades them; one cell per model_name_or_path",
  builder: (y) =>
    addRunFlags(y, "grade")
      .example("$0 grade --dataset swe-bench-lite --predictions preds.jsonl", "grade a system's patches")
      .example("$0 grade --dataset swe-lite --predictions gold", "check that every gold patch resolves its task"),
  run: (args, raw) => runOrGrade(args, raw, "grade"),
};
