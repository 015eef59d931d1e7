// scripts/check-imports.mjs: the folder import graph of src/ must have no cycle; the script itself on small trees.
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
  it("has no cycle between folders", () => {
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
      "a/one.ts": 'import { E } from "../errors.js";\nimport type { T } from "../b/two.js";\nexport { x } from "../b/three.js";\n',
      "a/two.ts": 'import {\n  y,\n  z,\n} from "../b/two.js";\nconst m = await import("../c/four.js");\nimport "./one.js";\n',
      "b/two.ts": 'import { E } from "../errors.js";\n// import { no } from "../a/one.js";\n/* import("../a/two.js") */\nconst s = "import(\'../c/x.js\')";\n',
      "b/three.ts": "export const x = 1;\n",
      "c/four.ts": 'import x from "node:fs";\nimport y from "zod";\n',
    });
    const { status, out } = check(dir);
    expect(status, out).toBe(0);
    expect(out).toContain("a         → . (1), b (3), c (1)");
    expect(out).toContain("b         → . (1)");
    expect(out).toContain("c         → (nothing)");
    expect(out).toContain("no cycle between folders");
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
});
