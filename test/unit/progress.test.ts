// Progress output: pure renderers (counts → exact text) and the reporter's modes with a fake clock and timers.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  ProgressReporter,
  etaSeconds,
  formatCost,
  formatDuration,
  progressMode,
  renderStatusBlock,
  renderFinalLines,
  renderSummaryLine,
  trackGrading,
  type CellProgress,
} from "../../src/runner/progress.js";
import { makeResult } from "./report-fixtures.js";

const cell = (over: Partial<CellProgress>): CellProgress => ({
  cell: "mock/oracle",
  total: 10,
  done: 0,
  running: 0,
  grading: 0,
  resolved: 0,
  errors: 0,
  cost: 0,
  costUnknown: 0,
  finishedNow: 0,
  ...over,
});

describe("renderers", () => {
  it("formats durations, costs and ETAs", () => {
    expect([0, 42, 185, 3725].map(formatDuration)).toEqual(["0s", "42s", "3m05s", "1h02m"]);
    expect(formatCost(0, 0, 0)).toBe("$0.0000");
    expect(formatCost(0.04213, 3, 0)).toBe("$0.0421");
    expect(formatCost(12.345, 3, 0)).toBe("$12.35");
    expect(formatCost(0.5, 2, 1)).toBe("$0.5000+?");
    expect(formatCost(0, 0, 2)).toBe("$?");
    expect(etaSeconds(6, 4, 20)).toBe(30);
    expect(etaSeconds(6, 0, 20)).toBeNull();
    expect(etaSeconds(0, 0, 20)).toBe(0);
  });
  it("renders the live block: totals, then one clipped line per cell", () => {
    const cells = [
      cell({ done: 4, running: 2, resolved: 3, errors: 1, cost: 0.0421, finishedNow: 4 }),
      cell({ cell: "openai/gpt-4o", done: 2, running: 2, resolved: 2, cost: 0, costUnknown: 2, finishedNow: 2 }),
    ];
    expect(renderStatusBlock(cells, 20, 200)).toEqual([
      "bench 20s  6/20 done  4 agents  0 grading  5 resolved  1 error  $0.0421+?  ETA 47s",
      "  mock/oracle    4/10 done  2 agents  0 grading  3 resolved  1 error  $0.0421  ETA 30s",
      "  openai/gpt-4o  2/10 done  2 agents  0 grading  2 resolved  0 errors  $?  ETA 1m20s",
    ]);
    expect(renderStatusBlock([cell({})], 0, 30)).toEqual(["bench 0s  0/10  0 agents  0 g…"]); // too wide: compact, then clipped to 30 characters, the last an ellipsis
  });
  it("renders the plain summary line", () => {
    const cells = [
      cell({ done: 4, resolved: 3, cost: 0.01, finishedNow: 4 }),
      cell({ cell: "mock/wrong", done: 10, finishedNow: 10, cost: 0.02 }),
    ];
    expect(renderSummaryLine(cells, 70)).toBe(
      "progress after 1m10s: 14/20 done, 0 agents, 0 grading, 3 resolved, 0 errors, $0.0300, ETA 30s | mock/oracle 4/10 (3 resolved), mock/wrong 10/10 (0 resolved)",
    );
  });
  it("picks the mode: quiet, live on a TTY without CI, plain otherwise", () => {
    expect(progressMode({ quiet: true, isTTY: true, env: {} })).toBe("quiet");
    expect(progressMode({ quiet: false, isTTY: true, env: {} })).toBe("live");
    expect(progressMode({ quiet: false, isTTY: true, env: { CI: "true" } })).toBe("plain");
    expect(progressMode({ quiet: false, isTTY: true, env: { CI: "false" } })).toBe("live");
    expect(progressMode({ quiet: false, isTTY: false, env: {} })).toBe("plain");
  });
});

