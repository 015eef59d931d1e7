// Folder arrows point one way: cli → runner → config → (agent, grading, mock) → (models, sandbox, datasets) → report →
// (errors.ts, gate.ts, util). A module imports from its own folder, its group's siblings, or folders to its right.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ORDER = [["cli"], ["runner"], ["config"], ["agent", "grading", "mock"], ["models", "sandbox", "datasets"], ["report"], ["errors.ts", "gate.ts", "util"]];
const rank = new Map(ORDER.flatMap((group, i) => group.map((name) => [name, i] as const)));
const src = path.resolve(import.meta.dirname, "../../src");

/** Imports that point the wrong way today, in folders other work is untangling; remove each from here once it is gone. */
const KNOWN = [
  "datasets/load.ts -> grading/log-parsers.ts",
  "datasets/load.ts -> grading/specs.ts",
  "datasets/types.ts -> grading/log-parsers.ts",
  "datasets/types.ts -> grading/specs.ts",
  "datasets/validate.ts -> grading/grader.ts",
  "grading/grader.ts -> runner/workspace.ts",
  "mock/quota.ts -> runner/token-bucket.ts",
  "sandbox/janitor.ts -> runner/resume.ts",
];

function backwardImports(): string[] {
  const found: string[] = [];
  for (const file of readdirSync(src, { recursive: true }).map(String).filter((f) => f.endsWith(".ts"))) {
    const top = file.split(path.sep)[0]!;
    const text = readFileSync(path.join(src, file), "utf8");
    for (const m of text.matchAll(/(?:from|import\()\s*"(\.[^"]+)"/g)) {
      const target = path.normalize(path.join(path.dirname(file), m[1]!)).replace(/\.js$/, ".ts");
      const to = target.split(path.sep)[0]!;
      const a = rank.get(top);
      const b = rank.get(to);
      if (to !== top && a !== undefined && b !== undefined && b < a) found.push(`${file} -> ${target}`);
    }
  }
  return found.sort();
}

describe("folder arrows", () => {
  it("no module imports from a folder to its left (beyond the known list)", () => {
    expect(backwardImports().filter((i) => !KNOWN.includes(i))).toEqual([]);
  });
});
