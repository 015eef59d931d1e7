// Sandbox images built without a registry: mmdebstrap makes a Debian root filesystem from a recipe's
// packages.txt, `docker import` turns it into a base image, the recipe's Dockerfile is built on top.
// The tag is a content hash of the recipe folder, so an unchanged recipe is never rebuilt. The building blocks (root
// filesystem image, docker build, file listing, image check, build lock) are exported for images built the same way:
// the SWE-bench test images of test/integration/swebench-fixture.ts.

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import type Docker from "dockerode";
import * as tar from "tar-stream";
import { InfraError, UsageError, errorMessage } from "../errors.js";
import { statusCodeOf } from "../util/status-code.js";

/**
 * Debian release and mmdebstrap variant every root filesystem built here starts from. The suite and DPKG_EXCLUDES are
 * exported for content hashes over a root filesystem's inputs (the SWE-bench fixture's rootfs tag).
 */
export const DEBIAN_SUITE = "bookworm";
const DEBIAN_VARIANT = "minbase";
/** Paths dpkg never unpacks: documentation nobody reads in a sandbox, kept out for image size. */
export const DPKG_EXCLUDES: readonly string[] = [
  "path-exclude=/usr/share/man/*",
  "path-exclude=/usr/share/info/*",
  "path-exclude=/usr/share/doc/*",
  "path-include=/usr/share/doc/*/copyright",
  "path-exclude=/usr/share/locale/*",
  "path-include=/usr/share/locale/locale.alias",
  "path-exclude=/usr/share/lintian/*",
];
/** Used when this machine's apt sources have no Debian mirror serving the suite (e.g. an Ubuntu CI runner). */
const DEFAULT_SOURCES = [
  `deb http://deb.debian.org/debian ${DEBIAN_SUITE} main`,
  `deb http://deb.debian.org/debian ${DEBIAN_SUITE}-updates main`,
  `deb http://deb.debian.org/debian-security ${DEBIAN_SUITE}-security main`,
];
const RECIPE_NAME = /^[a-z0-9][a-z0-9_.-]*$/;
const LOCK_POLL_MS = 500;
const LOCK_TIMEOUT_MS = 20 * 60_000;
/** A lock file without a readable pid that is older than this belongs to a process that died while creating it. */
const LOCK_UNREADABLE_STALE_MS = 10_000;

export interface ImageOptions {
  /** Receives one human-readable line per build step (only called when something is built). */
  onProgress?: (line: string) => void;
  /** Folder holding the recipes. @default the repository's `sandboxes/` */
  sandboxesDir?: string;
  /** apt source lines for mmdebstrap (`deb URI suite components`). @default this machine's Debian mirror, else deb.debian.org */
  sources?: string[];
  /** Give up waiting for another process's build of the same image after this long. @default 20 minutes */
  lockTimeoutMs?: number;
}

export interface SandboxImageInfo {
  /** `bench-sandbox-<recipe>:<hash>` */
  tag: string;
  recipe: string;
  hash: string;
  id: string;
  sizeBytes: number;
  createdAt: Date;
  /** The tag matches the recipe as it is now (false: an old build, or the recipe is gone). */
  current: boolean;
}

/** The repository's `sandboxes/` folder, found from this module: src/sandbox/ (vitest) and dist/sandbox/ (compiled) both sit two levels below the root. */
export function defaultSandboxesDir(): string {
  return fileURLToPath(new URL("../../sandboxes/", import.meta.url));
}

/** sha256 over the recipe folder's files (relative names sorted, each name and content length-prefixed), first 12 hex digits. */
export async function recipeHash(dir: string): Promise<string> {
  const files = await listFiles(dir);
  if (files.length === 0) throw new UsageError(`sandbox recipe ${dir}: expected a folder with files, got none`);
  const hash = createHash("sha256");
  for (const rel of files) {
    const content = await fs.readFile(path.join(dir, rel));
    hash.update(`${rel}\0${content.length}\0`);
    hash.update(content);
  }
  return hash.digest("hex").slice(0, 12);
}

/** The image tag the recipe builds to now: `bench-sandbox-<recipe>:<hash>`. */
export async function imageTagFor(recipeName: string, sandboxesDir = defaultSandboxesDir()): Promise<string> {
  const { hash } = await resolveRecipe(recipeName, sandboxesDir);
  return sandboxTag(recipeName, hash);
}

const inProcessBuilds = new Map<string, Promise<string>>();

