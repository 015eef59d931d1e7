// The SWE-bench eval script (`bash /eval.sh`, as v4.1.0's make_eval_script_list_py builds it) and its test directives.
//
// Differences from v4.1.0, all additive or for safety (see each comment):
// - the test command's own exit status is recorded as SWE-bench HEAD (v5) does (record_test_exit_code): `$?` kept
//   right after the tests, then `>>>>> Test Exit Code: <n>` echoed after the end marker, where no parser reads it.
//   The script runs without `-e` and ends with a `git checkout`, so its own status says nothing about the tests;
// - a test patch that does not apply prints `>>>>> Test Patch Apply Failed` (SWE-bench has no marker for it, in
//   v4.1.0 or HEAD: git's `error: ... patch does not apply` goes to the log and the tests run anyway);
// - an empty test patch is not applied (git would fail on it and print the marker above);
// - a test patch that touches no file existing at base resets nothing (v4.1.0 would run a bare
//   `git checkout <base>`, which moves HEAD);
// - file paths and the base commit are shell-quoted when they hold characters outside a safe set (SWE-bench
//   pastes them raw; identical output for ordinary paths).

import { shellWord } from "../util/shell-quote.js";
import type { RepoSpec } from "./specs.js";
import { END_TEST_OUTPUT, START_TEST_OUTPUT, testExitCodeScriptLines } from "./swebench-grading.js";

/** File endings whose files are never run as tests (SWE-bench NON_TEST_EXTS; `csv` has no dot there either). */
export const NON_TEST_EXTS = [".json", ".png", "csv", ".txt", ".md", ".jpg", ".jpeg", ".pkl", ".yml", ".yaml", ".toml"] as const;

/** Printed at the start of a line when `git apply` of the test patch fails (our addition; SWE-bench has none). */
export const TEST_PATCH_APPLY_FAILED = ">>>>> Test Patch Apply Failed";
/** SWE-bench's heredoc delimiter for the test patch. */
export const HEREDOC_DELIMITER = "EOF_114329324912";

const REPO_DIR = "/testbed";
const ENV_NAME = "testbed";

/**
 * The test directives for a task, as SWE-bench's get_test_directives: every `b/` path of the test patch's
 * `diff --git` lines minus NON_TEST_EXTS; for django, dotted module names under tests/
 * (`tests/admin_views/tests.py` → `admin_views.tests`). Other repos (sympy included) take the paths as they are.
 * `extraFiles` (files of listed tests the test patch does not touch) go after, transformed alike, without duplicates.
 */
export function testDirectives(task: { repo: string; test_patch: string }, extraFiles: string[] = []): string[] {
  // Like Python's re.findall without DOTALL: anywhere in the text, `.` stopping at "\n" only.
  const fromPatch = [...task.test_patch.matchAll(/diff --git a\/[^\n]* b\/([^\n]*)/g)].map((m) => m[1] ?? "");
  const keep = (file: string) => !NON_TEST_EXTS.some((ext) => file.endsWith(ext));
  const transform = (file: string) => (task.repo === "django/django" ? djangoModule(file) : file);
  const directives = fromPatch.filter(keep).map(transform);
  const seen = new Set(directives);
  for (const file of extraFiles.filter(keep).map(transform)) {
    if (seen.has(file)) continue;
    seen.add(file);
    directives.push(file);
  }
  return directives;
}

function djangoModule(file: string): string {
  let d = file.endsWith(".py") ? file.slice(0, -".py".length) : file;
  d = d.startsWith("tests/") ? d.slice("tests/".length) : d;
  return d.replaceAll("/", ".");
}

/**
 * Test files named by pytest-style ids (`path/to/test_x.py::Class::test[param]` → `path/to/test_x.py`), in
 * first-seen order without duplicates. Ids without `::` (django's `test (module.Class)`, sympy's `test_x`) name no file.
 */
export function listedTestFiles(ids: string[]): string[] {
  const files: string[] = [];
  for (const id of ids) {
    const at = id.indexOf("::");
    if (at <= 0) continue;
    const file = id.slice(0, at).trim();
    if (file !== "" && !files.includes(file)) files.push(file);
  }
  return files;
}

/**
 * The files a patch changes that exist before it (SWE-bench get_modified_files: unidiff source files that are
 * not /dev/null): modified, deleted and renamed-from files, not the ones it creates. These are what
 * `git checkout <base>` can restore.
 */
