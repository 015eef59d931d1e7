// Named SWE-bench datasets on the Hugging Face hub: pinned revisions, --split checks, and the cache a split is
// downloaded into (the download itself, atomic and checked: hub-download.ts).

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { UsageError } from "../errors.js";
import { download } from "./hub-download.js";

export interface NamedDatasetSpec {
  /** Hub dataset repository, `owner/name`. */
  repo: string;
  /** A full commit sha: the bytes behind it never change, so a cached file never goes stale. */
  revision: string;
  /** Split name → file path inside the repository at `revision`. */
  splits: Readonly<Record<string, string>>;
  /** Split name → rows the file holds (checked against the parquet footer after a download). */
  rows: Readonly<Record<string, number>>;
  /** Split name → sha256 of the file, where known; a download with other bytes is refused. */
  sha256?: Readonly<Record<string, string>>;
}

/**
 * The official SWE-bench datasets, each pinned to a commit of the `SWE-bench/*` repositories with the "enriched" rows
 * (besides the classic columns: `image`, `eval_script`, `log_parser`, `eval_type`), the revisions projects pinning these
 * datasets cite as current. Paths, row counts and hashes are the ones they record; the full dataset's dev hash is unknown.
 */
export const NAMED_DATASETS = {
  "swe-bench-lite": {
    repo: "SWE-bench/SWE-bench_Lite",
    revision: "b0dde1093fe417d83b7184254edf8199c1f0dff5",
    splits: { test: "data/test-00000-of-00001.parquet", dev: "data/dev-00000-of-00001.parquet" },
    rows: { test: 300, dev: 23 },
    sha256: {
      test: "438e281d80587aa7be470896ce410557002fde02d2ceee3e099331d308f62dd3",
      dev: "b90bcbfaca1b5f65155500124a977876c264a4003ab384aca4dfc39a54bef89f",
    },
  },
  "swe-bench-verified": {
    repo: "SWE-bench/SWE-bench_Verified",
    revision: "78f471bf655a3137b2e8a75af1501690ec009ec3",
    splits: { test: "data/test-00000-of-00001.parquet" },
    rows: { test: 500 },
    sha256: { test: "030cfd7f2a704c4c0226e7f104c725a3b41230b1d3517f9c915ad7ea5be3fa25" },
  },
  "swe-bench": {
    repo: "SWE-bench/SWE-bench",
    revision: "c6fe717fd7a4c3ac1daa4055a4fd082c6a1d28a2",
    splits: { test: "data/test-00000-of-00001.parquet", dev: "data/dev-00000-of-00001.parquet" },
    rows: { test: 2294, dev: 225 },
    sha256: { test: "d4f5a245c75319fa8240c540674958c4d491e82edf274b144d43836bdcbc4567" },
  },
} as const satisfies Record<string, NamedDatasetSpec>;

export type NamedDatasetName = keyof typeof NAMED_DATASETS;

export const DEFAULT_SPLIT = "test";
export const DEFAULT_ENDPOINT = "https://huggingface.co";

/** A download that receives nothing for this long is abandoned: a stalled connection must not hang a run. */
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

export function isNamedDataset(name: string): name is NamedDatasetName {
  return Object.hasOwn(NAMED_DATASETS, name);
}

/** The spec of a named dataset; an unknown name is a UsageError listing the names there are. */
export function namedDataset(name: string, catalog: Readonly<Record<string, NamedDatasetSpec>> = NAMED_DATASETS): NamedDatasetSpec {
  const spec = Object.hasOwn(catalog, name) ? catalog[name] : undefined;
  if (!spec) throw new UsageError(`--dataset ${name}: not a named dataset (named datasets: ${Object.keys(catalog).join(", ")})`);
  return spec;
}

/** `--split` for a named dataset: `test` when absent; an unknown split is a UsageError listing the valid ones. */
export function checkSplit(
  name: string,
  split: string | undefined,
  catalog: Readonly<Record<string, NamedDatasetSpec>> = NAMED_DATASETS,
): string {
  const spec = namedDataset(name, catalog);
  const wanted = split ?? DEFAULT_SPLIT;
  if (!Object.hasOwn(spec.splits, wanted)) {
    throw new UsageError(`--split ${wanted}: ${name} has no such split (valid splits: ${Object.keys(spec.splits).join(", ")})`);
  }
  return wanted;
}

