// Shared set-up for Docker integration tests: the image from global setup, a provider, a tiny task.

import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";
import { inject } from "vitest";
import type { Task } from "../../src/datasets/types.js";
import type { ModelClient } from "../../src/models/types.js";
import { DEFAULT_RETRY_POLICY } from "../../src/runner/retry.js";
import type { TaskContext } from "../../src/runner/task.js";
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

/**
 * A runTask context for MINI_TASK in the mock/oracle cell: run id `<prefix>-<name>-<pid>`, its own Docker provider,
 * output under `runDir`/tasks/<name>/, generous limits; `overrides` last.
 */
export function miniTaskContext(
  prefix: string,
  name: string,
  runDir: string,
  client: ModelClient,
  overrides: Partial<TaskContext> = {},
): TaskContext {
  const runId = `${prefix}-${name}-${process.pid}`;
  return {
    runId,
    runDir,
    task: MINI_TASK,
    cell: { provider: "mock", model: "oracle", cell: "mock/oracle" },
    taskDir: path.join("tasks", name, MINI_TASK.instance_id),
    client,
    sandboxes: provider(runId),
    image: sandboxImage(),
    limits: { maxIterations: 20, maxFakeResponses: 4 },
    retry: DEFAULT_RETRY_POLICY,
    commandTimeoutSec: 60,
    gradingTimeoutSec: 300,
    attempt: 1,
    ...overrides,
  };
}

/** Containers of a run, any state. */
export const containersOf = async (runId: string): Promise<number> =>
  (await docker.listContainers({ all: true, filters: { label: [`bench.run-id=${runId}`] } })).length;

/** A TCP port free on 127.0.0.1 right now (for a daemon the test starts). */
export function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const probe = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.on("error", reject);
  });
}
