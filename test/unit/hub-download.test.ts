// ensureNamedDataset against a local imitation of the Hugging Face hub: resolve → 302 → CDN, cache, atomicity, errors.

import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { NAMED_DATASETS, cachedDatasetPath, checkSplit, ensureNamedDataset, isNamedDataset, resolveUrl } from "../../src/datasets/hub.js";
import { formatSize } from "../../src/datasets/hub-download.js";
import type { NamedDatasetSpec } from "../../src/datasets/hub.js";
import { InfraError, UsageError } from "../../src/errors.js";

const LITE = NAMED_DATASETS["swe-bench-lite"];
const TEST_PATH = LITE.splits.test;

/** A small SWE-bench-shaped parquet file standing in for the real split. */
const FIXTURE = Buffer.from(
  parquetWriteBuffer({
    columnData: [
      { name: "instance_id", data: ["a-1", "b-2", "c-3"], type: "STRING" },
      { name: "FAIL_TO_PASS", data: ['["t::x"]', "[]", "[]"], type: "STRING" },
    ],
  }),
);
const FIXTURE_SHA = createHash("sha256").update(FIXTURE).digest("hex");

/** The named datasets as shipped, but with the fixture's row count and without the pinned hashes of the real files. */
function catalog(overrides: Partial<NamedDatasetSpec> = {}): Record<string, NamedDatasetSpec> {
  return { "swe-bench-lite": { repo: LITE.repo, revision: LITE.revision, splits: LITE.splits, rows: { test: 3, dev: 3 }, ...overrides } };
}

interface Seen {
  method: string;
  path: string;
  authorization: string | undefined;
}

interface FakeServer {
  base: string;
  seen: Seen[];
  close(): Promise<void>;
}

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function listen(handler: (req: http.IncomingMessage, res: http.ServerResponse, seen: Seen[]) => void): Promise<FakeServer> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? "", path: req.url ?? "", authorization: req.headers.authorization });
    handler(req, res, seen);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const fake: FakeServer = {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(fake);
  return fake;
}

interface HubOptions {
  /** Where the 302 for an LFS file points; defaults to the hub's own origin. */
  cdn?: () => string;
  /** What the CDN does with the body: all of it, half then a reset, or half then a clean end without Content-Length. */
  body?: Body;
  /** X-Repo-Commit the hub answers with. */
  commit?: string;
  /** Repositories that answer 403 GatedRepo without the right token. */
  gated?: { repo: string; token: string };
  /** Bytes served for every file (X-Linked-Etag/-Size describe them unless etag is given). */
  bytes?: Buffer;
  etag?: string;
}

/**
 * The hub's resolve endpoint as huggingface.co answers it for an LFS/Xet file: `GET /datasets/<owner>/<name>/resolve/<rev>/<path>`
 * → 302 to a signed CDN URL, with X-Repo-Commit, X-Linked-Etag (the file's sha256, quoted), X-Linked-Size and the
 * pointer's ETag on the redirect; unknown repository 401 RepoNotFound, gated 403 GatedRepo, unknown file 404 EntryNotFound.
 * The CDN (`/cdn/...`) serves the bytes with Content-Length.
 */
async function startHub(options: HubOptions = {}): Promise<FakeServer> {
  const bytes = options.bytes ?? FIXTURE;
  const sha = createHash("sha256").update(bytes).digest("hex");
  const hub = await listen((req, res) => {
    const url = new URL(req.url ?? "/", "http://hub");
    if (url.pathname.startsWith("/cdn/")) return serveCdn(res, bytes, options.body ?? "whole");
    const m = /^\/datasets\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const common = {
      "x-request-id": "Root=1-fake",
      "access-control-expose-headers": "X-Repo-Commit,X-Linked-Etag,X-Linked-Size,ETag,Location",
    };
    if (!m || (m[1] !== LITE.repo && m[1] !== options.gated?.repo)) {
      res.writeHead(401, {
        ...common,
        "content-type": "text/plain",
        "x-error-code": "RepoNotFound",
        "x-error-message": "Repository not found",
      });
      return res.end("Repository not found");
    }
    if (options.gated && m[1] === options.gated.repo && req.headers.authorization !== `Bearer ${options.gated.token}`) {
      const message = `Access to dataset ${m[1]} is restricted. You must have access to it and be authenticated to access it. Please log in.`;
      res.writeHead(403, { ...common, "x-error-code": "GatedRepo", "x-error-message": message });
      return res.end(message);
    }
    const commit = options.commit ?? m[2]!;
    if (decodeURIComponent(m[3]!) !== TEST_PATH && decodeURIComponent(m[3]!) !== LITE.splits.dev) {
      res.writeHead(404, { ...common, "x-repo-commit": commit, "x-error-code": "EntryNotFound", "x-error-message": "Entry not found" });
      return res.end("Entry not found");
    }
    const cdnBase = options.cdn?.() ?? hub.base;
    const location = `${cdnBase}/cdn/repos/ab/cd/${sha}?response-content-disposition=attachment&Expires=1999999999&Signature=fake`;
    res.writeHead(302, {
      ...common,
      location,
      "x-repo-commit": commit,
      "x-linked-etag": options.etag ?? `"${sha}"`,
      "x-linked-size": String(bytes.length),
      etag: '"0b5fa1e7c1a3c0b8d3c6f5e1f2a3b4c5d6e7f8a9"',
      "content-type": "text/plain; charset=utf-8",
      vary: "Origin, Accept",
    });
    res.end(`Found. Redirecting to ${location}`);
  });
  return hub;
}

