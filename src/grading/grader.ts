// Grades a patch in a workspace at the task's base state (a new container, or the agent's after Sandbox.reset):
// apply the model patch (with fallbacks), restore and apply the test patch, run the tests, parse the log.

import { filesInPatch } from "../datasets/load.js";
import type { Task } from "../datasets/types.js";
import { shellQuote } from "../agent/tools.js";
import { workspaceSpec } from "../runner/workspace.js";
import type { Sandbox, SandboxProvider } from "../sandbox/types.js";
import { verdict, type Verdict } from "./pytest-log.js";

export interface GradeOptions {
  image: string;
  labels: Record<string, string>;
  /** Test command timeout, seconds. @default 900 */
  timeoutSec?: number;
}

export interface GradeResult extends Verdict {
  patchApplied: boolean;
  /** The grading log: patch application, then the test output. */
  log: string;
}

/** Default test command: pytest over the files the test patch touches. */
export function testCommand(task: Task): string {
  if (task.test_cmd) return task.test_cmd;
  const files = filesInPatch(task.test_patch);
  return `python -m pytest -rA ${files.map(shellQuote).join(" ")}`.trim();
}

const APPLY_STEPS = [
  "git apply --verbose /tmp/bench_model.patch",
  "git apply --verbose --reject --whitespace=fix /tmp/bench_model.patch",
  "patch --batch --fuzz=5 -p1 -i /tmp/bench_model.patch",
];

/** Grades in a new workspace of the task (removed afterwards). */
export async function gradeTask(task: Task, modelPatch: string, provider: SandboxProvider, options: GradeOptions): Promise<GradeResult> {
  // The test run gets the agent's user and network: tests that pass for root (or offline) only would grade unfairly.
  const sandbox = await provider.create(workspaceSpec(task, options.image, options.labels));
  try {
    return await gradeInSandbox(task, modelPatch, sandbox, options);
  } finally {
    await sandbox.remove();
  }
}

/** Grades in a workspace at the task's base state (new, or reset: Sandbox.reset); the caller removes it. */
export async function gradeInSandbox(task: Task, modelPatch: string, sandbox: Sandbox, options: Pick<GradeOptions, "timeoutSec">): Promise<GradeResult> {
  const log: string[] = [];
  let applied = true;
  if (modelPatch.trim() !== "") {
    await sandbox.writeFile("/tmp/bench_model.patch", modelPatch.endsWith("\n") ? modelPatch : `${modelPatch}\n`);
    applied = false;
    for (const step of APPLY_STEPS) {
      const r = await sandbox.exec(step, { timeoutSec: 120 });
      log.push(`$ ${step}\n${r.stdout}${r.stderr}[exit ${r.exitCode}]`);
      if (r.exitCode === 0) {
        applied = true;
        break;
      }
      await sandbox.exec("git checkout -q -- . && git clean -fdq -e '*.rej' && find . -name '*.rej' -delete", { timeoutSec: 60 });
    }
    if (!applied) {
      log.push(">>>>> Patch Apply Failed");
      const f2p = { passed: 0, total: task.FAIL_TO_PASS.length, failing: [...task.FAIL_TO_PASS] };
      const p2p = { passed: 0, total: task.PASS_TO_PASS.length, failing: [...task.PASS_TO_PASS] };
      return { resolved: false, failToPass: f2p, passToPass: p2p, patchApplied: false, log: log.join("\n") };
    }
    log.push(">>>>> Applied Patch");
  }
  // The model must not decide its own tests: put the test files back to base, then apply the test patch.
  const testFiles = filesInPatch(task.test_patch);
  if (testFiles.length > 0) {
    const restore = testFiles
      .map((f) => `if git cat-file -e HEAD:${shellQuote(f)} 2>/dev/null; then git checkout -q HEAD -- ${shellQuote(f)}; else rm -f ${shellQuote(f)}; fi`)
      .join("\n");
    await sandbox.exec(restore, { timeoutSec: 60 });
  }
  await sandbox.writeFile("/tmp/bench_test.patch", task.test_patch.endsWith("\n") ? task.test_patch : `${task.test_patch}\n`);
  const tp = await sandbox.exec("git apply --verbose /tmp/bench_test.patch", { timeoutSec: 120 });
  log.push(`$ git apply --verbose /tmp/bench_test.patch\n${tp.stdout}${tp.stderr}[exit ${tp.exitCode}]`);
  const command = testCommand(task);
  const run = await sandbox.exec(command, { timeoutSec: options.timeoutSec ?? 900, maxOutputBytes: 4_000_000 });
  log.push(`$ ${command}\n${run.stdout}${run.stderr ? `\n[stderr]\n${run.stderr}` : ""}\n[exit ${run.exitCode}${run.timedOut ? ", timed out" : ""}]`);
  const v = verdict(run.stdout + "\n" + run.stderr, task.FAIL_TO_PASS, task.PASS_TO_PASS);
  return { ...v, resolved: v.resolved && tp.exitCode === 0, patchApplied: applied, log: log.join("\n") };
}