describe("renderers at 80 columns (77 usable)", () => {
  const wide = [
    cell({
      cell: "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0@us-west-2",
      total: 300,
      done: 120,
      running: 8,
      grading: 3,
      resolved: 70,
      errors: 2,
      cost: 41.5,
      finishedNow: 120,
    }),
    cell({ cell: "openai/gpt-4o", total: 300, done: 100, running: 8, grading: 1, resolved: 50, cost: 12.25, finishedNow: 100 }),
  ];
  it("the live block switches to compact figures and abbreviates long cell names in the middle", () => {
    expect(renderStatusBlock(wide, 3725, 77)).toEqual([
      "bench 1h02m  220/600  12 agents  4 grading  120 ok  2 err  $53.75  ETA 1h47m",
      "  bedrock/u…us-west-2  120/300  5 agents  3 grading  70 ok  2 err  $41.50",
      "  openai/gpt-4o        100/300  7 agents  1 grading  50 ok  0 err  $12.25",
    ]);
  });
  it("the final lines stay under the width", () => {
    expect(renderFinalLines(wide, 3725, 77)).toEqual([
      "bench finished in 1h02m",
      "  bedrock/us.a…:0@us-west-2  120/300 done  70 resolved  2 errors  $41.50",
      "  openai/gpt-4o              100/300 done  50 resolved  0 errors  $12.25",
    ]);
  });
  it("agents and gradings are told apart; a grading never counts more than the running tasks", () => {
    expect(renderStatusBlock([cell({ running: 3, grading: 2 })], 0, 200)).toEqual([
      "bench 0s  0/10 done  1 agent  2 grading  0 resolved  0 errors  $0.0000  ETA ?",
    ]);
    expect(renderStatusBlock([cell({ running: 1, grading: 2 })], 0, 200)).toEqual([
      "bench 0s  0/10 done  0 agents  1 grading  0 resolved  0 errors  $0.0000  ETA ?",
    ]);
  });
});

