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
