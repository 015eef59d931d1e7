// Named SWE-bench datasets on the Hugging Face hub: pinned revisions, --split checks, and the cached, atomic download.
// The download speaks the hub's resolve protocol (redirects followed by hand so the X-Repo-Commit / X-Linked-* headers of
// the first answer are seen, the token never leaves the hub's origin) and only ever renames a complete, checked file into place.

import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { asyncBufferFromFile, parquetMetadataAsync } from "hyparquet";
import { InfraError, UsageError, errorMessage } from "../errors.js";

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

/** Redirect hops followed before giving up (the hub uses one: resolve → CDN, or a renamed repository → resolve). */
const MAX_REDIRECTS = 5;
/** A download that receives nothing for this long is abandoned: a stalled connection must not hang a run. */
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
const PROGRESS_EVERY_MS = 500;

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

interface DownloadJob {
  url: string;
  file: string;
  label: string;
  /** The "download it by hand" sentence every network failure ends with. */
  manual: string;
  repo: string;
  token: string | undefined;
  fetchImpl: typeof fetch;
  onProgress: ((line: string) => void) | undefined;
  idleTimeoutMs: number;
  now: () => number;
  expectedSha256: string | undefined;
  expectedRows: number | null;
}

/** What the hub says about the file on its first answer (a 302 to the CDN carries it; the CDN's 200 does not). */
interface HubMeta {
  commit: string | null;
  linkedEtag: string | null;
  linkedSize: string | null;
}

async function download(job: DownloadJob): Promise<{ commit: string | null; sha256: string }> {
  const progress = job.onProgress ?? (() => {});
  const controller = new AbortController();
  let timedOut = false;
  let idle: NodeJS.Timeout | undefined;
  const touch = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, job.idleTimeoutMs);
  };
  const networkError = (err: unknown, what: string): UsageError =>
    new UsageError(`${what} (${timedOut ? `no data for ${job.idleTimeoutMs / 1000} s` : networkReason(err)}): ${job.manual}`, {
      cause: err,
    });

  const dir = path.dirname(job.file);
  // Same folder as the final name, so the rename is atomic; the dot keeps it out of the way of anything listing the cache.
  const tmp = path.join(dir, `.${path.basename(job.file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let handle: FileHandle | undefined;
  try {
    touch();
    let answer: { response: Response; meta: HubMeta };
    try {
      answer = await follow(job, controller.signal, touch);
    } catch (err) {
      if (err instanceof UsageError || err instanceof InfraError) throw err;
      throw networkError(err, `cannot reach the Hugging Face hub for ${job.label}`);
    }
    const { response, meta } = answer;
    const declared = toSize(meta.linkedSize) ?? toSize(response.headers.get("content-length"));
    progress(`downloading ${job.label}${declared === null ? "" : ` (${formatSize(declared)})`} from ${job.url}`);

    // A cache that cannot be written is the machine's problem, not the network's: no "download it by hand" advice.
    const diskError = (err: unknown): InfraError =>
      new InfraError(`cannot write ${tmp} in the dataset cache (${errorMessage(err)})`, { cause: err });
    try {
      await mkdir(dir, { recursive: true });
      handle = await open(tmp, "wx");
    } catch (err) {
      throw diskError(err);
    }
    const out = handle;
    const hash = createHash("sha256");
    let received = 0;
    let lastReport = job.now();
    try {
      if (response.body) {
        for await (const chunk of response.body) {
          touch();
          hash.update(chunk);
          await out.write(chunk).catch((err: unknown) => {
            throw diskError(err);
          });
          received += chunk.byteLength;
          const now = job.now();
          if (now - lastReport >= PROGRESS_EVERY_MS) {
            lastReport = now;
            const done = declared ? `${Math.floor((received / declared) * 100)}%` : formatSize(received);
            progress(`downloading ${job.label}${declared === null ? "" : ` (${formatSize(declared)})`} … ${done}`);
          }
        }
      }
    } catch (err) {
      if (err instanceof InfraError) throw err;
      const got = declared === null ? `${received} bytes` : `${received} of ${declared} bytes`;
      throw networkError(err, `download of ${job.label} from ${job.url} broke off after ${got}`);
    }
    clearTimeout(idle);
    if (declared !== null && received !== declared) {
      throw new UsageError(`download of ${job.label} from ${job.url} ended after ${received} of ${declared} bytes: ${job.manual}`);
    }
    try {
      await out.sync();
      await out.close();
      handle = undefined;
    } catch (err) {
      throw diskError(err);
    }

    const sha256 = hash.digest("hex");
    // The hub's X-Linked-Etag of an LFS/Xet file is its sha256; a pinned hash is checked as well.
    const hubSha = normalizeEtag(meta.linkedEtag);
    for (const [expected, source] of [
      [hubSha !== null && /^[0-9a-f]{64}$/.test(hubSha) ? hubSha : undefined, "the hub's X-Linked-Etag"],
      [job.expectedSha256, "the pinned hash"],
    ] as const) {
      if (expected !== undefined && expected !== sha256) {
        throw new InfraError(`download of ${job.label} from ${job.url} has sha256 ${sha256}, ${source} is ${expected}: ${job.manual}`);
      }
    }
    if (job.expectedRows !== null) await checkRowCount(tmp, job);

    await rename(tmp, job.file);
    progress(`downloaded ${job.label} (${formatSize(received)}) to ${job.file}`);
    return { commit: meta.commit, sha256 };
  } finally {
    clearTimeout(idle);
    await handle?.close().catch(() => {});
    // After a successful rename there is nothing left to remove; after a failure the partial file goes.
    await rm(tmp, { force: true }).catch(() => {});
  }
}

/**
 * GET with redirects followed by hand: the hub answers an LFS/Xet file with a 302 to a signed CDN URL, carrying the
 * X-Repo-Commit / X-Linked-* headers on that 302; a renamed repository answers with a relative redirect on the hub itself.
 * The token goes to the hub's origin only, never to the CDN (the signed URL is the credential there).
 */
async function follow(job: DownloadJob, signal: AbortSignal, touch: () => void): Promise<{ response: Response; meta: HubMeta }> {
  const hubOrigin = new URL(job.url).origin;
  const meta: HubMeta = { commit: null, linkedEtag: null, linkedSize: null };
  let current = job.url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const onHub = new URL(current).origin === hubOrigin;
    // identity: the size the hub declares is the size of the bytes, and a parquet file does not compress further anyway.
    const headers: Record<string, string> = { "accept-encoding": "identity" };
    if (job.token !== undefined && onHub) headers["authorization"] = `Bearer ${job.token}`;
    const response = await job.fetchImpl(current, { headers, redirect: "manual", signal });
    touch();
    if (onHub) {
      meta.commit ??= response.headers.get("x-repo-commit");
      meta.linkedEtag ??= response.headers.get("x-linked-etag");
      meta.linkedSize ??= response.headers.get("x-linked-size");
    }
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel().catch(() => {});
      current = new URL(location, current).href;
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw httpError(job, response, onHub);
    }
    return { response, meta };
  }
  throw new InfraError(`${job.url}: more than ${MAX_REDIRECTS} redirects: ${job.manual}`);
}

function httpError(job: DownloadJob, response: Response, onHub: boolean): Error {
  const code = response.headers.get("x-error-code");
  const message = response.headers.get("x-error-message");
  const detail = [code, message].filter((v): v is string => !!v).join(": ");
  // The CDN's URL is signed (a credential of its own): name the hub URL and say the CDN answered.
  const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}${detail ? ` (${detail})` : ""} from ${job.url}${onHub ? "" : " (its CDN)"}`;
  const tokenNote =
    job.token !== undefined ? "HF_TOKEN was sent: check that it is valid and its account has access" : "HF_TOKEN is not set";
  const page = `https://huggingface.co/datasets/${job.repo}`;
  if (response.status === 403 || code === "GatedRepo") {
    return new UsageError(
      `${status}: the dataset is gated; accept its conditions on ${page} and set HF_TOKEN to a token of that account (${tokenNote})`,
    );
  }
  if (response.status === 401) {
    return new UsageError(`${status}: the dataset is private, gated or does not exist; set HF_TOKEN to a token with access (${tokenNote})`);
  }
  if (response.status === 404) {
    return new UsageError(`${status}: no such file at this revision on the hub; ${job.manual}`);
  }
  return new InfraError(`${status}: the hub did not serve the file; try again later, or ${job.manual}`);
}

