// The bash programs bench runs inside workspaces, kept as checked files (src/sandbox/scripts/*.sh, shellcheck in CI)
// and loaded once, on first use. The build copies them next to the compiled module (dist/sandbox/scripts/), so the
// same relative lookup serves vitest (src/) and the compiled CLI (dist/).

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { InfraError, errorMessage } from "../errors.js";

export type ScriptName = "prepare" | "reset" | "kill-marked" | "shell-kill" | "shell-driver" | "read-file" | "write-file";

const loaded = new Map<ScriptName, string>();

/**
 * The text of `scripts/<name>.sh`, without its whole-line comments and blank lines: the shell-driver, read-file and
 * write-file programs travel through a shell's stdin, which bash reads one byte per system call. No script holds a
 * here-document, so no `#` line is data.
 */
export function script(name: ScriptName): string {
  let text = loaded.get(name);
  if (text === undefined) {
    const file = fileURLToPath(new URL(`./scripts/${name}.sh`, import.meta.url));
    let source: string;
    try {
      source = readFileSync(file, "utf8");
    } catch (err) {
      throw new InfraError(`bench is incomplete: cannot read ${file} (${errorMessage(err)}); run \`npm run build\` again`, { cause: err });
    }
    text = source
      .split("\n")
      .filter((line) => line.trim() !== "" && !line.trimStart().startsWith("#"))
      .join("\n");
    loaded.set(name, text);
  }
  return text;
}