/**
 * Returns the recipe's current image tag, building the image first when it is missing. Callers in one
 * process share one build; processes on one machine take turns through a lock file in os.tmpdir().
 */
export async function ensureImage(docker: Docker, recipeName: string, options: ImageOptions = {}): Promise<string> {
  const recipe = await resolveRecipe(recipeName, options.sandboxesDir ?? defaultSandboxesDir());
  const tag = sandboxTag(recipeName, recipe.hash);
  if (await imageExists(docker, tag)) return tag;
  let pending = inProcessBuilds.get(tag);
  if (pending === undefined) {
    pending = (async () => {
      const release = await acquireLock(lockName(tag), options.lockTimeoutMs ?? LOCK_TIMEOUT_MS, tag);
      try {
        // Another process may have built it while we waited for the lock.
        if (await imageExists(docker, tag)) return tag;
        options.onProgress?.(`building sandbox image ${tag} (first use, ~1 min)…`);
        return await buildRecipe(docker, recipeName, recipe, options);
      } finally {
        await release();
      }
    })().finally(() => inProcessBuilds.delete(tag));
    inProcessBuilds.set(tag, pending);
  }
  return pending;
}

/** Builds the recipe's base and sandbox images unconditionally (`bench images build`); returns the sandbox tag. */
export async function buildImage(docker: Docker, recipeName: string, options: ImageOptions = {}): Promise<string> {
  const recipe = await resolveRecipe(recipeName, options.sandboxesDir ?? defaultSandboxesDir());
  const tag = sandboxTag(recipeName, recipe.hash);
  const release = await acquireLock(lockName(tag), options.lockTimeoutMs ?? LOCK_TIMEOUT_MS, tag);
  try {
    options.onProgress?.(`building sandbox image ${tag}…`);
    return await buildRecipe(docker, recipeName, recipe, options, true);
  } finally {
    await release();
  }
}

/** Sandbox images present in the engine, newest first, each marked current when it matches its recipe now. */
export async function listImages(docker: Docker, sandboxesDir = defaultSandboxesDir()): Promise<SandboxImageInfo[]> {
  let images: Docker.ImageInfo[];
  try {
    images = await docker.listImages({ filters: { reference: ["bench-sandbox-*"] } });
  } catch (err) {
    throw new InfraError(`cannot list Docker images: ${errorMessage(err)}`, { cause: err });
  }
  const currentHashes = new Map<string, string | undefined>();
  const out: SandboxImageInfo[] = [];
  for (const image of images) {
    for (const tag of image.RepoTags ?? []) {
      const match = /^bench-sandbox-([a-z0-9][a-z0-9_.-]*):([0-9a-f]{12})$/.exec(tag);
      if (!match) continue;
      const recipe = match[1] as string;
      const hash = match[2] as string;
      if (!currentHashes.has(recipe)) {
        currentHashes.set(recipe, await resolveRecipe(recipe, sandboxesDir).then((r) => r.hash, () => undefined));
      }
      out.push({
        tag,
        recipe,
        hash,
        id: image.Id,
        sizeBytes: image.Size,
        createdAt: new Date(image.Created * 1000),
        current: currentHashes.get(recipe) === hash,
      });
    }
  }
  return out.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.tag.localeCompare(b.tag));
}

interface Recipe {
  dir: string;
  hash: string;
  packages: string[];
}

function sandboxTag(recipeName: string, hash: string): string {
  return `bench-sandbox-${recipeName}:${hash}`;
}

function baseTag(recipeName: string, hash: string): string {
  return `bench-base-${recipeName}:${hash}`;
}

/** The build lock of one sandbox tag (its file name predates acquireLock taking a name: kept, so old and new processes share it). */
function lockName(tag: string): string {
  return `bench-image-${tag}`;
}

