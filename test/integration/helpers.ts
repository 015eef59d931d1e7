// Shared set-up for Docker integration tests: the image from global setup, a provider, a tiny task.

import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";
import { inject } from "vitest";
import type { Task } from "../../src/datasets/types.js";
import { DockerSandboxProvider } from "../../src/sandbox/docker.js";

export const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, "../..");
export const docker = new Docker();

export function sandboxImage(): string {
  return inject("sandboxImage");
}

export function provider(runId: string): DockerSandboxProvider {
  return new DockerSandboxProvider(docker, { runId, ownerPid: process.pid, host: os.hostname() });
}

/** A one-bug task over test/fixtures/mini-repo: clamp() returns low instead of high. */
export const MINI_TASK: Task = {
  instance_id: "mini__clamp-001",
  repo: "mini",
  problem_statement: "clamp(15, 0, 10) returns 0 but it should return 10: values above the range come back as the lower bound.",
  patch: `diff --git a/calc/ops.py b/calc/ops.py
--- a/calc/ops.py
+++ b/calc/ops.py
@@ -4,7 +4,7 @@ def clamp(value, low, high):
     if value < low:
         return low
     if value > high:
-        return low
+        return high
     return value
 
 
`,
  test_patch: `diff --git a/tests/test_ops.py b/tests/test_ops.py
--- a/tests/test_ops.py
+++ b/tests/test_ops.py
@@ -5,5 +5,9 @@ def test_clamp_inside():
     assert clamp(5, 0, 10) == 5
 
 
+def test_clamp_above():
+    assert clamp(15, 0, 10) == 10
+
+
 def test_mean():
     assert mean([1, 2, 3]) == 2
`,
  FAIL_TO_PASS: ["tests/test_ops.py::test_clamp_above"],
  PASS_TO_PASS: ["tests/test_ops.py::test_clamp_inside", "tests/test_ops.py::test_mean"],
  test_framework: "pytest",
  repoDir: path.join(repoRoot, "test/fixtures/mini-repo"),
};
