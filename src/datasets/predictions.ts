// Reads SWE-bench predictions (`instance_id`, `model_name_or_path`, `model_patch`) for `bench grade`: `.jsonl`, a
// `.json` list, or a `.json` object keyed by instance id; `gold` stands for the dataset's own patches. Every problem is
// a UsageError naming the file and the line (or list index / key) and field.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { UsageError } from "../errors.js";
import { getOrInsert } from "../util/maps.js";
import type { Task } from "./types.js";

export interface Prediction {
  instance_id: string;
  model_name_or_path: string;
  /** The patch; null when the prediction had none (SWE-bench's `patch_is_None`). */
  model_patch: string | null;
}

export interface Predictions {
  /** The file read, or `gold`. */
  source: string;
  /** sha256 of the file's bytes (`gold`: of the dataset's patches); a resume refuses a changed file. */
  hash: string;
  /** model_name_or_path → instance_id → prediction, in the order models first appear. */
  byModel: Map<string, Map<string, Prediction>>;
}

/** The model name SWE-bench gives the dataset's own patches. */
export const GOLD_MODEL = "gold";

/** `gold`: one prediction per task, its own `patch`. */
export function goldPredictions(tasks: readonly Task[]): Predictions {
  const byId = new Map(
    tasks.map((t) => [t.instance_id, { instance_id: t.instance_id, model_name_or_path: GOLD_MODEL, model_patch: t.patch }]),
  );
  const hash = createHash("sha256");
  for (const t of tasks) hash.update(`${t.instance_id}\0${t.patch}\0`);
  return { source: GOLD_MODEL, hash: hash.digest("hex"), byModel: new Map([[GOLD_MODEL, byId]]) };
}

/** Reads a predictions file and checks it against the dataset's instance ids (all of them, before any selection). */
export function loadPredictions(file: string, knownIds: ReadonlySet<string>, cwd = process.cwd()): Predictions {
  const full = path.resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(full, "utf8");
  } catch (err) {
    throw new UsageError(`--predictions ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const entries: { where: string; value: unknown; key?: string }[] = [];
  if (full.endsWith(".jsonl")) {
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i]!.trim();
      if (raw === "") continue;
      try {
        entries.push({ where: `${full}:${i + 1}`, value: JSON.parse(raw) });
      } catch (err) {
        throw new UsageError(`${full}:${i + 1}: invalid JSON (${(err as Error).message})`);
      }
    }
  } else if (full.endsWith(".json")) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new UsageError(`${full}: invalid JSON (${(err as Error).message})`);
    }
    if (Array.isArray(doc)) for (const [i, value] of doc.entries()) entries.push({ where: `${full}[${i}]`, value });
    else if (typeof doc === "object" && doc !== null)
      for (const [key, value] of Object.entries(doc)) entries.push({ where: `${full}[${JSON.stringify(key)}]`, value, key });
    else throw new UsageError(`${full}: expected a list of predictions or an object keyed by instance id, got ${typeof doc}`);
  } else {
    throw new UsageError(`--predictions ${file}: expected a .jsonl or .json file, or gold`);
  }
  const byModel = new Map<string, Map<string, Prediction>>();
  const firstSeen = new Map<string, string>();
  for (const { where, value, key } of entries) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new UsageError(
        `${where}: expected a JSON object, got ${Array.isArray(value) ? "array" : value === null ? "null" : typeof value}`,
      );
    }
    const row = value as Record<string, unknown>;
    const id = row["instance_id"] ?? key;
    if (typeof id !== "string" || id === "")
      throw new UsageError(
        `${where}: field instance_id: expected a non-empty string (got ${JSON.stringify(row["instance_id"]) ?? "missing"})`,
      );
    if (key !== undefined && row["instance_id"] !== undefined && row["instance_id"] !== key) {
      throw new UsageError(`${where}: field instance_id: "${String(row["instance_id"])}" differs from its key "${key}"`);
    }
    const model = row["model_name_or_path"];
    if (typeof model !== "string" || model.trim() === "") {
      throw new UsageError(`${where}: field model_name_or_path: expected a non-empty string (got ${JSON.stringify(model) ?? "missing"})`);
    }
    const patch = row["model_patch"];
    if (patch !== null && patch !== undefined && typeof patch !== "string") {
      throw new UsageError(`${where}: field model_patch: expected a string or null (got ${typeof patch})`);
    }
    if (!knownIds.has(id)) throw new UsageError(`${where}: field instance_id: "${id}" is not in the dataset`);
    const dup = `${model}\0${id}`;
    const previous = firstSeen.get(dup);
    if (previous !== undefined) throw new UsageError(`${where}: duplicate prediction for ${id} by ${model} (first at ${previous})`);
    firstSeen.set(dup, where);
    const models = getOrInsert(byModel, model, () => new Map());
    models.set(id, { instance_id: id, model_name_or_path: model, model_patch: typeof patch === "string" ? patch : null });
  }
  if (byModel.size === 0) throw new UsageError(`${full}: no predictions`);
  return { source: full, hash: createHash("sha256").update(text).digest("hex"), byModel };
}
