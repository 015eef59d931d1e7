import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BUILTIN_IMAGE_USER, loadDataset, selectTasks, taskUser } from "../../src/datasets/load.js";
import { withGrading } from "../../src/grading/task-grading.js";
import { SWEBENCH_ACTIVATE, workspaceSpec } from "../../src/grading/workspace.js";

const task = (id: string, extra: Record<string, unknown> = {}) => ({
  instance_id: id,
  repo: "demo",
  problem_statement: "It breaks.",
  patch: "",
  test_patch: "",
  FAIL_TO_PASS: ["tests/test_a.py::test_x"],
  PASS_TO_PASS: '["tests/test_a.py::test_y"]',
  ...extra,
});

function dataset(lines: string[], repos: string[] = []): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-ds-"));
  writeFileSync(path.join(dir, "tasks.jsonl"), `${lines.join("\n")}\n`);
  for (const r of repos) {
    mkdirSync(path.join(dir, "repos", r), { recursive: true });
    writeFileSync(path.join(dir, "repos", r, "a.py"), "x = 1\n");
  }
  return dir;
}

describe("loadDataset", () => {
  it("loads tasks, decodes JSON-encoded test lists and finds the repositories", () => {
    const dir = dataset([JSON.stringify(task("a-1")), "", JSON.stringify(task("b-2"))], ["a-1", "b-2"]);
    const ds = loadDataset(dir);
    expect(ds.tasks.map((t) => t.instance_id)).toEqual(["a-1", "b-2"]);
    expect(ds.tasks[0]!.PASS_TO_PASS).toEqual(["tests/test_a.py::test_y"]);
    expect(ds.tasks[0]!.repoDir).toBe(path.join(dir, "repos", "a-1"));
    expect(ds.tasks[0]!.test_framework).toBe("pytest");
    expect(ds.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("changes the hash when a repository file changes", () => {
    const dir = dataset([JSON.stringify(task("a-1"))], ["a-1"]);
    const before = loadDataset(dir).hash;
    writeFileSync(path.join(dir, "repos", "a-1", "a.py"), "x = 2\n");
    expect(loadDataset(dir).hash).not.toBe(before);
  });

  it("names file, line and field for every kind of bad line", () => {
    const file = (dir: string) => path.join(dir, "tasks.jsonl");
    let dir = dataset([JSON.stringify(task("a-1")), "{not json"], ["a-1"]);
    expect(() => loadDataset(dir)).toThrowError(new RegExp(`^${file(dir)}:2: invalid JSON`));
    dir = dataset([JSON.stringify({ ...task("a-1"), problem_statement: undefined })], ["a-1"]);
    expect(() => loadDataset(dir)).toThrowError(`${file(dir)}:1: field problem_statement:`);
    dir = dataset([JSON.stringify(task("a-1", { FAIL_TO_PASS: 3 }))], ["a-1"]);
    expect(() => loadDataset(dir)).toThrowError(/:1: field FAIL_TO_PASS: .*\(got 3\)/);
    dir = dataset([JSON.stringify(task("a-1")), JSON.stringify(task("a-1"))], ["a-1"]);
    expect(() => loadDataset(dir)).toThrowError(`${file(dir)}:2: field instance_id: duplicate "a-1" (first on line 1)`);
    dir = dataset([JSON.stringify(task("../escape"))]);
    expect(() => loadDataset(dir)).toThrowError(/:1: field instance_id: must match/);
    dir = dataset([JSON.stringify(task("..", {}))]);
    expect(() => loadDataset(dir)).toThrowError(/:1: field instance_id: "\.\." escapes/);
    dir = dataset([JSON.stringify(task("no-repo"))]);
    expect(() => loadDataset(dir)).toThrowError(/:1: field instance_id: no repository folder/);
    dir = dataset(["[1,2]"]);
    expect(() => loadDataset(dir)).toThrowError(`${file(dir)}:1: expected a JSON object, got array`);
    dir = dataset([""]);
    expect(() => loadDataset(dir)).toThrowError(`${file(dir)}: the dataset has no tasks`);
    expect(() => loadDataset(path.join(dir, "nope"))).toThrowError(/no such dataset folder or file/);
  });

  it("reads SWE-bench rows: the official image by default, the spec of repo + version, located errors otherwise", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "bench-jsonl-"));
    const f = path.join(dir, "swe.jsonl");
    // An unknown repo with no version, no test_cmd, no eval_script: no way to grade it as SWE-bench does.
    writeFileSync(f, `${JSON.stringify(task("x-1"))}\n`);
    expect(() => loadDataset(f, undefined, withGrading())).toThrowError(
      `${f}:1: field version: no SWE-bench spec for demo version (missing) (demo is not one of SWE-bench's repositories); give one with --specs FILE, or a test_cmd / eval_script in the row`,
    );
    writeFileSync(f, `${JSON.stringify(task("x-1", { image: "sweb.eval.x86_64.x-1", test_cmd: "pytest -rA t.py" }))}\n`);
    const own = loadDataset(f, undefined, withGrading()).tasks[0]!;
    expect(own.repoDir).toBeUndefined();
    expect(own.image).toBe("sweb.eval.x86_64.x-1");
    expect(own.grading).toEqual({ source: "test_cmd", parser: "pytest", spec: { test_cmd: "pytest -rA t.py" }, directives: false });
    writeFileSync(f, `${JSON.stringify({ ...task("django__django-11333"), repo: "django/django", version: "3.0" })}\n`);
    const django = loadDataset(f, undefined, withGrading()).tasks[0]!;
    expect(django.image).toBe("swebench/sweb.eval.x86_64.django_1776_django-11333:latest");
    expect(django.grading?.source).toBe("spec");
    expect(django.grading?.parser).toBe("django");
    expect(django.grading?.spec?.test_cmd).toBe("./tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1");
    expect(loadDataset(f, undefined, { imageTemplate: "127.0.0.1:5000/mirror/{id}:v1", ...withGrading() }).tasks[0]!.image).toBe(
      "127.0.0.1:5000/mirror/django_1776_django-11333:v1",
    );
    writeFileSync(f, `${JSON.stringify({ ...task("django__django-1"), repo: "django/django", version: "9.9" })}\n`);
    expect(() => loadDataset(f, undefined, withGrading())).toThrowError(
      `${f}:1: field version: no SWE-bench spec for django/django version "9.9" (known versions of django/django: 1.7, 1.8, 1.9, 1.10, 1.11, 2.0, 2.1, 2.2, 1.4, 1.5, 1.6, 3.0, 3.1, 3.2, 4.0, 4.1, 4.2, 5.0, 5.1, 5.2); give one with --specs FILE`,
    );
    writeFileSync(f, `${JSON.stringify({ ...task("x-2"), repo: "psf/requests", version: "2.0", log_parser: "parse_log_nonsense" })}\n`);
    expect(() => loadDataset(f, undefined, withGrading())).toThrowError(`${f}:1: field log_parser: unknown parser "parse_log_nonsense"`);
    // The dataset alone does not grade: without withGrading the row loads as read, its grading unresolved.
    expect(loadDataset(f).tasks[0]).not.toHaveProperty("grading");
    // A .json list reads the same rows, located by index.
    const j = path.join(dir, "swe.json");
    writeFileSync(
      j,
      JSON.stringify([
        { ...task("django__django-11333"), repo: "django/django", version: "3.0" },
        { ...task("y"), FAIL_TO_PASS: 3 },
      ]),
    );
    expect(() => loadDataset(j, undefined, withGrading())).toThrowError(`${j}[1]: field FAIL_TO_PASS:`);
  });

  it("selects --instances and --limit in dataset order and rejects unknown ids", () => {
    const dir = dataset([JSON.stringify(task("a")), JSON.stringify(task("b")), JSON.stringify(task("c"))], ["a", "b", "c"]);
    const ds = loadDataset(dir);
    expect(selectTasks(ds, ["c", "a"], undefined).map((t) => t.instance_id)).toEqual(["a", "c"]);
    expect(selectTasks(ds, undefined, 2).map((t) => t.instance_id)).toEqual(["a", "b"]);
    expect(() => selectTasks(ds, ["a", "zz"], undefined)).toThrowError(/--instances: unknown instance id\(s\) zz/);
  });
});

