// Loads and validates a dataset: a folder with tasks.jsonl + repos/<instance_id>/, or a SWE-bench JSONL file.
// Every problem is reported with file, line and field; the first problem stops loading.

import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { UsageError } from "../errors.js";
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

const taskSchema = z.object({
  instance_id: z.string().regex(INSTANCE_ID, "must match [A-Za-z0-9._-]+ and not be empty"),
  repo: z.string().min(1),
  base_commit: z.string().optional(),
  problem_statement: z.string().min(1),
  patch: z.string(),
  test_patch: z.string(),
  FAIL_TO_PASS: testList,
  PASS_TO_PASS: testList,
  hints_text: z.string().optional(),
  image: z.string().min(1).optional(),
  user: z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/, "must be root, uid[:gid] or user[:group]")
    .optional(),
  network: z.boolean().optional(),
  test_cmd: z.string().min(1).optional(),
  test_framework: z.literal("pytest").default("pytest"),
  created_at: z.string().optional(),
  version: z.union([z.string(), z.number()]).transform(String).optional(),
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
  if (!nameOrPath.includes("/") && !nameOrPath.endsWith(".jsonl")) candidates.push(path.join(builtinDatasetsDir(), nameOrPath));
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
  throw new UsageError(`--dataset ${nameOrPath}: no such dataset folder or file (built-in datasets: ${known})`);
}

export function loadDataset(nameOrPath: string, cwd = process.cwd()): Dataset {
  const { file, dir, local } = resolveDatasetPath(nameOrPath, cwd);
  const text = readFileSync(file, "utf8");
  const tasks: Task[] = [];
  const seen = new Map<string, number>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === "") continue;
    const where = `${file}:${i + 1}`;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      throw new UsageError(`${where}: invalid JSON (${(err as Error).message})`);
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      throw new UsageError(`${where}: expected a JSON object, got ${Array.isArray(json) ? "array" : typeof json}`);
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
      throw new UsageError(`${where}: field instance_id: duplicate "${task.instance_id}" (first on line ${previous})`);
    }
    seen.set(task.instance_id, i + 1);
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
    } else if (!task.image) {
      // A SWE-bench JSONL has the repository in the image at /testbed; without an image there is no repository.
      throw new UsageError(`${where}: field image: required for a JSONL dataset without repos/ (the image holds the repository at /testbed)`);
    }
    tasks.push(task);
  }
  if (tasks.length === 0) throw new UsageError(`${file}: the dataset has no tasks`);
  const name = local ? path.basename(dir) : path.basename(file, ".jsonl");
  return { name, dir, file, tasks, hash: hashDataset(file, tasks) };
}

/** sha256 over the tasks file and, for local datasets, every repository file (path + bytes). */
export function hashDataset(file: string, tasks: Task[]): string {
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

/** Test files a unified diff touches (its `+++ b/...` targets). */
export function filesInPatch(patch: string): string[] {
  const files: string[] = [];
  for (const line of patch.split("\n")) {
    const m = /^\+\+\+ (?:b\/)?(.+?)\s*$/.exec(line);
    if (m && m[1] !== "/dev/null" && !files.includes(m[1]!)) files.push(m[1]!);
  }
  return files;
}

/** `--instances a,b` and `--limit N` applied in dataset order; unknown ids are a usage error. */
export function selectTasks(dataset: Dataset, instances: string[] | undefined, limit: number | undefined): Task[] {
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
