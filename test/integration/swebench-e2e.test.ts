// SWE-bench rows end to end, as a user with a registry runs them: images in SWE-bench's official layout (built from
// Debian packages: pytest projects, a Django project under Django's own runner, a sympy project under sympy's runner)
// pushed to a registry on 127.0.0.1 under their official names, then `bench grade` and `bench run` through the compiled
// CLI, pulling them by name. Docker and the registry are real; nothing is skipped.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Docker from "dockerode";
import { parquetWriteBuffer } from "hyparquet-writer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDataset } from "../../src/datasets/load.js";
import { withGrading } from "../../src/grading/task-grading.js";
import type { TaskResult } from "../../src/report/types.js";
import { workspaceSpec } from "../../src/grading/workspace.js";
import { DockerSandboxProvider } from "../../src/sandbox/docker.js";
import { repoRoot } from "./helpers.js";
import { startRegistry, type LocalRegistry } from "./registry.js";
import { ensureSwebenchImages, FIXTURE_DATASET, officialName, pushToRegistry } from "./swebench-fixture.js";

const docker = new Docker();
const out = mkdtempSync(path.join(os.tmpdir(), "bench-swebench-"));
const rows = loadDataset(FIXTURE_DATASET, undefined, withGrading()).tasks;
const ids = rows.map((t) => t.instance_id);
let registry: LocalRegistry;
let template: string;

