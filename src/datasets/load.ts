// Loads and validates a dataset: a folder with tasks.jsonl + repos/<instance_id>/, or a SWE-bench JSONL file.
// Every problem is reported with file, line and field; the first problem stops loading.

import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { UsageError, errorMessage } from "../errors.js";
import { officialImage } from "../sandbox/pull.js";
import type { Dataset, Task } from "./types.js";

const INSTANCE_ID = /^[A-Za-z0-9._-]+$/;

/** SWE-bench stores the test lists as JSON-encoded strings; accept both forms. */
const testList = z.preprocess((value) => {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}, z.array(z.string()));

/** A row field that is a string, or absent/null (parquet and the hub's JSON write null for a missing value). */
const optionalString = z.preprocess((v) => (v === null ? undefined : v), z.string().optional());

const taskSchema = z.object({
  instance_id: z.string().regex(INSTANCE_ID, "must match [A-Za-z0-9._-]+ and not be empty"),
  repo: z.string().min(1),
  base_commit: optionalString,
  problem_statement: z.string().min(1),
  patch: z.string(),
  test_patch: z.string(),
  FAIL_TO_PASS: testList,
  PASS_TO_PASS: testList,
  hints_text: optionalString,
  image: z.preprocess((v) => (v === null || v === "" ? undefined : v), z.string().min(1).optional()),
  environment_setup_commit: optionalString,
  eval_script: z.preprocess((v) => (v === null || v === "" ? undefined : v), z.string().optional()),
  log_parser: z.preprocess((v) => (v === null || v === "" ? undefined : v), z.string().optional()),
  eval_type: optionalString,
  user: z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/, "must be root, uid[:gid] or user[:group]")
    .optional(),
  network: z.boolean().optional(),
  test_cmd: z.string().min(1).optional(),
  test_framework: z.literal("pytest").default("pytest"),
  created_at: optionalString,
  version: z.preprocess((v) => (v === null ? undefined : v), z.union([z.string(), z.number()]).transform(String).optional()),
});

/** The built-in sandbox image's unprivileged user (`agent`), who owns /testbed there. */
export const BUILTIN_IMAGE_USER = "1000:1000";

/**
 * The user a task's commands run as: its `user` field (`root`: the image's root), else `agent` in the built-in image,
 * else the task image's own user (an image that holds its repository at /testbed decides who may write there).
 */
export function taskUser(task: Task): string | undefined {
  if (task.user !== undefined) return task.user === "root" || task.user === "0" || task.user === "0:0" ? undefined : task.user;
  return task.image === undefined ? BUILTIN_IMAGE_USER : undefined;
}

/** Folder holding the shipped datasets (works from src/ and from dist/). */
export function builtinDatasetsDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../datasets");
}

/** Resolves `swe-lite`, a folder path, or a .jsonl path to the file to read. */
export function resolveDatasetPath(nameOrPath: string, cwd = process.cwd()): { file: string; dir: string; local: boolean } {
  const candidates = [path.resolve(cwd, nameOrPath)];
  if (!nameOrPath.includes("/") && !/\.(jsonl|json|parquet)$/.test(nameOrPath))
    candidates.push(path.join(builtinDatasetsDir(), nameOrPath));
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    if (statSync(candidate).isDirectory()) {
      const file = path.join(candidate, "tasks.jsonl");
      if (!existsSync(file)) throw new UsageError(`dataset ${candidate}: no tasks.jsonl in this folder`);
      return { file, dir: candidate, local: true };
    }
    return { file: candidate, dir: path.dirname(candidate), local: false };
  }
  const known = existsSync(builtinDatasetsDir()) ? readdirSync(builtinDatasetsDir()).join(", ") : "none";
  throw new UsageError(
    `--dataset ${nameOrPath}: no such dataset folder or file (built-in datasets: ${known}; named SWE-bench datasets: swe-bench-lite, swe-bench-verified, swe-bench)`,
  );
}

