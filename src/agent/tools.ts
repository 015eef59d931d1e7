// The agent's tools: bash, str_replace_editor (editor-tool.ts) and finish, and defaultTools, the set a task gets.
// Tools never throw for the model's mistakes: they return an error observation the model can act on.

import type { ToolSpec } from "../models/types.js";
import { ShellStartError } from "../sandbox/shell.js";
import type { ExecResult, Sandbox, Shell, ShellResult } from "../sandbox/types.js";
import { shellQuote } from "../util/shell-quote.js";
import { EditorTool } from "./editor-tool.js";
import { type Tool, type ToolOptions, type ToolOutput, textOutput, truncateMiddle } from "./tool-types.js";

export { EditorTool } from "./editor-tool.js";
export type { Tool, ToolOptions, ToolOutput } from "./tool-types.js";

const CWD_MARK = "__BENCH_CWD_7f3a__";

/**
 * `bash`: runs a command in one shell kept open in the workspace (Sandbox.openShell), so the working directory and
 * environment persist as in a terminal. When the sandbox has no shell or none can start, each command is one
 * `sandbox.exec`, with the working directory carried over by the tool.
 */
export class BashTool implements Tool {
  readonly spec: ToolSpec = {
    name: "bash",
    description:
      "Run a bash command in the workspace (the repository is at /testbed). The shell persists between calls: the working " +
      "directory and exported variables carry over. Commands get no stdin. Long-running commands are killed after the " +
      "timeout. Output is truncated if very long.",
    parameters: {
      type: "object",
      properties: { command: { type: "string", description: "The bash command to run." } },
      required: ["command"],
    },
  };
  #cwd: string;
  readonly #sandbox: Sandbox;
  readonly #options: Required<ToolOptions>;
  /** The open shell; undefined before the first command, null once it could not start (per-command exec from then on). */
  #shell: Shell | null | undefined;
  /** The shell being opened (prepare, or the first command). */
  #opening: Promise<Shell | null> | undefined;

  constructor(sandbox: Sandbox, options: Required<ToolOptions>) {
    this.#sandbox = sandbox;
    this.#options = options;
    this.#cwd = sandbox.workdir;
  }

  get cwd(): string {
    return this.#cwd;
  }

  async execute(args: Record<string, unknown>): Promise<ToolOutput> {
    const command = args["command"];
    if (typeof command !== "string" || command.trim() === "") return textOutput("Error: `command` must be a non-empty string.", true);
    const result = (await this.#runInShell(command)) ?? (await this.#execOnce(command));
    const sep = (s: string): string => (s && !s.endsWith("\n") ? "\n" : "");
    let out = result.stdout;
    if (result.stderr) out += `${sep(out)}[stderr]\n${result.stderr}`;
    if (result.timedOut) out += `${sep(out)}[command timed out after ${this.#options.commandTimeoutSec} s and was killed]`;
    if (result.timedOut && result.shellEnded) out += `${sep(out)}[the shell was restarted in ${this.#cwd}]`;
    out += `${sep(out)}[exit code: ${result.exitCode}]`;
    return textOutput(truncateMiddle(out, this.#options.maxObservationChars), result.exitCode !== 0);
  }

  /**
   * Opens the shell now, in the background, so the first command finds it open (the runner calls it once the workspace
   * has started, while the model is still thinking). Idempotent.
   */
  prepare(): void {
    if (this.#shell !== undefined || this.#opening !== undefined) return;
    this.#opening = this.#sandbox.openShell ? this.#sandbox.openShell().catch(() => null) : Promise.resolve(null);
  }

  /** The command run in the persistent shell; undefined when there is none (the command was not run). */
  async #runInShell(command: string): Promise<ShellResult | undefined> {
    if (this.#shell === undefined) {
      this.prepare();
      this.#shell = await this.#opening!;
    }
    if (this.#shell === null) return undefined;
    try {
      const result = await this.#shell.run(command, { timeoutSec: this.#options.commandTimeoutSec });
      this.#cwd = result.cwd;
      return result;
    } catch (err) {
      // A replacement shell could not start: the command never ran, so run it (and the rest) the old way.
      if (!(err instanceof ShellStartError)) throw err;
      this.#shell = null;
      return undefined;
    }
  }

  /** One `sandbox.exec` per command: cd to the remembered cwd first, report the new one after a marker. */
  async #execOnce(command: string): Promise<ExecResult & { shellEnded?: boolean }> {
    const script =
      `cd ${shellQuote(this.#cwd)} 2>/dev/null || cd ${shellQuote(this.#sandbox.workdir)}\n${command}\n` +
      `__bench_rc=$?; printf '\\n${CWD_MARK}%s\\n' "$(pwd)"; exit $__bench_rc`;
    const result = await this.#sandbox.exec(script, { timeoutSec: this.#options.commandTimeoutSec });
    const markAt = result.stdout.lastIndexOf(`\n${CWD_MARK}`);
    if (markAt < 0) return result;
    const cwd = result.stdout.slice(markAt + CWD_MARK.length + 1).trim();
    if (cwd.startsWith("/")) this.#cwd = cwd;
    return { ...result, stdout: result.stdout.slice(0, markAt) };
  }
}

/** `finish`: the agent says it is done. */
export class FinishTool implements Tool {
  readonly spec: ToolSpec = {
    name: "finish",
    description: "Call this when the task is 100% done (the fix is in place and verified). Ends the session.",
    parameters: {
      type: "object",
      properties: { message: { type: "string", description: "A short summary of what you changed." } },
      required: ["message"],
    },
  };

  async execute(args: Record<string, unknown>): Promise<ToolOutput> {
    const message = typeof args["message"] === "string" ? args["message"] : "";
    return { ...textOutput("Task marked as finished."), finished: { message } };
  }
}

export function defaultTools(sandbox: Sandbox, options: ToolOptions = {}): Tool[] {
  const resolved: Required<ToolOptions> = {
    commandTimeoutSec: options.commandTimeoutSec ?? 120,
    maxObservationChars: options.maxObservationChars ?? 30_000,
    vision: options.vision ?? true,
  };
  return [new BashTool(sandbox, resolved), new EditorTool(sandbox, resolved), new FinishTool()];
}
