// The `str_replace_editor` tool: view (text with line numbers, a directory listing, an image), create, str_replace,
// insert and undo_edit on absolute paths in the workspace. Mistakes are error observations, never exceptions.

import path from "node:path";
import type { ToolSpec } from "../models/types.js";
import type { Sandbox } from "../sandbox/types.js";
import { shellQuote } from "../util/shell-quote.js";
import { type Tool, type ToolOptions, type ToolOutput, textOutput, truncateMiddle } from "./tool-types.js";

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
      return textOutput(`Error: \`path\` must be an absolute path, got ${JSON.stringify(file)}.`, true);
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
        return textOutput(
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
    if (kind === "missing") return textOutput(`Error: the path ${p} does not exist.`, true);
    if (kind === "dir") {
      const r = await this.#sandbox.exec(`find ${shellQuote(p)} -maxdepth 2 -not -path '*/.*' -not -name '__pycache__' | sort`, {
        timeoutSec: 30,
      });
      return textOutput(
        truncateMiddle(`Files and directories up to 2 levels deep in ${p}:\n${r.stdout}`, this.#maxChars),
        r.exitCode !== 0,
      );
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
        return textOutput("Error: `view_range` must be two integers [start, end].", true);
      }
      [start, end] = range as [number, number];
      if (end === -1) end = lines.length;
      if (start < 1 || start > Math.max(lines.length, 1) || end < start || end > lines.length) {
        return textOutput(`Error: invalid view_range [${range.join(", ")}]: the file has ${lines.length} lines.`, true);
      }
    }
    const numbered = lines
      .slice(start - 1, end)
      .map((line, i) => `${String(start + i).padStart(6)}\t${line}`)
      .join("\n");
    return textOutput(truncateMiddle(`Here's the result of running \`cat -n\` on ${p}:\n${numbered}\n`, this.#maxChars));
  }

  /** An image file as an image part (base64, the media type its bytes show), size-checked before it is read. */
  async #viewImage(p: string, byExtension: string): Promise<ToolOutput> {
    const stat = await this.#sandbox.exec(`stat -c %s ${shellQuote(p)}`, { timeoutSec: 30 });
    const size = Number(stat.stdout.trim());
    if (stat.exitCode !== 0 || !Number.isFinite(size))
      return textOutput(`Error: cannot read the size of ${p}: ${stat.stderr.trim()}`, true);
    const mb = (n: number): string => `${(n / (1024 * 1024)).toFixed(1)} MB`;
    if (!this.#vision) {
      return textOutput(
        `[${p} is an image (${byExtension}, ${size} bytes); it is not shown because vision is off for this run (--no-vision).]`,
      );
    }
    const urlLength = dataUrlLength(size, byExtension);
    if (urlLength > MAX_IMAGE_DATA_URL_BYTES) {
      return textOutput(
        `Error: ${p} is ${mb(size)}; as a base64 data URL it would be ${mb(urlLength)}, over the ${mb(MAX_IMAGE_DATA_URL_BYTES)} limit for images sent to the model. ` +
          "Make a smaller copy (e.g. scale it down with Python) and view that instead.",
        true,
      );
    }
    const bytes = await this.#sandbox.readFile(p);
    const mediaType = sniffImageType(bytes);
    if (mediaType === undefined) {
      return textOutput(
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
    if (typeof fileText !== "string") return textOutput("Error: `file_text` is required for `create`.", true);
    const kind = await this.#kind(p);
    if (kind !== "missing") {
      return textOutput(`Error: ${p} already exists; use \`str_replace\` or \`insert\` to change it.`, true);
    }
    await this.#write(p, fileText, null);
    return textOutput(`File created successfully at: ${p}`);
  }

  async #replace(p: string, oldStr: unknown, newStr: unknown): Promise<ToolOutput> {
    if (typeof oldStr !== "string" || oldStr === "") return textOutput("Error: `old_str` is required and must not be empty.", true);
    if (newStr !== undefined && typeof newStr !== "string") return textOutput("Error: `new_str` must be a string.", true);
    if ((await this.#kind(p)) !== "file") return textOutput(`Error: the file ${p} does not exist.`, true);
    const content = await this.#read(p);
    const positions: number[] = [];
    for (let at = content.indexOf(oldStr); at !== -1; at = content.indexOf(oldStr, at + 1)) positions.push(at);
    if (positions.length === 0) {
      return textOutput(`Error: no replacement was performed: old_str did not appear verbatim in ${p}.`, true);
    }
    if (positions.length > 1) {
      const lineNumbers = positions.map((at) => content.slice(0, at).split("\n").length);
      return textOutput(
        `Error: no replacement was performed: old_str occurs ${positions.length} times in ${p} (lines ${lineNumbers.join(", ")}). Include more context to make it unique.`,
        true,
      );
    }
    const replacement = (newStr as string | undefined) ?? "";
    const updated = content.slice(0, positions[0]) + replacement + content.slice(positions[0]! + oldStr.length);
    await this.#write(p, updated, content);
    const firstLine = content.slice(0, positions[0]).split("\n").length;
    return textOutput(`The file ${p} has been edited. ${snippet(updated, firstLine, replacement.split("\n").length)}`);
  }

  async #insert(p: string, line: unknown, newStr: unknown): Promise<ToolOutput> {
    if (typeof newStr !== "string") return textOutput("Error: `new_str` is required for `insert`.", true);
    if (typeof line !== "number" || !Number.isInteger(line)) return textOutput("Error: `insert_line` must be an integer.", true);
    if ((await this.#kind(p)) !== "file") return textOutput(`Error: the file ${p} does not exist.`, true);
    const content = await this.#read(p);
    const lines = content.split("\n");
    const trailingNewline = lines.length > 1 && lines.at(-1) === "";
    if (trailingNewline) lines.pop();
    if (line < 0 || line > lines.length) {
      return textOutput(`Error: invalid insert_line ${line}: it must be between 0 and ${lines.length}.`, true);
    }
    const inserted = newStr.split("\n");
    lines.splice(line, 0, ...inserted);
    const updated = lines.join("\n") + (trailingNewline || content === "" ? "\n" : "");
    await this.#write(p, updated, content);
    return textOutput(`The file ${p} has been edited. ${snippet(updated, line + 1, inserted.length)}`);
  }

  async #undo(p: string): Promise<ToolOutput> {
    const stack = this.#history.get(p);
    if (!stack || stack.length === 0) return textOutput(`Error: no edit to undo for ${p}.`, true);
    const previous = stack.pop()!;
    if (previous === null) {
      await this.#sandbox.exec(`rm -f ${shellQuote(p)}`, { timeoutSec: 30 });
      return textOutput(`Undid the creation of ${p}: the file was removed.`);
    }
    await this.#sandbox.writeFile(p, previous);
    return textOutput(`Last edit to ${p} undone successfully.`);
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
