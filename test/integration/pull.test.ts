// ImagePuller against the real engine and a local registry: images made with `docker import` (no registry needed),
// pushed under official-style names, removed locally, then pulled back under each policy, failure and credential case.

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import Docker from "dockerode";
import * as tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { InfraError } from "../../src/errors.js";
import { ImagePuller, type ImagePullerOptions, officialImage } from "../../src/sandbox/pull.js";
import { ImageNotFoundError, RegistryAuthError, RegistryError } from "../../src/sandbox/pull-errors.js";
import { type LocalRegistry, startRegistry } from "./registry.js";

const docker = new Docker();
/** Every image name a test made, removed from the engine in afterAll whatever happened. */
const made = new Set<string>();
const PAYLOAD_BYTES = 2_000_000;

/** Reads a push/import stream to its end; an `error` event rejects (dockerode would resolve with it in the output). */
async function drain(stream: NodeJS.ReadableStream): Promise<void> {
  const events = await new Promise<{ error?: string }[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: unknown, out: { error?: string }[]) => (err ? reject(err) : resolve(out))),
  );
  const failed = events.find((e) => e.error !== undefined);
  if (failed) throw new Error(failed.error);
}

/**
 * Makes a one-layer image (random payload, so no layer is shared with another test's image) with `docker import`,
 * pushes it to the registry under SWE-bench's naming and, unless keepLocal, removes the engine's copy.
 */
async function pushImage(
  registry: LocalRegistry,
  instanceId: string,
  options: { keepLocal?: boolean; auth?: { username: string; password: string } } = {},
): Promise<string> {
  const image = officialImage(instanceId, `${registry.address}/swebench/sweb.eval.x86_64.{id}:latest`);
  made.add(image);
  const pack = tar.pack();
  pack.entry({ name: "payload.bin" }, randomBytes(PAYLOAD_BYTES));
  pack.entry({ name: "instance.txt" }, `${instanceId}\n`);
  pack.finalize();
  const repo = image.slice(0, image.lastIndexOf(":"));
  await drain(await docker.importImage(Readable.from(pack) as unknown as NodeJS.ReadableStream, { repo, tag: "latest" }));
  const authconfig = options.auth ? { ...options.auth, serveraddress: registry.address } : {};
  await drain(await docker.getImage(image).push({ authconfig } as Docker.ImagePushOptions));
  if (!options.keepLocal) await docker.getImage(image).remove();
  return image;
}

