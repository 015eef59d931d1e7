// Each task's grading, resolved by grading from its dataset row (src/grading/task-grading.ts): what withGrading hands
// the dataset loader, and the default for a task loaded without it.
import { describe, expect, it } from "vitest";
import type { Task } from "../../src/datasets/types.js";
import { DEFAULT_TEST_CMD, gradingOf, resolveGrading, withGrading } from "../../src/grading/task-grading.js";

const ROW: Task = {
  instance_id: "django__django-1",
  repo: "django/django",
  version: "3.0",
  problem_statement: "p",
  patch: "",
  test_patch: "",
  FAIL_TO_PASS: [],
  PASS_TO_PASS: [],
  test_framework: "pytest",
};

describe("withGrading", () => {
  it("completes a task with its grading, a new object; the row read stays as it was", () => {
    const { completeTask } = withGrading();
    const graded = completeTask(ROW, "rows.jsonl:1", false);
    expect(graded).toEqual({ ...ROW, grading: resolveGrading(ROW, "rows.jsonl:1", false) });
    expect(graded.grading).toMatchObject({ source: "spec", parser: "django", directives: true });
    expect(ROW).not.toHaveProperty("grading");
  });

  it("--specs entries win and are named as such; their file names a bad parser", () => {
    const specs = { "django/django": { "3.0": { test_cmd: "./runtests.py" } } };
    expect(withGrading({ specs }).completeTask(ROW, "w", false).grading).toMatchObject({
      source: "specs-file",
      parser: "django",
      spec: { test_cmd: "./runtests.py" },
    });
    const bad = { "django/django": { "3.0": { log_parser: "parse_log_nope" } } };
    expect(() => withGrading({ specs: bad, specsFile: "my-specs.yaml" }).completeTask(ROW, "w", false)).toThrowError(
      /^my-specs\.yaml: django\/django\.3\.0\.log_parser: unknown parser "parse_log_nope"/,
    );
  });

  it("a row it cannot grade stops loading, named by where it was read", () => {
    expect(() => withGrading().completeTask({ ...ROW, repo: "acme/x" }, "rows.jsonl:7", false)).toThrowError(
      /^rows\.jsonl:7: field version: no SWE-bench spec for acme\/x version "3\.0"/,
    );
    expect(withGrading().completeTask({ ...ROW, repo: "acme/x" }, "tasks.jsonl:7", true).grading).toEqual({
      source: "default",
      parser: "pytest",
      spec: { test_cmd: DEFAULT_TEST_CMD },
      directives: true,
    });
  });
});

describe("gradingOf", () => {
  it("the resolved grading, else bench's pytest default (test_cmd as written)", () => {
    const graded = withGrading().completeTask(ROW, "w", false);
    expect(gradingOf(graded)).toBe(graded.grading);
    expect(gradingOf(ROW)).toEqual({ source: "default", parser: "pytest", spec: { test_cmd: "python -m pytest -rA" }, directives: true });
    expect(gradingOf({ ...ROW, test_cmd: "pytest -q" })).toEqual({
      source: "test_cmd",
      parser: "pytest",
      spec: { test_cmd: "pytest -q" },
      directives: false,
    });
  });
});