async function resolveRecipe(recipeName: string, sandboxesDir: string): Promise<Recipe> {
  if (!RECIPE_NAME.test(recipeName)) {
    throw new UsageError(`sandbox recipe name: expected lowercase letters, digits, '.', '_' or '-', got ${JSON.stringify(recipeName)}`);
  }
  const dir = path.join(sandboxesDir, recipeName);
  const [dockerfile, packageList] = await Promise.all([
    fs.readFile(path.join(dir, "Dockerfile"), "utf8").catch(() => undefined),
    fs.readFile(path.join(dir, "packages.txt"), "utf8").catch(() => undefined),
  ]);
  if (dockerfile === undefined || packageList === undefined) {
    const known = await fs.readdir(sandboxesDir).catch(() => [] as string[]);
    throw new UsageError(
      `sandbox recipe ${JSON.stringify(recipeName)}: expected ${dir}/Dockerfile and ${dir}/packages.txt` +
        ` (known recipes: ${known.length > 0 ? known.sort().join(", ") : "none"} in ${sandboxesDir})`,
    );
  }
  const packages = packageList
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter((line) => line !== "");
  for (const name of packages) {
    if (!/^[a-z0-9][a-z0-9+.-]*$/.test(name)) {
      throw new UsageError(`${dir}/packages.txt: expected Debian package names, got ${JSON.stringify(name)}`);
    }
  }
  return { dir, hash: await recipeHash(dir), packages };
}

export interface ListFilesOptions {
  /** Leaves out every file or folder whose relative name matches (a folder left out is not descended into). */
  ignore?: RegExp;
  /** Also lists symbolic links (reading one reads its target). @default false: regular files only */
  symlinks?: boolean;
}

/** The folder's files, recursively, as `/`-separated names relative to `root`, in code-unit order. */
export async function listFiles(root: string, options: ListFilesOptions = {}): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const entry of await fs.readdir(path.join(root, rel), { withFileTypes: true })) {
      const name = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (options.ignore?.test(name)) continue;
      if (entry.isDirectory()) await walk(name);
      else if (entry.isFile() || (options.symlinks === true && entry.isSymbolicLink())) out.push(name);
    }
  };
  await walk("");
  // Plain code-unit order, not localeCompare: content hashes over these names must not depend on the machine's locale.
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Whether the engine has the image; a 404 is "no", any other failure is an InfraError. */
export async function imageExists(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch (err) {
    if (statusCodeOf(err) === 404) return false;
    throw new InfraError(`Docker is not reachable (inspecting image ${tag}): ${errorMessage(err)}`, { cause: err });
  }
}

