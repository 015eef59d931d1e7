// Test images in SWE-bench's official layout (repository at /testbed at the row's base_commit, conda-shaped env
// `testbed` at /opt/miniconda3, root) built from Debian packages without a registry (with src/sandbox/images.ts's
// building blocks), the Lite-format dataset over them (test/fixtures/swebench/lite.jsonl), and pushing them to a local
// registry under their official names.

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import type Docker from "dockerode";
import * as tar from "tar-stream";
import { acquireLock } from "../../src/sandbox/build-lock.js";
import { dockerBuild } from "../../src/sandbox/docker-build.js";
import { imageExists, listFiles } from "../../src/sandbox/images.js";
import { DEBIAN_SUITE, DPKG_EXCLUDES, buildRootfsImage } from "../../src/sandbox/rootfs-image.js";

/** The checkout's test/fixtures/swebench, from test/integration (vitest) or dist-scripts/test/integration (bench:pull). */
const FIXTURE_DIR = path.join(checkoutRoot(path.dirname(fileURLToPath(import.meta.url))), "test", "fixtures", "swebench");

function checkoutRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "test", "fixtures"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no checkout with test/fixtures above ${from}`);
  }
}
/** Absolute path of the SWE-bench Lite-format rows (JSON-encoded FAIL_TO_PASS/PASS_TO_PASS strings, no `image`). */
export const FIXTURE_DATASET = path.join(FIXTURE_DIR, "lite.jsonl");
/** packages.txt (root filesystem) + Dockerfile and conda/ (the conda-shaped layer). */
const IMAGE_DIR = path.join(FIXTURE_DIR, "image");
/** One fixture repository per instance, at its base state (plain files). */
const REPOS_DIR = path.join(FIXTURE_DIR, "repos");

/**
 * Fixed identity and dates of the fixture's one commit, so /testbed's HEAD is the same sha on every build: the rows
 * state it as `base_commit`. Changing any of these (or a fixture file) changes every base_commit in lite.jsonl.
 */
const COMMIT_ENV = {
  GIT_AUTHOR_NAME: "SWE-bench fixture",
  GIT_AUTHOR_EMAIL: "fixture@swebench.invalid",
  GIT_AUTHOR_DATE: "2020-01-01T00:00:00+0000",
  GIT_COMMITTER_NAME: "SWE-bench fixture",
  GIT_COMMITTER_EMAIL: "fixture@swebench.invalid",
  GIT_COMMITTER_DATE: "2020-01-01T00:00:00+0000",
};
/** Files of a fixture repository never put into an image (byproducts of running its tests on the host). */
const IGNORED = /(^|\/)(__pycache__|\.pytest_cache)(\/|$)|\.pyc$/;
/** What goes into a fixture image (and its content hash): symlinks too, as a git checkout holds them. */
const LIST_OPTIONS = { ignore: IGNORED, symlinks: true };
const LOCK_TIMEOUT_MS = 20 * 60_000;

export type ProgressFn = (line: string) => void;

/**
 * SWE-bench's official image name: `[<registry>/]swebench/sweb.eval.x86_64.<id, "__" → "_1776_", lower case>:latest`.
 */
export function officialName(instanceId: string, registry?: string): string {
  const name = `swebench/sweb.eval.x86_64.${instanceId.replaceAll("__", "_1776_").toLowerCase()}:latest`;
  return registry === undefined || registry === "" ? name : `${registry.replace(/\/+$/, "")}/${name}`;
}

let pendingEnsure: Promise<Record<string, string>> | undefined;

/**
 * Builds the base images and one image per fixture row when missing and returns `{instance_id: local tag}`. Tags are
 * content hashes (package list, layer files, repository files), so an unchanged fixture is never rebuilt and a second
 * call only inspects. Callers in one process share a build; processes take turns through a lock file.
 */
export function ensureSwebenchImages(docker: Docker, onProgress?: ProgressFn): Promise<Record<string, string>> {
  pendingEnsure ??= buildAll(docker, onProgress ?? (() => {})).finally(() => {
    pendingEnsure = undefined;
  });
  return pendingEnsure;
}

/**
 * Tags each image under its official name in the registry, pushes it (docker CLI), then removes that local tag so a
 * later pull really pulls. Returns the pushed names, in the order of `tags`.
 */
export async function pushToRegistry(_docker: Docker, tags: Record<string, string>, registryAddress: string): Promise<string[]> {
  const pushed: string[] = [];
  for (const [id, tag] of Object.entries(tags)) {
    const name = officialName(id, registryAddress);
    await run("docker", ["tag", tag, name]);
    try {
      await run("docker", ["push", "--quiet", name]);
    } finally {
      // Only the name is removed (the local content tag keeps the layers): the next pull of `name` goes to the registry.
      await run("docker", ["rmi", name]).catch(() => undefined);
    }
    pushed.push(name);
  }
  return pushed;
}

interface Row {
  instance_id: string;
  base_commit: string;
}

async function buildAll(docker: Docker, progress: ProgressFn): Promise<Record<string, string>> {
  const rows = await readRows();
  const packages = await readPackages();
  const rootfsHash = hashStrings(["rootfs", DEBIAN_SUITE, ...DPKG_EXCLUDES, ...packages]);
  const rootfsTag = `bench-swebench-rootfs:${rootfsHash}`;
  const envHash = await hashTree(IMAGE_DIR, [rootfsTag]);
  const envTag = `bench-swebench-env:${envHash}`;

  const wanted = new Map<string, { tag: string; dir: string; dockerfile: string }>();
  for (const row of rows) {
    const dir = path.join(REPOS_DIR, row.instance_id);
    const dockerfile = instanceDockerfile(row.instance_id, await importRoot(dir));
    const hash = await hashTree(dir, [envTag, dockerfile]);
    wanted.set(row.instance_id, { tag: `bench-swebench-${row.instance_id.toLowerCase()}:${hash}`, dir, dockerfile });
  }
  const result = Object.fromEntries([...wanted].map(([id, w]) => [id, w.tag]));
  const missing = async () => {
    const out: string[] = [];
    for (const tag of [rootfsTag, envTag, ...Object.values(result)]) if (!(await imageExists(docker, tag))) out.push(tag);
    return out;
  };
  if ((await missing()).length === 0) return result;

  const release = await acquireLock("bench-swebench-fixture", LOCK_TIMEOUT_MS, "the SWE-bench fixture images");
  try {
    const started = Date.now();
    const todo = new Set(await missing()); // another process may have built them while we waited
    if (todo.size === 0) return result;
    if (todo.has(rootfsTag)) {
      progress(`building root filesystem ${rootfsTag} (first use, ~1 min)`);
      await buildRootfsImage(docker, rootfsTag, { packages, labels: { "bench.swebench-fixture": "rootfs" }, onProgress: progress });
    }
    if (todo.has(envTag) || todo.has(rootfsTag)) {
      progress(`docker build ${envTag} (conda layout)`);
      const context = await contextFrom(IMAGE_DIR, "");
      await dockerBuild(docker, context, envTag, {
        buildargs: { BASE_IMAGE: rootfsTag },
        labels: { "bench.swebench-fixture": "env" },
      });
    }
    for (const row of rows) {
      const w = wanted.get(row.instance_id);
      if (w === undefined || !(todo.has(w.tag) || todo.has(envTag))) continue;
      progress(`docker build ${w.tag}`);
      const context = await contextFrom(w.dir, "testbed/", { Dockerfile: w.dockerfile });
      await dockerBuild(docker, context, w.tag, {
        buildargs: { BASE_IMAGE: envTag },
        labels: { "bench.swebench-fixture": row.instance_id },
      });
      const head = await headOf(docker, w.tag);
      if (head !== row.base_commit) {
        // Not kept under its content tag: the next call must rebuild and check again, not trust it.
        await docker
          .getImage(w.tag)
          .remove({ force: true })
          .catch(() => undefined);
        throw new Error(
          `${FIXTURE_DATASET}: ${row.instance_id}: base_commit ${row.base_commit} but the image's /testbed HEAD is ${head}` +
            ` (a fixture file changed: regenerate the rows with node test/fixtures/swebench/make-rows.mjs)`,
        );
      }
    }
    progress(`SWE-bench fixture images built in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return result;
  } finally {
    await release();
  }
}

/** Where the repository's package lives, as `pip install -e .` would put it on sys.path: src/ or lib/ layouts, else the root. */
async function importRoot(dir: string): Promise<string> {
  for (const sub of ["src", "lib"]) {
    const stat = await fs.stat(path.join(dir, sub)).catch(() => undefined);
    if (stat?.isDirectory()) return `/testbed/${sub}`;
  }
  return "/testbed";
}

/**
 * The instance layer: the repository committed at a fixed identity and date (a deterministic sha), permissions as
 * SWE-bench's setup leaves them (`chmod -R 777 /testbed` then `git reset --hard`: directories 777, files as git writes
 * them), and the editable-install .pth in the testbed env.
 */
function instanceDockerfile(instanceId: string, root: string): string {
  const env = Object.entries(COMMIT_ENV)
    .map(([k, v]) => `${k}='${v}'`)
    .join(" ");
  return [
    "ARG BASE_IMAGE",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile build argument, expanded by docker build
    "FROM ${BASE_IMAGE}",
    "COPY testbed/ /testbed/",
    "RUN set -e; cd /testbed; \\",
    "    git init -q -b main; git add -A; \\",
    `    ${env} git -c commit.gpgsign=false commit -q -m 'Fixture base for ${instanceId}'; \\`,
    "    chmod -R 777 /testbed; git reset -q --hard; \\",
    `    echo ${root} > "$(/opt/miniconda3/envs/testbed/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/__editable__.testbed.pth"`,
    "WORKDIR /testbed/",
    "",
  ].join("\n");
}

async function readRows(): Promise<Row[]> {
  const text = await fs.readFile(FIXTURE_DATASET, "utf8");
  const rows: Row[] = [];
  for (const [i, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    const row = JSON.parse(line) as Partial<Row>;
    if (typeof row.instance_id !== "string" || typeof row.base_commit !== "string") {
      throw new Error(`${FIXTURE_DATASET}:${i + 1}: expected instance_id and base_commit strings`);
    }
    rows.push({ instance_id: row.instance_id, base_commit: row.base_commit });
  }
  return rows;
}

async function readPackages(): Promise<string[]> {
  const text = await fs.readFile(path.join(IMAGE_DIR, "packages.txt"), "utf8");
  return text
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter((line) => line !== "");
}

/** Git records only "executable or not": modes are normalised to that, so a checkout's umask never changes a sha. */
function modeOf(stat: { mode: number }): number {
  return stat.mode & 0o111 ? 0o755 : 0o644;
}

async function hashTree(dir: string, extra: string[]): Promise<string> {
  const hash = createHash("sha256");
  for (const item of extra) hash.update(`${item.length}\0${item}\0`);
  for (const rel of await listFiles(dir, LIST_OPTIONS)) {
    const full = path.join(dir, rel);
    const [content, stat] = await Promise.all([fs.readFile(full), fs.stat(full)]);
    hash.update(`${rel}\0${modeOf(stat).toString(8)}\0${content.length}\0`);
    hash.update(content);
  }
  return hash.digest("hex").slice(0, 12);
}

function hashStrings(items: string[]): string {
  const hash = createHash("sha256");
  for (const item of items) hash.update(`${item.length}\0${item}\0`);
  return hash.digest("hex").slice(0, 12);
}

/** A build context: the folder's files under `prefix` (fixed mtime, normalised modes) plus generated files. */
async function contextFrom(dir: string, prefix: string, generated: Record<string, string> = {}): Promise<Readable> {
  const pack = tar.pack();
  const mtime = new Date(Date.UTC(2020, 0, 1));
  for (const [name, content] of Object.entries(generated)) pack.entry({ name, mode: 0o644, mtime }, content);
  for (const rel of await listFiles(dir, LIST_OPTIONS)) {
    const full = path.join(dir, rel);
    const [content, stat] = await Promise.all([fs.readFile(full), fs.stat(full)]);
    pack.entry({ name: `${prefix}${rel}`, mode: modeOf(stat), mtime }, content);
  }
  pack.finalize();
  return Readable.from(pack);
}

/** `git rev-parse HEAD` in /testbed of a throwaway container of the image. */
async function headOf(docker: Docker, tag: string): Promise<string> {
  const container = await docker.createContainer({
    Image: tag,
    Cmd: ["git", "-C", "/testbed", "rev-parse", "HEAD"],
    Labels: { "bench.swebench-fixture": "head-check" },
    HostConfig: { NetworkMode: "none" },
  });
  try {
    await container.start();
    await container.wait();
    const logs = await container.logs({ stdout: true, stderr: false });
    // Non-tty logs are multiplexed: 8-byte frame headers before each chunk.
    return demux(logs).trim();
  } finally {
    await container.remove({ force: true });
  }
}

function demux(buffer: Buffer): string {
  let out = "";
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    out += buffer.subarray(offset + 8, offset + 8 + size).toString("utf8");
    offset += 8 + size;
  }
  return out;
}

/** Runs a command to completion; rejects with its last output on a non-zero exit. */
function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const keep = (chunk: Buffer) => {
      out = (out + chunk.toString("utf8")).slice(-8000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", (err) => reject(new Error(`cannot run ${command}: ${err.message}`, { cause: err })));
    child.on("close", (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(" ")} failed (${signal ?? `exit code ${code}`}):\n${out.trim()}`));
    });
  });
}
