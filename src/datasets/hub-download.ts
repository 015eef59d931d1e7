// Downloading one file from the Hugging Face hub into the dataset cache, atomically. It speaks the hub's resolve protocol
// (redirects followed by hand so the X-Repo-Commit / X-Linked-* headers of the first answer are seen, the token never
// leaves the hub's origin), abandons a connection idle too long, and only ever renames a complete, checked file
// (declared size, sha256 against the hub's X-Linked-Etag and the pinned hash, parquet row count) into place.

import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { asyncBufferFromFile, parquetMetadataAsync } from "hyparquet";
import { InfraError, UsageError, errorMessage } from "../errors.js";

/** Redirect hops followed before giving up (the hub uses one: resolve → CDN, or a renamed repository → resolve). */
const MAX_REDIRECTS = 5;
const PROGRESS_EVERY_MS = 500;

export interface DownloadJob {
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

/** Aborts a download that receives nothing for `ms`: every sign of life (an answer, a chunk) calls touch(). */
interface IdleWatch {
  signal: AbortSignal;
  touch(): void;
  stop(): void;
  /** Whether the abort was this watch's doing. */
  timedOut: boolean;
}

function idleWatch(ms: number): IdleWatch {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const watch: IdleWatch = {
    signal: controller.signal,
    timedOut: false,
    touch: () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        watch.timedOut = true;
        controller.abort();
      }, ms);
    },
    stop: () => clearTimeout(timer),
  };
  return watch;
}

/** One download under way: its job, idle watch, temp file and progress sink. */
interface Transfer {
  job: DownloadJob;
  idle: IdleWatch;
  /** Same folder as the final name, so the rename is atomic. */
  tmp: string;
  progress: (line: string) => void;
}

/**
 * Downloads `job.url` to `job.file` through a temp file beside it, checked before the rename; the temp file never
 * outlives the call. Network failures are UsageErrors ending with `job.manual`; a cache that cannot be written, a
 * hub error and a file with other bytes are InfraErrors.
 */
export async function download(job: DownloadJob): Promise<{ commit: string | null; sha256: string }> {
  const t: Transfer = { job, idle: idleWatch(job.idleTimeoutMs), tmp: tempPath(job.file), progress: job.onProgress ?? (() => {}) };
  let handle: FileHandle | undefined;
  try {
    t.idle.touch();
    const { response, meta } = await reachFile(t);
    const declared = toSize(meta.linkedSize) ?? toSize(response.headers.get("content-length"));
    t.progress(`downloading ${job.label}${declared === null ? "" : ` (${formatSize(declared)})`} from ${job.url}`);
    handle = await openTemp(t);
    const { received, sha256 } = await receive(t, response, handle, declared);
    t.idle.stop();
    if (declared !== null && received !== declared) {
      throw new UsageError(`download of ${job.label} from ${job.url} ended after ${received} of ${declared} bytes: ${job.manual}`);
    }
    await closeTemp(t, handle);
    handle = undefined;
    checkSha256(job, meta, sha256);
    if (job.expectedRows !== null) await checkRowCount(t.tmp, job);
    await rename(t.tmp, job.file);
    t.progress(`downloaded ${job.label} (${formatSize(received)}) to ${job.file}`);
    return { commit: meta.commit, sha256 };
  } finally {
    t.idle.stop();
    await handle?.close().catch(() => {});
    // After a successful rename there is nothing left to remove; after a failure the partial file goes.
    await rm(t.tmp, { force: true }).catch(() => {});
  }
}

/** The temp name beside `file`; the dot keeps it out of the way of anything listing the cache. */
function tempPath(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
}

/** A network failure: what failed, why (the idle timeout, else the network's reason), and the download-by-hand advice. */
function networkError(t: Transfer, err: unknown, what: string): UsageError {
  const why = t.idle.timedOut ? `no data for ${t.job.idleTimeoutMs / 1000} s` : networkReason(err);
  return new UsageError(`${what} (${why}): ${t.job.manual}`, { cause: err });
}

/** A cache that cannot be written is the machine's problem, not the network's: no "download it by hand" advice. */
function diskError(t: Transfer, err: unknown): InfraError {
  return new InfraError(`cannot write ${t.tmp} in the dataset cache (${errorMessage(err)})`, { cause: err });
}

/** The file's answer (redirects followed); an unreachable hub is a network error. */
async function reachFile(t: Transfer): Promise<{ response: Response; meta: HubMeta }> {
  try {
    return await follow(t.job, t.idle.signal, t.idle.touch);
  } catch (err) {
    if (err instanceof UsageError || err instanceof InfraError) throw err;
    throw networkError(t, err, `cannot reach the Hugging Face hub for ${t.job.label}`);
  }
}

async function openTemp(t: Transfer): Promise<FileHandle> {
  try {
    await mkdir(path.dirname(t.job.file), { recursive: true });
    return await open(t.tmp, "wx");
  } catch (err) {
    throw diskError(t, err);
  }
}

/** The body into the temp file, hashed on the way (bytes received, sha256); a progress line at most every PROGRESS_EVERY_MS. */
async function receive(
  t: Transfer,
  response: Response,
  out: FileHandle,
  declared: number | null,
): Promise<{ received: number; sha256: string }> {
  const { job } = t;
  const hash = createHash("sha256");
  let received = 0;
  let lastReport = job.now();
  try {
    if (response.body) {
      for await (const chunk of response.body) {
        t.idle.touch();
        hash.update(chunk);
        await out.write(chunk).catch((err: unknown) => {
          throw diskError(t, err);
        });
        received += chunk.byteLength;
        const now = job.now();
        if (now - lastReport >= PROGRESS_EVERY_MS) {
          lastReport = now;
          const done = declared ? `${Math.floor((received / declared) * 100)}%` : formatSize(received);
          t.progress(`downloading ${job.label}${declared === null ? "" : ` (${formatSize(declared)})`} … ${done}`);
        }
      }
    }
  } catch (err) {
    if (err instanceof InfraError) throw err;
    const got = declared === null ? `${received} bytes` : `${received} of ${declared} bytes`;
    throw networkError(t, err, `download of ${job.label} from ${job.url} broke off after ${got}`);
  }
  return { received, sha256: hash.digest("hex") };
}

async function closeTemp(t: Transfer, out: FileHandle): Promise<void> {
  try {
    await out.sync();
    await out.close();
  } catch (err) {
    throw diskError(t, err);
  }
}

/** The hub's X-Linked-Etag of an LFS/Xet file is its sha256; a pinned hash is checked as well. */
function checkSha256(job: DownloadJob, meta: HubMeta, sha256: string): void {
  const hubSha = normalizeEtag(meta.linkedEtag);
  for (const [expected, source] of [
    [hubSha !== null && /^[0-9a-f]{64}$/.test(hubSha) ? hubSha : undefined, "the hub's X-Linked-Etag"],
    [job.expectedSha256, "the pinned hash"],
  ] as const) {
    if (expected !== undefined && expected !== sha256) {
      throw new InfraError(`download of ${job.label} from ${job.url} has sha256 ${sha256}, ${source} is ${expected}: ${job.manual}`);
    }
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
