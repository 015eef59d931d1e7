// The page's script (serialized by script.ts): filters on the task grid and the task view that opens from a grid
// cell (#t=<cell>.<task>). Builds DOM with textContent only, so text from the data never becomes markup. Every
// function is self-contained apart from the others listed in script.ts (story.ts's and these).

/// <reference lib="dom" />
/// <reference lib="dom.asynciterable" />
import type { DiffLine, GridFilter, Story, StoryStep, TaskFiles, ToolStep, ViewData, ViewResult, ViewTask } from "./story.js";

declare function buildStory(jsonl: string): Story;
declare function diffLines(patch: string): DiffLine[];
declare function taskMatches(task: ViewTask, f: GridFilter): boolean;
declare function distinctValues(tasks: readonly ViewTask[], field: "end_reason" | "error_class"): string[];
declare function testRows(tests: Record<string, string> | null, report: unknown): [string, string, string][];

type Child = Node | string | null;

/** An element with attributes and children; strings become text nodes. */
export function el(tag: string, attrs: Record<string, string> | null, ...children: Child[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) e.setAttribute(k, v);
  for (const c of children) if (c !== null) e.append(typeof c === "string" ? document.createTextNode(c) : c);
  return e;
}

/** Numbers as the page shows them. */
export function fmt(kind: "int" | "usd" | "s", v: number | null | undefined): string {
  if (v === null || v === undefined) return kind === "usd" ? "unknown" : "–";
  if (kind === "int") return String(v).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  if (kind === "s") return `${v.toFixed(2)} s`;
  if (v === 0) return "$0";
  return `$${v < 0.01 ? String(Number(v.toPrecision(3))) : v.toFixed(v < 1 ? 4 : 2)}`;
}

/** The filter bar above the grid; calls `apply` on every change. */
export function renderFilters(data: ViewData, apply: (f: GridFilter) => void): HTMLElement {
  const select = (name: string, label: string, options: [string, string][]): HTMLElement =>
    el("label", null, `${label} `, el("select", { name }, ...options.map(([v, t]) => el("option", { value: v }, t))));
  const bar = el(
    "form",
    { id: "filters", class: "filters" },
    select("cell", "cell", [["-1", "any cell"], ...data.cells.map((c, i): [string, string] => [String(i), c])]),
    select("status", "status", [
      ["", "any"],
      ["resolved", "✓ resolved"],
      ["unresolved", "✗ unresolved"],
      ["error", "! error"],
      ["missing", "– not run"],
    ]),
    select("endReason", "end reason", [["", "any"], ...distinctValues(data.tasks, "end_reason").map((v): [string, string] => [v, v])]),
    select("errorClass", "error class", [["", "any"], ...distinctValues(data.tasks, "error_class").map((v): [string, string] => [v, v])]),
    el("label", null, el("input", { type: "checkbox", name: "disagree" }), " cells disagree"),
    el("label", null, "id ", el("input", { type: "search", name: "text", placeholder: "instance id", size: "16" })),
    el("output", { id: "filter-count" }, ""),
  );
  const read = (): GridFilter => {
    const v = (n: string): string => (bar.querySelector(`[name="${n}"]`) as HTMLInputElement).value;
    return {
      cell: Number(v("cell")),
      status: v("status"),
      endReason: v("endReason"),
      errorClass: v("errorClass"),
      disagree: (bar.querySelector('[name="disagree"]') as HTMLInputElement).checked,
      text: v("text"),
    };
  };
  bar.addEventListener("input", () => apply(read()));
  bar.addEventListener("submit", (e) => e.preventDefault());
  return bar;
}

/** Shows the grid rows that pass the filter; returns how many. */
export function applyFilter(data: ViewData, f: GridFilter): number {
  const rows = document.querySelectorAll<HTMLElement>("#task-grid tbody tr");
  let shown = 0;
  rows.forEach((row) => {
    const task = data.tasks[Number(row.dataset["i"])];
    const ok = task !== undefined && taskMatches(task, f);
    row.hidden = !ok;
    if (ok) shown++;
  });
  // A chosen cell: the grid shows that cell's column only.
  document.querySelectorAll<HTMLElement>("#task-grid tr").forEach((row) => {
    Array.from(row.children).forEach((c, i) => {
      (c as HTMLElement).hidden = i > 0 && f.cell >= 0 && i - 1 !== f.cell;
    });
  });
  const count = document.getElementById("filter-count");
  if (count) count.textContent = `${shown} of ${rows.length} task(s)`;
  return shown;
}