async function present(image: string): Promise<boolean> {
  return docker
    .getImage(image)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

/** Pull attempts the engine made for an image: each starts with one HEAD of the tag's manifest. */
function manifestHeads(registry: LocalRegistry, image: string): number {
  const repoPath = image.slice(registry.address.length, image.lastIndexOf(":"));
  return registry.requests.filter((r) => r === `HEAD /v2${repoPath}/manifests/latest`).length;
}

function puller(options: Partial<ImagePullerOptions> & { lines?: string[] } = {}): ImagePuller {
  const lines = options.lines;
  return new ImagePuller(docker, {
    policy: "missing",
    backoffMs: 10,
    // Never the machine's own ~/.docker/config.json: the tests must not depend on it.
    dockerConfig: {},
    ...options,
    onProgress: (line) => {
      lines?.push(line);
      options.onProgress?.(line);
    },
  });
}

let registry: LocalRegistry;

beforeAll(async () => {
  registry = await startRegistry();
});

afterAll(async () => {
  await registry?.stop();
  for (const image of made)
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
});

describe("ensure", () => {
  test("pulls a missing image with progress lines; a second ensure does not pull again", async () => {
    const image = await pushImage(registry, "demo__pkg-1");
    const lines: string[] = [];
    const p = puller({ lines, progressIntervalMs: 0 });
    const first = await p.ensure(image);
    expect(first.pulled).toBe(true);
    expect(await present(image)).toBe(true);
    expect(lines[0]).toBe(`pulling ${image}`);
    // progressIntervalMs 0: every event may print; the byte figures are summed over layers.
    expect(lines.some((l) => /^pulling .+: [\d.]+ \S?B \/ 2\.0 MB, \d\/1 layers$/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(
      new RegExp(`^pulled ${image.replace(/[.]/g, "\\.")}: 2\\.0 MB downloaded, 2\\.0 MB unpacked, \\d+\\.\\ds$`),
    );
    expect(p.stats()).toMatchObject({ pulls: 1 });
    expect(p.stats().bytes).toBeGreaterThanOrEqual(PAYLOAD_BYTES);
    expect(p.pulled()).toEqual([image]);
    console.log(
      `[pull.test] cold ensure of a ${PAYLOAD_BYTES / 1e6} MB image from the local registry: ${first.waitedMs.toFixed(0)} ms (${lines.at(-1)})`,
    );

    const heads = manifestHeads(registry, image);
    const second = await p.ensure(image);
    expect(second.pulled).toBe(false);
    expect(manifestHeads(registry, image)).toBe(heads);
    // A new puller (next run) finds it present and does not pull either.
    const other = puller();
    expect((await other.ensure(image)).pulled).toBe(false);
    expect(other.pulled()).toEqual([]);
    expect(manifestHeads(registry, image)).toBe(heads);
  });

  test("concurrent ensure calls for one image share one pull", async () => {
    const image = await pushImage(registry, "demo__pkg-2");
    const p = puller();
    const results = await Promise.all([p.ensure(image), p.ensure(image), p.ensure(image)]);
    expect(results.map((r) => r.pulled)).toEqual([true, true, true]);
    expect(manifestHeads(registry, image)).toBe(1);
    expect(p.stats().pulls).toBe(1);
  });

  test("always: pulls an image already present, once per run", async () => {
    const image = await pushImage(registry, "demo__pkg-3", { keepLocal: true });
    const p = puller({ policy: "always" });
    const results = await Promise.all([p.ensure(image), p.ensure(image)]);
    expect(results.map((r) => r.pulled)).toEqual([true, true]);
    expect(manifestHeads(registry, image)).toBe(1);
    expect((await p.ensure(image)).pulled).toBe(false);
    expect(manifestHeads(registry, image)).toBe(1);
    // It was there before the run: not this puller's to remove.
    expect(p.pulled()).toEqual([]);
    await p.release(image);
    expect(await present(image)).toBe(true);
  });

  test("never: a missing image is an error naming it, without asking the registry", async () => {
    const image = await pushImage(registry, "demo__pkg-4");
    const p = puller({ policy: "never" });
    const err = await p.ensure(image).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageNotFoundError);
    expect((err as Error).message).toContain(image);
    expect((err as Error).message).toContain("--pull");
    expect(manifestHeads(registry, image)).toBe(0);
    await puller().ensure(image);
    expect((await p.ensure(image)).pulled).toBe(false);
  });

  test("an image the registry does not have: ImageNotFoundError at once, no retries", async () => {
    const image = officialImage("nosuch__thing-9", `${registry.address}/swebench/sweb.eval.x86_64.{id}:latest`);
    const lines: string[] = [];
    const p = puller({ lines, retries: 4 });
    const err = await p.ensure(image).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageNotFoundError);
    expect(err).toBeInstanceOf(InfraError);
    expect((err as InfraError).exitCode).toBe(1);
    expect((err as Error).message).toContain(image);
    expect((err as Error).message).toContain("--image-template");
    expect(manifestHeads(registry, image)).toBe(1);
    expect(lines.filter((l) => l.includes("; retry"))).toEqual([]);
  });
});

describe("retries", () => {
  test("two failed registry requests (503) are retried and the pull succeeds", async () => {
    const image = await pushImage(registry, "flaky__pkg-1");
    const lines: string[] = [];
    const p = puller({ lines, retries: 4 });
    // The attempt's HEAD of the manifest, then the engine's fallback GET of it: one failed attempt.
    registry.failNext(2, 503);
    const result = await p.ensure(image);
    expect(result.pulled).toBe(true);
    expect(await present(image)).toBe(true);
    expect(manifestHeads(registry, image)).toBe(2);
    expect(lines.filter((l) => l.includes("; retry"))).toEqual([
      expect.stringMatching(
        new RegExp(
          `^pulling ${image.replace(/[.]/g, "\\.")} failed \\(received unexpected HTTP status: 503 Service Unavailable\\); retry 1/4 in [\\d.]+s$`,
        ),
      ),
    ]);
    expect(lines.at(-1)).toMatch(/after 1 retry$/);
  });

  test("a registry that keeps failing: RegistryError naming image, registry and the last error, after the retries", async () => {
    const image = await pushImage(registry, "flaky__pkg-2");
    const repoPath = image.slice(registry.address.length, image.lastIndexOf(":"));
    registry.failNext(100, 503, new RegExp(`^/v2${repoPath}/`));
    const p = puller({ retries: 2 });
    const err = await p.ensure(image).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).attempts).toBe(3);
    expect((err as Error).message).toContain(image);
    expect((err as Error).message).toContain(registry.address);
    expect((err as Error).message).toContain("503");
    expect(manifestHeads(registry, image)).toBe(3);
    expect(p.pulled()).toEqual([]);
  });

  test("an error the engine reports mid-stream (image config fetch) counts as a failed attempt and is retried", async () => {
    const image = await pushImage(registry, "flaky__pkg-3", { keepLocal: true });
    // The image config blob's digest is the image id; the engine fetches it after the 200 response has started.
    const configDigest = (await docker.getImage(image).inspect()).Id.replace("sha256:", "");
    await docker.getImage(image).remove();
    registry.failNext(1000, 503, new RegExp(configDigest));
    const lines: string[] = [];
    const p = puller({ lines, retries: 1 });
    const err = await p.ensure(image).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).attempts).toBe(2);
    expect((err as Error).message).toContain("error pulling image configuration");
    expect(lines.filter((l) => l.includes("retry 1/1"))).toHaveLength(1);
    expect(manifestHeads(registry, image)).toBe(2);
    expect(p.stats().pulls).toBe(0);
  });
});

