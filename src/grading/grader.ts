// Grades a patch as SWE-bench's harness does, in a workspace at the task's base state (a new container, or the
// agent's after Sandbox.reset): apply the model patch (SWE-bench's fallbacks), run the eval script (test files reset
// to base, test patch applied, the spec's test command on the test files), read the log with the repo's parser and
// SWE-bench's verdict rule (src/grading/swebench-grading.ts).

import { listedTestFiles, makeEvalScript, TEST_PATCH_APPLY_FAILED, testDirectives } from "./eval-script.js";
import {
  APPLY_PATCH_FAIL,
  APPLY_PATCH_PASS,
  gradeLog,
  type GradeResult as LogVerdict,
  instanceReport,
  type InstanceReportEntry,
  type TestsReport,
} from "./swebench-grading.js";
import type { Task } from "../datasets/types.js";
import { gradingOf, type GradedTask, type TaskGrading } from "./task-grading.js";
import { workspaceSpec } from "./workspace.js";
import type { Sandbox, SandboxProvider, WorkspaceSpec } from "../sandbox/types.js";

export interface GradeOptions {
  image: string;
  labels: Record<string, string>;
  /** Test run timeout, seconds (SWE-bench: 1800). @default 1800 */
  timeoutSec?: number;
  /** Run the tests for an empty patch too (SWE-bench does not: an empty patch is unresolved unrun). @default false */
  runEmpty?: boolean;
}

export interface TestTally {
  passed: number;
  total: number;
  failing: string[];
}

/** Why a graded patch is not resolved for reasons other than its tests (its result's error_class). */
export type GradeFailure = "empty_patch" | "patch_apply" | "test_patch" | "tests_timeout" | "no_test_results";

export interface GradeResult {
  resolved: boolean;
  failToPass: TestTally;
  passToPass: TestTally;
  /** The model patch applied (true for an empty patch, which has nothing to apply). */
  patchApplied: boolean;
  /** The grading log: the patch steps, then the eval script's whole output (SWE-bench's test_output.txt). */
  log: string;
  /** The eval script that ran (SWE-bench's eval.sh); absent when nothing ran. */
  evalScript?: string;
  /** Every listed test (FAIL_TO_PASS, then PASS_TO_PASS): its status in the log, `MISSING` when absent. */
  tests: Record<string, string>;
  /** SWE-bench's tests_status (null where its report has none). */
  testsStatus: TestsReport | null;
  /** SWE-bench's per-instance report.json. */
  report: Record<string, InstanceReportEntry>;
  failure?: { class: GradeFailure; message: string };
}

/** The workspace SWE-bench grades a task of its layout in: root, network, Docker's default limits. */
export function gradingWorkspaceSpec(task: Task, image: string, labels: Record<string, string>): WorkspaceSpec {
  const spec = workspaceSpec(task, image, labels);
  if (task.repoDir !== undefined) return spec; // a local dataset grades as its agent ran (user, network)
  const { user: _user, activate: _activate, ...rest } = spec; // the eval script activates conda itself
  return { ...rest, network: true, isolation: "docker-default" };
}

/** Grades in a new workspace of the task (removed afterwards). */
export async function gradeTask(
  task: GradedTask,
  modelPatch: string,
  provider: SandboxProvider,
  options: GradeOptions,
): Promise<GradeResult> {
  const sandbox = await provider.create(gradingWorkspaceSpec(task, options.image, options.labels));
  try {
    return await gradeInSandbox(task, modelPatch, sandbox, options);
  } finally {
    await sandbox.remove();
  }
}

/** SWE-bench's model-patch fallbacks, in order (harness GIT_APPLY_CMDS + patch(1)); each leaves what it applied. */
const APPLY_STEPS = [
  "git apply --verbose /tmp/patch.diff",
  "git apply --verbose --3way /tmp/patch.diff",
  "git apply --verbose --reject /tmp/patch.diff",
  "patch --batch --forward --fuzz=5 -p1 -i /tmp/patch.diff",
];
/** A patch the tree already has (`git apply --reverse` would undo it) counts as applied. */
const ALREADY_APPLIED = "git apply --check --reverse /tmp/patch.diff";
/** The largest test log kept; the middle is cut beyond it (a log of this size is far past any real suite's). */
const MAX_LOG_BYTES = 50_000_000;