/** The files of a task × cell: from the page, or fetched from `bench view`'s server (null: absent or not embedded). */
export async function loadFiles(data: ViewData, cell: number, task: ViewTask): Promise<TaskFiles | null> {
  const key = `${data.cellDirs[cell]}/${task.id}`;
  if (data.source === "embedded") return data.files?.[key] ?? { trajectory: null, patch: null, test_output: null, report: null };
  if (data.source !== "fetch") return null;
  const base = `tasks/${encodeURIComponent(data.cellDirs[cell] as string)}/${encodeURIComponent(task.id)}/`;
  const get = async (name: string): Promise<string | null> => {
    const r = await fetch(base + name);
    return r.ok ? r.text() : null;
  };
  const [trajectory, patch, test_output, report] = await Promise.all(
    ["trajectory.jsonl", "patch.diff", "test_output.txt", "report.json"].map(get),
  );
  return { trajectory: trajectory ?? null, patch: patch ?? null, test_output: test_output ?? null, report: report ?? null };
}

/** A figure of the task's summary: data-k names it, data-v holds the raw value (tests compare them). */
export function fact(key: string, label: string, shown: string, raw: number | string | null): HTMLElement {
  return el(
    "div",
    { class: "fact", "data-k": key, "data-v": raw === null ? "" : String(raw) },
    el("dt", null, label),
    el("dd", null, shown),
  );
}

/** The task's header: status, end, error, and the result's figures beside the trajectory's. */
export function renderSummary(r: ViewResult, story: Story | null): HTMLElement {
  const t = story?.totals ?? null;
  return el(
    "dl",
    { class: "facts" },
    fact("status", "status", r.status, r.status),
    fact("end_reason", "end reason", r.end_reason + (story?.end?.finish_message ? ` — ${story.end.finish_message}` : ""), r.end_reason),
    r.error_class === null
      ? null
      : fact("error_class", "error", `${r.error_class}${r.error_message ? `: ${r.error_message}` : ""}`, r.error_class),
    fact("llm_calls", "model calls", fmt("int", r.llm_calls), r.llm_calls),
    t === null ? null : fact("trajectory_calls", "calls in trajectory", fmt("int", t.calls), t.calls),
    fact("input_tokens", "input tokens", fmt("int", r.input_tokens), r.input_tokens),
    fact("output_tokens", "output tokens", fmt("int", r.output_tokens), r.output_tokens),
    fact("cache_read_tokens", "cache read", fmt("int", r.cache_read_tokens), r.cache_read_tokens),
    fact("reasoning_tokens", "reasoning", fmt("int", r.reasoning_tokens), r.reasoning_tokens),
    fact("cost_usd", "cost", fmt("usd", r.cost_usd), r.cost_usd),
    fact("wall_s", "wall", fmt("s", r.wall_s), r.wall_s),
    t === null ? null : fact("latency_s", "model time", fmt("s", t.latency), Number(t.latency.toFixed(6))),
    t === null
      ? null
      : fact("trajectory_cost", "cost of the calls", fmt("usd", t.cost), t.cost === null ? null : Number(t.cost.toFixed(8))),
    r.fail_to_pass === null ? null : fact("fail_to_pass", "FAIL_TO_PASS", r.fail_to_pass, r.fail_to_pass),
    r.pass_to_pass === null ? null : fact("pass_to_pass", "PASS_TO_PASS", r.pass_to_pass, r.pass_to_pass),
    r.patch_applied === null ? null : fact("patch_applied", "patch applied", r.patch_applied ? "yes" : "no", String(r.patch_applied)),
  );
}

/** Tool-call arguments: pretty JSON when they parse, else as given. */
export function prettyArguments(raw: string): string {
  try {
    return JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    return raw;
  }
}

export function renderTool(s: ToolStep): HTMLElement {
  const o = s.observation;
  const images = (o?.content ?? []).filter((p) => p.type === "image");
  const head =
    o === null
      ? "no observation (the task ended first)"
      : [`${o.is_error ? "error" : "output"}`, s.exitCode === null ? null : `exit ${s.exitCode}`, fmt("s", o.duration_s)]
          .filter((x) => x !== null)
          .join(" · ");
  return el(
    "div",
    { class: "tool" },
    el("div", { class: "tool-head" }, `⚙ ${s.call.name}`),
    el("pre", { class: "args" }, prettyArguments(s.call.arguments)),
    el("div", { class: o?.is_error ? "obs-head err" : "obs-head" }, head),
    o === null ? null : el("pre", { class: "obs" }, s.output),
    ...images.map((p) =>
      el(
        "div",
        { class: "img" },
        p.type === "image" ? `[image ${p.mediaType}, ${fmt("int", p.bytes)} bytes: not kept in the trajectory]` : "",
      ),
    ),
  );
}