export function filesAtBase(patch: string): string[] {
  const lines = patch.split("\n");
  const files: string[] = [];
  const add = (file: string | undefined) => {
    if (file && !files.includes(file)) files.push(file);
  };
  if (lines.some((l) => l.startsWith("diff --git "))) {
    // Git diffs: the header names the source (split at the last " b/", as unidiff's greedy regex does);
    // `new file mode` before the first hunk makes it /dev/null.
    let source: string | undefined;
    let inHeader = false;
    const flush = () => {
      add(source);
      source = undefined;
    };
    for (const line of lines) {
      const header = /^diff --git (a\/[^\t\n]+) (b\/[^\t\n]+)/.exec(line);
      if (header) {
        flush();
        const a = header[1] ?? "";
        source = a.startsWith("a/") ? a.slice(2) : undefined;
        inHeader = true;
      } else if (inHeader && line.startsWith("new file mode")) {
        source = undefined;
      } else if (line.startsWith("@@")) {
        inHeader = false;
      }
    }
    flush();
    return files;
  }
  // Plain unified diffs: the `--- a/path` line right before a `+++ ` line.
  for (let i = 0; i + 1 < lines.length; i++) {
    const line = lines[i] ?? "";
    if (!line.startsWith("--- ") || !(lines[i + 1] ?? "").startsWith("+++ ")) continue;
    const name = line.slice(4).split("\t")[0] ?? "";
    if (name.startsWith("a/")) add(name.slice(2));
  }
  return files;
}

export interface EvalScriptInput {
  repo: string;
  /** The task's base commit; a task without one is graded against the workspace's `HEAD`. */
  base_commit?: string | undefined;
  test_patch: string;
  spec: RepoSpec;
  /** From testDirectives. */
  directives: string[];
}

/**
 * The bash eval script, run as `bash /eval.sh` with stdout and stderr merged. `set -uxo pipefail` without `-e`:
 * every step runs whatever the previous one did, so the test files are always reset at the end.
 */
export function makeEvalScript(input: EvalScriptInput): string {
  const { test_patch, spec, directives } = input;
  const base = shellWord(input.base_commit && input.base_commit.trim() !== "" ? input.base_commit : "HEAD");
  if (test_patch.split("\n").includes(HEREDOC_DELIMITER)) {
    throw new Error(`the test patch contains the heredoc delimiter line ${HEREDOC_DELIMITER}`);
  }
  const testFiles = filesAtBase(test_patch);
  const reset = testFiles.length > 0 ? `git checkout ${base} ${testFiles.map(shellWord).join(" ")}` : 'echo "No test files to reset"';

  const lines = ["#!/bin/bash", "set -uxo pipefail", "source /opt/miniconda3/bin/activate", `conda activate ${ENV_NAME}`, `cd ${REPO_DIR}`];
  lines.push(...(spec.eval_commands ?? []));
  lines.push(
    `git config --global --add safe.directory ${REPO_DIR}`,
    `cd ${REPO_DIR}`,
    // Informational: a record of the state the tests run on.
    "git status",
    "git show",
    `git -c core.fileMode=false diff ${base}`,
    "source /opt/miniconda3/bin/activate",
    `conda activate ${ENV_NAME}`,
  );
  // Re-install after the model's patch: compiled extensions and entry points must reflect it.
  if (spec.install) lines.push(spec.install);
  lines.push(reset);
  if (test_patch.trim() !== "") {
    lines.push(`git apply -v - <<'${HEREDOC_DELIMITER}'\n${test_patch}\n${HEREDOC_DELIMITER}`);
    // `$?` is git apply's; set -x traces this echo as `+ echo '...'`, so the bare marker line is printed once.
    lines.push(`if [ $? -ne 0 ]; then echo '${TEST_PATCH_APPLY_FAILED}'; fi`);
  }
  lines.push(`: '${START_TEST_OUTPUT}'`);
  lines.push(...testCommands(spec.test_cmd, directives));
  // `$?` kept before anything else runs, echoed after the end marker (HEAD's lines, shared with the grader that reads
  // them). set -x traces the echo as `+ echo '>>>>> Test Exit Code: 0'`: only the echo's output starts a line with it.
  lines.push(...testExitCodeScriptLines(`: '${END_TEST_OUTPUT}'`));
  // Leave the test files as they were before the test patch.
  lines.push(reset);
  return `${lines.join("\n")}\n`;
}

/** A string test_cmd gets the directives; for a list, the earlier commands run as they are and the last gets them. */
function testCommands(testCmd: string | string[], directives: string[]): string[] {
  const commands = typeof testCmd === "string" ? [testCmd] : [...testCmd];
  const last = commands.pop();
  if (last === undefined) throw new Error("spec has an empty test_cmd list");
  return [...commands, [last, ...directives.map(shellWord)].join(" ")];
}
