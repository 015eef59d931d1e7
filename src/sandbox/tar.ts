// The repository as a tar stream: packed from a host folder (modes kept, owner chosen, the base commit's `.git` built
// on the host when it can be: git-base.ts), streamed into a container's stdin without ending it, and the first entry
// of an archive Docker sends back.

import * as fs from "node:fs/promises";
import * as path from "node:path";
import { type Duplex, Readable } from "node:stream";
import * as tar from "tar-stream";
import { type BaseFile, baseCommitEntries, needsRealGit } from "./git-base.js";

/** GNU tar's default record size (blocking factor 20). */
const TAR_RECORD_BYTES = 20 * 512;

/**
 * Streams `repoDir` as a tar into `stdin` without ending it (the stream goes on being the lifeline, or a shell's
 * input), so tar must find the archive's end without an EOF: reading a pipe, GNU tar waits for whole records (20
 * blocks of 512 bytes), so the archive is padded with zeros to a whole record. Returns the source for its errors.
 */
export function sendRepository(repoDir: string, stdin: Duplex, owner?: { uid: number; gid: number }): Readable {
  const source = Readable.from(packDirectory(repoDir, { date: new Date() }, owner));
  let sent = 0;
  source.on("data", (chunk: Buffer) => {
    sent += chunk.length;
  });
  source.on("end", () => stdin.write(Buffer.alloc((TAR_RECORD_BYTES - (sent % TAR_RECORD_BYTES)) % TAR_RECORD_BYTES)));
  source.pipe(stdin, { end: false });
  return source;
}

/** Largest repository whose base commit is built on the host (git-base.ts); a bigger one is committed by git in the container. */
const MAX_HOST_BASE_BYTES = 16 * 1024 ** 2;
const MAX_HOST_BASE_FILES = 20_000;

/**
 * Whether packDirectory will bring the base commit built on the host (the same rules, from names and sizes alone),
 * so the entrypoint need not commit as root: then the archive can carry the user's ownership (tar --same-owner).
 */
export async function hostCommitPossible(root: string): Promise<boolean> {
  let files = 0;
  let bytes = 0;
  const walk = async (rel: string): Promise<boolean> => {
    for (const entry of await fs.readdir(path.join(root, rel), { withFileTypes: true })) {
      if (rel === "" && entry.name === ".git") continue;
      const name = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (needsRealGit(name)) return false;
      if (entry.isDirectory()) {
        if (!(await walk(name))) return false;
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        bytes += entry.isFile() ? (await fs.lstat(path.join(root, name))).size : 0;
        if (++files >= MAX_HOST_BASE_FILES || bytes > MAX_HOST_BASE_BYTES) return false;
      }
    }
    return true;
  };
  return walk("").catch(() => false); // an unreadable repository fails in packDirectory, with its own message
}

/**
 * Stream of a tar archive of `root`'s contents (modes kept, owned by root, top-level .git left out). With `baseCommit`,
 * the archive ends with a `.git` holding the base commit (git-base.ts) when git's own `add -A` would commit exactly
 * the same (no ignore or attribute files, no nested repository, not too big); otherwise the entrypoint commits.
 */
function packDirectory(root: string, baseCommit?: { date: Date }, owner: { uid: number; gid: number } = { uid: 0, gid: 0 }): tar.Pack {
  const pack = tar.pack();
  let baseFiles: BaseFile[] | undefined = baseCommit ? [] : undefined;
  let baseBytes = 0;
  const collect = (file: BaseFile): void => {
    if (baseFiles === undefined) return;
    baseBytes += file.content.length;
    if (baseBytes > MAX_HOST_BASE_BYTES || baseFiles.length >= MAX_HOST_BASE_FILES) baseFiles = undefined;
    else baseFiles.push(file);
  };
  const addEntry = (header: Partial<tar.Header> & { name: string }, content?: Buffer) =>
    new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (content === undefined) pack.entry(header, done);
      else pack.entry(header, content, done);
    });
  const walk = async (rel: string): Promise<void> => {
    const entries = await fs.readdir(path.join(root, rel), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      // A fresh `git init` makes the base commit; a copied .git would bring someone else's history.
      if (rel === "" && entry.name === ".git") continue;
      const name = rel === "" ? entry.name : `${rel}/${entry.name}`;
      const full = path.join(root, name);
      const stat = await fs.lstat(full);
      const common = { name, mode: stat.mode & 0o7777, mtime: stat.mtime, ...owner };
      if (needsRealGit(name)) baseFiles = undefined;
      const base = { path: name, mode: stat.mode, mtimeSec: Math.floor(stat.mtime.getTime() / 1000) };
      if (stat.isDirectory()) {
        await addEntry({ ...common, type: "directory" });
        await walk(name);
      } else if (stat.isFile()) {
        const content = await fs.readFile(full);
        collect({ ...base, kind: "file", content });
        await addEntry({ ...common, type: "file", size: stat.size }, content);
      } else if (stat.isSymbolicLink()) {
        const target = await fs.readlink(full);
        collect({ ...base, kind: "symlink", content: Buffer.from(target) });
        await addEntry({ ...common, type: "symlink", linkname: target });
      }
      // sockets, fifos, devices: not part of a repository
    }
  };
  fs.stat(root)
    .then(async (stat) => {
      if (!stat.isDirectory()) throw new Error(`${root} is not a directory`);
      // The workdir itself: tar gives it this entry's owner and mode, as it does every other entry.
      await addEntry({ name: "./", type: "directory", mode: stat.mode & 0o7777, mtime: stat.mtime, ...owner });
      return walk("");
    })
    .then(async () => {
      if (baseCommit === undefined || baseFiles === undefined) return;
      const mtime = baseCommit.date;
      for (const entry of baseCommitEntries(baseFiles, { date: baseCommit.date }).entries) {
        const header = { name: entry.name, mode: entry.mode, mtime, ...owner };
        if (entry.type === "directory") await addEntry({ ...header, type: "directory" });
        else await addEntry({ ...header, type: "file", size: entry.content!.length }, entry.content);
      }
    })
    .then(
      () => pack.finalize(),
      (err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))),
    );
  return pack;
}

export interface TarFile {
  type: string;
  linkname?: string;
  content: Buffer;
}

/** The first entry of a tar stream (Docker's getArchive puts the requested path first); the rest is drained. */
export async function firstTarEntry(archive: NodeJS.ReadableStream): Promise<TarFile | undefined> {
  const extract = tar.extract();
  (archive as Readable).on("error", (err: Error) => extract.destroy(err)).pipe(extract);
  let first: TarFile | undefined;
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) if (first === undefined) chunks.push(chunk as Buffer);
    if (first === undefined) {
      first = { type: entry.header.type ?? "file", content: Buffer.concat(chunks) };
      if (entry.header.linkname != null) first.linkname = entry.header.linkname;
    }
  }
  return first;
}
