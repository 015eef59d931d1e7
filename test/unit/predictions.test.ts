import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { goldPredictions, loadPredictions } from "../../src/datasets/predictions.js";
import type { Task } from "../../src/datasets/types.js";
import { swebenchOutcome, swebenchReportName, swebenchRunReport } from "../../src/report/swebench-report.js";
import type { TaskResult } from "../../src/report/types.js";

const IDS = new Set(["django__django-1", "sympy__sympy-2", "psf__requests-3"]);
const dir = mkdtempSync(path.join(os.tmpdir(), "bench-preds-"));
const file = (name: string, text: string): string => {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
};
const row = (id: string, model = "sys-a", patch: unknown = "diff --git a/x b/x\n") => ({
  instance_id: id,
  model_name_or_path: model,
  model_patch: patch,
});

describe("loadPredictions", () => {
  it("reads .jsonl, a .json list and a .json object keyed by id, one map per model", () => {
    const jsonl = file(
      "p.jsonl",
      `${[row("django__django-1"), row("sympy__sympy-2", "sys-b", null), row("psf__requests-3")].map((r) => JSON.stringify(r)).join("\n")}\n\n`,
    );
    const p = loadPredictions(jsonl, IDS);
    expect([...p.byModel.keys()]).toEqual(["sys-a", "sys-b"]);
    expect([...p.byModel.get("sys-a")!.keys()]).toEqual(["django__django-1", "psf__requests-3"]);
    expect(p.byModel.get("sys-b")!.get("sympy__sympy-2")!.model_patch).toBeNull();
    expect(p.hash).toMatch(/^[0-9a-f]{64}$/);
    const list = loadPredictions(file("p.json", JSON.stringify([row("django__django-1")])), IDS);
    expect(list.byModel.get("sys-a")!.get("django__django-1")!.model_patch).toBe("diff --git a/x b/x\n");
    const dict = loadPredictions(file("d.json", JSON.stringify({ "sympy__sympy-2": { model_name_or_path: "m", model_patch: "" } })), IDS);
    expect(dict.byModel.get("m")!.get("sympy__sympy-2")).toEqual({
      instance_id: "sympy__sympy-2",
      model_name_or_path: "m",
      model_patch: "",
    });
  });

  it("names the file, line and field of every problem", () => {
    const f1 = file("bad1.jsonl", `${JSON.stringify(row("django__django-1"))}\n${JSON.stringify(row("nope__nope-9"))}\n`);
    expect(() => loadPredictions(f1, IDS)).toThrowError(`${f1}:2: field instance_id: "nope__nope-9" is not in the dataset`);
    const f2 = file("bad2.jsonl", `${JSON.stringify(row("django__django-1"))}\n\n${JSON.stringify(row("django__django-1"))}\n`);
    expect(() => loadPredictions(f2, IDS)).toThrowError(`${f2}:3: duplicate prediction for django__django-1 by sys-a (first at ${f2}:1)`);
    const f3 = file("bad3.jsonl", `${JSON.stringify({ instance_id: "django__django-1", model_patch: "" })}\n`);
    expect(() => loadPredictions(f3, IDS)).toThrowError(`${f3}:1: field model_name_or_path: expected a non-empty string (got missing)`);
    const f4 = file("bad4.jsonl", `{"instance_id": "django__django-1",\n`);
    expect(() => loadPredictions(f4, IDS)).toThrowError(new RegExp(`^${f4.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:1: invalid JSON`));
    const f5 = file("bad5.json", JSON.stringify([row("django__django-1", "a", 42)]));
    expect(() => loadPredictions(f5, IDS)).toThrowError(`${f5}[0]: field model_patch: expected a string or null (got number)`);
    const f6 = file(
      "bad6.json",
      JSON.stringify({ "django__django-1": { instance_id: "sympy__sympy-2", model_name_or_path: "a", model_patch: "" } }),
    );
    expect(() => loadPredictions(f6, IDS)).toThrowError(
      `${f6}["django__django-1"]: field instance_id: "sympy__sympy-2" differs from its key "django__django-1"`,
    );
    expect(() => loadPredictions(file("p.txt", ""), IDS)).toThrowError("expected a .jsonl or .json file, or gold");
    expect(() => loadPredictions(path.join(dir, "missing.jsonl"), IDS)).toThrowError(
      `--predictions ${path.join(dir, "missing.jsonl")}: cannot read (ENOENT)`,
    );
  });

  it("gold: the dataset's own patches under model gold", () => {
    const tasks = [
      { instance_id: "a", patch: "P1" },
      { instance_id: "b", patch: "P2" },
    ] as Task[];
    const gold = goldPredictions(tasks);
    expect(gold.source).toBe("gold");
    expect([...gold.byModel.get("gold")!.values()].map((p) => p.model_patch)).toEqual(["P1", "P2"]);
  });
});

const result = (id: string, over: Partial<TaskResult>): TaskResult =>
  ({ instance_id: id, cell: "m", status: "unresolved", resolved: false, error_class: null, patch_lines: 3, ...over }) as TaskResult;

describe("SWE-bench run report", () => {
  it("counts as SWE-bench's make_run_report does: apply failures and bench errors are errors, empty patches apart", () => {
    const results = [
      result("d", { status: "resolved", resolved: true }),
      result("b", {}),
      result("c", { error_class: "patch_apply" }),
      result("e", { error_class: "empty_patch", patch_lines: 0 }),
      result("f", { status: "error", error_class: "sandbox_start" }),
      result("g", { error_class: "tests_timeout" }),
    ];
    expect(results.map(swebenchOutcome)).toEqual(["resolved", "unresolved", "error", "empty_patch", "error", "error"]);
    expect(swebenchRunReport(["a", "b", "c", "d", "e", "f", "g"], results)).toEqual({
      total_instances: 7,
      submitted_instances: 6,
      completed_instances: 2,
      resolved_instances: 1,
      unresolved_instances: 1,
      empty_patch_instances: 1,
      error_instances: 3,
      completed_ids: ["b", "d"],
      incomplete_ids: ["a"],
      empty_patch_ids: ["e"],
      submitted_ids: ["b", "c", "d", "e", "f", "g"],
      resolved_ids: ["d"],
      unresolved_ids: ["b"],
      error_ids: ["c", "f", "g"],
      schema_version: 2,
    });
    expect(swebenchReportName("openai/gpt-4o", "r1")).toBe("openai__gpt-4o.r1.json");
  });
});
