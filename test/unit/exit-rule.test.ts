// The always-on exit rule: a cell whose every attempted task ended in an infrastructure error measured nothing.
import { describe, expect, it } from "vitest";
import { runFailures, type FailureInput } from "../../src/report/gates.js";

const r = (
  cell: string,
  id: string,
  status: string,
  error_class: string | null = null,
  error_message: string | null = null,
): FailureInput => ({
  cell,
  instance_id: id,
  status,
  error_class,
  error_message,
});

describe("runFailures", () => {
  it("names each cell with no graded task, its count and the most frequent error class with its first message", () => {
    const results = [
      ...Array.from({ length: 16 }, (_, i) => r("openai/gpt-4o", `t${i}`, "error", "transient", "connection error\nstack")),
      r("openai/gpt-4o", "t16", "error", "sandbox_start", "no space"),
      r("mock/oracle", "t0", "resolved"),
      r("mock/lazy", "t0", "error", "rate_limit", "gave up"),
    ];
    expect(runFailures(results)).toEqual([
      "cell mock/lazy: its 1 attempted task ended in an infrastructure error (rate_limit: gave up)",
      "cell openai/gpt-4o: all 17 attempted tasks ended in an infrastructure error (transient: connection error; 1 other class(es))",
    ]);
  });

  it("passes a cell with one graded task, and judges the latest result of a task (a rerun that succeeded counts)", () => {
    expect(runFailures([r("c", "a", "error", "transient", "x"), r("c", "b", "unresolved")])).toEqual([]);
    expect(runFailures([r("c", "a", "error", "transient", "x"), r("c", "a", "resolved")])).toEqual([]);
    expect(runFailures([r("c", "a", "resolved"), r("c", "a", "error", "grading", null)])).toEqual([
      "cell c: its 1 attempted task ended in an infrastructure error (grading)",
    ]);
    expect(runFailures([])).toEqual([]);
  });
});
