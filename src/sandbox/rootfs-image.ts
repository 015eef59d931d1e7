// A Debian root filesystem made by mmdebstrap (the suite's sources taken from this machine's apt configuration when it
// uses a Debian mirror) and imported into the engine as a base image.

import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import type Docker from "dockerode";
import { InfraError, errorMessage } from "../errors.js";
import { followJsonStream } from "./docker-build.js";

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
    '--aptopt=Apt::Install-Recommends "false"',
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