describe("ProgressReporter", () => {
  let now = 0;
  let out = "";
  beforeEach(() => {
    vi.useFakeTimers();
    now = 1_000_000;
    out = "";
  });
  afterEach(() => vi.useRealTimers());
  const make = (mode: "live" | "plain" | "quiet") =>
    new ProgressReporter({
      mode,
      write: (t) => (out += t),
      now: () => now,
      columns: () => 120,
      summaryEveryMs: 30_000,
      redrawEveryMs: 1_000,
    });

  it("plain: one line per finished task and a summary line every 30 s, counting results from before a resume", () => {
    const p = make("plain");
    p.begin([{ cell: "mock/oracle", total: 3 }], [makeResult({ instance_id: "old" })]);
    p.taskStarted("mock/oracle");
    p.taskFinished(makeResult({ instance_id: "t1", status: "error", resolved: false, cost_usd: null }), "[1/2] mock/oracle t1: error");
    expect(out).toBe("[1/2] mock/oracle t1: error\n");
    now += 30_000;
    vi.advanceTimersByTime(30_000);
    expect(out).toBe(
      "[1/2] mock/oracle t1: error\nprogress after 30s: 2/3 done, 0 agents, 0 grading, 1 resolved, 1 error, $0.0100+?, ETA 30s\n",
    );
    p.end();
    vi.advanceTimersByTime(60_000);
    expect(out.split("\n")).toHaveLength(3);
  });

  it("live: the block is redrawn in place, log lines go above it, only errors get a line, end() erases it", () => {
    const p = make("live");
    p.log("before");
    p.begin([{ cell: "mock/oracle", total: 2 }], []);
    expect(out).toBe("before\n\r\x1b[Jbench 0s  0/2 done  0 agents  0 grading  0 resolved  0 errors  $0.0000  ETA ?");
    out = "";
    p.taskStarted("mock/oracle");
    expect(out).toBe("\r\x1b[Jbench 0s  0/2 done  1 agent  0 grading  0 resolved  0 errors  $0.0000  ETA ?");
    out = "";
    now += 10_000;
    p.taskFinished(makeResult({ instance_id: "t1" }), "[1/2] mock/oracle t1: resolved");
    expect(out).toBe("\r\x1b[Jbench 10s  1/2 done  0 agents  0 grading  1 resolved  0 errors  $0.0100  ETA 10s");
    out = "";
    p.log("a warning");
    expect(out).toBe("\r\x1b[Ja warning\nbench 10s  1/2 done  0 agents  0 grading  1 resolved  0 errors  $0.0100  ETA 10s");
    out = "";
    p.taskFinished(makeResult({ instance_id: "t2", status: "error", resolved: false }), "[2/2] mock/oracle t2: error");
    expect(out).toBe("\r\x1b[J[2/2] mock/oracle t2: error\nbench 10s  2/2 done  0 agents  0 grading  1 resolved  1 error  $0.0200  ETA 0s");
    out = "";
    p.end();
    // The block gives way to one short line per cell, which stays in the scrollback.
    expect(out).toBe("\r\x1b[Jbench finished in 10s\n  mock/oracle  2/2 done  1 resolved  1 error  $0.0200\n");
    out = "";
    p.log("after");
    expect(out).toBe("after\n");
  });

  it("live with several cells: moves up over the whole block before redrawing", () => {
    const p = make("live");
    p.begin(
      [
        { cell: "a/x", total: 1 },
        { cell: "b/y", total: 1 },
      ],
      [],
    );
    out = "";
    now += 1_000;
    vi.advanceTimersByTime(1_000);
    expect(out.startsWith("\x1b[2A\r\x1b[Jbench 1s")).toBe(true);
    expect(out.split("\n")).toHaveLength(3);
    p.end();
  });

  it("live on a pty without a size (0 columns): 80 columns assumed, lines kept to 77 (room for ^C), names abbreviated", () => {
    const p = new ProgressReporter({ mode: "live", write: (t) => (out += t), now: () => now, columns: () => 0 });
    p.begin(
      [
        { cell: `mock/${"x".repeat(100)}`, total: 1 },
        { cell: "mock/oracle", total: 1 },
      ],
      [],
    );
    expect(out.split("\n")).toEqual([
      "\r\x1b[Jbench 0s  0/2  0 agents  0 grading  0 ok  0 err  $0.0000  ETA ?",
      "  mock/xxxx…xxxxxxxxx  0/1  0 agents  0 grading  0 ok  0 err  $0.0000",
      "  mock/oracle          0/1  0 agents  0 grading  0 ok  0 err  $0.0000",
    ]);
    out = "";
    p.end();
    expect(out.split("\n")).toEqual([
      "\x1b[2A\r\x1b[Jbench finished in 0s",
      "  mock/xxxxxxx…xxxxxxxxxxxx  0/1 done  0 resolved  0 errors  $0.0000",
      "  mock/oracle                0/1 done  0 resolved  0 errors  $0.0000",
      "",
    ]);
  });

  it("live: once the compact form was needed, the block keeps it (no flipping between forms)", () => {
    let columns = 80;
    const p = new ProgressReporter({ mode: "live", write: (t) => (out += t), now: () => now, columns: () => columns });
    const last = () => out.split("\r\x1b[J").at(-1);
    p.begin([{ cell: "mock/oracle", total: 7 }], []);
    expect(last()).toBe("bench 0s  0/7 done  0 agents  0 grading  0 resolved  0 errors  $0.0000  ETA ?");
    now += 10_000;
    vi.advanceTimersByTime(1_000);
    expect(last()).toBe("bench 10s  0/7  0 agents  0 grading  0 ok  0 err  $0.0000  ETA ?");
    columns = 200;
    p.taskStarted("mock/oracle");
    expect(last()).toBe("bench 10s  0/7  1 agent  0 grading  0 ok  0 err  $0.0000  ETA ?");
    p.end();
  });

  it("live: the grading phase shows while the grading runs (trackGrading), then the task is done", async () => {
    const p = make("live");
    p.begin([{ cell: "mock/oracle", total: 1 }], []);
    p.taskStarted("mock/oracle");
    let finish: () => void = () => {};
    const work = trackGrading(p, "mock/oracle", () => new Promise<void>((resolve) => (finish = resolve)));
    out = "";
    const graded = work();
    expect(out).toBe("");
    expect(p.snapshot()[0]).toMatchObject({ running: 1, grading: 1 });
    finish();
    await graded;
    expect(p.snapshot()[0]).toMatchObject({ running: 1, grading: 0 });
    p.taskFinished(makeResult({ instance_id: "t1" }), "[1/1] mock/oracle t1: resolved");
    expect(p.snapshot()[0]).toMatchObject({ running: 0, grading: 0, done: 1 });
    p.end();
  });

  it("live: a notice logged while the block shows (the Ctrl-C one) stays above the redrawn block", () => {
    const p = make("live");
    p.begin([{ cell: "mock/oracle", total: 2 }], []);
    p.taskStarted("mock/oracle");
    out = "";
    p.log("\nSIGINT: stopping");
    now += 1_000;
    vi.advanceTimersByTime(1_000);
    // Each redraw erases only the block's own line: the notice lines above it stay.
    expect(out).toBe(
      "\r\x1b[J\nSIGINT: stopping\nbench 0s  0/2 done  1 agent  0 grading  0 resolved  0 errors  $0.0000  ETA ?" +
        "\r\x1b[Jbench 1s  0/2 done  1 agent  0 grading  0 resolved  0 errors  $0.0000  ETA ?",
    );
    p.end();
  });

  it("quiet: prints no progress, but log lines still go out", () => {
    const p = make("quiet");
    p.begin([{ cell: "mock/oracle", total: 1 }], []);
    p.taskStarted("mock/oracle");
    p.taskFinished(makeResult({ status: "error", resolved: false }), "[1/1] error");
    vi.advanceTimersByTime(120_000);
    expect(out).toBe("");
    p.log("warning: x");
    expect(out).toBe("warning: x\n");
    expect(p.snapshot()).toEqual([cell({ total: 1, done: 1, errors: 1, cost: 0.01, finishedNow: 1 })]);
  });
});