describe("sandbox fields: user and network", () => {
  it("reads user and network, and names the field when one is malformed", () => {
    const ok = dataset([JSON.stringify(task("a-1", { user: "agent:agent", network: true }))], ["a-1"]);
    expect(loadDataset(ok).tasks[0]).toMatchObject({ user: "agent:agent", network: true });
    const badUser = dataset([JSON.stringify(task("a-1", { user: "rm -rf /" }))], ["a-1"]);
    expect(() => loadDataset(badUser)).toThrow(
      /tasks\.jsonl:1: field user: must be root, uid\[:gid\] or user\[:group\] \(got "rm -rf \/"\)/,
    );
    const badNet = dataset([JSON.stringify(task("a-1", { network: "yes" }))], ["a-1"]);
    expect(() => loadDataset(badNet)).toThrow(/tasks\.jsonl:1: field network: .*\(got "yes"\)/);
  });

  it("runs as the built-in image's agent by default, as root for an image of the task's own, as the task says otherwise", () => {
    const base = { ...task("a-1"), FAIL_TO_PASS: [], PASS_TO_PASS: [], test_framework: "pytest" as const };
    expect(BUILTIN_IMAGE_USER).toBe("1000:1000");
    expect(taskUser(base)).toBe("1000:1000");
    expect(taskUser({ ...base, image: "swebench/x:latest" })).toBeUndefined();
    expect(taskUser({ ...base, image: "swebench/x:latest", user: "1000" })).toBe("1000");
    expect(taskUser({ ...base, user: "root" })).toBeUndefined();
    expect(taskUser({ ...base, user: "0:0" })).toBeUndefined();
    expect(workspaceSpec({ ...base, repoDir: "/r" }, "img:1", { a: "b" })).toEqual({
      image: "img:1",
      labels: { a: "b" },
      repoDir: "/r",
      user: "1000:1000",
    });
    // The image holds the repository (SWE-bench's layout): its conda env `testbed` is activated where it exists.
    expect(workspaceSpec({ ...base, image: "own:2", network: true, user: "root" }, "img:1", {})).toEqual({
      image: "own:2",
      labels: {},
      network: true,
      activate: SWEBENCH_ACTIVATE,
    });
    expect(SWEBENCH_ACTIVATE).toBe(
      "if [ -f /opt/miniconda3/bin/activate ]; then source /opt/miniconda3/bin/activate && conda activate testbed; fi",
    );
  });
});