/** The compiled CLI in a child process, awaited without blocking this process (the registry's proxy lives here). */
function bench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, "bin/bench.js"), ...args], {
      cwd: repoRoot,
      env: { ...process.env, CI: "true" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
const results = (dir: string): TaskResult[] =>
  readFileSync(path.join(dir, "results.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as TaskResult);
const imageExists = async (name: string) =>
  docker
    .getImage(name)
    .inspect()
    .then(
      () => true,
      () => false,
    );
const parserOf = (id: string) => rows.find((t) => t.instance_id === id)!.grading!.parser;

beforeAll(async () => {
  const tags = await ensureSwebenchImages(docker, (line) => process.stderr.write(`[swebench-fixture] ${line}\n`));
  registry = await startRegistry();
  await pushToRegistry(docker, tags, registry.address);
  template = `${registry.address}/swebench/sweb.eval.x86_64.{id}:latest`;
}, 900_000);

afterAll(async () => {
  for (const id of ids)
    await docker
      .getImage(officialName(id, registry.address))
      .remove()
      .catch(() => undefined);
  await registry?.stop();
});

describe("a SWE-bench row's workspace", () => {
  it("runs the agent's commands as root in /testbed inside the testbed conda env, without network", async () => {
    const tags = await ensureSwebenchImages(docker);
    const task = rows.find((t) => t.repo === "django/django")!;
    const provider = new DockerSandboxProvider(docker, { runId: `swebench-env-${process.pid}` });
    const sandbox = await provider.create({ ...workspaceSpec(task, "unused", {}), image: tags[task.instance_id]! });
    try {
      const probe =
        'id -u; pwd; echo "$CONDA_DEFAULT_ENV"; command -v python; git rev-parse HEAD; (exec 3<>/dev/tcp/1.1.1.1/53) 2>/dev/null && echo online || echo offline';
      const expected = ["0", "/testbed", "testbed", "/opt/miniconda3/envs/testbed/bin/python", task.base_commit!, "offline"];
      const viaExec = await sandbox.exec(probe);
      expect(viaExec.stdout.trim().split("\n")).toEqual(expected);
      const shell = await sandbox.openShell!();
      const viaShell = await shell.run(probe);
      expect(viaShell.stdout.trim().split("\n")).toEqual(expected);
    } finally {
      await sandbox.remove();
    }
  });
});

describe("SWE-bench rows on official-layout images from a registry", () => {
  it("the fixture covers every parser family: pytest variants, django and sympy", () => {
    expect(new Set(rows.map((t) => t.grading!.parser))).toEqual(
      new Set(["pytest", "pytest_options", "pytest_v2", "seaborn", "django", "sympy", "matplotlib"]),
    );
    for (const t of rows) expect(t.image).toBe(`swebench/sweb.eval.x86_64.${t.instance_id.replace("__", "_1776_").toLowerCase()}:latest`);
  });

  it("bench grade --predictions gold pulls each image by its official name and resolves every row; --remove-images drops them after", async () => {
    const r = await bench([
      "grade",
      "--dataset",
      FIXTURE_DATASET,
      "--predictions",
      "gold",
      "--image-template",
      template,
      "--remove-images",
      "--concurrency",
      "3",
      "--output-dir",
      out,
      "--run-id",
      "gold",
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const dir = path.join(out, "gold");
    const got = results(dir);
    expect(got.map((x) => [x.instance_id, x.status, x.end_reason, x.error_class]).sort()).toEqual(
      ids.map((id) => [id, "resolved", "prediction", null]).sort(),
    );
    for (const x of got) {
      const listed = [
        ...rows.find((t) => t.instance_id === x.instance_id)!.FAIL_TO_PASS,
        ...rows.find((t) => t.instance_id === x.instance_id)!.PASS_TO_PASS,
      ];
      expect(Object.keys(x.tests ?? {}).sort(), parserOf(x.instance_id)).toEqual([...listed].sort());
      expect(
        Object.values(x.tests ?? {}).every((s) => s === "PASSED" || s === "XFAIL" || s === "SKIPPED"),
        JSON.stringify(x.tests),
      ).toBe(true);
      const report = JSON.parse(readFileSync(path.join(dir, "tasks", "gold", x.instance_id, "report.json"), "utf8"));
      expect(report[x.instance_id]).toMatchObject({
        patch_is_None: false,
        patch_exists: true,
        patch_successfully_applied: true,
        resolved: true,
      });
      expect(report[x.instance_id].tests_status.FAIL_TO_PASS.failure).toEqual([]);
    }
    // Every image came from the registry, by its official name under the template.
    for (const id of ids) {
      const repository = officialName(id).replace(/:latest$/, "");
      expect(
        registry.requests.some((q) => q.includes(` /v2/${repository}/manifests/`)),
        `${repository}: ${registry.requests.join("\n")}`,
      ).toBe(true);
    }
    const runJson = JSON.parse(readFileSync(path.join(dir, "run.json"), "utf8"));
    expect(runJson.images.pulls).toBe(ids.length);
    expect([...runJson.images.pulled].sort()).toEqual(ids.map((id) => officialName(id, registry.address)).sort());
    for (const id of ids) expect(await imageExists(officialName(id, registry.address)), r.stderr).toBe(false);
    // SWE-bench's own files: predictions.jsonl and the run report.
    const report = JSON.parse(readFileSync(path.join(dir, "swebench", "gold.gold.json"), "utf8"));
    expect(report).toMatchObject({
      total_instances: ids.length,
      resolved_instances: ids.length,
      error_instances: 0,
      empty_patch_instances: 0,
    });
    const preds = readFileSync(path.join(dir, "predictions.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(preds.map((p) => p.model_name_or_path)).toEqual(ids.map(() => "gold"));
    expect(JSON.parse(r.stdout).cells[0]).toMatchObject({ cell: "gold", resolved: ids.length });
  });

  it("empty patches resolve none (not run) and a patch that leaves the bug in place fails the FAIL_TO_PASS tests", async () => {
    const preds = path.join(out, "preds.jsonl");
    const noop =
      "diff --git a/BENCH_NOOP.txt b/BENCH_NOOP.txt\nnew file mode 100644\nindex 0000000..e69de29\n--- /dev/null\n+++ b/BENCH_NOOP.txt\n@@ -0,0 +1 @@\n+noop\n";
    writeFileSync(
      preds,
      `${ids.flatMap((id) => [JSON.stringify({ instance_id: id, model_name_or_path: "empty", model_patch: "" }), JSON.stringify({ instance_id: id, model_name_or_path: "noop", model_patch: noop })]).join("\n")}\n`,
    );
    const r = await bench([
      "grade",
      "--dataset",
      FIXTURE_DATASET,
      "--predictions",
      preds,
      "--image-template",
      template,
      "--remove-images",
      "--concurrency",
      "3",
      "--output-dir",
      out,
      "--run-id",
      "none",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const got = results(path.join(out, "none"));
    expect(
      got
        .filter((x) => x.cell === "empty")
        .map((x) => [x.instance_id, x.status, x.error_class])
        .sort(),
    ).toEqual(ids.map((id) => [id, "unresolved", "empty_patch"]).sort());
    const noopResults = got.filter((x) => x.cell === "noop");
    expect(noopResults.map((x) => [x.instance_id, x.status, x.error_class]).sort()).toEqual(
      ids.map((id) => [id, "unresolved", null]).sort(),
    );
    for (const x of noopResults) {
      const task = rows.find((t) => t.instance_id === x.instance_id)!;
      expect(
        task.FAIL_TO_PASS.some((id) => !["PASSED", "XFAIL"].includes(x.tests![id]!)),
        `${x.instance_id}: ${JSON.stringify(x.tests)}`,
      ).toBe(true);
      expect(
        task.PASS_TO_PASS.every((id) => ["PASSED", "XFAIL", "SKIPPED"].includes(x.tests![id]!)),
        `${x.instance_id}: ${JSON.stringify(x.tests)}`,
      ).toBe(true);
    }
    const report = JSON.parse(readFileSync(path.join(out, "none", "swebench", "empty.none.json"), "utf8"));
    expect(report.empty_patch_ids).toEqual([...ids].sort());
  });

  it("bench run --model mock/oracle pulls the same rows' images by official name and resolves them", async () => {
    const r = await bench([
      "run",
      "--dataset",
      FIXTURE_DATASET,
      "--model",
      "mock/oracle",
      "--image-template",
      template,
      "--concurrency",
      "3",
      "--output-dir",
      out,
      "--run-id",
      "oracle",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const got = results(path.join(out, "oracle"));
    expect(got.map((x) => [x.instance_id, x.status, x.end_reason]).sort()).toEqual(ids.map((id) => [id, "resolved", "finished"]).sort());
    expect(r.stderr).toMatch(new RegExp(`pulling ${template.replace("{id}", "").split("/")[0]!.replace(/[.]/g, "\\.")}`));
    for (const x of got) expect(x.pull_wait_s).toBeGreaterThanOrEqual(0);
    // The agent worked as root inside the conda env: the trajectory's first bash output comes from /testbed.
    expect(existsSync(path.join(out, "oracle", "tasks", "mock_oracle", ids[0]!, "trajectory.jsonl"))).toBe(true);
  });

  it("the same rows as a Hugging Face parquet file (string columns, test lists as JSON strings) grade the same", async () => {
    const raw = readFileSync(FIXTURE_DATASET, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, string>);
    const names = Object.keys(raw[0]!);
    const file = path.join(out, "lite.parquet");
    writeFileSync(
      file,
      new Uint8Array(
        parquetWriteBuffer({
          columnData: names.map((name) => ({ name, data: raw.map((r) => r[name] ?? null), type: "STRING" as const })),
          codec: "SNAPPY",
        }),
      ),
    );
    const r = await bench([
      "grade",
      "--dataset",
      file,
      "--predictions",
      "gold",
      "--image-template",
      template,
      "--remove-images",
      "--concurrency",
      "3",
      "--output-dir",
      out,
      "--run-id",
      "parquet",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(
      results(path.join(out, "parquet"))
        .map((x) => [x.instance_id, x.status])
        .sort(),
    ).toEqual(ids.map((id) => [id, "resolved"]).sort());
    const runJson = JSON.parse(readFileSync(path.join(out, "parquet", "run.json"), "utf8"));
    expect(runJson.dataset).toMatchObject({ name: "lite", file, tasks: ids.length });
  });

  it("a missing image names the image and --image-template; a registry failing mid-run is retried, not a model failure", async () => {
    const missing = await bench([
      "grade",
      "--dataset",
      FIXTURE_DATASET,
      "--predictions",
      "gold",
      "--image-template",
      `${registry.address}/nothere/{id}:latest`,
      "--limit",
      "1",
      "--output-dir",
      out,
      "--run-id",
      "missing",
    ]);
    // Its only task ended in an infrastructure error: the cell measured nothing, so the run is exit 1 (results kept).
    expect(missing.code, missing.stderr).toBe(1);
    expect(missing.stderr).toMatch(/run failed: cell \S+: its 1 attempted task ended in an infrastructure error \(sandbox_start: /);
    const [m] = results(path.join(out, "missing"));
    expect(m).toMatchObject({ status: "error", error_class: "sandbox_start" });
    expect(m!.error_message).toContain(`${registry.address}/nothere/${ids[0]!.replace("__", "_1776_").toLowerCase()}:latest`);
    expect(m!.error_message).toContain("--image-template");

    registry.failNext(2, 503, /\/manifests\//);
    const flaky = await bench([
      "grade",
      "--dataset",
      FIXTURE_DATASET,
      "--predictions",
      "gold",
      "--image-template",
      template,
      "--pull",
      "always",
      "--limit",
      "1",
      "--output-dir",
      out,
      "--run-id",
      "flaky",
    ]);
    expect(flaky.code, flaky.stderr).toBe(0);
    expect(results(path.join(out, "flaky"))[0]).toMatchObject({ status: "resolved" });
    expect(flaky.stderr, flaky.stderr).toMatch(/retry|retrying/i);
  });
});