async function buildRecipe(
  docker: Docker,
  recipeName: string,
  recipe: Recipe,
  options: ImageOptions,
  force = false,
): Promise<string> {
  const started = Date.now();
  const progress = options.onProgress ?? (() => {});
  const base = baseTag(recipeName, recipe.hash);
  const tag = sandboxTag(recipeName, recipe.hash);
  const labels = { "bench.recipe": recipeName, "bench.recipe-hash": recipe.hash };
  if (force || !(await imageExists(docker, base))) {
    await buildRootfsImage(docker, base, {
      packages: recipe.packages,
      sources: options.sources,
      labels,
      onProgress: (line) => progress(`  ${line}`),
    });
  }
  progress(`  docker build ${tag}`);
  await dockerBuild(docker, await recipeContext(recipe.dir), tag, { buildargs: { BASE_IMAGE: base }, labels });
  progress(`built ${tag} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return tag;
}

/** apt source lines for the suite, taken from this machine's apt configuration when it already uses a Debian mirror. */
export async function hostDebianSources(aptDir = "/etc/apt"): Promise<string[]> {
  const entries: { uri: string; suites: string[] }[] = [];
  const files = [path.join(aptDir, "sources.list")];
  const dir = path.join(aptDir, "sources.list.d");
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) files.push(path.join(dir, name));
  for (const file of files) {
    const text = await fs.readFile(file, "utf8").catch(() => undefined);
    if (text === undefined) continue;
    if (file.endsWith(".sources")) entries.push(...parseDeb822Sources(text));
    else if (file.endsWith(".list")) entries.push(...parseOneLineSources(text));
  }
  const uriFor = (suite: string) => entries.find((e) => e.suites.includes(suite))?.uri;
  const main = uriFor(DEBIAN_SUITE);
  if (main === undefined) return DEFAULT_SOURCES;
  const lines = [`deb ${main} ${DEBIAN_SUITE} main`];
  const updates = uriFor(`${DEBIAN_SUITE}-updates`);
  if (updates !== undefined) lines.push(`deb ${updates} ${DEBIAN_SUITE}-updates main`);
  const security = uriFor(`${DEBIAN_SUITE}-security`);
  if (security !== undefined) lines.push(`deb ${security} ${DEBIAN_SUITE}-security main`);
  return lines;
}

function parseOneLineSources(text: string): { uri: string; suites: string[] }[] {
  const out: { uri: string; suites: string[] }[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    // deb [options] uri suite components...
    const match = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
    if (match) out.push({ uri: match[1] as string, suites: [match[2] as string] });
  }
  return out;
}

function parseDeb822Sources(text: string): { uri: string; suites: string[] }[] {
  const out: { uri: string; suites: string[] }[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const raw of stanza.split("\n")) {
      if (raw.startsWith("#")) continue;
      const match = /^([A-Za-z-]+):\s*(.*)$/.exec(raw);
      if (match) fields.set((match[1] as string).toLowerCase(), (match[2] as string).trim());
    }
    if (!(fields.get("types") ?? "").split(/\s+/).includes("deb")) continue;
    if ((fields.get("enabled") ?? "yes").toLowerCase() === "no") continue;
    const suites = (fields.get("suites") ?? "").split(/\s+/).filter(Boolean);
    for (const uri of (fields.get("uris") ?? "").split(/\s+/).filter(Boolean)) out.push({ uri, suites });
  }
  return out;
}

export interface RootfsImageOptions {
  /** Debian packages installed (without recommends) into the root filesystem. */
  packages: readonly string[];
  /** apt source lines for mmdebstrap. @default hostDebianSources() */
  sources?: string[] | undefined;
  /** Labels set on the imported image. */
  labels: Record<string, string>;
  /** Receives one human-readable line per step. */
  onProgress?: ((line: string) => void) | undefined;
}

/**
 * A Debian root filesystem (DEBIAN_SUITE, DEBIAN_VARIANT, DPKG_EXCLUDES) with the packages, made by mmdebstrap into a
 * temporary tarball and imported as image `tag` with the labels and `bash` as its command.
 */
export async function buildRootfsImage(docker: Docker, tag: string, options: RootfsImageOptions): Promise<void> {
  const progress = options.onProgress ?? (() => {});
  const sources = options.sources ?? (await hostDebianSources());
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "bench-rootfs-"));
  try {
    const tarball = path.join(tmp, "rootfs.tar");
    progress(`mmdebstrap ${DEBIAN_SUITE} (${DEBIAN_VARIANT}) + ${options.packages.length} packages from ${sources[0] ?? "?"}`);
    await runMmdebstrap(options.packages, sources, tarball);
    progress(`importing root filesystem as ${tag}`);
    await importRootfs(docker, tarball, tag, options.labels);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/** mmdebstrap of DEBIAN_SUITE (DEBIAN_VARIANT, DPKG_EXCLUDES, no recommends) with the packages into `tarball`. */
function runMmdebstrap(packages: readonly string[], sources: readonly string[], tarball: string): Promise<void> {
  const args = [
    `--variant=${DEBIAN_VARIANT}`,
    `--include=${packages.join(",")}`,
    "--aptopt=Apt::Install-Recommends \"false\"",
    ...DPKG_EXCLUDES.map((opt) => `--dpkgopt=${opt}`),
    DEBIAN_SUITE,
    tarball,
    ...sources,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn("mmdebstrap", args, { stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    const keep = (chunk: Buffer) => {
      log = (log + chunk.toString("utf8")).slice(-4000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", (err: NodeJS.ErrnoException) => {
      reject(
        err.code === "ENOENT"
          ? new InfraError("cannot build sandbox image: mmdebstrap is not installed (apt-get install mmdebstrap)", { cause: err })
          : new InfraError(`cannot run mmdebstrap: ${err.message}`, { cause: err }),
      );
    });
    child.on("close", (code, signal) => {
      if (code === 0) resolve();
      else {
        const how = signal !== null ? `killed by ${signal}` : `exit code ${code}`;
        const hint = process.getuid?.() === 0 ? "" : " (it needs root or unprivileged user namespaces)";
        reject(new InfraError(`mmdebstrap failed (${how})${hint}:\n${log.trim()}`));
      }
    });
  });
}

async function importRootfs(docker: Docker, tarball: string, tag: string, labels: Record<string, string>): Promise<void> {
  const [repo, version] = tag.split(":") as [string, string];
  const label = Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(" ");
  try {
    const stream = await docker.importImage(createReadStream(tarball), {
      repo,
      tag: version,
      changes: [`LABEL ${label}`, 'CMD ["/bin/bash"]'],
    });
    await followJsonStream(stream, () => {});
  } catch (err) {
    throw new InfraError(`docker import of ${tag} failed: ${errorMessage(err)}`, { cause: err });
  }
}

/** The recipe folder as a build context: its files with their own modes and mtimes. */
async function recipeContext(recipeDir: string): Promise<Readable> {
  const context = tar.pack();
  for (const rel of await listFiles(recipeDir)) {
    const full = path.join(recipeDir, rel);
    const [content, stat] = await Promise.all([fs.readFile(full), fs.stat(full)]);
    context.entry({ name: rel, mode: stat.mode & 0o7777, mtime: stat.mtime }, content);
  }
  context.finalize();
  return Readable.from(context);
}

export interface DockerBuildOptions {
  /** `ARG` values, e.g. `{ BASE_IMAGE: … }`. */
  buildargs?: Record<string, string>;
  labels?: Record<string, string>;
}

/**
 * `docker build` of a tar build context into `tag`, without network (every package comes from the root filesystem);
 * a failure is an InfraError carrying the build log's tail.
 */
export async function dockerBuild(
  docker: Docker,
  context: NodeJS.ReadableStream,
  tag: string,
  options: DockerBuildOptions = {},
): Promise<void> {
  let log = "";
  try {
    const stream = await docker.buildImage(context, {
      t: tag,
      buildargs: options.buildargs ?? {},
      labels: options.labels ?? {},
      networkmode: "none",
      rm: true,
      forcerm: true,
    });
    await followJsonStream(stream, (event) => {
      if (typeof event.stream === "string") log = (log + event.stream).slice(-4000);
    });
  } catch (err) {
    throw new InfraError(`docker build of ${tag} failed: ${errorMessage(err)}\n${log.trim()}`, { cause: err });
  }
}

interface ProgressEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/** Reads a Docker JSON-lines progress stream to its end; rejects on the first `error` event. */
function followJsonStream(stream: NodeJS.ReadableStream, onEvent: (event: ProgressEvent) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    let failed: Error | undefined;
    const handleLine = (line: string) => {
      if (line.trim() === "") return;
      let event: ProgressEvent;
      try {
        event = JSON.parse(line) as ProgressEvent;
      } catch {
        event = { stream: line };
      }
      if (event.error !== undefined && failed === undefined) failed = new Error(event.errorDetail?.message ?? event.error);
      onEvent(event);
    };
    stream.on("data", (chunk: Buffer | string) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        handleLine(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
      }
    });
    stream.on("error", reject);
    stream.on("end", () => {
      handleLine(buffered);
      if (failed !== undefined) reject(failed);
      else resolve();
    });
  });
}

/**
 * Cross-process lock `<tmpdir>/<name>.lock`: a file created with O_EXCL holding the owner's pid; a lock whose pid is
 * dead is taken over. Resolves to the release function; `what` names the locked work in the timeout error.
 */
export async function acquireLock(name: string, timeoutMs: number, what = name): Promise<() => Promise<void>> {
  const file = path.join(os.tmpdir(), `${name.replace(/[^A-Za-z0-9_.-]/g, "_")}.lock`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await fs.open(file, "wx");
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      return async () => {
        await fs.rm(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new InfraError(`cannot create image build lock ${file}: ${errorMessage(err)}`, { cause: err });
      }
    }
    const stale = await staleLockContent(file);
    if (stale !== undefined) {
      // Take the stale file away by renaming it (atomic); if what we moved is not the file we judged stale
      // (a waiter beside us took over first and made a fresh lock), put it back. Losing this race costs at
      // worst a duplicate build of the same tag, never a broken image.
      const grave = `${file}.stale-${process.pid}`;
      if (await fs.rename(file, grave).then(() => true, () => false)) {
        const moved = await fs.readFile(grave, "utf8").catch(() => stale);
        if (moved !== stale) await fs.link(grave, file).catch(() => {});
        await fs.rm(grave, { force: true });
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new InfraError(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for another process building ${what} (lock ${file})`);
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
}

/** The lock file's content when its owner is gone (dead pid, or no pid long after creation), else undefined. */
async function staleLockContent(file: string): Promise<string | undefined> {
  let text: string;
  let mtimeMs: number;
  try {
    [text, { mtimeMs }] = await Promise.all([fs.readFile(file, "utf8"), fs.stat(file)]);
  } catch {
    return undefined; // gone already: the next open will tell
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0) return Date.now() - mtimeMs > LOCK_UNREADABLE_STALE_MS ? text : undefined;
  try {
    process.kill(pid, 0);
    return undefined;
  } catch (err) {
    // EPERM: alive, but another user's process.
    return (err as NodeJS.ErrnoException).code === "ESRCH" ? text : undefined;
  }
}
