// The viewer's pure logic, run in the page (serialized by script.ts) and unit-tested in Node: a task's story from its
// trajectory.jsonl, the patch as diff lines, the grid's filters. Every function here is self-contained: it may call
// only the other functions listed in script.ts and globals, never a module binding.

import type { TaskResult } from "../types.js";
import type { EndEvent, GradingResultEvent, ModelCallEvent, ObservationEvent, RecordedEvent, ToolCallEvent } from "../trajectory-events.js";

/** A task × cell's result as the page carries it (a subset of TaskResult; absent optional fields are null). */
export type ViewResult = Pick<
  TaskResult,
  | "status"
  | "end_reason"
  | "error_class"
  | "error_message"
  | "llm_calls"
  | "input_tokens"
  | "output_tokens"
  | "cache_read_tokens"
  | "cache_write_tokens"
  | "reasoning_tokens"
  | "cost_usd"
  | "wall_s"
  | "fail_to_pass"
  | "pass_to_pass"
> & { patch_applied: boolean | null; tests: Record<string, string> | null };

/** One task: its id and a result per cell (null: not run), in the page's cell order. */
export interface ViewTask {
  id: string;
  results: (ViewResult | null)[];
}

/** What the page's data blob holds (script type="application/json" id="bench-data"). */
export interface ViewData {
  runId: string;
  /** Cell names in run.json order; cellDirs[i] is tasks/<cellDirs[i]>/. */
  cells: string[];
  cellDirs: string[];
  tasks: ViewTask[];
  /** "embedded": files below; "fetch": read from the server (bench view); "none": too large to embed. */
  source: "embedded" | "fetch" | "none";
  /** Per "<cell-dir>/<instance_id>": its files' text (null: absent). Only with source "embedded". */
  files: Record<string, TaskFiles> | null;
  /** Why the detail is not embedded (source "none"). */
  note: string | null;
}

/** A task × cell's files under tasks/<cell-dir>/<instance_id>/. */
export interface TaskFiles {
  trajectory: string | null;
  patch: string | null;
  test_output: string | null;
  report: string | null;
}

/** A tool call and the observation that answered it (null when the task ended first). */
export interface ToolStep {
  call: ToolCallEvent;
  observation: ObservationEvent | null;
  /** The text parts of the observation, joined. */
  output: string;
  /** The `[exit code: N]` the bash tool appends, when there. */
  exitCode: number | null;
}

export type StoryStep =
  | { kind: "call"; call: ModelCallEvent; tools: ToolStep[] }
  | { kind: "fake_user"; text: string; count: number }
  | { kind: "retry"; attempt: number; error_class: string; message: string; delay_s: number }
  | { kind: "model_error"; error_class: string; message: string }
  | { kind: "sandbox"; start_s: number }
  | { kind: "grading"; text: string };

export interface StoryTotals {
  calls: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
  /** Sum of the calls' cost_usd; null when a call has none. */
  cost: number | null;
  latency: number;
  toolCalls: number;
}

export interface Story {
  /** The issue text (inside `<issue>` of the task prompt), else the whole prompt; null without a start event. */
  statement: string | null;
  steps: StoryStep[];
  totals: StoryTotals;
  end: EndEvent | null;
  grading: GradingResultEvent | null;
  /** Lines that were not whole JSON objects (a torn last line of an interrupted task). */
  badLines: number;
}

