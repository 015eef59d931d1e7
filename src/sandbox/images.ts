// Sandbox images built without a registry: mmdebstrap makes a Debian root filesystem from a recipe's
// packages.txt, `docker import` turns it into a base image, the recipe's Dockerfile is built on top.
// The tag is a content hash of the recipe folder, so an unchanged recipe is never rebuilt. The building blocks (root
// filesystem image, docker build, file listing, image check, build lock) are exported for images built the same way:
// the SWE-bench test images of test/integration/swebench-fixture.ts.

import { createHash } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import type Docker from "dockerode";
import * as tar from "tar-stream";
import { InfraError, UsageError, errorMessage } from "../errors.js";
import { acquireLock } from "./build-lock.js";
import { dockerBuild } from "./docker-build.js";
import { statusCode } from "./engine.js";
import { buildRootfsImage } from "./rootfs-image.js";

const RECIPE_NAME = /^[a-z0-9][a-z0-9_.-]*$/;
const LOCK_TIMEOUT_MS = 20 * 60_000;

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
        currentHashes.set(
          recipe,
          await resolveRecipe(recipe, sandboxesDir).then(
            (r) => r.hash,
            () => undefined,
          ),
        );
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
    if (statusCode(err) === 404) return false;
    throw new InfraError(`Docker is not reachable (inspecting image ${tag}): ${errorMessage(err)}`, { cause: err });
  }
}

async function buildRecipe(docker: Docker, recipeName: string, recipe: Recipe, options: ImageOptions, force = false): Promise<string> {
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
