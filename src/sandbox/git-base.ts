// The workspace's base commit built on the host: the `.git` folder that `git init && git add -A && git commit -m base`
// would leave (loose objects, one commit on `main`, an index), as files to add to the tar copied into the container.
// Saves the ~20 ms of in-container git per workspace (two per task) that dominate a sandbox start after the container's
// own start. Pure: bytes in, bytes out.
//
// Only for what plain `git add -A` does without surprises: callers fall back to the in-container commit when a
// repository has .gitignore / .gitattributes files (ignore rules, filters, eol conversion) or a nested .git.

import { createHash } from "node:crypto";
import { deflateSync } from "node:zlib";

export interface BaseFile {
  /** Repository-relative path with `/` separators. */
  path: string;
  kind: "file" | "symlink";
  /** File content, or the symlink's target. */
  content: Buffer;
  /** Permission bits; only the owner's execute bit matters to git. */
  mode: number;
  /** Whole seconds, as the tar header stores it (the index records it). */
  mtimeSec: number;
}

export interface GitEntry {
  /** Path relative to the repository root, e.g. `.git/objects/ab/cdef…`. */
  name: string;
  type: "file" | "directory";
  mode: number;
  content?: Buffer;
}

export interface BaseCommitOptions {
  /** @default "bench <bench@localhost>" (the sandbox image's git identity) */
  identity?: string;
  /** Commit time. */
  date: Date;
  /** @default "main" (the sandbox image's init.defaultBranch) */
  branch?: string;
  /** @default "base" */
  message?: string;
}

/** Files whose presence means `git add -A` may not commit exactly what is on disk. */
export function needsRealGit(relativePath: string): boolean {
  const name = relativePath.slice(relativePath.lastIndexOf("/") + 1);
  return name === ".gitignore" || name === ".gitattributes" || name === ".gitmodules" || name === ".git";
}

const sha1 = (data: Buffer): Buffer => createHash("sha1").update(data).digest();

/** The object's id and its loose-object file (zlib of `<type> <size>\0<body>`). */
function gitObject(type: "blob" | "tree" | "commit", body: Buffer): { id: Buffer; file: Buffer } {
  const raw = Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body]);
  return { id: sha1(raw), file: deflateSync(raw) };
}

const fileMode = (f: BaseFile): number => (f.kind === "symlink" ? 0o120000 : (f.mode & 0o100) !== 0 ? 0o100755 : 0o100644);

interface TreeNode {
  files: Map<string, { mode: number; id: Buffer }>;
  dirs: Map<string, TreeNode>;
}

/** Git's tree order: byte order of names, a directory compared as if its name ended in `/`. */
function treeOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The `.git` folder's entries for a single commit of `files` (an empty list gives a commit of the empty tree). */
export function baseCommitEntries(files: readonly BaseFile[], options: BaseCommitOptions): { entries: GitEntry[]; commitId: string } {
  const identity = options.identity ?? "bench <bench@localhost>";
  const branch = options.branch ?? "main";
  const objects = new Map<string, Buffer>();
  const store = (type: "blob" | "tree" | "commit", body: Buffer): Buffer => {
    const { id, file } = gitObject(type, body);
    objects.set(id.toString("hex"), file);
    return id;
  };

  const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const root: TreeNode = { files: new Map(), dirs: new Map() };
  const blobIds = new Map<string, Buffer>();
  for (const file of sorted) {
    const id = store("blob", file.content);
    blobIds.set(file.path, id);
    const parts = file.path.split("/");
    let node = root;
    for (const dir of parts.slice(0, -1)) {
      let next = node.dirs.get(dir);
      if (next === undefined) {
        next = { files: new Map(), dirs: new Map() };
        node.dirs.set(dir, next);
      }
      node = next;
    }
    node.files.set(parts.at(-1)!, { mode: fileMode(file), id });
  }
  const writeTree = (node: TreeNode): Buffer => {
    const items: { sortKey: string; entry: Buffer }[] = [];
    for (const [name, { mode, id }] of node.files) {
      items.push({ sortKey: name, entry: Buffer.concat([Buffer.from(`${mode.toString(8)} ${name}\0`), id]) });
    }
    for (const [name, child] of node.dirs) {
      items.push({ sortKey: `${name}/`, entry: Buffer.concat([Buffer.from(`40000 ${name}\0`), writeTree(child)]) });
    }
    items.sort((a, b) => treeOrder(a.sortKey, b.sortKey));
    return store("tree", Buffer.concat(items.map((i) => i.entry)));
  };
  const treeId = writeTree(root);
  const when = `${Math.floor(options.date.getTime() / 1000)} +0000`;
  const commitId = store(
    "commit",
    Buffer.from(
      `tree ${treeId.toString("hex")}\nauthor ${identity} ${when}\ncommitter ${identity} ${when}\n\n${options.message ?? "base"}\n`,
    ),
  ).toString("hex");

  const entries: GitEntry[] = [];
  const dir = (name: string): void => void entries.push({ name, type: "directory", mode: 0o755 });
  const file = (name: string, content: Buffer | string, mode = 0o644): void =>
    void entries.push({ name, type: "file", mode, content: typeof content === "string" ? Buffer.from(content) : content });
  for (const d of [".git", ".git/objects", ".git/objects/info", ".git/objects/pack", ".git/refs", ".git/refs/heads", ".git/refs/tags"])
    dir(d);
  file(".git/HEAD", `ref: refs/heads/${branch}\n`);
  file(".git/config", "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n");
  file(`.git/refs/heads/${branch}`, `${commitId}\n`);
  const fanout = new Set<string>();
  for (const [hex, data] of [...objects].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const sub = hex.slice(0, 2);
    if (!fanout.has(sub)) {
      fanout.add(sub);
      dir(`.git/objects/${sub}`);
    }
    file(`.git/objects/${sub}/${hex.slice(2)}`, data, 0o444);
  }
  file(".git/index", indexFile(sorted, blobIds));
  return { entries, commitId };
}

/**
 * Index version 2 (`DIRC`). Stat fields other than mode, size and mtime are zero: they differ in the container
 * anyway (inode, ctime), so git re-reads a file's content on its first look and finds it unchanged.
 */
function indexFile(files: readonly BaseFile[], blobIds: Map<string, Buffer>): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.write("DIRC", 0, "latin1");
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(files.length, 8);
  parts.push(header);
  for (const f of files) {
    const pathBytes = Buffer.from(f.path);
    const length = Math.ceil((62 + pathBytes.length + 1) / 8) * 8;
    const entry = Buffer.alloc(length); // zero-filled: the padding NULs come for free
    entry.writeUInt32BE(f.mtimeSec >>> 0, 8);
    entry.writeUInt32BE(fileMode(f), 24);
    entry.writeUInt32BE(f.content.length >>> 0, 36);
    blobIds.get(f.path)!.copy(entry, 40);
    entry.writeUInt16BE(Math.min(pathBytes.length, 0xfff), 60);
    pathBytes.copy(entry, 62);
    parts.push(entry);
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, sha1(body)]);
}
