// The final results table (stdout) and the one interval format: width 80, a cell with no finished task, mock costs.
import { describe, expect, it } from "vitest";
import { abbreviate, formatRate, formatSummaryTable, formatTable } from "../../src/report/format.js";

const bedrock = {
  cell: "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0@us-west-2",
  provider: "bedrock",
  tasks: 300,
  resolved: 188,
  resolve_rate: 188 / 300,
  resolve_rate_ci_low: 0.5708,
  resolve_rate_ci_high: 0.6807,
  cost_usd_total: 123.456,
  llm_latency_s_p50: 4.2,
};
const mock = {
  cell: "mock/oracle",
  provider: "mock",
  tasks: 3,
  resolved: 3,
  resolve_rate: 1,
  resolve_rate_ci_low: 0.4385,
  resolve_rate_ci_high: 1,
  cost_usd_total: 0.0123,
  llm_latency_s_p50: 0.01,
};

describe("formatRate", () => {
  it("is the one interval format: rate% [low–high]", () => {
    expect(formatRate(0.625, 0.409, 0.8)).toBe("62.5% [40.9–80.0]");
    expect(formatRate(0, 0, 0.793)).toBe("0.0% [0.0–79.3]");
  });
});

describe("abbreviate / formatTable", () => {
  it("cuts the middle out, keeping both ends", () => {
    expect(abbreviate("bedrock/us.anthropic.claude@us-west-2", 15)).toBe("bedrock…-west-2");
    expect(abbreviate("short", 15)).toBe("short");
  });
  it("pads columns, right-aligns the given ones, trims line ends", () => {
    expect(
      formatTable(
        ["a", "n"],
        [
          ["xyz", "1"],
          ["q", "100"],
        ],
        new Set([1]),
      ),
    ).toBe("a      n\nxyz    1\nq    100");
  });
});

describe("formatSummaryTable", () => {
  it("at 80 columns: long cell names abbreviated, a cell with no finished task listed, mock costs marked with a footnote", () => {
    const text = formatSummaryTable([bedrock, mock], { width: 80, cells: [bedrock.cell, "mock/oracle", "openai/gpt-4o"] });
    expect(text.split("\n")).toEqual([
      "cell                     tasks  resolved  rate [95% CI]            cost  p50 llm",
      "bedrock/us.…0@us-west-2    300       188  62.7% [57.1–68.1]     $123.46    4.20s",
      "mock/oracle                  3         3  100.0% [43.9–100.0]  $0.0123*    0.01s",
      "openai/gpt-4o                0         0  -                           -        -",
      "* mock cell: cost from a made-up price, not a real one",
      "- no task of this cell finished",
      "",
    ]);
    for (const line of text.split("\n")) expect(line.length).toBeLessThanOrEqual(80);
  });
  it("without a width (a pipe) names are kept whole; no footnote without a mock cost", () => {
    expect(formatSummaryTable([bedrock])).toBe(
      [
        "cell                                                          tasks  resolved  rate [95% CI]         cost  p50 llm",
        "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0@us-west-2    300       188  62.7% [57.1–68.1]  $123.46    4.20s",
        "",
      ].join("\n"),
    );
  });
});
