import { describe, expect, it } from "vitest";
import type { Task } from "../../src/datasets/types.js";
import { evalScriptOf, gradingWorkspaceSpec } from "../../src/grading/grader.js";
import { gradingOf, type GradedTask } from "../../src/grading/task-grading.js";

const TEST_PATCH = "diff --git a/tests/test_a.py b/tests/test_a.py\n--- a/tests/test_a.py\n+++ b/tests/test_a.py\n@@ -1 +1 @@\n-x\n+y\n";
const task = (over: Partial<Task>): GradedTask => ({
  instance_id: "o__r-1",
  repo: "o/r",
  problem_statement: "p",
  patch: "",
  test_patch: TEST_PATCH,
  FAIL_TO_PASS: ["tests/test_a.py::test_x"],
  PASS_TO_PASS: ["tests/test_b.py::test_y", "tests/test_a.py::test_z"],
  test_framework: "pytest",
  ...over,
});

describe("evalScriptOf", () => {
  it("a local dataset: pytest over the test patch's files plus the untouched files of listed tests; conda only where it exists", () => {
    const script = evalScriptOf(task({ repoDir: "/repos/o__r-1" }));
    expect(script).toContain(
      "\n[ -f /opt/miniconda3/bin/activate ] && source /opt/miniconda3/bin/activate\n[ -f /opt/miniconda3/bin/activate ] && conda activate testbed\n",
    );
    expect(script).toContain("\npython -m pytest -rA tests/test_a.py tests/test_b.py\n");
    expect(script).toContain("\ngit checkout HEAD tests/test_a.py\n");
  });

  it("a SWE-bench row: the spec's command, conda activated as SWE-bench does, its base commit", () => {
    const row = task({
      repo: "django/django",
      version: "3.0",
      base_commit: "abc123",
      test_patch: TEST_PATCH.replaceAll("tests/test_a.py", "tests/admin_views/tests.py"),
      FAIL_TO_PASS: ["test_x (admin_views.tests.T)"],
      PASS_TO_PASS: [],
    });
    row.grading = {
      source: "spec",
      parser: "django",
      spec: { test_cmd: "./tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1" },
      directives: true,
    };
    const script = evalScriptOf(row);
    expect(script.split("\n").slice(0, 4)).toEqual([
      "#!/bin/bash",
      "set -uxo pipefail",
      "source /opt/miniconda3/bin/activate",
      "conda activate testbed",
    ]);
    expect(script).toContain("\n./tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1 admin_views.tests\n");
    expect(script).toContain("\ngit checkout abc123 tests/admin_views/tests.py\n");
  });

  it("bench's own test_cmd runs as written; a row's eval_script runs as it is", () => {
    expect(gradingOf(task({ test_cmd: "pytest -q t.py" }))).toEqual({
      source: "test_cmd",
      parser: "pytest",
      spec: { test_cmd: "pytest -q t.py" },
      directives: false,
    });
    expect(evalScriptOf(task({ test_cmd: "pytest -q t.py", repoDir: "/r" }))).toContain("\npytest -q t.py\n");
    const own = task({});
    own.grading = { source: "row", parser: "pytest", evalScript: "echo mine", directives: false };
    expect(evalScriptOf(own)).toBe("echo mine\n");
  });
});

describe("gradingWorkspaceSpec", () => {
  it("grades a SWE-bench row as SWE-bench runs it: root, network, Docker's defaults; a local task as its agent ran", () => {
    expect(gradingWorkspaceSpec(task({ image: "swebench/x:latest" }), "builtin:1", { l: "1" })).toEqual({
      image: "swebench/x:latest",
      labels: { l: "1" },
      network: true,
      isolation: "docker-default",
    });
    expect(gradingWorkspaceSpec(task({ repoDir: "/r" }), "builtin:1", {})).toEqual({
      image: "builtin:1",
      labels: {},
      repoDir: "/r",
      user: "1000:1000",
    });
  });
});
