// The agent's tools: bash, str_replace_editor and finish. Each is a name, a JSON schema and an execute().
// Tools never throw for the model's mistakes: they return an error observation the model can act on.

import path from "node:path";
import type { ContentPart, ToolSpec } from "../models/types.js";
import { ShellStartError } from "../sandbox/shell.js";
import type { ExecResult, Sandbox, Shell, ShellResult } from "../sandbox/types.js";
import { shellQuote } from "../util/shell-quote.js";

export interface ToolOutput {
  content: ContentPart[];
  isError: boolean;
  /** Set by `finish`: the loop ends after this round of tool calls. */
  finished?: { message: string };
}

export interface Tool {
  spec: ToolSpec;
  execute(args: Record<string, unknown>): Promise<ToolOutput>;
}

export interface ToolOptions {
  /** Per-command timeout of the bash tool, seconds. @default 120 */
  commandTimeoutSec?: number;
  /** Cap on one observation's characters; the middle is cut. @default 30_000 */
  maxObservationChars?: number;
  /** The editor's `view` of an image file returns the image; false: a text note instead (--no-vision). @default true */
  vision?: boolean;
}

/** Image files the editor's `view` returns as images, by extension. */
export const IMAGE_MEDIA_TYPES: Readonly<Record<string, string>> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
};

/** Largest image sent to a model, as a base64 data URL (OpenAI's per-image limit is 20 MB). */
export const MAX_IMAGE_DATA_URL_BYTES = 20 * 1024 * 1024;

/** The media type the bytes say they are (PNG, JPEG, GIF, WebP magic numbers), or undefined. */
export function sniffImageType(bytes: Buffer): string | undefined {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "image/png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(bytes.subarray(0, 6).toString("latin1"))) return "image/gif";
  if (bytes.length >= 12 && bytes.subarray(0, 4).toString("latin1") === "RIFF" && bytes.subarray(8, 12).toString("latin1") === "WEBP")
    return "image/webp";
  return undefined;
}

/** Length of a base64 data URL holding `bytes` bytes of `mediaType`. */
export function dataUrlLength(bytes: number, mediaType: string): number {
  return `data:${mediaType};base64,`.length + 4 * Math.ceil(bytes / 3);
}

const text = (t: string, isError = false): ToolOutput => ({ content: [{ type: "text", text: t }], isError });