/** What a dataset's rows need beyond themselves: the image of a row without one, and what completes each task. */
export interface LoadOptions<T extends Task = Task> {
  /** --image-template. @default swebench/sweb.eval.x86_64.{id}:latest */
  imageTemplate?: string;
  /**
   * Completes each task as it loads (`bench run`/`grade`: its grading, src/grading/task-grading.ts withGrading), with
   * where its row was read and whether the dataset is local; a UsageError naming the row stops loading there.
   * @default none (the tasks as read)
   */
  completeTask?: (task: Task, where: string, local: boolean) => T;
}

/** One row as read, with where it was read (`file:line`, `file[index]`, `file row N`) for messages. */
export interface DatasetRow {
  row: unknown;
  where: string;
}

/** Loads a dataset folder (tasks.jsonl + repos/), or a SWE-bench `.jsonl` / `.json` list of rows. Synchronous. */
export function loadDataset<T extends Task = Task>(nameOrPath: string, cwd = process.cwd(), options: LoadOptions<T> = {}): Dataset<T> {
  const { file, dir, local } = resolveDatasetPath(nameOrPath, cwd);
  if (file.endsWith(".parquet")) throw new UsageError(`--dataset ${nameOrPath}: a parquet file is read by openDataset`);
  return datasetFromRows(readJsonRows(file), { file, dir, local, options });
}

/**
 * Any dataset `bench run` / `bench grade` take: a named SWE-bench dataset (downloaded from the Hugging Face hub into
 * the cache on first use), a `.parquet` file, or what loadDataset reads.
 */
export async function openDataset<T extends Task = Task>(
  nameOrPath: string,
  cwd = process.cwd(),
  options: LoadOptions<T> & { split?: string; env?: NodeJS.ProcessEnv; onProgress?: (line: string) => void } = {},
): Promise<Dataset<T>> {
  const { isNamedDataset, ensureNamedDataset } = await import("./hub.js");
  if (isNamedDataset(nameOrPath) && !existsSync(path.resolve(cwd, nameOrPath))) {
    const got = await ensureNamedDataset(nameOrPath, options.split ?? "test", {
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.env ? { env: options.env } : {}),
    });
    const { readRows } = await import("./rows.js");
    const dataset = datasetFromRows(await readRows(got.file), {
      file: got.file,
      dir: path.dirname(got.file),
      local: false,
      options,
      name: `${nameOrPath}${options.split && options.split !== "test" ? `:${options.split}` : ""}`,
    });
    return {
      ...dataset,
      source: { repo: got.repo, revision: got.revision, commit: got.commit, split: got.split, url: got.url, sha256: got.sha256 },
    };
  }
  if (options.split !== undefined)
    throw new UsageError(
      `--split: only for the named datasets swe-bench-lite, swe-bench-verified and swe-bench (got --dataset ${nameOrPath})`,
    );
  const resolved = resolveDatasetPath(nameOrPath, cwd);
  if (resolved.file.endsWith(".parquet")) {
    const { readRows } = await import("./rows.js");
    return datasetFromRows(await readRows(resolved.file), { ...resolved, options });
  }
  return loadDataset(nameOrPath, cwd, options);
}

/** Rows of a `.jsonl` (one object a line) or `.json` (a list of objects) file. */
function readJsonRows(file: string): DatasetRow[] {
  const text = readFileSync(file, "utf8");
  if (file.endsWith(".json")) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new UsageError(`${file}: invalid JSON (${(err as Error).message})`);
    }
    if (!Array.isArray(doc)) throw new UsageError(`${file}: expected a JSON list of rows, got ${doc === null ? "null" : typeof doc}`);
    return doc.map((row, i) => ({ row, where: `${file}[${i}]` }));
  }
  const rows: DatasetRow[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === "") continue;
    try {
      rows.push({ row: JSON.parse(raw), where: `${file}:${i + 1}` });
    } catch (err) {
      throw new UsageError(`${file}:${i + 1}: invalid JSON (${(err as Error).message})`);
    }
  }
  return rows;
}