/** The story of one trajectory.jsonl text. */
export function buildStory(jsonl: string): Story {
  const story: Story = {
    statement: null,
    steps: [],
    totals: { calls: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0, cost: 0, latency: 0, toolCalls: 0 },
    end: null,
    grading: null,
    badLines: 0,
  };
  const pending = new Map<string, ToolStep>();
  let last: Extract<StoryStep, { kind: "call" }> | null = null;
  for (const line of jsonl.split("\n")) {
    if (line.trim() === "") continue;
    let ev: RecordedEvent;
    try {
      ev = JSON.parse(line) as RecordedEvent;
      if (ev === null || typeof ev !== "object" || typeof ev.type !== "string") throw new Error("not an event");
    } catch {
      story.badLines++;
      continue;
    }
    if (ev.type === "start") {
      const text = (ev.prompt?.content ?? []).flatMap((p) => (p.type === "text" ? [p.text] : [])).join("\n");
      const m = /<issue>\n?([\s\S]*?)\n?<\/issue>/.exec(text);
      story.statement = m ? (m[1] as string) : text;
    } else if (ev.type === "model_call") {
      const t = story.totals;
      const u = ev.usage ?? { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
      t.calls++;
      t.input += u.inputTokens;
      t.output += u.outputTokens;
      t.cacheRead += u.cacheReadTokens;
      t.cacheWrite += u.cacheWriteTokens;
      t.reasoning += u.reasoningTokens;
      t.latency += ev.latency_s ?? 0;
      t.cost = t.cost === null || typeof ev.cost_usd !== "number" ? null : t.cost + ev.cost_usd;
      last = { kind: "call", call: ev, tools: [] };
      story.steps.push(last);
    } else if (ev.type === "tool_call") {
      story.totals.toolCalls++;
      const step: ToolStep = { call: ev, observation: null, output: "", exitCode: null };
      pending.set(ev.id, step);
      if (last) last.tools.push(step);
    } else if (ev.type === "observation") {
      const step = pending.get(ev.id);
      if (step) {
        pending.delete(ev.id);
        step.observation = ev;
        step.output = (ev.content ?? []).flatMap((p) => (p.type === "text" ? [p.text] : [])).join("\n");
        const code = /\[exit code: (-?\d+)\]\s*$/.exec(step.output);
        step.exitCode = code ? Number(code[1]) : null;
      }
    } else if (ev.type === "fake_user") {
      story.steps.push({ kind: "fake_user", text: ev.text, count: ev.count });
    } else if (ev.type === "retry") {
      story.steps.push({ kind: "retry", attempt: ev.attempt, error_class: ev.error_class, message: ev.message, delay_s: ev.delay_s });
    } else if (ev.type === "model_error") {
      story.steps.push({ kind: "model_error", error_class: ev.error_class, message: ev.message });
    } else if (ev.type === "sandbox") {
      story.steps.push({ kind: "sandbox", start_s: ev.start_s });
    } else if (ev.type === "end") {
      story.end = ev;
    } else if (ev.type === "grading") {
      story.steps.push({
        kind: "grading",
        text: `grading in a ${ev.workspace === "reset" ? "reset" : "new"} workspace${ev.reason ? ` (${ev.reason})` : ""}`,
      });
    } else if (ev.type === "grading_result") {
      story.grading = ev;
    }
  }
  return story;
}

/** One line of a rendered diff. */
export interface DiffLine {
  kind: "file" | "hunk" | "add" | "del" | "ctx";
  text: string;
}

/** A unified diff (git's) as classified lines: headers up to the first hunk of each file are `file`. */
export function diffLines(patch: string): DiffLine[] {
  const out: DiffLine[] = [];
  let inHeader = false;
  const lines = patch.split("\n");
  if (lines.at(-1) === "") lines.pop();
  for (const text of lines) {
    if (text.startsWith("diff --git ")) inHeader = true;
    if (text.startsWith("@@")) {
      inHeader = false;
      out.push({ kind: "hunk", text });
    } else if (inHeader) out.push({ kind: "file", text });
    else if (text.startsWith("+")) out.push({ kind: "add", text });
    else if (text.startsWith("-")) out.push({ kind: "del", text });
    else out.push({ kind: "ctx", text });
  }
  return out;
}

/** The grid's filters: "" / -1 mean any. */
export interface GridFilter {
  /** Index of the cell the status / end reason / error class must hold in; -1: any cell. */
  cell: number;
  status: string;
  endReason: string;
  errorClass: string;
  /** Only tasks where some cell resolved and another did not (error and unresolved both count as not). */
  disagree: boolean;
  /** Part of the instance id (case-insensitive). */
  text: string;
}

/** Whether a task passes the filter. `missing` is the status of a cell that has no result for it. */
export function taskMatches(task: ViewTask, f: GridFilter): boolean {
  if (f.text !== "" && !task.id.toLowerCase().includes(f.text.toLowerCase())) return false;
  if (f.disagree) {
    const present = task.results.filter((r) => r !== null);
    const resolved = present.filter((r) => r.status === "resolved").length;
    if (resolved === 0 || resolved === present.length) return false;
  }
  const holds = (r: ViewResult | null): boolean => {
    if (f.status !== "" && (r === null ? "missing" : r.status) !== f.status) return false;
    if (f.endReason !== "" && (r === null || r.end_reason !== f.endReason)) return false;
    if (f.errorClass !== "" && (r === null || r.error_class !== f.errorClass)) return false;
    return true;
  };
  if (f.status === "" && f.endReason === "" && f.errorClass === "") return f.cell < 0 || f.cell < task.results.length;
  return f.cell >= 0 ? holds(task.results[f.cell] ?? null) : task.results.some(holds);
}

/** The distinct values of a result field over every task × cell, sorted (the filter's options). */
export function distinctValues(tasks: readonly ViewTask[], field: "end_reason" | "error_class"): string[] {
  const seen = new Set<string>();
  for (const t of tasks) for (const r of t.results) if (r !== null && r[field] !== null) seen.add(r[field] as string);
  return [...seen].sort();
}

/** Tests of a grading, failing first: [name, group, status]; group from report.json's tests_status when known. */
export function testRows(tests: Record<string, string> | null, report: unknown): [string, string, string][] {
  const group = new Map<string, string>();
  const entry =
    report !== null && typeof report === "object"
      ? (Object.values(report as Record<string, unknown>)[0] as
          | { tests_status?: Record<string, { success?: string[]; failure?: string[] }> }
          | undefined)
      : undefined;
  for (const [g, lists] of Object.entries(entry?.tests_status ?? {})) {
    for (const name of [...(lists.success ?? []), ...(lists.failure ?? [])]) if (!group.has(name)) group.set(name, g);
  }
  const rows: [string, string, string][] = Object.entries(tests ?? {}).map(([name, status]) => [name, group.get(name) ?? "listed", status]);
  const bad = (s: string): number => (s === "PASSED" || s === "XFAIL" ? 1 : 0);
  return rows
    .map((r, i) => [r, i] as const)
    .sort((a, b) => bad(a[0][2]) - bad(b[0][2]) || a[1] - b[1])
    .map(([r]) => r);
}