/** Keeps head and tail of an over-long observation and says how much was cut. */
export function truncateMiddle(value: string, max: number): string {
  if (value.length <= max) return value;
  const half = Math.floor(max / 2);
  const cut = value.length - 2 * half;
  return `${value.slice(0, half)}\n[... ${cut} characters truncated ...]\n${value.slice(value.length - half)}`;
}

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
    if (typeof command !== "string" || command.trim() === "") return text("Error: `command` must be a non-empty string.", true);
    const result = (await this.#runInShell(command)) ?? (await this.#execOnce(command));
    const sep = (s: string): string => (s && !s.endsWith("\n") ? "\n" : "");
    let out = result.stdout;
    if (result.stderr) out += `${sep(out)}[stderr]\n${result.stderr}`;
    if (result.timedOut) out += `${sep(out)}[command timed out after ${this.#options.commandTimeoutSec} s and was killed]`;
    if (result.timedOut && result.shellEnded) out += `${sep(out)}[the shell was restarted in ${this.#cwd}]`;
    out += `${sep(out)}[exit code: ${result.exitCode}]`;
    return text(truncateMiddle(out, this.#options.maxObservationChars), result.exitCode !== 0);
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

/** `str_replace_editor`: view, create, str_replace, insert, undo_edit on absolute paths in the workspace. */
export class EditorTool implements Tool {
  readonly spec: ToolSpec = {
    name: "str_replace_editor",
    description:
      "View and edit files. `view` shows a file with line numbers (or lists a directory), `create` writes a new file, " +
      "`str_replace` replaces one exact, unique occurrence of old_str with new_str, `insert` inserts new_str after line " +
      "insert_line (0 = at the top), `undo_edit` reverts the last edit of a file. Paths must be absolute.",
    parameters: {
      type: "object",
      properties: {
        command: { type: "string", enum: ["view", "create", "str_replace", "insert", "undo_edit"] },
        path: { type: "string", description: "Absolute path, e.g. /testbed/pkg/module.py" },
        file_text: { type: "string", description: "Content for `create`." },
        old_str: { type: "string", description: "Exact text to replace (`str_replace`); must occur exactly once." },
        new_str: { type: "string", description: "Replacement (`str_replace`) or text to insert (`insert`)." },
        insert_line: { type: "integer", description: "Line after which to insert (`insert`)." },
        view_range: {
          type: "array",
          items: { type: "integer" },
          description: "[start, end] lines for `view` (1-based, end -1 = to the end).",
        },
      },
      required: ["command", "path"],
    },
  };
  readonly #sandbox: Sandbox;
  readonly #history = new Map<string, (string | null)[]>();
  readonly #maxChars: number;
  readonly #vision: boolean;

  constructor(sandbox: Sandbox, options: Required<ToolOptions>) {
    this.#sandbox = sandbox;
    this.#maxChars = options.maxObservationChars;
    this.#vision = options.vision;
  }

  async execute(args: Record<string, unknown>): Promise<ToolOutput> {
    const command = args["command"];
    const file = args["path"];
    if (typeof file !== "string" || !path.posix.isAbsolute(file)) {
      return text(`Error: \`path\` must be an absolute path, got ${JSON.stringify(file)}.`, true);
    }
    const p = path.posix.normalize(file);
    switch (command) {
      case "view":
        return this.#view(p, args["view_range"]);
      case "create":
        return this.#create(p, args["file_text"]);
      case "str_replace":
        return this.#replace(p, args["old_str"], args["new_str"]);
      case "insert":
        return this.#insert(p, args["insert_line"], args["new_str"]);
      case "undo_edit":
        return this.#undo(p);
      default:
        return text(
          `Error: unknown command ${JSON.stringify(command)}; expected one of view, create, str_replace, insert, undo_edit.`,
          true,
        );
    }
  }

  async #kind(p: string): Promise<"file" | "dir" | "missing" | "other"> {
    const r = await this.#sandbox.exec(
      `if [ -d ${shellQuote(p)} ]; then echo dir; elif [ -f ${shellQuote(p)} ]; then echo file; elif [ -e ${shellQuote(p)} ]; then echo other; else echo missing; fi`,
      { timeoutSec: 30 },
    );
    const kind = r.stdout.trim();
    return kind === "dir" || kind === "file" || kind === "other" ? kind : "missing";
  }

  async #read(p: string): Promise<string> {
    return (await this.#sandbox.readFile(p)).toString("utf8");
  }

  async #write(p: string, content: string, previous: string | null): Promise<void> {
    await this.#sandbox.writeFile(p, content);
    const stack = this.#history.get(p) ?? [];
    stack.push(previous);
    this.#history.set(p, stack);
  }

  async #view(p: string, range: unknown): Promise<ToolOutput> {
    const kind = await this.#kind(p);
    if (kind === "missing") return text(`Error: the path ${p} does not exist.`, true);
    if (kind === "dir") {
      const r = await this.#sandbox.exec(`find ${shellQuote(p)} -maxdepth 2 -not -path '*/.*' -not -name '__pycache__' | sort`, {
        timeoutSec: 30,
      });
      return text(truncateMiddle(`Files and directories up to 2 levels deep in ${p}:\n${r.stdout}`, this.#maxChars), r.exitCode !== 0);
    }
    const imageType = IMAGE_MEDIA_TYPES[path.posix.extname(p).toLowerCase()];
    if (imageType !== undefined) return this.#viewImage(p, imageType);
    const content = await this.#read(p);
    const lines = content.split("\n");
    if (lines.length > 1 && lines.at(-1) === "") lines.pop();
    let start = 1;
    let end = lines.length;
    if (range !== undefined) {
      if (!Array.isArray(range) || range.length !== 2 || !range.every((n) => Number.isInteger(n))) {
        return text("Error: `view_range` must be two integers [start, end].", true);
      }
      [start, end] = range as [number, number];
      if (end === -1) end = lines.length;
      if (start < 1 || start > Math.max(lines.length, 1) || end < start || end > lines.length) {
        return text(`Error: invalid view_range [${range.join(", ")}]: the file has ${lines.length} lines.`, true);
      }
    }
    const numbered = lines
      .slice(start - 1, end)
      .map((line, i) => `${String(start + i).padStart(6)}\t${line}`)
      .join("\n");
    return text(truncateMiddle(`Here's the result of running \`cat -n\` on ${p}:\n${numbered}\n`, this.#maxChars));
  }

  /** An image file as an image part (base64, the media type its bytes show), size-checked before it is read. */
  async #viewImage(p: string, byExtension: string): Promise<ToolOutput> {
    const stat = await this.#sandbox.exec(`stat -c %s ${shellQuote(p)}`, { timeoutSec: 30 });
    const size = Number(stat.stdout.trim());
    if (stat.exitCode !== 0 || !Number.isFinite(size)) return text(`Error: cannot read the size of ${p}: ${stat.stderr.trim()}`, true);
    const mb = (n: number): string => `${(n / (1024 * 1024)).toFixed(1)} MB`;
    if (!this.#vision) {
      return text(`[${p} is an image (${byExtension}, ${size} bytes); it is not shown because vision is off for this run (--no-vision).]`);
    }
    const urlLength = dataUrlLength(size, byExtension);
    if (urlLength > MAX_IMAGE_DATA_URL_BYTES) {
      return text(
        `Error: ${p} is ${mb(size)}; as a base64 data URL it would be ${mb(urlLength)}, over the ${mb(MAX_IMAGE_DATA_URL_BYTES)} limit for images sent to the model. ` +
          "Make a smaller copy (e.g. scale it down with Python) and view that instead.",
        true,
      );
    }
    const bytes = await this.#sandbox.readFile(p);
    const mediaType = sniffImageType(bytes);
    if (mediaType === undefined) {
      return text(
        `Error: ${p} has an image extension but is not a PNG, JPEG, GIF or WebP image; view it with \`bash\` (e.g. \`file ${p}\`) instead.`,
        true,
      );
    }
    return {
      content: [
        { type: "text", text: `Image ${p} (${mediaType}, ${size} bytes):` },
        { type: "image", mediaType, data: bytes.toString("base64") },
      ],
      isError: false,
    };
  }

  async #create(p: string, fileText: unknown): Promise<ToolOutput> {
    if (typeof fileText !== "string") return text("Error: `file_text` is required for `create`.", true);
    const kind = await this.#kind(p);
    if (kind !== "missing") {
      return text(`Error: ${p} already exists; use \`str_replace\` or \`insert\` to change it.`, true);
    }
    await this.#write(p, fileText, null);
    return text(`File created successfully at: ${p}`);
  }

  async #replace(p: string, oldStr: unknown, newStr: unknown): Promise<ToolOutput> {
    if (typeof oldStr !== "string" || oldStr === "") return text("Error: `old_str` is required and must not be empty.", true);
    if (newStr !== undefined && typeof newStr !== "string") return text("Error: `new_str` must be a string.", true);
    if ((await this.#kind(p)) !== "file") return text(`Error: the file ${p} does not exist.`, true);
    const content = await this.#read(p);
    const positions: number[] = [];
    for (let at = content.indexOf(oldStr); at !== -1; at = content.indexOf(oldStr, at + 1)) positions.push(at);
    if (positions.length === 0) {
      return text(`Error: no replacement was performed: old_str did not appear verbatim in ${p}.`, true);
    }
    if (positions.length > 1) {
      const lineNumbers = positions.map((at) => content.slice(0, at).split("\n").length);
      return text(
        `Error: no replacement was performed: old_str occurs ${positions.length} times in ${p} (lines ${lineNumbers.join(", ")}). Include more context to make it unique.`,
        true,
      );
    }
    const replacement = (newStr as string | undefined) ?? "";
    const updated = content.slice(0, positions[0]) + replacement + content.slice(positions[0]! + oldStr.length);
    await this.#write(p, updated, content);
    const firstLine = content.slice(0, positions[0]).split("\n").length;
    return text(`The file ${p} has been edited. ${snippet(updated, firstLine, replacement.split("\n").length)}`);
  }

  async #insert(p: string, line: unknown, newStr: unknown): Promise<ToolOutput> {
    if (typeof newStr !== "string") return text("Error: `new_str` is required for `insert`.", true);
    if (typeof line !== "number" || !Number.isInteger(line)) return text("Error: `insert_line` must be an integer.", true);
    if ((await this.#kind(p)) !== "file") return text(`Error: the file ${p} does not exist.`, true);
    const content = await this.#read(p);
    const lines = content.split("\n");
    const trailingNewline = lines.length > 1 && lines.at(-1) === "";
    if (trailingNewline) lines.pop();
    if (line < 0 || line > lines.length) {
      return text(`Error: invalid insert_line ${line}: it must be between 0 and ${lines.length}.`, true);
    }
    const inserted = newStr.split("\n");
    lines.splice(line, 0, ...inserted);
    const updated = lines.join("\n") + (trailingNewline || content === "" ? "\n" : "");
    await this.#write(p, updated, content);
    return text(`The file ${p} has been edited. ${snippet(updated, line + 1, inserted.length)}`);
  }

  async #undo(p: string): Promise<ToolOutput> {
    const stack = this.#history.get(p);
    if (!stack || stack.length === 0) return text(`Error: no edit to undo for ${p}.`, true);
    const previous = stack.pop()!;
    if (previous === null) {
      await this.#sandbox.exec(`rm -f ${shellQuote(p)}`, { timeoutSec: 30 });
      return text(`Undid the creation of ${p}: the file was removed.`);
    }
    await this.#sandbox.writeFile(p, previous);
    return text(`Last edit to ${p} undone successfully.`);
  }
}

function snippet(content: string, firstLine: number, lineCount: number): string {
  const lines = content.split("\n");
  const from = Math.max(1, firstLine - 4);
  const to = Math.min(lines.length, firstLine + lineCount + 3);
  const body = lines
    .slice(from - 1, to)
    .map((l, i) => `${String(from + i).padStart(6)}\t${l}`)
    .join("\n");
  return `Here's a snippet of the edited file:\n${body}\nReview the changes and make sure they are as expected.`;
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
    return { ...text("Task marked as finished."), finished: { message } };
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
