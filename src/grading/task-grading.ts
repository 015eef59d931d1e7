// How a task is graded, resolved from its dataset row when the dataset loads: the row's own eval_script, bench's
// test_cmd, SWE-bench's spec for its repo and version (--specs first), or pytest for a local dataset. Grading owns this;
// the dataset loader only calls it (LoadOptions.completeTask) so its problems are named by row, in loading order.

import type { LoadOptions } from "../datasets/load.js";
import type { Task } from "../datasets/types.js";
import { UsageError } from "../errors.js";
import { knownParserNames, parserFromName, REPO_LOG_PARSER, type LogParserName } from "./log-parsers.js";
import { SWEBENCH_SPECS, specFor, type RepoSpec, type SpecsOverrides } from "./specs.js";

/** How a task's tests run and are read (docs/ARCHITECTURE.md "Grading"). */
export interface TaskGrading {
  /** `spec`: SWE-bench's table for repo + version; `specs-file`: --specs; `row`: the row's own eval_script; `test_cmd`: bench's own field; `default`: pytest. */
  source: "spec" | "specs-file" | "row" | "test_cmd" | "default";
  /** Our parser name (src/grading/log-parsers.ts LogParserName). */
  parser: LogParserName;
  /** The spec the eval script is made from (absent for `row`). */
  spec?: RepoSpec;
  /** The test directives (test files) follow the test command; false for bench's `test_cmd`, which is complete. */
  directives: boolean;
  /** The row's own script (source `row`). */
  evalScript?: string;
}

/** A task with its grading, resolved when its dataset was loaded (withGrading); absent: bench's pytest default. */
export type GradedTask = Task & { grading?: TaskGrading };

/** A local dataset's test command when its rows name neither a spec nor a test_cmd: pytest over the test files. */
export const DEFAULT_TEST_CMD = "python -m pytest -rA";

/** What resolving a dataset's gradings needs beyond its rows. */
export interface GradingOptions {
  /** --specs: repo → version → spec, over SWE-bench's table. */
  specs?: SpecsOverrides;
  /** File the specs came from (for messages). */
  specsFile?: string;
}

/** Load options that resolve each task's grading as the dataset loads (the first problem stops loading). */
export function withGrading(options: GradingOptions = {}): Required<Pick<LoadOptions<GradedTask>, "completeTask">> {
  return { completeTask: (task, where, local): GradedTask => ({ ...task, grading: resolveGrading(task, where, local, options) }) };
}

/**
 * How a task is graded: the row's own eval_script (v5 rows), bench's `test_cmd`, SWE-bench's spec for its repo and
 * version (--specs first), or, for a local dataset, pytest over the test patch's files. A SWE-bench row with none of
 * these cannot be graded the way SWE-bench grades it: a usage error naming the row, not a guess.
 */
export function resolveGrading(task: Task, where: string, local: boolean, options: GradingOptions = {}): TaskGrading {
  const rowParser = task.log_parser !== undefined ? parserFromName(task.log_parser) : undefined;
  if (task.log_parser !== undefined && rowParser === undefined) {
    throw new UsageError(`${where}: field log_parser: unknown parser "${task.log_parser}" (known: ${knownParserNames().join(", ")})`);
  }
  const repoParser = REPO_LOG_PARSER[task.repo];
  if (task.eval_script !== undefined) {
    const parser = rowParser ?? repoParser;
    if (parser === undefined)
      throw new UsageError(`${where}: field log_parser: required with eval_script for repo ${task.repo} (no parser known for it)`);
    return { source: "row", parser, evalScript: task.eval_script, directives: false };
  }
  if (task.test_cmd !== undefined)
    return { source: "test_cmd", parser: rowParser ?? "pytest", spec: { test_cmd: task.test_cmd }, directives: false };
  const own = options.specs !== undefined && task.version !== undefined ? options.specs[task.repo]?.[task.version] : undefined;
  const spec = specFor(task.repo, task.version ?? "", options.specs);
  if (spec !== undefined) {
    const specParser = spec.log_parser !== undefined ? parserFromName(spec.log_parser) : undefined;
    if (spec.log_parser !== undefined && specParser === undefined) {
      throw new UsageError(
        `${options.specsFile ?? "--specs"}: ${task.repo}.${task.version}.log_parser: unknown parser "${spec.log_parser}" (known: ${knownParserNames().join(", ")})`,
      );
    }
    return {
      source: own !== undefined ? "specs-file" : "spec",
      parser: rowParser ?? specParser ?? repoParser ?? "pytest",
      spec,
      directives: true,
    };
  }
  if (local) return { source: "default", parser: rowParser ?? "pytest", spec: { test_cmd: DEFAULT_TEST_CMD }, directives: true };
  const versions = Object.keys(SWEBENCH_SPECS[task.repo] ?? {});
  const known =
    versions.length > 0 ? `known versions of ${task.repo}: ${versions.join(", ")}` : `${task.repo} is not one of SWE-bench's repositories`;
  throw new UsageError(
    `${where}: field version: no SWE-bench spec for ${task.repo} version ${task.version === undefined ? "(missing)" : JSON.stringify(task.version)} (${known}); ` +
      "give one with --specs FILE, or a test_cmd / eval_script in the row",
  );
}

/** The grading of a task: resolved when its dataset loaded, else (tests' own Task objects) bench's pytest default. */
export function gradingOf(task: GradedTask): TaskGrading {
  if (task.grading) return task.grading;
  if (task.test_cmd !== undefined) return { source: "test_cmd", parser: "pytest", spec: { test_cmd: task.test_cmd }, directives: false };
  return { source: "default", parser: "pytest", spec: { test_cmd: DEFAULT_TEST_CMD }, directives: true };
}