/** `$XDG_CACHE_HOME/bench`, else `~/.cache/bench`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env["XDG_CACHE_HOME"] || path.join(os.homedir(), ".cache"), "bench");
}

/** `<cache>/datasets/<owner>__<name>/<revision>/<path>`: one folder per pinned revision, the repository's own layout inside. */
export function cachedDatasetPath(cacheDir: string, spec: Pick<NamedDatasetSpec, "repo" | "revision">, filePath: string): string {
  return path.join(cacheDir, "datasets", spec.repo.replaceAll("/", "__"), spec.revision, ...filePath.split("/"));
}

/** The hub's resolve URL: `${endpoint}/datasets/${repo}/resolve/${revision}/${path}`. */
export function resolveUrl(endpoint: string, repo: string, revision: string, filePath: string): string {
  const segments = (value: string): string => value.split("/").map(encodeURIComponent).join("/");
  return `${endpoint.replace(/\/+$/, "")}/datasets/${segments(repo)}/resolve/${encodeURIComponent(revision)}/${segments(filePath)}`;
}

export interface EnsureOptions {
  /** @default defaultCacheDir(env) */
  cacheDir?: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default env.HF_ENDPOINT, else https://huggingface.co */
  endpoint?: string;
  /** Download progress, one line at a time (at most every 500 ms, and a final line). */
  onProgress?: (line: string) => void;
  /** Never touch the network; @default env.HF_HUB_OFFLINE is 1/true/yes/on */
  offline?: boolean;
  /** Where HF_TOKEN, HF_ENDPOINT, HF_HUB_OFFLINE and XDG_CACHE_HOME are read. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default NAMED_DATASETS */
  catalog?: Readonly<Record<string, NamedDatasetSpec>>;
  /** Abandon a download that receives nothing for this long. @default 60 s */
  idleTimeoutMs?: number;
  /** Clock for the progress throttle. @default Date.now */
  now?: () => number;
}

export interface EnsuredDataset {
  /** Absolute path of the cached file. */
  file: string;
  repo: string;
  revision: string;
  /** The commit the hub resolved (X-Repo-Commit); on a cache hit the revision when it is a commit sha, else null. */
  commit: string | null;
  split: string;
  /** The resolve URL (never a signed CDN URL). */
  url: string;
  sha256: string;
  /** Rows the split is published with (the loader compares its count). */
  expectedRows: number | null;
  fromCache: boolean;
}

/**
 * Returns the cached file of a named dataset split, downloading it first when absent. A cache hit makes no network call.
 * Offline or unreachable hub: a UsageError saying which URL to fetch by hand and where to put it.
 */
export async function ensureNamedDataset(name: string, split: string, options: EnsureOptions = {}): Promise<EnsuredDataset> {
  const env = options.env ?? process.env;
  const catalog = options.catalog ?? NAMED_DATASETS;
  const spec = namedDataset(name, catalog);
  const splitName = checkSplit(name, split, catalog);
  const filePath = spec.splits[splitName]!;
  const file = path.resolve(cachedDatasetPath(options.cacheDir ?? defaultCacheDir(env), spec, filePath));
  const endpoint = options.endpoint ?? (env["HF_ENDPOINT"] || DEFAULT_ENDPOINT);
  const url = resolveUrl(endpoint, spec.repo, spec.revision, filePath);
  const expectedRows = spec.rows[splitName] ?? null;
  const base = { file, repo: spec.repo, revision: spec.revision, split: splitName, url, expectedRows };

  if (await isFile(file)) {
    const commit = /^[0-9a-f]{40}$/.test(spec.revision) ? spec.revision : null;
    return { ...base, commit, sha256: await sha256File(file), fromCache: true };
  }
  const manual = `download ${url} and put it at ${file}, or pass --dataset <file>`;
  if (options.offline ?? isTruthy(env["HF_HUB_OFFLINE"])) {
    throw new UsageError(`${name} ${splitName} is not in the cache and HF_HUB_OFFLINE is set: ${manual}`);
  }
  const label = `${spec.repo} ${splitName}`;
  const { commit, sha256 } = await download({
    url,
    file,
    label,
    manual,
    repo: spec.repo,
    token: env["HF_TOKEN"] || undefined,
    fetchImpl: options.fetch ?? globalThis.fetch,
    onProgress: options.onProgress,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    now: options.now ?? Date.now,
    expectedSha256: spec.sha256?.[splitName],
    expectedRows: filePath.endsWith(".parquet") ? expectedRows : null,
  });
  return { ...base, commit, sha256, fromCache: false };
}

function isTruthy(value: string | undefined): boolean {
  return value !== undefined && ["1", "true", "yes", "on"].includes(value.trim().toLowerCase());
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