/** One step of the trajectory. */
export function renderStep(step: StoryStep): HTMLElement {
  if (step.kind === "call") {
    const c = step.call;
    const u = c.usage;
    const head = `#${c.iteration} model call · in ${fmt("int", u.inputTokens)} · out ${fmt("int", u.outputTokens)}${u.cacheReadTokens ? ` · cache ${fmt("int", u.cacheReadTokens)}` : ""}${u.reasoningTokens ? ` · reasoning ${fmt("int", u.reasoningTokens)}` : ""} tok · ${c.cost_usd === undefined ? "cost –" : fmt("usd", c.cost_usd)} · ${fmt("s", c.latency_s)}${c.ttft_s !== undefined ? ` (ttft ${fmt("s", c.ttft_s)})` : ""} · ${c.stop_reason}`;
    const reasoning = (c.response.reasoning ?? [])
      .map((r) => r.text)
      .filter((x) => x)
      .join("\n\n");
    return el(
      "li",
      { class: "step step-call" },
      el("div", { class: "step-head" }, head),
      reasoning ? el("details", { class: "reasoning" }, el("summary", null, "reasoning"), el("pre", null, reasoning)) : null,
      c.response.text ? el("pre", { class: "say" }, c.response.text) : null,
      ...step.tools.map(renderTool),
    );
  }
  if (step.kind === "fake_user")
    return el(
      "li",
      { class: "step step-user" },
      el("div", { class: "step-head" }, `fake user reply #${step.count}`),
      el("pre", { class: "say" }, step.text),
    );
  if (step.kind === "retry")
    return el(
      "li",
      { class: "step step-note" },
      `retry ${step.attempt} after ${step.error_class} (waited ${fmt("s", step.delay_s)}): ${step.message}`,
    );
  if (step.kind === "model_error") return el("li", { class: "step step-note err" }, `model error ${step.error_class}: ${step.message}`);
  if (step.kind === "sandbox") return el("li", { class: "step step-note" }, `workspace up after ${fmt("s", step.start_s)}`);
  return el("li", { class: "step step-note" }, step.text);
}

/** The patch as a coloured diff. */
export function renderDiff(patch: string | null): HTMLElement {
  if (patch === null || patch === "") return el("p", { class: "note" }, patch === null ? "No patch.diff." : "Empty patch.");
  return el("pre", { class: "diff" }, ...diffLines(patch).map((l) => el("span", { class: `d-${l.kind}` }, `${l.text}\n`)));
}

/** The grading: every listed test (failing first) and the test output's tail. */
export function renderGrading(r: ViewResult, files: TaskFiles): HTMLElement {
  let report: unknown = null;
  try {
    report = files.report === null ? null : JSON.parse(files.report);
  } catch {
    report = null;
  }
  const rows = testRows(r.tests, report);
  const table =
    rows.length === 0
      ? el("p", { class: "note" }, "No test statuses recorded.")
      : el(
          "table",
          { class: "tests" },
          el("thead", null, el("tr", null, el("th", null, "test"), el("th", null, "group"), el("th", null, "status"))),
          el(
            "tbody",
            null,
            ...rows.map(([n, g, s]) =>
              el("tr", { class: s === "PASSED" || s === "XFAIL" ? "ok" : "bad" }, el("td", null, n), el("td", null, g), el("td", null, s)),
            ),
          ),
        );
  const out = files.test_output;
  const limit = 65536;
  const tail = out === null ? null : out.length > limit ? `… (last ${limit} of ${out.length} characters)\n${out.slice(-limit)}` : out;
  return el(
    "div",
    null,
    table,
    tail === null
      ? el("p", { class: "note" }, "No test_output.txt.")
      : el("details", { class: "test-output" }, el("summary", null, "test output"), el("pre", null, tail)),
  );
}

/** Links to the previous and next task of the grid as filtered now (same cell). */
export function neighbours(cell: number, ti: number): HTMLElement[] {
  const shown = Array.from(document.querySelectorAll<HTMLElement>("#task-grid tbody tr:not([hidden])")).map((r) => Number(r.dataset["i"]));
  const at = shown.indexOf(ti);
  const prev = at > 0 ? shown[at - 1] : undefined;
  const next = at >= 0 && at + 1 < shown.length ? shown[at + 1] : undefined;
  return [
    prev === undefined ? null : el("a", { href: `#t=${cell}.${prev}`, class: "prev" }, "↑ previous task"),
    next === undefined ? null : el("a", { href: `#t=${cell}.${next}`, class: "next" }, "↓ next task"),
  ].filter((x): x is HTMLElement => x !== null);
}

