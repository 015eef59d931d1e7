// The run directory's files on disk: results.jsonl (append-only, one whole line per result, fsynced)
// and atomic whole-file writes for everything rebuilt from it.

import { randomUUID } from "node:crypto";
import { mkdir, open, readFile, rename, rm, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

import { taskResultProblem } from "./result-schema.js";
import type { TaskResult } from "./types.js";

/** File name of the results log inside a run directory. */
export const RESULTS_FILE = "results.jsonl";

/** A results.jsonl line that was not loaded, and why. */
export interface SkippedLine {
  /** 1-based line number. */
  line: number;
  reason: string;
}

/** What a results.jsonl holds: the whole, valid lines in file order, and the lines left out. */
export interface ReadResultsOutput {
  results: TaskResult[];
  skipped: SkippedLine[];
}

/**
 * Parses results.jsonl text. Never throws on bad content: a line that is not JSON, not a
 * TaskResult, or the last line when it has no trailing newline (a torn write: append writes the
 * line and its newline in one call) is reported in `skipped` and left out, so its task re-runs
 * on resume. Blank lines are ignored.
 */
export function parseResults(text: string): ReadResultsOutput {
  const results: TaskResult[] = [];
  const skipped: SkippedLine[] = [];
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    if (i === lines.length - 1) {
      skipped.push({ line: i + 1, reason: "incomplete last line (no trailing newline)" });
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      skipped.push({ line: i + 1, reason: `invalid JSON: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    const problem = taskResultProblem(value);
    if (problem !== null) {
      skipped.push({ line: i + 1, reason: `not a TaskResult: ${problem}` });
      return;
    }
    results.push(value as TaskResult);
  });
  return { results, skipped };
}

/**
 * Reads and parses a results.jsonl file (see parseResults).
 * @throws the fs error when the file cannot be read (ENOENT included).
 */
export async function readResults(file: string): Promise<ReadResultsOutput> {
  return parseResults(await readFile(file, "utf8"));
}

/** fsync a directory so a rename or a new entry in it survives a crash; not possible everywhere. */
async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // Best effort: some platforms and file systems refuse fsync on a directory.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Writes `data` to `path` so that readers see the old file or the new one, never a part:
 * a temporary file in the same directory, fsync, rename over `path`, fsync of the directory.
 * The temporary file is removed if anything fails.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomUUID()}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, "wx");
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw err;
  }
  await syncDir(dir);
}

/** writeFileAtomic of `value` as JSON, indented by two spaces, with a final newline. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * The results.jsonl of one run directory. `append` calls are serialised: each waits for the one
 * before it, so lines never interleave even when many tasks finish at once. One store per run
 * directory and process (shards of a run write to their own directories).
 */
export class ResultsStore {
  /** Path of results.jsonl. */
  readonly file: string;
  readonly #dir: string;
  #queue: Promise<void> = Promise.resolve();
  /** Whether the file is known to end with a newline (or be empty) since our last write. */
  #endsClean = false;

  constructor(runDir: string) {
    this.#dir = runDir;
    this.file = join(runDir, RESULTS_FILE);
  }

  /**
   * Appends `result` as one line (`JSON.stringify(result) + "\n"`) in a single write on a file
   * opened in append mode, then fsyncs it; resolves once the line is durable. If the file ends
   * in a torn line (a crash mid-write), a newline is written first so the new line stays whole.
   * @throws TypeError, before writing anything, when `result` is not a valid TaskResult
   *   (a NaN would be written as null and the line then skipped on read).
   */
  append(result: TaskResult): Promise<void> {
    const problem = taskResultProblem(result);
    if (problem !== null) {
      const loose = result as Partial<TaskResult> | null;
      const what = `${String(loose?.cell)} ${String(loose?.instance_id)}`;
      return Promise.reject(new TypeError(`${this.file}: refusing to append an invalid TaskResult (${what}): ${problem}`));
    }
    const line = `${JSON.stringify(result)}\n`;
    const next = this.#queue.then(() => this.#write(line));
    this.#queue = next.catch(() => undefined); // one failed append must not block the ones after it
    return next;
  }

  /** The results written so far (see parseResults); empty when the file does not exist yet. */
  async read(): Promise<ReadResultsOutput> {
    try {
      return await readResults(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { results: [], skipped: [] };
      throw err;
    }
  }

  async #write(line: string): Promise<void> {
    const first = !this.#endsClean;
    if (first) await mkdir(this.#dir, { recursive: true });
    // a+: append-only writes, and reads to look at the last byte.
    const handle = await open(this.file, "a+");
    try {
      let data = Buffer.from(line, "utf8");
      if (first && (await endsTorn(handle))) data = Buffer.concat([Buffer.from("\n"), data]);
      this.#endsClean = false;
      let offset = 0;
      // One write call in practice; a short write (disk nearly full) is finished rather than left torn.
      while (offset < data.length) {
        const { bytesWritten } = await handle.write(data, offset, data.length - offset, null);
        offset += bytesWritten;
      }
      await handle.sync();
      this.#endsClean = true;
    } finally {
      await handle.close();
    }
    if (first) await syncDir(this.#dir);
  }
}

/** Whether a file is non-empty and does not end with a newline. */
async function endsTorn(handle: FileHandle): Promise<boolean> {
  const { size } = await handle.stat();
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  return last[0] !== 0x0a;
}
