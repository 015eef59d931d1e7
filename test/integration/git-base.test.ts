// The host-built base commit (src/sandbox/git-base.ts) against real git in a workspace: the same tree git itself would
// commit, a consistent repository, a clean status; and the fallback to git in the container when ignore rules exist.
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeContainers } from "../../src/sandbox/removal.js";
import type { Sandbox } from "../../src/sandbox/types.js";
import { docker, provider, sandboxImage } from "./helpers.js";

const runId = `test-git-base-${process.pid}`;
let dir: string;

/** Commits a copy of the workspace with git itself and prints what both commits hold. */
const COMPARE = [
  "rm -rf /tmp/real && cp -a /testbed /tmp/real && cd /tmp/real && rm -rf .git",
  "git init -q && git add -A && git commit -q --no-verify -m base",
  'echo "real $(git rev-parse HEAD^{tree})"; git ls-files -s > /tmp/real.ls',
  'cd /testbed && echo "ours $(git rev-parse HEAD^{tree})"; git ls-files -s > /tmp/ours.ls',
  "cmp /tmp/real.ls /tmp/ours.ls && echo same-index",
].join(" && ");

async function write(rel: string, content: string, mode = 0o644): Promise<void> {
  await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
  await fs.writeFile(path.join(dir, rel), content, { mode });
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "bench-git-base-"));
  // Names that test git's orderings: a file sorting between a folder's name and its contents, dashes, dots, unicode.
  await write("a.txt", "dot\n");
  await write("a/b.py", "print('b')\n");
  await write("a-b", "dash\n");
  await write("a/z/deep.txt", "deep\n");
  await write("run.sh", "#!/bin/sh\necho ran\n", 0o755);
  await write("empty", "");
  await write("dir with space/ünïcode name.txt", "unicode\n");
  await write(".hidden/x", "hidden\n");
  await fs.mkdir(path.join(dir, "empty-dir"));
  await fs.symlink("a/b.py", path.join(dir, "link.py"));
});

afterAll(async () => {
  await removeContainers(docker, { "bench.run-id": runId });
  await fs.rm(dir, { recursive: true, force: true });
});

describe("host-built base commit", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await provider(runId).create({ image: sandboxImage(), labels: {}, repoDir: dir });
  });

  it("holds the same tree and index entries git itself commits, and the repository checks out clean", async () => {
    // Built on the host: no reflog (an in-container `git commit` writes .git/logs/HEAD).
    expect((await sandbox.exec("test -e .git/logs && echo container-git || echo host-built")).stdout).toBe("host-built\n");
    const compared = await sandbox.exec(COMPARE);
    expect(compared.exitCode).toBe(0);
    const [real, ours] = compared.stdout.trim().split("\n");
    expect(ours?.replace("ours ", "")).toBe(real?.replace("real ", ""));
    expect(compared.stdout).toContain("same-index");
    expect(
      await sandbox.exec(
        "git fsck --strict --no-dangling 2>&1 && git status --porcelain && git log --format='%s %an <%ae>' && git branch --show-current",
      ),
    ).toMatchObject({
      exitCode: 0,
      stdout: "base bench <bench@localhost>\nmain\n",
    });
    expect(await sandbox.exec("echo more >> a/b.py && git diff --stat && git add -A && git diff --cached --name-only HEAD")).toMatchObject({
      exitCode: 0,
      stdout: " a/b.py | 1 +\n 1 file changed, 1 insertion(+)\na/b.py\n",
    });
  });

  it("leaves ignore rules to git: with a .gitignore the container commits, and ignored files stay out", async () => {
    await write(".gitignore", "*.log\n");
    await write("debug.log", "noise\n");
    const ignoring = await provider(runId).create({ image: sandboxImage(), labels: {}, repoDir: dir });
    try {
      expect((await ignoring.exec("test -e .git/logs && echo container-git || echo host-built")).stdout).toBe("container-git\n");
      const files = await ignoring.exec("git ls-files && git status --porcelain --ignored");
      expect(files.exitCode).toBe(0);
      expect(files.stdout).toContain(".gitignore\n");
      expect(files.stdout).not.toMatch(/^debug\.log$/m);
      expect(files.stdout).toContain("!! debug.log\n");
    } finally {
      await ignoring.remove();
      await fs.rm(path.join(dir, ".gitignore"));
      await fs.rm(path.join(dir, "debug.log"));
    }
  });
});