/** Fills #task-view with a task × cell's story. */
export async function openTask(data: ViewData, cell: number, ti: number): Promise<void> {
  const view = document.getElementById("task-view") as HTMLElement;
  const task = data.tasks[ti];
  const r = task?.results[cell] ?? null;
  view.replaceChildren(el("p", { class: "nav" }, el("a", { href: "#grid" }, "← back to the report"), ...neighbours(cell, ti)));
  view.removeAttribute("data-ready");
  const opened = `${cell}.${ti}`;
  view.dataset["open"] = opened;
  document.body.classList.add("viewing");
  window.scrollTo(0, 0);
  if (task === undefined || r === null) {
    view.append(el("p", { class: "note" }, "No result for this task in this cell."));
    view.setAttribute("data-ready", "1");
    return;
  }
  const others = data.cells.map((c, i) =>
    i === cell || task.results[i] === null ? null : el("a", { href: `#t=${i}.${ti}`, class: `s-${task.results[i]?.status}` }, c),
  );
  view.append(
    el(
      "h2",
      null,
      el("span", { class: `badge s-${r.status}` }, r.status),
      ` ${task.id} `,
      el("span", { class: "cellname" }, data.cells[cell] ?? ""),
    ),
  );
  if (others.some((o) => o !== null))
    view.append(el("p", { class: "others" }, "other cells: ", ...others.flatMap((o) => (o === null ? [] : [o, " "]))));
  const files = await loadFiles(data, cell, task).catch((e: unknown) => {
    view.append(el("p", { class: "note err" }, `Could not load the task's files: ${String(e)}`));
    return null;
  });
  if (view.dataset["open"] !== opened || !document.body.classList.contains("viewing")) return; // another task was opened meanwhile
  const story = files?.trajectory ? buildStory(files.trajectory) : null;
  view.append(renderSummary(r, story));
  if (files === null) {
    view.append(el("p", { class: "note" }, data.note ?? "The task's files are not in this page."));
  } else {
    view.append(
      el("h3", null, "Task"),
      story?.statement
        ? el("pre", { class: "statement" }, story.statement)
        : el("p", { class: "note" }, "No task statement (no start event in trajectory.jsonl)."),
    );
    view.append(el("h3", null, `Trajectory (${story?.totals.calls ?? 0} model calls, ${story?.totals.toolCalls ?? 0} tool calls)`));
    if (story === null) view.append(el("p", { class: "note" }, "No trajectory.jsonl."));
    else
      view.append(
        el("ol", { class: "steps" }, ...story.steps.map(renderStep)),
        el(
          "p",
          { class: "end" },
          `end: ${story.end?.end_reason ?? "(no end event)"}${story.end?.error ? ` — ${story.end.error.errorClass}: ${story.end.error.message}` : ""}${story.end?.finish_message ? ` — ${story.end.finish_message}` : ""}`,
        ),
      );
    if (story !== null && story.badLines > 0)
      view.append(el("p", { class: "note" }, `${story.badLines} line(s) of trajectory.jsonl were not whole JSON and are left out.`));
    view.append(el("h3", null, "Patch"), renderDiff(files.patch), el("h3", null, "Grading"), renderGrading(r, files));
  }
  view.setAttribute("data-ready", "1");
}

/** Entry point: reads the data blob, adds the filters, follows #t=<cell>.<task>. */
export function viewerMain(): void {
  const blob = document.getElementById("bench-data");
  if (blob === null) return;
  const data = JSON.parse(blob.textContent ?? "{}") as ViewData;
  const grid = document.getElementById("task-grid");
  if (grid !== null) {
    grid.before(renderFilters(data, (f) => applyFilter(data, f)));
    applyFilter(data, { cell: -1, status: "", endReason: "", errorClass: "", disagree: false, text: "" });
  }
  const route = (): void => {
    const m = /^#t=(\d+)\.(\d+)$/.exec(location.hash);
    if (m) {
      openTask(data, Number(m[1]), Number(m[2])).catch((e: unknown) => {
        const view = document.getElementById("task-view");
        view?.append(el("p", { class: "note err" }, `Could not show this task: ${String(e)}`));
        view?.setAttribute("data-ready", "1");
      });
      return;
    }
    const view = document.getElementById("task-view");
    if (view) {
      view.replaceChildren();
      delete view.dataset["open"];
    }
    if (document.body.classList.contains("viewing")) {
      document.body.classList.remove("viewing");
      document.getElementById("grid")?.scrollIntoView();
    }
  };
  window.addEventListener("hashchange", route);
  route();
  // Measured by scripts/bench-view.ts: the matrix with its filters is ready.
  performance.mark("bench-viewer-ready");
}