type Body = "whole" | "cut" | "short";

function serveCdn(res: http.ServerResponse, bytes: Buffer, body: Body): void {
  res.writeHead(200, {
    "content-type": "binary/octet-stream",
    ...(body === "short" ? {} : { "content-length": String(bytes.length) }),
    "accept-ranges": "bytes",
    etag: '"d41d8cd98f00b204e9800998ecf8427e"',
  });
  if (body === "whole") return void res.end(bytes);
  if (body === "short") return void res.end(bytes.subarray(0, Math.floor(bytes.length / 2)));
  // Half the body, then the connection goes: what a dropped link or a killed proxy looks like to the client.
  res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.destroy());
}

let cacheRoot: string;
beforeAll(() => {
  cacheRoot = mkdtempSync(path.join(os.tmpdir(), "bench-hub-"));
});
function freshCache(): string {
  return mkdtempSync(path.join(cacheRoot, "cache-"));
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

describe("ensureNamedDataset", () => {
  it("downloads through the redirect, reports progress, and returns the file, its sha256 and the hub's commit", async () => {
    const hub = await startHub();
    const cacheDir = freshCache();
    const lines: string[] = [];
    const got = await ensureNamedDataset("swe-bench-lite", "test", {
      cacheDir,
      endpoint: hub.base,
      env: {},
      catalog: catalog(),
      onProgress: (line) => lines.push(line),
    });
    const file = path.join(cacheDir, "datasets", "SWE-bench__SWE-bench_Lite", LITE.revision, "data", "test-00000-of-00001.parquet");
    const url = `${hub.base}/datasets/SWE-bench/SWE-bench_Lite/resolve/${LITE.revision}/data/test-00000-of-00001.parquet`;
    expect(got).toEqual({
      file,
      repo: "SWE-bench/SWE-bench_Lite",
      revision: LITE.revision,
      commit: LITE.revision,
      split: "test",
      url,
      sha256: FIXTURE_SHA,
      expectedRows: 3,
      fromCache: false,
    });
    expect(readFileSync(file).equals(FIXTURE)).toBe(true);
    expect(hub.seen.map((r) => [r.method, r.path.replace(/\?.*/, "")])).toEqual([
      ["GET", `/datasets/SWE-bench/SWE-bench_Lite/resolve/${LITE.revision}/data/test-00000-of-00001.parquet`],
      ["GET", `/cdn/repos/ab/cd/${FIXTURE_SHA}`],
    ]);
    expect(hub.seen.every((r) => r.authorization === undefined)).toBe(true);
    expect(lines[0]).toBe(`downloading SWE-bench/SWE-bench_Lite test (${formatSize(FIXTURE.length)}) from ${url}`);
    expect(lines.at(-1)).toBe(`downloaded SWE-bench/SWE-bench_Lite test (${formatSize(FIXTURE.length)}) to ${file}`);
    // Nothing but the file itself in its folder: the temporary file was renamed, not copied.
    expect(readdirSync(path.dirname(file))).toEqual(["test-00000-of-00001.parquet"]);
  });

  it("serves the second call from the cache without a single request", async () => {
    const hub = await startHub();
    const cacheDir = freshCache();
    const options = { cacheDir, endpoint: hub.base, env: {}, catalog: catalog() };
    const first = await ensureNamedDataset("swe-bench-lite", "test", options);
    const before = hub.seen.length;
    const lines: string[] = [];
    const second = await ensureNamedDataset("swe-bench-lite", "test", { ...options, onProgress: (line) => lines.push(line) });
    expect(hub.seen.length - before).toBe(0);
    expect(second).toEqual({ ...first, fromCache: true });
    expect(lines).toEqual([]);
    // Offline or not, a cached file is served.
    const offline = await ensureNamedDataset("swe-bench-lite", "test", { ...options, env: { HF_HUB_OFFLINE: "1" } });
    expect(offline.file).toBe(first.file);
    expect(hub.seen.length - before).toBe(0);
  });

  it("takes the commit from X-Repo-Commit when the revision is a branch", async () => {
    const commit = "0123456789abcdef0123456789abcdef01234567";
    const hub = await startHub({ commit });
    const cacheDir = freshCache();
    const got = await ensureNamedDataset("swe-bench-lite", "test", {
      cacheDir,
      endpoint: hub.base,
      env: {},
      catalog: catalog({ revision: "main" }),
    });
    expect(got.commit).toBe(commit);
    expect(got.file).toBe(path.join(cacheDir, "datasets", "SWE-bench__SWE-bench_Lite", "main", "data", "test-00000-of-00001.parquet"));
    expect(got.url).toBe(`${hub.base}/datasets/SWE-bench/SWE-bench_Lite/resolve/main/data/test-00000-of-00001.parquet`);
  });

  it("leaves nothing behind when the connection drops mid-body", async () => {
    const hub = await startHub({ body: "cut" });
    const cacheDir = freshCache();
    const file = cachedDatasetPath(cacheDir, LITE, TEST_PATH);
    const err = await rejection(
      ensureNamedDataset("swe-bench-lite", "test", { cacheDir, endpoint: hub.base, env: {}, catalog: catalog() }),
    );
    expect(err).toBeInstanceOf(UsageError);
    // How much of the half that was sent reached the reader before the reset is up to the socket: any, but not all.
    expect(err.message).toMatch(new RegExp(`broke off after \\d+ of ${FIXTURE.length} bytes \\(`));
    expect(err.message).toContain(`put it at ${file}, or pass --dataset <file>`);
    expect(existsSync(file)).toBe(false);
    // No half file under the final name, and no temporary file either.
    expect(readdirSync(path.dirname(file))).toEqual([]);
  });

  it("refuses a body shorter than the size the hub declared", async () => {
    const hub = await startHub({ body: "short" });
    const cacheDir = freshCache();
    const file = cachedDatasetPath(cacheDir, LITE, TEST_PATH);
    const err = await rejection(
      ensureNamedDataset("swe-bench-lite", "test", { cacheDir, endpoint: hub.base, env: {}, catalog: catalog() }),
    );
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain(`ended after ${Math.floor(FIXTURE.length / 2)} of ${FIXTURE.length} bytes`);
    expect(readdirSync(path.dirname(file))).toEqual([]);
  });

  it("reports progress at most every 500 ms, in percent of the declared size", async () => {
    // 2 MB of rows, so the body arrives in many reads; the clock moves 200 ms per look.
    const bytes = Buffer.from(
      parquetWriteBuffer({
        columnData: [{ name: "instance_id", data: Array.from({ length: 3 }, (_, i) => `${i}-${"x".repeat(700_000)}`), type: "STRING" }],
        codec: "UNCOMPRESSED",
      }),
    );
    const hub = await startHub({ bytes });
    let clock = 0;
    const lines: string[] = [];
    const looks: number[] = [];
    await ensureNamedDataset("swe-bench-lite", "test", {
      cacheDir: freshCache(),
      endpoint: hub.base,
      env: {},
      catalog: catalog(),
      onProgress: (line) => {
        lines.push(line);
        looks.push(clock);
      },
      now: () => (clock += 200),
    });
    const ticks = lines.slice(1, -1);
    expect(ticks.length).toBeGreaterThan(0);
    const percents = ticks.map((line) => {
      expect(line).toMatch(new RegExp(`^downloading SWE-bench/SWE-bench_Lite test \\(${formatSize(bytes.length)}\\) … \\d+%$`));
      return Number(/(\d+)%$/.exec(line)![1]);
    });
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.every((p) => p >= 0 && p <= 100)).toBe(true);
    const tickTimes = looks.slice(1, -1);
    for (let i = 1; i < tickTimes.length; i++) expect(tickTimes[i]! - tickTimes[i - 1]!).toBeGreaterThanOrEqual(500);
    expect(lines.at(-1)).toMatch(/^downloaded /);
  });

  it("gives up on a hub that accepts the connection and never answers", async () => {
    const silent = await listen(() => {});
    const cacheDir = freshCache();
    const file = cachedDatasetPath(cacheDir, LITE, TEST_PATH);
    const err = await rejection(
      ensureNamedDataset("swe-bench-lite", "test", { cacheDir, endpoint: silent.base, env: {}, catalog: catalog(), idleTimeoutMs: 100 }),
    );
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain("no data for 0.1 s");
    expect(err.message).toContain(`put it at ${file}, or pass --dataset <file>`);
    expect(silent.seen).toHaveLength(1);
  });

  it("names the status and the URL of a missing file", async () => {
    const hub = await startHub();
    const cacheDir = freshCache();
    const url = resolveUrl(hub.base, LITE.repo, LITE.revision, "data/missing.parquet");
    const err = await rejection(
      ensureNamedDataset("swe-bench-lite", "test", {
        cacheDir,
        endpoint: hub.base,
        env: {},
        catalog: catalog({ splits: { test: "data/missing.parquet" } }),
      }),
    );
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain(`HTTP 404 Not Found (EntryNotFound: Entry not found) from ${url}`);
    expect(existsSync(path.join(cacheDir, "datasets", "SWE-bench__SWE-bench_Lite", LITE.revision, "data"))).toBe(false);
  });

  it("says where to put the file by hand when the hub cannot be reached", async () => {
    const gone = await listen(() => {});
    const endpoint = gone.base;
    await gone.close();
    const cacheDir = freshCache();
    const file = cachedDatasetPath(cacheDir, LITE, TEST_PATH);
    const url = resolveUrl(endpoint, LITE.repo, LITE.revision, TEST_PATH);
    const err = await rejection(ensureNamedDataset("swe-bench-lite", "test", { cacheDir, endpoint, env: {}, catalog: catalog() }));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain("ECONNREFUSED");
    expect(err.message).toContain(`download ${url} and put it at ${file}, or pass --dataset <file>`);
  });

  it("does not touch the network with HF_HUB_OFFLINE=1, and says where to put the file", async () => {
    const hub = await startHub();
    const cacheDir = freshCache();
    const file = cachedDatasetPath(cacheDir, LITE, TEST_PATH);
    const err = await rejection(
      ensureNamedDataset("swe-bench-lite", "test", { cacheDir, endpoint: hub.base, env: { HF_HUB_OFFLINE: "1" }, catalog: catalog() }),
    );
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain(`put it at ${file}, or pass --dataset <file>`);
    expect(hub.seen).toEqual([]);
  });

  it("sends HF_TOKEN to the hub, never to a CDN on another origin, and never into a message", async () => {
    const cdn = await listen((_req, res) => serveCdn(res, FIXTURE, "whole"));
    const hub = await startHub({ cdn: () => cdn.base });
    // The endpoint comes from HF_ENDPOINT here, as it does for huggingface_hub.
    const got = await ensureNamedDataset("swe-bench-lite", "test", {
      cacheDir: freshCache(),
      env: { HF_TOKEN: "hf_secret123", HF_ENDPOINT: hub.base },
      catalog: catalog(),
    });
    expect(got.sha256).toBe(FIXTURE_SHA);
    expect(got.url.startsWith(`${hub.base}/datasets/`)).toBe(true);
    expect(hub.seen.map((r) => r.authorization)).toEqual(["Bearer hf_secret123"]);
    expect(cdn.seen.map((r) => r.authorization)).toEqual([undefined]);
  });

  it("explains a gated dataset: status, URL, HF_TOKEN", async () => {
    const gated = "SWE-bench/Gated";
    const hub = await startHub({ gated: { repo: gated, token: "hf_good" } });
    const options = { cacheDir: freshCache(), endpoint: hub.base, catalog: catalog({ repo: gated }) };
    const url = resolveUrl(hub.base, gated, LITE.revision, TEST_PATH);
    const anonymous = await rejection(ensureNamedDataset("swe-bench-lite", "test", { ...options, env: {} }));
    expect(anonymous).toBeInstanceOf(UsageError);
    expect(anonymous.message).toContain(`HTTP 403 Forbidden (GatedRepo: Access to dataset ${gated} is restricted.`);
    expect(anonymous.message).toContain(`from ${url}`);
    expect(anonymous.message).toContain("set HF_TOKEN");
    const wrong = await rejection(ensureNamedDataset("swe-bench-lite", "test", { ...options, env: { HF_TOKEN: "hf_wrong" } }));
    expect(wrong.message).toContain("HF_TOKEN was sent");
    expect(wrong.message).not.toContain("hf_wrong");
    const ok = await ensureNamedDataset("swe-bench-lite", "test", { ...options, env: { HF_TOKEN: "hf_good" } });
    expect(ok.sha256).toBe(FIXTURE_SHA);
  });

  it("refuses bytes that do not match the hub's X-Linked-Etag, and caches nothing", async () => {
    const hub = await startHub({ etag: `"${"0".repeat(64)}"` });
    const cacheDir = freshCache();
    const file = cachedDatasetPath(cacheDir, LITE, TEST_PATH);
    const err = await rejection(
      ensureNamedDataset("swe-bench-lite", "test", { cacheDir, endpoint: hub.base, env: {}, catalog: catalog() }),
    );
    expect(err).toBeInstanceOf(InfraError);
    expect(err.message).toContain(`has sha256 ${FIXTURE_SHA}, the hub's X-Linked-Etag is ${"0".repeat(64)}`);
    expect(readdirSync(path.dirname(file))).toEqual([]);
  });

  it("refuses a file whose row count is not the published one", async () => {
    const hub = await startHub();
    const cacheDir = freshCache();
    const file = cachedDatasetPath(cacheDir, LITE, TEST_PATH);
    const err = await rejection(
      ensureNamedDataset("swe-bench-lite", "test", { cacheDir, endpoint: hub.base, env: {}, catalog: catalog({ rows: { test: 300 } }) }),
    );
    expect(err).toBeInstanceOf(InfraError);
    expect(err.message).toContain("has 3 rows, the published split has 300");
    expect(readdirSync(path.dirname(file))).toEqual([]);
  });

  it("checks the pinned sha256 of the real files", async () => {
    const hub = await startHub();
    const err = await rejection(
      ensureNamedDataset("swe-bench-lite", "test", {
        cacheDir: freshCache(),
        endpoint: hub.base,
        env: {},
        catalog: { "swe-bench-lite": { ...LITE, rows: { test: 3 } } },
      }),
    );
    expect(err).toBeInstanceOf(InfraError);
    expect(err.message).toContain(`the pinned hash is ${LITE.sha256.test}`);
  });
});

