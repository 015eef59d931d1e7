// The SWE-bench eval script: test directives, test files at base, whole scripts, bash syntax, and the markers at run time.

import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { filesAtBase, listedTestFiles, makeEvalScript, testDirectives } from "../../src/grading/eval-script.js";
import { specFor, type RepoSpec } from "../../src/grading/specs.js";
import { APPLY_PATCH_FAIL, parseTestExitCode } from "../../src/grading/swebench-grading.js";

const dir = mkdtempSync(path.join(tmpdir(), "bench-eval-script-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DJANGO_PATCH = `diff --git a/tests/admin_views/tests.py b/tests/admin_views/tests.py
--- a/tests/admin_views/tests.py
+++ b/tests/admin_views/tests.py
@@ -1,3 +1,4 @@
 import os
+import re
 
 from django.test import TestCase
diff --git a/tests/admin_views/fixtures/data.json b/tests/admin_views/fixtures/data.json
new file mode 100644
--- /dev/null
+++ b/tests/admin_views/fixtures/data.json
@@ -0,0 +1 @@
+[]
`;

const PYTEST_PATCH = `diff --git a/testing/test_mark.py b/testing/test_mark.py
index 1111111..2222222 100644
--- a/testing/test_mark.py
+++ b/testing/test_mark.py
@@ -1,2 +1,3 @@
 import pytest
+import sys
 
diff --git a/testing/test_new.py b/testing/test_new.py
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/testing/test_new.py
@@ -0,0 +1,2 @@
+def test_new():
+    assert True
`;

describe("testDirectives", () => {
  it("django: dotted module names under tests/, data files left out", () => {
    expect(testDirectives({ repo: "django/django", test_patch: DJANGO_PATCH })).toEqual(["admin_views.tests"]);
    const nested = "diff --git a/tests/auth_tests/models/custom.py b/tests/auth_tests/models/custom.py\n--- a/x\n+++ b/x\n";
    expect(testDirectives({ repo: "django/django", test_patch: nested })).toEqual(["auth_tests.models.custom"]);
  });

  it("other repos keep the paths; NON_TEST_EXTS (csv without its dot, as SWE-bench has it) are excluded", () => {
    const patch = [
      "sympy/core/tests/test_basic.py",
      "sympy/core/tests/data.txt",
      "doc/changes.md",
      "tests/baseline.png",
      "tests/table.csv",
      "tests/readcsv",
      "pyproject.toml",
      "tests/conf.yaml",
      "tests/cfg.yml",
      "tests/blob.pkl",
      "tests/img.jpg",
      "tests/img.jpeg",
      "tests/expected.json",
      "sympy/core/tests/test_args.py",
    ]
      .map((f) => `diff --git a/${f} b/${f}\n--- a/${f}\n+++ b/${f}\n@@ -1 +1 @@\n-a\n+b\n`)
      .join("");
    expect(testDirectives({ repo: "sympy/sympy", test_patch: patch })).toEqual([
      "sympy/core/tests/test_basic.py",
      "sympy/core/tests/test_args.py",
    ]);
  });

  it("takes the b/ side of a rename and appends extra files after the patch's, without duplicates", () => {
    const rename =
      "diff --git a/tests/test_old.py b/tests/test_renamed.py\nsimilarity index 90%\nrename from tests/test_old.py\nrename to tests/test_renamed.py\n";
    expect(
      testDirectives({ repo: "psf/requests", test_patch: rename }, [
        "tests/test_renamed.py",
        "tests/test_utils.py",
        "tests/test_utils.py",
        "tests/fixture.json",
      ]),
    ).toEqual(["tests/test_renamed.py", "tests/test_utils.py"]);
    expect(testDirectives({ repo: "pytest-dev/pytest", test_patch: PYTEST_PATCH })).toEqual([
      "testing/test_mark.py",
      "testing/test_new.py",
    ]);
  });
});

describe("listedTestFiles", () => {
  it("takes the path before the first :: and skips ids without one", () => {
    expect(
      listedTestFiles([
        "path/to/test_x.py::Class::test[param]",
        "path/to/test_x.py::test_other",
        "testing/python/collect.py::TestX::test_y[a::b]",
        "test_fields (model_fields.tests.BasicFieldTests)",
        "test_issue_1234",
        "::weird",
      ]),
    ).toEqual(["path/to/test_x.py", "testing/python/collect.py"]);
  });
});

describe("filesAtBase", () => {
  it("lists modified, deleted and renamed-from files, not created ones", () => {
    const patch = [
      PYTEST_PATCH,
      "diff --git a/testing/gone.py b/testing/gone.py\ndeleted file mode 100644\n--- a/testing/gone.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n",
      "diff --git a/testing/old name.py b/testing/new.py\nsimilarity index 100%\nrename from testing/old name.py\nrename to testing/new.py\n",
    ].join("");
    expect(filesAtBase(patch)).toEqual(["testing/test_mark.py", "testing/gone.py", "testing/old name.py"]);
    expect(filesAtBase(DJANGO_PATCH)).toEqual(["tests/admin_views/tests.py"]);
    expect(filesAtBase("--- a/src/x.py\t2020-01-01\n+++ b/src/x.py\n@@ -1 +1 @@\n-a\n+b\n--- /dev/null\n+++ b/src/y.py\n")).toEqual([
      "src/x.py",
    ]);
  });
});

describe("makeEvalScript", () => {
  const BASE = "e7fd69d051eaa67cb17f172a39b57253e9cb831a";

  it("django 3.0: the whole script", () => {
    const spec = specFor("django/django", "3.0");
    if (!spec) throw new Error("no spec");
    const script = makeEvalScript({
      repo: "django/django",
      base_commit: BASE,
      test_patch: DJANGO_PATCH,
      spec,
      directives: testDirectives({ repo: "django/django", test_patch: DJANGO_PATCH }),
    });
    expect(script).toBe(`#!/bin/bash
set -uxo pipefail
source /opt/miniconda3/bin/activate
conda activate testbed
cd /testbed
sed -i '/en_US.UTF-8/s/^# //g' /etc/locale.gen && locale-gen
export LANG=en_US.UTF-8
export LANGUAGE=en_US:en
export LC_ALL=en_US.UTF-8
git config --global --add safe.directory /testbed
cd /testbed
git status
git show
git -c core.fileMode=false diff ${BASE}
source /opt/miniconda3/bin/activate
conda activate testbed
python -m pip install -e .
git checkout ${BASE} tests/admin_views/tests.py
git apply -v - <<'EOF_114329324912'
${DJANGO_PATCH}
EOF_114329324912
if [ $? -ne 0 ]; then echo '>>>>> Test Patch Apply Failed'; fi
: '>>>>> Start Test Output'
./tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1 admin_views.tests
SWEBENCH_TEST_EXIT_CODE=$?
: '>>>>> End Test Output'
echo ">>>>> Test Exit Code: $SWEBENCH_TEST_EXIT_CODE"
git checkout ${BASE} tests/admin_views/tests.py
`);
    const file = path.join(dir, "django.sh");
    writeFileSync(file, script);
    const check = spawnSync("bash", ["-n", file], { encoding: "utf8" });
    expect(check.stderr).toBe("");
    expect(check.status).toBe(0);
  });

  it("pytest 5.4 without a base commit: HEAD, no eval_commands, new test files not reset, extra listed files run", () => {
    const spec = specFor("pytest-dev/pytest", "5.4");
    if (!spec) throw new Error("no spec");
    const extra = listedTestFiles(["testing/test_mark.py::test_a", "testing/python/collect.py::TestX::test_y"]);
    const directives = testDirectives({ repo: "pytest-dev/pytest", test_patch: PYTEST_PATCH }, extra);
    const script = makeEvalScript({ repo: "pytest-dev/pytest", test_patch: PYTEST_PATCH, spec, directives });
    expect(script).toBe(`#!/bin/bash
set -uxo pipefail
source /opt/miniconda3/bin/activate
conda activate testbed
cd /testbed
git config --global --add safe.directory /testbed
cd /testbed
git status
git show
git -c core.fileMode=false diff HEAD
source /opt/miniconda3/bin/activate
conda activate testbed
python -m pip install -e .
git checkout HEAD testing/test_mark.py
git apply -v - <<'EOF_114329324912'
${PYTEST_PATCH}
EOF_114329324912
if [ $? -ne 0 ]; then echo '>>>>> Test Patch Apply Failed'; fi
: '>>>>> Start Test Output'
pytest -rA testing/test_mark.py testing/test_new.py testing/python/collect.py
SWEBENCH_TEST_EXIT_CODE=$?
: '>>>>> End Test Output'
echo ">>>>> Test Exit Code: $SWEBENCH_TEST_EXIT_CODE"
git checkout HEAD testing/test_mark.py
`);
    const file = path.join(dir, "pytest.sh");
    writeFileSync(file, script);
    expect(spawnSync("bash", ["-n", file], { encoding: "utf8" }).status).toBe(0);
  });

  it("a test_cmd list runs its commands in order, the last with the directives; odd paths are quoted; no reset without base files", () => {
    const spec: RepoSpec = { test_cmd: ["make build", "pytest -rA"] };
    const patch = "diff --git a/t/test it.py b/t/test it.py\nnew file mode 100644\n--- /dev/null\n+++ b/t/test it.py\n@@ -0,0 +1 @@\n+x\n";
    const script = makeEvalScript({
      repo: "acme/widgets",
      base_commit: "",
      test_patch: patch,
      spec,
      directives: testDirectives({ repo: "acme/widgets", test_patch: patch }),
    });
    expect(script).toContain(`echo "No test files to reset"\ngit apply -v - <<'EOF_114329324912'\n`);
    expect(script).toContain(`: '>>>>> Start Test Output'\nmake build\npytest -rA 't/test it.py'\nSWEBENCH_TEST_EXIT_CODE=$?\n`);
    expect(script).toContain("git -c core.fileMode=false diff HEAD\n");
    expect(script).not.toContain("python -m pip");
  });

  it("refuses a test patch holding the heredoc delimiter line", () => {
    const spec: RepoSpec = { test_cmd: "pytest -rA" };
    expect(() => makeEvalScript({ repo: "a/b", test_patch: "diff --git a/x b/x\n+EOF\nEOF_114329324912\n", spec, directives: [] })).toThrow(
      /heredoc delimiter/,
    );
  });
});

describe("the script at run time (the part from the test-file reset on, in a scratch git repository)", () => {
  // The preamble needs conda and /testbed; everything from the reset on runs in any git checkout.
  function runTail(repoDir: string, testPatch: string): { lines: string[]; status: number | null } {
    const spec: RepoSpec = { test_cmd: "grep -c fixed" };
    const script = makeEvalScript({
      repo: "acme/widgets",
      test_patch: testPatch,
      spec,
      directives: testDirectives({ repo: "acme/widgets", test_patch: testPatch }),
    });
    const from = script.indexOf("git checkout HEAD ");
    const file = path.join(dir, `tail-${Math.random().toString(36).slice(2)}.sh`);
    writeFileSync(file, `#!/bin/bash\nset -uxo pipefail\n${script.slice(from)}`);
    const env = { ...process.env, HOME: dir, GIT_CONFIG_GLOBAL: path.join(dir, "gitconfig"), GIT_CONFIG_NOSYSTEM: "1" };
    const r = spawnSync("bash", [file], { cwd: repoDir, encoding: "utf8", env });
    return { lines: `${r.stdout}${r.stderr}`.split("\n"), status: r.status };
  }

  function scratchRepo(name: string): string {
    const repoDir = path.join(dir, name);
    mkdirSync(path.join(repoDir, "tests"), { recursive: true });
    writeFileSync(path.join(repoDir, "tests", "test_a.py"), "old\n");
    const git = (...args: string[]) => {
      const r = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], {
        cwd: repoDir,
        encoding: "utf8",
        env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: dir },
      });
      if (r.status !== 0) throw new Error(r.stderr);
    };
    git("init", "-q");
    git("add", ".");
    git("commit", "-q", "-m", "base");
    // The model changed the test file: the reset must undo that before the test patch applies.
    writeFileSync(path.join(repoDir, "tests", "test_a.py"), "model edit\n");
    return repoDir;
  }

  const PATCH = "diff --git a/tests/test_a.py b/tests/test_a.py\n--- a/tests/test_a.py\n+++ b/tests/test_a.py\n@@ -1 +1 @@\n-old\n+fixed\n";

  it("resets, applies (despite the blank line before the delimiter), prints the exit code line once, resets again", () => {
    const repoDir = scratchRepo("ok");
    const { lines, status } = runTail(repoDir, PATCH);
    expect(lines.filter((l) => l.startsWith(">>>>> Test Exit Code"))).toEqual([">>>>> Test Exit Code: 0"]);
    expect(lines.filter((l) => l.includes("Test Patch Apply Failed"))).toEqual([]);
    expect(lines).toContain("+ echo '>>>>> Test Exit Code: 0'");
    expect(lines).toContain("+ : '>>>>> Start Test Output'");
    expect(lines).toContain("+ : '>>>>> End Test Output'");
    expect(parseTestExitCode(lines.join("\n"))).toBe(0);
    expect(status).toBe(0);
    expect(readFileSync(path.join(repoDir, "tests", "test_a.py"), "utf8")).toBe("old\n");
  });

  it("a test patch that does not apply prints the marker once and the tests still run", () => {
    const repoDir = scratchRepo("bad");
    const bad = PATCH.replace("-old\n", "-something else\n");
    const { lines } = runTail(repoDir, bad);
    expect(lines.filter((l) => l.startsWith(">>>>> Test Patch Apply Failed"))).toEqual([">>>>> Test Patch Apply Failed"]);
    expect(lines.filter((l) => l.startsWith(">>>>> Test Exit Code"))).toEqual([">>>>> Test Exit Code: 1"]);
    expect(parseTestExitCode(lines.join("\n"))).toBe(1);
    // Not SWE-bench's model-patch marker: the grader tells the two apart.
    expect(lines.join("\n")).not.toContain(APPLY_PATCH_FAIL);
  });
});
