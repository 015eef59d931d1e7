// The viewer's pure logic: a task's story from trajectory.jsonl, diff lines, grid filters, test rows, the page data.
import { describe, expect, it } from "vitest";
import { requestedFile } from "../../src/report/view-server.js";
import { buildViewData, jsonForScript } from "../../src/report/html/data.js";
import {
  buildStory,
  diffLines,
  distinctValues,
  taskMatches,
  testRows,
  type GridFilter,
  type ViewResult,
  type ViewTask,
} from "../../src/report/html/story.js";
import { makeResult } from "./report-fixtures.js";

const usage = (i: number, o: number) => ({ inputTokens: i, outputTokens: o, cacheReadTokens: 10, cacheWriteTokens: 0, reasoningTokens: 1 });
const lines = [
  {
    type: "start",
    instance_id: "t1",
    system: "sys",
    prompt: { role: "user", content: [{ type: "text", text: "<issue>\nBug: x < y\n</issue>\n\nThe repository r is at /testbed." }] },
  },
  {
    type: "model_call",
    iteration: 1,
    request: { messages: 1, last_role: "user" },
    response: {
      text: "look",
      tool_calls: [
        { id: "a", name: "bash", arguments: '{"command":"ls"}' },
        { id: "b", name: "bash", arguments: "{bad" },
      ],
    },
    stop_reason: "tool_use",
    usage: usage(100, 20),
    latency_s: 1.5,
    cost_usd: 0.25,
  },
  { type: "tool_call", id: "a", name: "bash", arguments: '{"command":"ls"}' },
  {
    type: "observation",
    id: "a",
    name: "bash",
    is_error: false,
    content: [{ type: "text", text: "a.py\n[exit code: 0]" }],
    duration_s: 0.1,
  },
  { type: "tool_call", id: "b", name: "bash", arguments: "{bad" },
  {
    type: "observation",
    id: "b",
    name: "bash",
    is_error: true,
    content: [
      { type: "text", text: "no" },
      { type: "image", mediaType: "image/png", bytes: 42 },
    ],
    duration_s: 0,
  },
  { type: "retry", attempt: 1, error_class: "rate_limit", message: "429", delay_s: 2 },
  {
    type: "model_call",
    iteration: 2,
    request: { messages: 4, last_role: "tool" },
    response: { text: "done?", tool_calls: [], reasoning: [{ type: "reasoning", text: "hmm" }] },
    stop_reason: "end_turn",
    usage: usage(200, 5),
    latency_s: 0.5,
    cost_usd: 0.5,
  },
  { type: "fake_user", count: 1, text: "Please continue" },
  { type: "end", end_reason: "max_fake_responses" },
  { type: "grading_result", resolved: false, patch_applied: true, failure: null, tests: { t: "FAILED" } },
];
const jsonl = `${lines.map((l) => JSON.stringify(l)).join("\n")}\n{"type":"torn`;

describe("buildStory", () => {
  const story = buildStory(jsonl);
  it("takes the issue text, pairs each tool call with its observation, sums the calls", () => {
    expect(story.statement).toBe("Bug: x < y");
    expect(story.steps.map((s) => s.kind)).toEqual(["call", "retry", "call", "fake_user"]);
    const first = story.steps[0]!;
    if (first.kind !== "call") throw new Error("not a call");
    expect(first.tools.map((t) => [t.call.id, t.output, t.exitCode, t.observation?.is_error])).toEqual([
      ["a", "a.py\n[exit code: 0]", 0, false],
      ["b", "no", null, true],
    ]);
    expect(story.totals).toEqual({
      calls: 2,
      input: 300,
      output: 25,
      cacheRead: 20,
      cacheWrite: 0,
      reasoning: 2,
      cost: 0.75,
      latency: 2,
      toolCalls: 2,
    });
    expect(story.end?.end_reason).toBe("max_fake_responses");
    expect(story.grading?.tests).toEqual({ t: "FAILED" });
    expect(story.badLines).toBe(1);
  });
  it("cost is unknown once a call has no cost_usd; a prompt without <issue> is the statement whole", () => {
    const old = buildStory(
      [
        { ...lines[0], prompt: { role: "user", content: [{ type: "text", text: "plain" }] } },
        { ...lines[1], cost_usd: undefined },
      ]
        .map((l) => JSON.stringify(l))
        .join("\n"),
    );
    expect(old.statement).toBe("plain");
    expect(old.totals.cost).toBeNull();
    expect(buildStory("").steps).toEqual([]);
  });
});

describe("diffLines", () => {
  it("classifies headers, hunks, additions, deletions and context", () => {
    const patch = "diff --git a/f b/f\nindex 1..2 100644\n--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n x\n-y\n+z\n";
    expect(diffLines(patch)).toEqual([
      { kind: "file", text: "diff --git a/f b/f" },
      { kind: "file", text: "index 1..2 100644" },
      { kind: "file", text: "--- a/f" },
      { kind: "file", text: "+++ b/f" },
      { kind: "hunk", text: "@@ -1,2 +1,2 @@" },
      { kind: "ctx", text: " x" },
      { kind: "del", text: "-y" },
      { kind: "add", text: "+z" },
    ]);
    // A removed line that starts with "--" inside a hunk is a deletion, not a header.
    expect(diffLines("diff --git a/f b/f\n@@ -1 +1 @@\n--- x\n")[2]).toEqual({ kind: "del", text: "--- x" });
  });
});

