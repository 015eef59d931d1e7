import { describe, expect, it } from "vitest";
import { niceStep, niceTicks, placeLabels } from "../../src/report/html/ticks.js";

describe("niceTicks", () => {
  it("steps are 1, 2 or 5 × 10^k and the axis ends on a tick", () => {
    expect(niceStep(10, 5)).toBe(2);
    expect(niceStep(0.37, 5)).toBe(0.1);
    expect(niceStep(7, 5)).toBe(2);
    expect(niceStep(23, 5)).toBe(5);
    expect(niceTicks(0, 10)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0, 0.37)).toEqual([0, 0.1, 0.2, 0.3, 0.4]);
    expect(niceTicks(0, 0.0123)).toEqual([0, 0.005, 0.01, 0.015]);
    expect(niceTicks(0, 9.3)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 1, 4)).toEqual([0, 0.5, 1]);
    expect(niceTicks(0, 1234)).toEqual([0, 500, 1000, 1500]);
    expect(niceTicks(3, 17)).toEqual([0, 5, 10, 15, 20]);
  });
  it("a degenerate range still gives an axis", () => {
    expect(niceTicks(0, 0)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(2, 2)).toEqual([2, 2.5, 3, 3.5, 4]);
    expect(niceTicks(Number.NaN, 1)).toEqual([0, 1]);
  });
});

describe("placeLabels", () => {
  it("a lone label goes right-above its point", () => {
    expect(placeLabels([{ x: 100, y: 100, width: 50, height: 14 }], { width: 400, height: 300 })).toEqual([{ x: 108, y: 82 }]);
  });
  it("labels of points at the same place do not overlap each other", () => {
    const placed = placeLabels(
      [
        { x: 100, y: 100, width: 50, height: 14 },
        { x: 100, y: 100, width: 50, height: 14 },
        { x: 102, y: 101, width: 50, height: 14 },
      ],
      { width: 400, height: 300 },
    );
    expect(placed).toEqual([
      { x: 108, y: 82 },
      { x: 108, y: 104 },
      { x: 44, y: 83 },
    ]);
  });
  it("a label near the right edge goes left of its point", () => {
    expect(placeLabels([{ x: 380, y: 100, width: 50, height: 14 }], { width: 400, height: 300 })).toEqual([{ x: 322, y: 82 }]);
  });
});

describe("cost scatter labels", () => {
  it("two cells at the same point get labels that do not overlap", async () => {
    const { costScatter } = await import("../../src/report/html/charts.js");
    const { summarize } = await import("../../src/report/summary.js");
    const { makeResult } = await import("./report-fixtures.js");
    const rows = summarize([makeResult({ cell: "a/one" }), makeResult({ cell: "b/two", provider: "b", model: "two" })], {
      runId: "r",
      runWallS: null,
    });
    const svg = costScatter(rows);
    const labels = [...svg.matchAll(/<text class="label" x="([\d.]+)" y="([\d.]+)">([^<]*)<\/text>/g)].map((m) => ({
      x: Number(m[1]),
      y: Number(m[2]),
      w: 7 * m[3]!.length,
    }));
    expect(labels).toHaveLength(2);
    const [a, b] = labels as [(typeof labels)[0], (typeof labels)[0]];
    const overlap = a.x < b.x + b.w && b.x < a.x + a.w && Math.abs(a.y - b.y) < 14;
    expect(overlap).toBe(false);
    // The x axis ends on a round tick: $0.01 per task → ticks $0 … $0.01 by $0.002.
    expect([...svg.matchAll(/text-anchor="middle">(\$[\d.]+)<\/text>/g)].map((m) => m[1])).toEqual([
      "$0",
      "$0.002",
      "$0.004",
      "$0.006",
      "$0.008",
      "$0.01",
    ]);
  });
});