describe("named datasets and --split", () => {
  it("knows the three SWE-bench datasets, pinned to commits", () => {
    expect(Object.keys(NAMED_DATASETS)).toEqual(["swe-bench-lite", "swe-bench-verified", "swe-bench"]);
    expect(isNamedDataset("swe-bench-verified")).toBe(true);
    expect(isNamedDataset("swe-lite")).toBe(false);
    expect(isNamedDataset("toString")).toBe(false);
    for (const spec of Object.values(NAMED_DATASETS) as NamedDatasetSpec[]) {
      expect(spec.revision).toMatch(/^[0-9a-f]{40}$/);
      expect(Object.keys(spec.rows)).toEqual(Object.keys(spec.splits));
    }
  });

  it("defaults to test and lists the valid splits of an unknown one", () => {
    expect(checkSplit("swe-bench-lite", undefined)).toBe("test");
    expect(checkSplit("swe-bench", "dev")).toBe("dev");
    expect(() => checkSplit("swe-bench-verified", "dev")).toThrow(
      new UsageError("--split dev: swe-bench-verified has no such split (valid splits: test)"),
    );
    expect(() => checkSplit("swe-bench-lite", "train")).toThrow("valid splits: test, dev");
  });

  it("rejects an unknown split before any network or cache access", async () => {
    const err = await rejection(
      ensureNamedDataset("swe-bench-lite", "validation", {
        cacheDir: "/nonexistent",
        env: {},
        fetch: () => Promise.reject(new Error("no")),
      }),
    );
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe("--split validation: swe-bench-lite has no such split (valid splits: test, dev)");
  });
});