describe("credentials", () => {
  let authRegistry: LocalRegistry;
  let image: string;
  const user = "alice";
  const password = "s3cret-Pa55";

  beforeAll(async () => {
    // bcrypt through libxcrypt's crypt(3) (Perl is on every Debian): docker-registry accepts only bcrypt lines.
    const hash = execFileSync("perl", [
      "-e",
      "print crypt($ARGV[0], q($2b$05$) . $ARGV[1])",
      password,
      "abcdefghijklmnopqrstuu",
    ]).toString();
    if (!/^\$2b\$05\$.{53}$/.test(hash)) throw new Error(`perl's crypt() made no bcrypt hash (needs libxcrypt, Debian 11+): ${hash}`);
    authRegistry = await startRegistry({ htpasswd: `${user}:${hash}` });
    image = await pushImage(authRegistry, "private__pkg-1", { auth: { username: user, password } });
  });

  afterAll(async () => {
    await authRegistry?.stop();
  });

  test("without credentials: RegistryAuthError saying to docker login to the registry", async () => {
    const err = await puller()
      .ensure(image)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryAuthError);
    expect((err as Error).message).toContain(`docker login ${authRegistry.address}`);
    expect(await present(image)).toBe(false);
  });

  test("a wrong password: RegistryAuthError naming the registry, never the credentials", async () => {
    const auth = Buffer.from(`${user}:wrong-Pa55`).toString("base64");
    const err = await puller({ dockerConfig: { auths: { [authRegistry.address]: { auth } } } })
      .ensure(image)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryAuthError);
    const message = (err as Error).message;
    expect(message).toContain(authRegistry.address);
    expect(message).toContain("docker login");
    expect(message).not.toContain("wrong-Pa55");
    expect(message).not.toContain(auth);
  });

  test("credentials from the Docker config's auths (base64 user:password) pull the image", async () => {
    const auth = Buffer.from(`${user}:${password}`).toString("base64");
    const lines: string[] = [];
    const p = puller({ lines, dockerConfig: { auths: { [`http://${authRegistry.address}`]: { auth } } } });
    expect((await p.ensure(image)).pulled).toBe(true);
    expect(lines.join("\n")).not.toContain(password);
    await p.release(image);
    expect(await present(image)).toBe(false);
  });

  test("credentials from a credential helper (credsStore) pull the image", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "bench-cred-helper-"));
    const savedPath = process.env.PATH;
    try {
      const helper = path.join(dir, "docker-credential-benchtest");
      await fs.writeFile(
        helper,
        `#!/bin/sh\nread server\nif [ "$server" = "${authRegistry.address}" ]; then\n` +
          `  printf '{"ServerURL":"%s","Username":"${user}","Secret":"${password}"}' "$server"\n` +
          `else echo "credentials not found in native keychain"; exit 1; fi\n`,
        { mode: 0o755 },
      );
      process.env.PATH = `${dir}${path.delimiter}${savedPath ?? ""}`;
      const p = puller({ dockerConfig: { credsStore: "benchtest", auths: { [authRegistry.address]: {} } } });
      expect((await p.ensure(image)).pulled).toBe(true);
      await p.release(image);
    } finally {
      process.env.PATH = savedPath;
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe("release", () => {
  test("removes only what this puller pulled; an image a container uses is kept and reported", async () => {
    const pulledHere = await pushImage(registry, "rel__pkg-1");
    const already = await pushImage(registry, "rel__pkg-2", { keepLocal: true });
    const inUse = await pushImage(registry, "rel__pkg-3");
    const lines: string[] = [];
    const p = puller({ lines });
    await Promise.all([p.ensure(pulledHere), p.ensure(already), p.ensure(inUse)]);
    expect(p.pulled().sort()).toEqual([pulledHere, inUse].sort());

    await p.release(already);
    expect(await present(already)).toBe(true);
    await p.release(pulledHere);
    expect(await present(pulledHere)).toBe(false);
    expect(p.pulled()).toEqual([inUse]);

    const container = await docker.createContainer({
      Image: inUse,
      Cmd: ["/nothing"],
      Labels: { "bench.managed": "pull-test", "bench.owner-pid": String(process.pid) },
    });
    try {
      await expect(p.release(inUse)).resolves.toBeUndefined();
      expect(await present(inUse)).toBe(true);
      expect(lines.at(-1)).toMatch(new RegExp(`^kept ${inUse.replace(/[.]/g, "\\.")}: still used by a container`));
    } finally {
      await container.remove({ force: true });
    }
    await p.release(inUse);
    expect(await present(inUse)).toBe(false);
    expect(p.pulled()).toEqual([]);

    // Released, then needed again (a task retry): pulled again.
    expect((await p.ensure(pulledHere)).pulled).toBe(true);
  });
});

describe("prefetch", () => {
  test("a prefetched image costs its ensure ~no wait, a cold one the whole pull", async () => {
    const cold = await pushImage(registry, "pre__pkg-1");
    const warm = await pushImage(registry, "pre__pkg-2");
    let prefetched!: () => void;
    const prefetchDone = new Promise<void>((resolve) => (prefetched = resolve));
    const p = puller({ onProgress: (line) => line.startsWith(`pulled ${warm}:`) && prefetched() });
    const coldResult = await p.ensure(cold);
    p.prefetch(warm);
    await prefetchDone;
    const warmResult = await p.ensure(warm);
    expect(coldResult.pulled).toBe(true);
    // The first caller after a prefetch is told the image was pulled for it; it just did not wait.
    expect(warmResult.pulled).toBe(true);
    expect(warmResult.waitedMs).toBeLessThan(coldResult.waitedMs / 2);
    const stats = p.stats();
    expect(stats.pulls).toBe(2);
    expect(stats.waitedMs).toBeCloseTo(coldResult.waitedMs + warmResult.waitedMs, 0);
    console.log(`[pull.test] ensure wait: cold ${coldResult.waitedMs.toFixed(1)} ms, prefetched ${warmResult.waitedMs.toFixed(2)} ms`);
  });

  test("prefetches run at most prefetchConcurrency at once; ensure jumps the queue", async () => {
    const images = [
      await pushImage(registry, "pre__pkg-3"),
      await pushImage(registry, "pre__pkg-4"),
      await pushImage(registry, "pre__pkg-5"),
    ];
    const lines: string[] = [];
    let allPulled!: () => void;
    const done = new Promise<void>((resolve) => (allPulled = resolve));
    const p = puller({
      lines,
      prefetchConcurrency: 1,
      onProgress: () => lines.filter((l) => l.startsWith("pulled ")).length === 3 && allPulled(),
    });
    for (const image of images) p.prefetch(image);
    // The third is still queued behind the first: ensure starts it now rather than after the second.
    await p.ensure(images[2] as string);
    await done;
    const events = lines.flatMap((l) => {
      const start = /^pulling (\S+)$/.exec(l);
      const end = /^pulled (\S+):/.exec(l);
      return start ? [`start ${start[1]}`] : end ? [`end ${end[1]}`] : [];
    });
    expect(events.slice(0, 2).sort()).toEqual([`start ${images[0]}`, `start ${images[2]}`].sort());
    // The second prefetch started only once the first had finished.
    expect(events.indexOf(`start ${images[1]}`)).toBeGreaterThan(events.indexOf(`end ${images[0]}`));
    expect(p.pulled().sort()).toEqual([...images].sort());
  });

  test("a failed prefetch is kept for the next ensure of that image (no unhandled rejection); a later ensure tries again", async () => {
    const image = officialImage("nosuch__prefetch-1", `${registry.address}/swebench/sweb.eval.x86_64.{id}:latest`);
    const p = puller();
    p.prefetch(image);
    await p.close();
    expect(manifestHeads(registry, image)).toBe(1);
    await expect(p.ensure(image)).rejects.toBeInstanceOf(ImageNotFoundError);
    expect(manifestHeads(registry, image)).toBe(1);
    await expect(p.ensure(image)).rejects.toBeInstanceOf(ImageNotFoundError);
    expect(manifestHeads(registry, image)).toBe(2);
  });
});
