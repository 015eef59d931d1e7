// Progress output: pure renderers (counts → exact text) and the reporter's modes with a fake clock and timers.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  ProgressReporter,
  etaSeconds,
  formatCost,
  formatDuration,
  progressMode,
  renderStatusBlock,
  renderSummaryLine,
  type CellProgress,
} from "../../src/runner/progress.js";
import { makeResult } from "./report-fixtures.js";

const cell = (over: Partial<CellProgress>): CellProgress => ({
  cell: "mock/oracle",
  total: 10,
  done: 0,
  running: 0,
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
      "bench 20s  6/20 done  4 running  5 resolved  1 error  $0.0421+?  ETA 47s",
      "  mock/oracle    4/10 done  2 running  3 resolved  1 error  $0.0421  ETA 30s",
      "  openai/gpt-4o  2/10 done  2 running  2 resolved  0 errors  $?  ETA 1m20s",
    ]);
    expect(renderStatusBlock([cell({})], 0, 30)).toEqual(["bench 0s  0/10 done  0 runnin…"]); // 30 characters, the last an ellipsis
  });
  it("renders the plain summary line", () => {
    const cells = [cell({ done: 4, resolved: 3, cost: 0.01, finishedNow: 4 }), cell({ cell: "mock/wrong", done: 10, finishedNow: 10, cost: 0.02 })];
    expect(renderSummaryLine(cells, 70)).toBe(
      "progress after 1m10s: 14/20 done, 0 running, 3 resolved, 0 errors, $0.0300, ETA 30s | mock/oracle 4/10 (3 resolved), mock/wrong 10/10 (0 resolved)",
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
    new ProgressReporter({ mode, write: (t) => (out += t), now: () => now, columns: () => 120, summaryEveryMs: 30_000, redrawEveryMs: 1_000 });

  it("plain: one line per finished task and a summary line every 30 s, counting results from before a resume", () => {
    const p = make("plain");
    p.begin([{ cell: "mock/oracle", total: 3 }], [makeResult({ instance_id: "old" })]);
    p.taskStarted("mock/oracle");
    p.taskFinished(makeResult({ instance_id: "t1", status: "error", resolved: false, cost_usd: null }), "[1/2] mock/oracle t1: error");
    expect(out).toBe("[1/2] mock/oracle t1: error\n");
    now += 30_000;
    vi.advanceTimersByTime(30_000);
    expect(out).toBe("[1/2] mock/oracle t1: error\nprogress after 30s: 2/3 done, 0 running, 1 resolved, 1 error, $0.0100+?, ETA 30s\n");
    p.end();
    vi.advanceTimersByTime(60_000);
    expect(out.split("\n")).toHaveLength(3);
  });

  it("live: the block is redrawn in place, log lines go above it, only errors get a line, end() erases it", () => {
    const p = make("live");
    p.log("before");
    p.begin([{ cell: "mock/oracle", total: 2 }], []);
    expect(out).toBe("before\n\r\x1b[Jbench 0s  0/2 done  0 running  0 resolved  0 errors  $0.0000  ETA ?");
    out = "";
    p.taskStarted("mock/oracle");
    expect(out).toBe("\r\x1b[Jbench 0s  0/2 done  1 running  0 resolved  0 errors  $0.0000  ETA ?");
    out = "";
    now += 10_000;
    p.taskFinished(makeResult({ instance_id: "t1" }), "[1/2] mock/oracle t1: resolved");
    expect(out).toBe("\r\x1b[Jbench 10s  1/2 done  0 running  1 resolved  0 errors  $0.0100  ETA 10s");
    out = "";
    p.log("a warning");
    expect(out).toBe("\r\x1b[Ja warning\nbench 10s  1/2 done  0 running  1 resolved  0 errors  $0.0100  ETA 10s");
    out = "";
    p.taskFinished(makeResult({ instance_id: "t2", status: "error", resolved: false }), "[2/2] mock/oracle t2: error");
    expect(out).toBe("\r\x1b[J[2/2] mock/oracle t2: error\nbench 10s  2/2 done  0 running  1 resolved  1 error  $0.0200  ETA 0s");
    out = "";
    p.end();
    expect(out).toBe("\r\x1b[J");
    out = "";
    p.log("after");
    expect(out).toBe("after\n");
  });

  it("live with several cells: moves up over the whole block before redrawing", () => {
    const p = make("live");
    p.begin([{ cell: "a/x", total: 1 }, { cell: "b/y", total: 1 }], []);
    out = "";
    now += 1_000;
    vi.advanceTimersByTime(1_000);
    expect(out.startsWith("\x1b[2A\r\x1b[Jbench 1s")).toBe(true);
    expect(out.split("\n")).toHaveLength(3);
    p.end();
  });

  it("live on a pty without a size (0 columns): lines are clipped to 79, not to nothing", () => {
    const p = new ProgressReporter({ mode: "live", write: (t) => (out += t), now: () => now, columns: () => 0 });
    p.begin([{ cell: `mock/${"x".repeat(100)}`, total: 1 }, { cell: "mock/oracle", total: 1 }], []);
    const lines = out.replace("\r\x1b[J", "").split("\n");
    expect(lines.map((l) => l.length)).toEqual([lines[0]!.length, 79, lines[2]!.length]);
    expect(lines[0]).toBe("bench 0s  0/2 done  0 running  0 resolved  0 errors  $0.0000  ETA ?");
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
