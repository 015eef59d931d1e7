// run.json: what a run is (written when it starts: versions, dataset, cells, fingerprint, redacted options) and how it
// ended (status, stops, tasks not run, limiter, connections, hosts, pulls), merged into one document at the end.

import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CellSpec } from "../models/call-options.js";
import type { RunOptions } from "../config/options.js";
import type { Predictions } from "../datasets/predictions.js";
import type { Dataset, Task } from "../datasets/types.js";
import { DEFAULT_IMAGE_TEMPLATE } from "../sandbox/pull.js";
import { parseShard, shardText } from "../config/shard.js";

export function packageVersion(): string {
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

export interface RunJsonStart {
  runId: string;
  startedAt: Date;
  dockerVersion: string;
  dataset: Dataset;
  /** The tasks this run (or shard) plans. */
  tasks: readonly Task[];
  cells: readonly CellSpec[];
  predictions?: Predictions;
  /** The built-in image's tag ("" when no task needs it). */
  image: string;
  fingerprint: Record<string, unknown>;
  /** run.json of the run being resumed, null for a new run. */
  previous: Record<string, unknown> | null;
  options: RunOptions;
}

/** run.json as written when the run starts (finished_at null, status running). */
export function runJsonAtStart(s: RunJsonStart): Record<string, unknown> {
  const { dataset, options, previous } = s;
  return {
    run_id: s.runId,
    bench_version: packageVersion(),
    started_at: s.startedAt.toISOString(),
    finished_at: null,
    status: "running",
    host: os.hostname(),
    pid: process.pid,
    versions: { node: process.version, docker: s.dockerVersion },
    dataset: {
      name: dataset.name,
      file: dataset.file,
      hash: dataset.hash,
      tasks: s.tasks.length,
      instance_ids: s.tasks.map((t) => t.instance_id),
      ...(dataset.source ? { source: dataset.source } : {}),
    },
    predictions: s.predictions
      ? { source: s.predictions.source, hash: s.predictions.hash, models: [...s.predictions.byModel.keys()] }
      : null,
    pull: { policy: options.pull, image_template: options.imageTemplate ?? DEFAULT_IMAGE_TEMPLATE, remove_images: options.removeImages },
    // `I/N` for one shard of a run (dataset.tasks counts this shard's tasks); `bench merge` joins the shards.
    shard: options.shard ? shardText(parseShard(options.shard)) : null,
    image: s.image,
    // A config cell's label and own call options (over the run-level ones in `config`).
    cells: s.cells.map(({ cell, provider, model, region, label, options: own }) => ({
      cell,
      provider,
      model,
      region: region ?? null,
      label: label ?? null,
      options: own ?? null,
    })),
    fingerprint: s.fingerprint,
    resumes: [...((previous?.["resumes"] as unknown[]) ?? []), ...(previous ? [{ at: new Date().toISOString(), pid: process.pid }] : [])],
    // Options hold no secrets: keys are read from the environment by name (api_key_env), never stored.
    config: redactConfig(options),
  };
}

/** When a run (or the run it resumes) started: run.json's started_at, else now. */
export function runStartedAt(previous: Record<string, unknown> | null, now = new Date()): Date {
  return previous && typeof previous["started_at"] === "string" ? new Date(previous["started_at"]) : now;
}

/** The image pulls of a run as run.json records them (images), null when nothing could be pulled. */
export function pullsJson(
  stats: { pulls: number; bytes: number; pullMs: number; waitedMs: number } | undefined,
  pulled: Iterable<string>,
): Record<string, unknown> | null {
  return stats
    ? { pulled: [...pulled], pulls: stats.pulls, bytes: stats.bytes, pull_s: stats.pullMs / 1000, waited_s: stats.waitedMs / 1000 }
    : null;
}

/** Options as recorded in run.json: values only; any field that could hold a credential is masked. */
export function redactConfig(options: RunOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { ...options };
  if (typeof out["baseUrl"] === "string") out["baseUrl"] = redactUrl(out["baseUrl"]);
  if (typeof out["bedrockEndpoint"] === "string") out["bedrockEndpoint"] = redactUrl(out["bedrockEndpoint"]);
  return out;
}

/** Drops user:password and credential-looking query parameters from a URL. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.username || url.password) {
      url.username = "REDACTED";
      url.password = "";
    }
    for (const key of [...url.searchParams.keys()]) {
      if (/key|token|secret|sig|password|auth/i.test(key)) url.searchParams.set(key, "REDACTED");
    }
    return url.toString();
  } catch {
    return raw;
  }
}