/** Grades in a workspace at the task's base state (new, or reset: Sandbox.reset); the caller removes it. */
export async function gradeInSandbox(
  task: GradedTask,
  modelPatch: string,
  sandbox: Sandbox,
  options: Pick<GradeOptions, "timeoutSec" | "runEmpty">,
): Promise<GradeResult> {
  const grading = gradingOf(task);
  const log: string[] = [];
  const empty = modelPatch.trim() === "";
  const notRun = (failure: GradeFailureDetail): GradeResult => notRunResult(task, { log, empty, failure, patchApplied: false });
  if (empty && !options.runEmpty) {
    log.push("empty patch: not run (SWE-bench grades an empty patch unresolved without running it)");
    return notRun({ class: "empty_patch", message: "the patch is empty" });
  }
  if (!empty) {
    const applied = await applyModelPatch(sandbox, modelPatch, log);
    if (!applied) {
      log.push(APPLY_PATCH_FAIL);
      return notRun({
        class: "patch_apply",
        message: "the model patch does not apply (git apply, --3way, --reject, patch --forward --fuzz=5 all failed)",
      });
    }
    log.push(APPLY_PATCH_PASS);
  }
  return runEvalScript(task, grading, sandbox, options.timeoutSec ?? 1800, { log, empty });
}

type GradeFailureDetail = NonNullable<GradeResult["failure"]>;

/** A grading that ran no tests (or whose tests gave nothing to grade): every listed test MISSING, unresolved. */
function notRunResult(
  task: GradedTask,
  run: { log: readonly string[]; empty: boolean; failure: GradeFailureDetail; patchApplied: boolean; evalScript?: string | undefined },
): GradeResult {
  const { empty, failure, patchApplied, evalScript } = run;
  const ids = [...task.FAIL_TO_PASS, ...task.PASS_TO_PASS];
  return {
    resolved: false,
    failToPass: { passed: 0, total: task.FAIL_TO_PASS.length, failing: [...task.FAIL_TO_PASS] },
    passToPass: { passed: 0, total: task.PASS_TO_PASS.length, failing: [...task.PASS_TO_PASS] },
    patchApplied,
    log: run.log.join("\n"),
    ...(evalScript !== undefined ? { evalScript } : {}),
    tests: Object.fromEntries(ids.map((id) => [id, "MISSING"])),
    testsStatus: null,
    report: instanceReport(task.instance_id, { patchIsNone: false, patchExists: !empty, patchApplied, resolved: false, testsStatus: null }),
    failure,
  };
}

/** Runs the eval script on the patched tree and grades its log (a time-out or a test patch that fails: not run). */
async function runEvalScript(
  task: GradedTask,
  grading: TaskGrading,
  sandbox: Sandbox,
  timeoutSec: number,
  run: { log: string[]; empty: boolean },
): Promise<GradeResult> {
  const { log } = run;
  const script = evalScriptOf(task, grading);
  const notRun = (failure: GradeFailureDetail): GradeResult =>
    notRunResult(task, { log, empty: run.empty, failure, patchApplied: true, evalScript: script });
  await sandbox.writeFile("/tmp/eval.sh", script);
  const exec = await sandbox.exec("bash /tmp/eval.sh 2>&1", { timeoutSec, maxOutputBytes: MAX_LOG_BYTES });
  const output = `${exec.stdout}${exec.stderr}`;
  log.push(output);
  if (exec.timedOut) {
    log.push(`Timeout error: ${timeoutSec} seconds exceeded.`);
    return notRun({ class: "tests_timeout", message: `the tests did not finish within ${timeoutSec} s (--grading-timeout)` });
  }
  if (output.split("\n").some((line) => line === TEST_PATCH_APPLY_FAILED)) {
    return notRun({ class: "test_patch", message: "the test patch does not apply to the patched repository" });
  }
  const verdict = gradeLog({
    log: output,
    parser: grading.parser,
    failToPass: task.FAIL_TO_PASS,
    passToPass: task.PASS_TO_PASS,
    ...(task.eval_type === "fail_only" ? { evalType: "fail_only" as const } : {}),
  });
  return gradedResult(task, verdict, { log, script, empty: run.empty });
}

