import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EXEC_MARKER_VAR } from "../../src/sandbox/exec.js";
import { type ScriptName, script } from "../../src/sandbox/shell-scripts.js";

const dir = new URL("../../src/sandbox/scripts/", import.meta.url);
const names = readdirSync(dir)
  .filter((n) => n.endsWith(".sh"))
  .map((n) => n.slice(0, -3))
  .sort();

describe("sandbox shell scripts", () => {
  it("every scripts/*.sh loads, without comment or blank lines, and nothing else is named", () => {
    expect(names).toEqual(["kill-marked", "prepare", "read-file", "reset", "shell-driver", "shell-kill", "write-file"]);
    for (const name of names) {
      const text = script(name as ScriptName);
      expect(text.length).toBeGreaterThan(0);
      for (const line of text.split("\n")) {
        expect(line.trim()).not.toBe("");
        expect(line.trimStart().startsWith("#")).toBe(false);
      }
      expect(text).toBe(script(name as ScriptName)); // loaded once
    }
  });

  it("the scripts that find a command's processes name the exec marker variable bench sets", () => {
    for (const name of ["kill-marked", "shell-kill", "shell-driver"] as const) {
      const source = readFileSync(new URL(`${name}.sh`, dir), "utf8");
      expect(source).toContain(`${EXEC_MARKER_VAR}=`);
      expect(source.match(/\bBENCH_[A-Z_]*ID\b/g)?.every((v) => v === EXEC_MARKER_VAR)).toBe(true);
    }
  });
});
