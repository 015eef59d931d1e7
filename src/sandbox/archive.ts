// Files of a workspace through Docker's archive API (GET/PUT/HEAD /containers/{id}/archive): the path for files too big
// for the command shell, or when that shell is unavailable. Symlinks are followed as fs.readFile/writeFile do.

import * as path from "node:path";
import { Readable } from "node:stream";
import type Docker from "dockerode";
import * as tar from "tar-stream";
import { InfraError, errorMessage } from "../errors.js";
import { statusCode } from "./engine.js";
import { fsError, notADirectory, notFound } from "./path-errors.js";
import { collect } from "./streams.js";
import { firstTarEntry } from "./tar.js";

/** Symlinks followed at most, as Linux's ELOOP limit for one lookup. */
const MAX_LINK_HOPS = 16;

/** The file at `target` (absolute), symlinks followed; `shownAs` names it in a loop error. */
export async function readFileViaArchive(container: Docker.Container, target: string, shownAs: string): Promise<Buffer> {
  for (let hops = 0; hops < MAX_LINK_HOPS; hops++) {
    let archive: NodeJS.ReadableStream;
    try {
      archive = await container.getArchive({ path: target });
    } catch (err) {
      throw fileError(err, target, "read");
    }
    const entry = await firstTarEntry(archive);
    if (entry === undefined) throw notFound(target);
    if (entry.type === "symlink" && entry.linkname !== undefined) {
      target = path.posix.resolve(path.posix.dirname(target), entry.linkname);
      continue;
    }
    if (entry.type !== "file") throw fsError(target, "EISDIR", `is a ${entry.type}, not a file`);
    return entry.content;
  }
  throw fsError(shownAs, "ELOOP", "too many levels of symbolic links");
}

export interface ArchiveWrite {
  /** Absolute path in the container. */
  target: string;
  /** Names the file in a loop error. */
  shownAs: string;
  content: Buffer;
  mode: number | undefined;
  /**
   * With a workspace user: makes the file's folder as that user and returns their ids (the entry carries them, and
   * Docker copies them: copyUIDGID). Without: the file is root's.
   */
  ownerIds?: (dir: string) => Promise<{ uid: number; gid: number }>;
}

/** Writes a file like fs.writeFile: follows symlinks, refuses folders (Docker's untar would replace a folder by the file). */
export async function writeFileViaArchive(container: Docker.Container, write: ArchiveWrite): Promise<void> {
  let target = write.target;
  let existing = await statPath(container, target);
  for (let hops = 0; existing?.linkTarget !== undefined; hops++) {
    if (hops >= MAX_LINK_HOPS) throw fsError(write.shownAs, "ELOOP", "too many levels of symbolic links");
    target = path.posix.resolve(path.posix.dirname(target), existing.linkTarget);
    existing = await statPath(container, target);
  }
  if (target === "/" || existing?.isDirectory === true) throw fsError(target, "EISDIR", "is a directory");
  const fileMode = write.mode ?? existing?.mode ?? 0o644;
  const owner = write.ownerIds !== undefined ? await write.ownerIds(path.posix.dirname(target)) : { uid: 0, gid: 0 };
  const pack = tar.pack();
  // Extracting at "/" lets Docker create missing parent folders (0755, root), so no mkdir round trip as root.
  pack.entry({ name: target.slice(1), mode: fileMode & 0o7777, size: write.content.length, mtime: new Date(), ...owner }, write.content);
  pack.finalize();
  try {
    await container.putArchive(await collect(Readable.from(pack)), {
      path: "/",
      ...(write.ownerIds !== undefined ? { copyUIDGID: true } : {}),
    });
  } catch (err) {
    throw fileError(err, target, "write");
  }
}

/** What Docker's archive HEAD says about a path; undefined when it does not exist. */
async function statPath(
  container: Docker.Container,
  target: string,
): Promise<{ mode: number; isDirectory: boolean; linkTarget?: string } | undefined> {
  let res: { headers?: Record<string, string | undefined> };
  try {
    res = (await container.infoArchive({ path: target })) as typeof res;
  } catch (err) {
    // A HEAD error has no body to say why; when Docker answered at all, let the write itself report the problem.
    if (statusCode(err) !== undefined && !errorMessage(err).includes("No such container:")) return undefined;
    throw fileError(err, target, "stat");
  }
  const header = res.headers?.["x-docker-container-path-stat"];
  if (header === undefined) return undefined;
  const stat = JSON.parse(Buffer.from(header, "base64").toString("utf8")) as { mode?: number; linkTarget?: string };
  const goMode = stat.mode ?? 0;
  // Go's os.FileMode: type bits at the top (ModeDir 1<<31, ModeSymlink 1<<27), Unix permission bits at the bottom.
  const result: { mode: number; isDirectory: boolean; linkTarget?: string } = {
    mode: goMode & 0o777,
    isDirectory: (goMode & (2 ** 31)) !== 0,
  };
  if ((goMode & (2 ** 27)) !== 0 && stat.linkTarget) result.linkTarget = stat.linkTarget;
  return result;
}

/** A bad path is the caller's business (an Error with an fs-like code); anything else is Docker's (InfraError). */
function fileError(err: unknown, target: string, action: "read" | "write" | "stat"): Error {
  const message = errorMessage(err);
  // dockerode words every 404 "no such container"; Docker's own text says which: "No such container: <id>" or
  // "Could not find the file <path> in container <id>".
  if (statusCode(err) === 404 && !message.includes("No such container:")) return notFound(target);
  if (/not a directory/i.test(message)) return notADirectory(target, err);
  return new InfraError(`cannot ${action} ${target} in sandbox: ${message}`, { cause: err });
}
