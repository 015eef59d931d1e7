// Pure planning of a run: its cells (models, config cells, or `bench grade` predictions), the attempts in scheduling
// order, the run id, and the fingerprint a resume must match.

import { createHash } from "node:crypto";
import { expandCells, expandConfiguredCells, parseModelSpec } from "../config/model-spec.js";
import type { CellSpec, Provider } from "../models/call-options.js";
import type { RunOptions } from "../config/options.js";
import type { Predictions } from "../datasets/predictions.js";
import type { Dataset, Task } from "../datasets/types.js";
import type { SpecsOverrides } from "../grading/specs.js";
import type { PriceOverride } from "../models/cost.js";
import { runFingerprint } from "./resume.js";

/** One attempt to schedule: a task in a cell. */
export interface Job {
  cell: CellSpec;
  task: Task;
}

export interface RunPlan {
  cells: CellSpec[];
  tasks: Task[];
  /** Attempts in scheduling order: cells interleave so no cell waits for another. */
  jobs: Job[];
}

/** The provider name of `bench grade` cells: patches from a predictions file, no model. */
export const PREDICTIONS_PROVIDER: Provider = "predictions";

/** Pure: the cells and the ordered jobs of a run. */
export function planRun(cells: CellSpec[], tasks: Task[]): RunPlan {
  const jobs = tasks.flatMap((task) => cells.map((cell) => ({ cell, task })));
  return { cells, tasks, jobs };
}

export function defaultRunId(now = new Date()): string {
  return now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")
    .replace("T", "-");
}

/**
 * The cells of a run: one per model_name_or_path of the predictions (`bench grade`), else a config file's `cells`
 * (labels, per-cell options), else --model. A bedrock model with no region runs in `defaultRegion` (the
 * environment's), named in its cell; --region expands each model over several.
 */
export function planCells(
  options: Pick<RunOptions, "cells" | "model" | "region">,
  predictions: Predictions | undefined,
  defaultRegion: string,
): CellSpec[] {
  if (predictions) return [...predictions.byModel.keys()].map((name) => ({ cell: name, provider: PREDICTIONS_PROVIDER, model: name }));
  if (options.cells) return expandConfiguredCells(options.cells, options.region, defaultRegion);
  return expandCells(
    options.model.map((m) => parseModelSpec(m)),
    options.region,
    defaultRegion,
  );
}

/** What a resume must find unchanged: the options that change a result, the dataset, predictions, images and specs. */
export function fingerprintOf(
  options: RunOptions,
  dataset: Pick<Dataset, "hash">,
  cells: CellSpec[],
  extra: { predictions?: Pick<Predictions, "hash">; specs?: SpecsOverrides },
): Record<string, unknown> {
  return {
    ...runFingerprint(options, dataset.hash, cells),
    ...(extra.predictions ? { predictions_hash: extra.predictions.hash } : {}),
    ...(options.imageTemplate ? { image_template: options.imageTemplate } : {}),
    ...(extra.specs ? { specs_hash: hashJson(extra.specs) } : {}),
  };
}

/** --input-cost-per-token and friends, when any is given. */
export function priceOverrideOf(
  options: Pick<RunOptions, "inputCostPerToken" | "outputCostPerToken" | "cacheReadCostPerToken" | "cacheWriteCostPerToken">,
): PriceOverride | undefined {
  const {
    inputCostPerToken: input,
    outputCostPerToken: output,
    cacheReadCostPerToken: cacheRead,
    cacheWriteCostPerToken: cacheWrite,
  } = options;
  return [input, output, cacheRead, cacheWrite].some((v) => v !== undefined) ? { input, output, cacheRead, cacheWrite } : undefined;
}

/** sha256 of a JSON value (the --specs table in the fingerprint). */
export function hashJson(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex");
}