const r = (status: ViewResult["status"], extra: Partial<ViewResult> = {}): ViewResult => ({
  status,
  end_reason: status === "error" ? "error" : "finished",
  error_class: status === "error" ? "auth" : null,
  error_message: null,
  llm_calls: 1,
  input_tokens: 0,
  output_tokens: 0,
  cache_read_tokens: 0,
  cache_write_tokens: 0,
  reasoning_tokens: 0,
  cost_usd: null,
  wall_s: 1,
  fail_to_pass: null,
  pass_to_pass: null,
  patch_applied: null,
  tests: null,
  ...extra,
});
const tasks: ViewTask[] = [
  { id: "agree-ok", results: [r("resolved"), r("resolved")] },
  { id: "split", results: [r("resolved"), r("unresolved")] },
  { id: "err", results: [r("error"), r("unresolved", { end_reason: "max_iterations" })] },
  { id: "half-run", results: [r("resolved"), null] },
];
const any: GridFilter = { cell: -1, status: "", endReason: "", errorClass: "", disagree: false, text: "" };
const ids = (f: Partial<GridFilter>): string[] => tasks.filter((t) => taskMatches(t, { ...any, ...f })).map((t) => t.id);

describe("taskMatches", () => {
  it("filters by cell and status, end reason, error class, disagreement and id", () => {
    expect(ids({})).toEqual(["agree-ok", "split", "err", "half-run"]);
    expect(ids({ status: "unresolved" })).toEqual(["split", "err"]);
    expect(ids({ status: "unresolved", cell: 0 })).toEqual([]);
    expect(ids({ status: "resolved", cell: 1 })).toEqual(["agree-ok"]);
    expect(ids({ status: "missing" })).toEqual(["half-run"]);
    expect(ids({ endReason: "max_iterations" })).toEqual(["err"]);
    expect(ids({ errorClass: "auth", cell: 1 })).toEqual([]);
    expect(ids({ errorClass: "auth" })).toEqual(["err"]);
    expect(ids({ disagree: true })).toEqual(["split"]);
    expect(ids({ text: "HALF" })).toEqual(["half-run"]);
  });
  it("lists the distinct end reasons and error classes", () => {
    expect(distinctValues(tasks, "end_reason")).toEqual(["error", "finished", "max_iterations"]);
    expect(distinctValues(tasks, "error_class")).toEqual(["auth"]);
  });
});

describe("testRows", () => {
  it("puts failing tests first and names their group from report.json", () => {
    const report = {
      t1: { tests_status: { FAIL_TO_PASS: { success: [], failure: ["a"] }, PASS_TO_PASS: { success: ["b", "c"], failure: [] } } },
    };
    expect(testRows({ b: "PASSED", a: "FAILED", c: "XFAIL", d: "MISSING" }, report)).toEqual([
      ["a", "FAIL_TO_PASS", "FAILED"],
      ["d", "listed", "MISSING"],
      ["b", "PASS_TO_PASS", "PASSED"],
      ["c", "PASS_TO_PASS", "XFAIL"],
    ]);
    expect(testRows(null, null)).toEqual([]);
  });
});

describe("page data", () => {
  it("orders results per cell as given, null where a cell has none, and escapes < in the blob", () => {
    const data = buildViewData(
      "run",
      ["b/m", "a/m"],
      [makeResult({ cell: "a/m", instance_id: "</script>" }), makeResult({ cell: "b/m", instance_id: "x", tests: { t: "PASSED" } })],
      ["x", "</script>"],
      { source: "fetch" },
    );
    expect(data.cellDirs).toEqual(["b_m", "a_m"]);
    expect(data.tasks.map((t) => [t.id, t.results.map((x) => x?.status ?? null)])).toEqual([
      ["x", ["resolved", null]],
      ["</script>", [null, "resolved"]],
    ]);
    expect(data.tasks[0]!.results[0]!.tests).toEqual({ t: "PASSED" });
    expect(data.files).toBeNull();
    const blob = jsonForScript(data);
    expect(blob).not.toContain("<");
    expect(JSON.parse(blob)).toEqual(data);
  });
});

describe("bench view request paths", () => {
  it("decodes segment by segment and refuses dot segments, encoded slashes and NULs", () => {
    expect(requestedFile("/tasks/a_m/x%20y/trajectory.jsonl")).toEqual({ file: "tasks/a_m/x y/trajectory.jsonl" });
    expect(requestedFile("/run.json?x=1")).toEqual({ file: "run.json" });
    for (const bad of [
      "/../run.json",
      "/tasks/../../etc/passwd",
      "/%2e%2e/run.json",
      "/tasks/%2E%2E/x",
      "/a%2fb",
      "/a%5cb",
      "/a%00b",
      "/a//b",
      "/./run.json",
    ]) {
      expect(requestedFile(bad), bad).toEqual({ status: 403 });
    }
    expect(requestedFile("/%zz")).toEqual({ status: 400 });
    expect(requestedFile("run.json")).toEqual({ status: 400 });
  });
});