/** The result of a log that was graded (or, not gradable, failed as no_test_results). */
function gradedResult(task: GradedTask, verdict: LogVerdict, run: { log: readonly string[]; script: string; empty: boolean }): GradeResult {
  return {
    resolved: verdict.resolved,
    failToPass: tally(task.FAIL_TO_PASS, verdict.testsStatus?.FAIL_TO_PASS),
    passToPass: tally(task.PASS_TO_PASS, verdict.testsStatus?.PASS_TO_PASS),
    patchApplied: true,
    log: run.log.join("\n"),
    evalScript: run.script,
    tests: verdict.statuses,
    testsStatus: verdict.testsStatus,
    report: instanceReport(task.instance_id, {
      patchIsNone: false,
      patchExists: !run.empty,
      patchApplied: verdict.gradable,
      resolved: verdict.resolved,
      testsStatus: verdict.testsStatus,
      infraFailure: verdict.infraFailure,
    }),
    ...(verdict.gradable
      ? {}
      : { failure: { class: "no_test_results" as const, message: verdict.error ?? "the log has no test results" } }),
  };
}

/** A listed test group's tally: the tests its report counts as success pass; without a report, none. */
function tally(list: readonly string[], report: { success: string[]; failure: string[] } | undefined): TestTally {
  const failing = report ? list.filter((id) => !report.success.includes(id)) : [...list];
  return { passed: list.length - failing.length, total: list.length, failing };
}

/** Applies the model patch with SWE-bench's fallbacks, logging each step; true when it applied (or already was). */
async function applyModelPatch(sandbox: Sandbox, modelPatch: string, log: string[]): Promise<boolean> {
  await sandbox.writeFile("/tmp/patch.diff", modelPatch.endsWith("\n") ? modelPatch : `${modelPatch}\n`);
  for (const [i, step] of APPLY_STEPS.entries()) {
    const r = await sandbox.exec(step, { timeoutSec: 300 });
    log.push(`$ ${step}\n${r.stdout}${r.stderr}[exit ${r.exitCode}]`);
    if (r.exitCode === 0) return true;
    if (i === 0) {
      const reverse = await sandbox.exec(ALREADY_APPLIED, { timeoutSec: 300 });
      log.push(`$ ${ALREADY_APPLIED}\n${reverse.stdout}${reverse.stderr}[exit ${reverse.exitCode}]`);
      if (reverse.exitCode === 0) {
        log.push("the patch is already applied");
        return true;
      }
    }
  }
  return false;
}

/**
 * The eval script of a task: the row's own (v5 rows), or SWE-bench's made from its spec, over the test patch's files
 * plus the files of listed tests the test patch does not touch. A local dataset's workspace has no conda: its
 * activation lines are skipped there rather than failing loudly in every log.
 */
export function evalScriptOf(task: GradedTask, grading: TaskGrading = gradingOf(task)): string {
  if (grading.evalScript !== undefined) return grading.evalScript.endsWith("\n") ? grading.evalScript : `${grading.evalScript}\n`;
  const directives = grading.directives ? testDirectives(task, listedTestFiles([...task.FAIL_TO_PASS, ...task.PASS_TO_PASS])) : [];
  const script = makeEvalScript({
    repo: task.repo,
    base_commit: task.base_commit,
    test_patch: task.test_patch,
    spec: grading.spec!,
    directives,
  });
  if (task.repoDir === undefined) return script;
  return script
    .split("\n")
    .map((line) =>
      line === "source /opt/miniconda3/bin/activate" || line === "conda activate testbed"
        ? `[ -f /opt/miniconda3/bin/activate ] && ${line}`
        : line,
    )
    .join("\n");
}