/** The parquet footer's row count must be the published one: a wrong file never reaches the cache. */
async function checkRowCount(tmp: string, job: DownloadJob): Promise<void> {
  let rows: number;
  try {
    rows = Number((await parquetMetadataAsync(await asyncBufferFromFile(tmp))).num_rows);
  } catch (err) {
    throw new InfraError(`download of ${job.label} from ${job.url} is not a readable parquet file (${errorMessage(err)}): ${job.manual}`);
  }
  if (rows !== job.expectedRows) {
    throw new InfraError(
      `download of ${job.label} from ${job.url} has ${rows} rows, the published split has ${job.expectedRows}: ${job.manual}`,
    );
  }
}

/** `ECONNREFUSED 127.0.0.1:9`, `ENOTFOUND huggingface.co`, … from fetch's wrapped cause, else the message. */
function networkReason(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const withCode = e as Error & { code?: unknown; address?: unknown; port?: unknown; hostname?: unknown };
    if (typeof withCode.code === "string" && /^E[A-Z]+$|^UND_ERR/.test(withCode.code)) {
      const where =
        typeof withCode.hostname === "string"
          ? ` ${withCode.hostname}`
          : typeof withCode.address === "string"
            ? ` ${withCode.address}${typeof withCode.port === "number" ? `:${withCode.port}` : ""}`
            : "";
      return `${withCode.code}${where}`;
    }
    e = e.cause;
  }
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : "";
  return `${errorMessage(err)}${cause}`;
}

function normalizeEtag(etag: string | null): string | null {
  if (etag === null) return null;
  return etag.replace(/^W\//, "").replace(/^"|"$/g, "").toLowerCase();
}

function toSize(value: string | null): number | null {
  if (value === null || !/^\d+$/.test(value.trim())) return null;
  return Number(value.trim());
}

export function formatSize(bytes: number): string {
  if (bytes >= 1_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
  if (bytes >= 1_000) return `${(bytes / 1_000).toFixed(1)} kB`;
  return `${bytes} B`;
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
