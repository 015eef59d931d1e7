// Sandbox.exec / readFile / writeFile of a Docker workspace through a persistent shell kept for that purpose (each
// command in a subshell, so nothing persists between calls): a runc exec or an archive call costs 55–85 ms of CPU,
// a process started by the shell ~1 ms. The read and write programs are scripts/read-file.sh and write-file.sh.

import { InfraError } from "../errors.js";
import { shellQuote as quote } from "../util/shell-quote.js";
import { HOST_GRACE_MS, KILL_AFTER_SEC, killedByTimeout } from "./exec.js";
import { fsError, pathError } from "./path-errors.js";
import { newId, type ShellSession } from "./shell.js";
import { script as scriptText } from "./shell-scripts.js";
import type { ExecResult } from "./types.js";

export interface ShellExecOptions {
  timeoutSec: number;
  maxOutputBytes: number;
  cwd: string;
  env: Record<string, string>;
}

/**
 * One `Sandbox.exec` through a shell kept open for that purpose: the same `timeout -k K T bash -c <command>` a
 * `docker exec` runs, started by the shell in a subshell (so nothing persists between calls) instead of by a new
 * runc exec, which costs ~65 ms of CPU each on this kind of machine. Rejects with ShellStartError when the shell is
 * gone and cannot be restarted (the caller falls back to a docker exec), with InfraError when it died mid-command.
 */
export async function execInShell(shell: ShellSession, command: string, options: ShellExecOptions): Promise<ExecResult> {
  const env = Object.entries(options.env).map(([key, value]) => quote(`${key}=${value}`));
  const line =
    `( cd -- ${quote(options.cwd)} || exit 126; ` +
    `exec ${env.length > 0 ? `env ${env.join(" ")} ` : ""}timeout -k ${KILL_AFTER_SEC} ${options.timeoutSec} bash -c ${quote(command)} )`;
  const result = await shell.run(line, {
    // The shell's own deadline: HOST_GRACE_MS after the in-container timeout should have killed everything.
    timeoutSec: options.timeoutSec + KILL_AFTER_SEC + HOST_GRACE_MS / 1000,
    maxOutputBytes: options.maxOutputBytes,
  });
  if (result.shellEnded && !result.timedOut) {
    throw new InfraError(
      `lost the command shell of sandbox ${shell.containerId.slice(0, 12)} while a command ran (exit ${result.exitCode})`,
    );
  }
  return {
    exitCode: result.exitCode,
    stdout: result.stdout,
    stderr: result.stderr,
    timedOut: result.timedOut || killedByTimeout(result.exitCode, result.durationMs, options.timeoutSec),
    truncatedBytes: result.truncatedBytes,
    durationMs: result.durationMs,
  };
}

/**
 * `Sandbox.readFile` through the command shell: `stat` then `base64` of the file (symlinks followed). Undefined when
 * the file is larger than `maxBytes` (the caller reads it through Docker's archive API instead).
 */
export async function readFileInShell(shell: ShellSession, target: string, maxBytes: number): Promise<Buffer | undefined> {
  const script = `( set -- ${quote(target)} ${maxBytes}\n${scriptText("read-file")}\n)`;
  const result = await shell.run(script, { timeoutSec: 120, maxOutputBytes: Math.ceil(maxBytes / 3) * 4 + 64 });
  if (result.shellEnded) throw new InfraError(`lost the command shell of sandbox ${shell.containerId.slice(0, 12)} reading ${target}`);
  switch (result.exitCode) {
    case 0:
      return Buffer.from(result.stdout, "base64");
    case 3:
      throw fsError(target, "EISDIR", "is a directory, not a file");
    case 4:
      return undefined;
    case 5:
      throw fsError(target, "EISDIR", `is a ${result.stderr.trim()}, not a file`);
    default:
      throw (
        pathError(target, result.stderr) ??
        new InfraError(`cannot read ${target} in sandbox: ${result.stderr.trim() || `exit ${result.exitCode}`}`)
      );
  }
}

/**
 * `Sandbox.writeFile` through the command shell, as fs.writeFile does it: symlinks followed (by the redirection), a
 * folder refused (EISDIR), missing parents created (0755), the mode kept unless given (the redirection keeps an
 * existing file's; a new file gets 0644 under umask 022). Two processes in the common case (the subshell, `base64 -d`):
 * a process costs ~1 ms of CPU here. The content travels base64 in a here-document, which bash reads byte by byte:
 * callers send only small files this way.
 */
export async function writeFileInShell(shell: ShellSession, target: string, content: Buffer, mode: number | undefined): Promise<void> {
  const delimiter = `__BENCH_DATA_${newId()}`;
  const modeArg = mode === undefined ? "''" : (mode & 0o7777).toString(8);
  const script =
    `( set -- ${quote(target)} ${modeArg}\n${scriptText("write-file")}\n) <<'${delimiter}'\n` +
    `${content.toString("base64").replace(/.{1,76}/g, "$&\n")}${delimiter}\n`;
  const result = await shell.run(script, { timeoutSec: 120, maxOutputBytes: 4_000 });
  if (result.shellEnded) throw new InfraError(`lost the command shell of sandbox ${shell.containerId.slice(0, 12)} writing ${target}`);
  if (result.exitCode === 0) return;
  if (result.exitCode === 3) throw fsError(target, "EISDIR", "is a directory");
  if (result.exitCode === 20) throw fsError(target, "ENOTDIR", "a parent is not a directory");
  throw (
    pathError(target, result.stderr) ??
    new InfraError(`cannot write ${target} in sandbox: ${result.stderr.trim() || `exit ${result.exitCode}`}`)
  );
}
