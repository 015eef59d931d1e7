// scripts/check-imports.mjs: the folder import graph of src/ has no cycle and follows the declared order (cli → runner →
// config → agent, grading, mock → models, sandbox, datasets → report → ., util); the script itself on small trees.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const script = path.join(root, "scripts", "check-imports.mjs");

const check = (srcDir?: string) => {
  const r = spawnSync(process.execPath, [script, ...(srcDir ? [srcDir] : [])], { encoding: "utf8" });
  return { status: r.status, out: r.stdout + r.stderr };
};

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A src/ tree from {relative path: contents}. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "import-graph-"));
  dirs.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

describe("src/ folder import graph", () => {
  it("has no cycle between folders and every import follows the declared order", () => {
    const { status, out } = check();
    // On failure the message is the script's report: the cycles and the file:line imports that make them.
    expect(out).toContain("no cycle between folders");
    expect(status, out).toBe(0);
  });
});

describe("check-imports.mjs", () => {
  it("counts static, type, re-export and dynamic imports per folder edge; root files are folder '.'", () => {
    const dir = tree({
      "errors.ts": "export class E {}\n",
      "runner/one.ts":
        'import { E } from "../errors.js";\nimport type { T } from "../report/two.js";\nexport { x } from "../report/three.js";\n',
      "runner/two.ts":
        'import {\n  y,\n  z,\n} from "../report/two.js";\nconst m = await import("../sandbox/four.js");\nimport "./one.js";\n',
      "report/two.ts":
        'import { E } from "../errors.js";\n// import { no } from "../runner/one.js";\n/* import("../runner/two.js") */\nconst s = "import(\'../util/x.js\')";\n',
      "report/three.ts": "export const x = 1;\n",
      "sandbox/four.ts": 'import x from "node:fs";\nimport y from "zod";\n',
    });
    const { status, out } = check(dir);
    expect(status, out).toBe(0);
    expect(out).toContain("runner    → . (1), report (3), sandbox (1)");
    expect(out).toContain("report    → . (1)");
    expect(out).toContain("sandbox   → (nothing)");
    expect(out).toContain("no cycle between folders");
    expect(out).toContain("  every import follows it");
  });

  it("exits 1 on a cycle between folders and names the imports that make it", () => {
    const dir = tree({
      "a/one.ts": 'import { b } from "../b/two.js";\n',
      "b/two.ts": 'export const b = 1;\n\nconst a = await import("../c/three.js");\n',
      "c/three.ts": 'import type { A } from "../a/one.js";\nimport { x } from "./four.js";\n',
      "c/four.ts": "export const x = 1;\n",
    });
    const { status, out } = check(dir);
    expect(status).toBe(1);
    expect(out).toContain("1 cycle(s) between folders:\n  a → b → c → a\n");
    expect(out).toContain("a/one.ts:1 imports ../b/two.js");
    expect(out).toContain("b/two.ts:3 imports ../c/three.js");
    expect(out).toContain("c/three.ts:1 imports ../a/one.js");
  });

  it("exits 1 on an import pointing up the declared order, and on a folder the order does not place", () => {
    const dir = tree({
      "report/table.ts": 'import type { Run } from "../runner/run.js";\n',
      "runner/run.ts": "export interface Run { id: string }\n",
      "extras/thing.ts": 'import { x } from "../util/x.js";\n',
      "util/x.ts": "export const x = 1;\n",
    });
    const { status, out } = check(dir);
    expect(status, out).toBe(1);
    expect(out).toContain("no cycle between folders");
    expect(out).toContain("  extras: not in the declared order (scripts/check-imports.mjs ORDER)");
    expect(out).toContain("  report/table.ts:1 imports ../runner/run.js: report → runner points up the order");
    expect(out).not.toContain("every import follows it");
  });
});