/** Validates rows into tasks: the first problem stops loading, named by its row and field. */
function datasetFromRows<T extends Task>(
  rows: readonly DatasetRow[],
  ctx: { file: string; dir: string; local: boolean; options: LoadOptions<T>; name?: string },
): Dataset<T> {
  const { file, dir, local, options } = ctx;
  const tasks: T[] = [];
  const seen = new Map<string, string>();
  for (const { row: json, where } of rows) {
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      throw new UsageError(`${where}: expected a JSON object, got ${Array.isArray(json) ? "array" : json === null ? "null" : typeof json}`);
    }
    const parsed = taskSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.join(".") || "(line)";
      const received = (json as Record<string, unknown>)[String(issue.path[0])];
      const got = received === undefined ? "missing" : `got ${JSON.stringify(received)?.slice(0, 60)}`;
      throw new UsageError(`${where}: field ${field}: ${issue.message} (${got})`);
    }
    const task: Task = { ...parsed.data } as Task;
    const previous = seen.get(task.instance_id);
    if (previous !== undefined) {
      throw new UsageError(`${where}: field instance_id: duplicate "${task.instance_id}" (first ${previous})`);
    }
    seen.set(
      task.instance_id,
      where.startsWith(`${file}:`) ? `on line ${where.slice(file.length + 1)}` : `at ${where.slice(file.length) || where}`,
    );
    if (local) {
      const repoRoot = path.join(dir, "repos");
      const repoDir = path.resolve(repoRoot, task.instance_id);
      if (path.dirname(repoDir) !== repoRoot) {
        throw new UsageError(`${where}: field instance_id: "${task.instance_id}" escapes ${repoRoot}`);
      }
      if (!existsSync(repoDir) || !statSync(repoDir).isDirectory()) {
        throw new UsageError(`${where}: field instance_id: no repository folder ${repoDir}`);
      }
      task.repoDir = repoDir;
    } else if (!task.image || options.imageTemplate !== undefined) {
      // A SWE-bench row: its image holds the repository at /testbed (SWE-bench's official image by default). An
      // explicit --image-template (a mirror, a private registry) names every row's image, its own `image` included.
      try {
        task.image = officialImage(task.instance_id, options.imageTemplate);
      } catch (err) {
        throw new UsageError(`${where}: ${errorMessage(err)}`);
      }
    }
    // Without completeTask, T is Task (its default): the task as read.
    tasks.push(options.completeTask ? options.completeTask(task, where, local) : (task as T));
  }
  if (tasks.length === 0) throw new UsageError(`${file}: the dataset has no tasks`);
  const name = ctx.name ?? (local ? path.basename(dir) : path.basename(file).replace(/\.(jsonl|json|parquet)$/, ""));
  return { name, dir, file, tasks, hash: hashDataset(file, tasks) };
}

/** sha256 over the tasks file and, for local datasets, every repository file (path + bytes). */
export function hashDataset(file: string, tasks: readonly Task[]): string {
  const hash = createHash("sha256");
  hash.update(readFileSync(file));
  for (const task of tasks) {
    if (!task.repoDir) continue;
    for (const rel of listFiles(task.repoDir)) {
      hash.update(`\0${task.instance_id}/${rel}\0`);
      hash.update(readFileSync(path.join(task.repoDir, rel)));
    }
  }
  return hash.digest("hex");
}

/** Relative paths of the regular files under dir, sorted; skips .git and __pycache__. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      if (entry.name === ".git" || entry.name === "__pycache__") continue;
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) out.push(child);
    }
  };
  walk("");
  return out.sort();
}

/** `--instances a,b` and `--limit N` applied in dataset order; unknown ids are a usage error. */
export function selectTasks<T extends Task>(dataset: Dataset<T>, instances: string[] | undefined, limit: number | undefined): T[] {
  let tasks = dataset.tasks;
  if (instances && instances.length > 0) {
    const known = new Set(tasks.map((t) => t.instance_id));
    const unknown = instances.filter((id) => !known.has(id));
    if (unknown.length > 0) throw new UsageError(`--instances: unknown instance id(s) ${unknown.join(", ")} in ${dataset.file}`);
    const wanted = new Set(instances);
    tasks = tasks.filter((t) => wanted.has(t.instance_id));
  }
  if (limit !== undefined) tasks = tasks.slice(0, limit);
  return tasks;
}
