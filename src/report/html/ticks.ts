// Axis ticks on round values (1, 2 or 5 × 10^k) and a simple label placement that avoids collisions. Pure.

/** The nice step (1, 2 or 5 × 10^k) nearest above `span / target`. */
export function niceStep(span: number, target: number): number {
  if (!(span > 0) || !(target > 0)) return 1;
  const raw = span / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  const m = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return m * power;
}

/**
 * Ticks from `min` to at least `max`, every `step` (niceStep), about `target` intervals: the axis ends on the last tick.
 * Values are rounded to the step's decimals, so 0.1 + 0.2 shows as 0.3.
 */
export function niceTicks(min: number, max: number, target = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (max <= min) max = min === 0 ? 1 : min + Math.abs(min);
  const step = niceStep(max - min, target);
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  const round = (v: number): number => Number(v.toFixed(decimals));
  const first = Math.floor(min / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; ; v += step) {
    ticks.push(round(v));
    if (v >= max - step * 1e-9) break;
  }
  return ticks;
}

/** A label box: anchor point (x, y) and its size. */
export interface LabelRequest {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where a label goes: its top-left corner. */
export interface PlacedLabel {
  x: number;
  y: number;
}

interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

const overlaps = (a: Box, b: Box): boolean => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;

/**
 * Greedy placement: each label (in order) takes the first candidate position around its point — right-above,
 * right-below, left-above, left-below, then further up or down in steps of its height — that overlaps neither an
 * earlier label nor any point (a `pointRadius` square), and stays within [0, width] × [0, height] when it can.
 */
export function placeLabels(labels: readonly LabelRequest[], area: { width: number; height: number }, pointRadius = 5): PlacedLabel[] {
  const gap = pointRadius + 3;
  const points: Box[] = labels.map((l) => ({ x1: l.x - pointRadius, y1: l.y - pointRadius, x2: l.x + pointRadius, y2: l.y + pointRadius }));
  const taken: Box[] = [];
  return labels.map((l) => {
    const candidates: PlacedLabel[] = [
      { x: l.x + gap, y: l.y - gap - l.height + 4 },
      { x: l.x + gap, y: l.y + gap - 4 },
      { x: l.x - gap - l.width, y: l.y - gap - l.height + 4 },
      { x: l.x - gap - l.width, y: l.y + gap - 4 },
    ];
    for (let k = 1; k <= 12; k++) {
      candidates.push({ x: l.x + gap, y: l.y - gap - l.height + 4 - k * l.height });
      candidates.push({ x: l.x + gap, y: l.y + gap - 4 + k * l.height });
    }
    const box = (c: PlacedLabel): Box => ({ x1: c.x, y1: c.y, x2: c.x + l.width, y2: c.y + l.height });
    const inside = (b: Box): boolean => b.x1 >= 0 && b.y1 >= 0 && b.x2 <= area.width && b.y2 <= area.height;
    const free = (b: Box): boolean => !taken.some((t) => overlaps(t, b)) && !points.some((p) => overlaps(p, b));
    const chosen =
      candidates.find((c) => inside(box(c)) && free(box(c))) ?? candidates.find((c) => free(box(c))) ?? (candidates[0] as PlacedLabel);
    taken.push(box(chosen));
    return chosen;
  });
}
