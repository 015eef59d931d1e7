// Workspaces with an unprivileged user: the repository is theirs, they hold no capability, they cannot touch the
// container's own root process (the lifeline), and files the harness writes for them stay theirs.
import { mkdtempSync, writeFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { removeContainers } from "../../src/sandbox/removal.js";
import type { Sandbox } from "../../src/sandbox/types.js";
import { docker, provider, sandboxImage } from "./helpers.js";

const runId = `sandbox-user-${process.pid}`;
const repoDir = mkdtempSync(path.join(os.tmpdir(), "bench-user-repo-"));
let sandbox: Sandbox;

beforeAll(async () => {
  await fs.mkdir(path.join(repoDir, "pkg"));
  writeFileSync(path.join(repoDir, "pkg/mod.py"), "X = 1\n");
  writeFileSync(path.join(repoDir, "run.sh"), "#!/bin/sh\necho ran\n", { mode: 0o755 });
  sandbox = await provider(runId).create({ image: sandboxImage(), labels: {}, repoDir, user: "1000:1000" });
});

afterAll(async () => {
  await removeContainers(docker, { "bench.run-id": runId });
  await fs.rm(repoDir, { recursive: true, force: true });
});

describe("a workspace with user 1000:1000", () => {
  test("commands run as that user with no capability; only the container's root entrypoint holds CHOWN and FOWNER", async () => {
    expect((await sandbox.exec("id -u; id -g; grep -E 'Cap(Eff|Prm)' /proc/self/status")).stdout).toBe(
      "1000\n1000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n",
    );
    const info = await docker.getContainer(sandbox.id).inspect();
    expect(info.HostConfig.CapDrop).toEqual(["ALL"]);
    expect(info.HostConfig.CapAdd).toEqual(["CHOWN", "FOWNER"]);
    const shell = await sandbox.openShell!();
    expect((await shell.run("id -un; echo $HOME")).stdout).toBe("agent\n/home/agent\n");
    await shell.close();
  });

  test("the repository, its .git and the workdir belong to the user; the base commit is clean and usable", async () => {
    const owners = await sandbox.exec("stat -c '%u:%g %n' . .git .git/index pkg pkg/mod.py run.sh | sort -k2");
    expect(owners.stdout).toBe(
      ["1000:1000 .", "1000:1000 .git", "1000:1000 .git/index", "1000:1000 pkg", "1000:1000 pkg/mod.py", "1000:1000 run.sh", ""].join("\n"),
    );
    expect(await sandbox.exec("git status --porcelain && ./run.sh")).toMatchObject({ exitCode: 0, stdout: "ran\n" });
    await sandbox.exec("echo 'X = 2' > pkg/mod.py && mkdir -p new && echo n > new/file.txt");
    const diff = await sandbox.exec("git add -A && git diff --cached --stat HEAD");
    expect(diff).toMatchObject({ exitCode: 0 });
    expect(diff.stdout).toContain("2 files changed");
  });

  test("system paths stay read-only to the user", async () => {
    const r = await sandbox.exec("touch /usr/lib/python3/dist-packages/evil.py; echo x >> /etc/passwd");
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/Permission denied/);
    expect((await sandbox.exec("ls /usr/lib/python3/dist-packages/evil.py 2>&1 || true")).stdout).toMatch(/No such file/);
  });

  test("a large file written by the harness into a new folder belongs to the user, who can change it", async () => {
    const big = Buffer.alloc(200_000, "a"); // over the shell's write limit: goes through Docker's archive API
    await sandbox.writeFile("deep/er/big.txt", big);
    expect((await sandbox.exec("stat -c '%u:%g %s' deep deep/er deep/er/big.txt")).stdout).toBe(
      "1000:1000 4096\n1000:1000 4096\n1000:1000 200000\n",
    );
    expect(await sandbox.exec("echo more >> deep/er/big.txt && rm -r deep")).toMatchObject({ exitCode: 0 });
    await sandbox.writeFile("small.txt", "hi\n");
    expect((await sandbox.exec("stat -c '%u:%g' small.txt")).stdout).toBe("1000:1000\n");
  });

  test("the user cannot signal the container's root process: `kill -9 -1` ends only their own processes", async () => {
    await sandbox.exec("kill -9 -1").catch(() => undefined); // takes the command shell down with it
    expect(await sandbox.exec("echo alive")).toMatchObject({ exitCode: 0, stdout: "alive\n" });
    const info = await docker.getContainer(sandbox.id).inspect();
    expect(info.State.Running).toBe(true);
  });
});

// The owner's death closing the lifeline is tested end to end in resume.test.ts (SIGKILL of `bench run`).
test("a workspace whose main process ends is removed by Docker itself (AutoRemove)", async () => {
  const other = await provider(`${runId}-autoremove`).create({ image: sandboxImage(), labels: {}, repoDir, user: "1000:1000" });
  expect((await other.exec("echo up")).stdout).toBe("up\n");
  const containers = () => docker.listContainers({ all: true, filters: { id: [other.id] } });
  expect(await containers()).toHaveLength(1);
  await docker.getContainer(other.id).kill({ signal: "SIGKILL" });
  const deadline = Date.now() + 10_000;
  while ((await containers()).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(await containers()).toHaveLength(0);
  await other.remove(); // idempotent on a container Docker already removed
});

describe("reset (grading in the agent's workspace)", () => {
  test("undoes everything the agent could do: files, ignored files, .git, home, /tmp, background processes", async () => {
    const ws = await provider(`${runId}-reset`).create({ image: sandboxImage(), labels: {}, repoDir, user: "1000:1000" });
    try {
      const fresh = (await ws.exec("git rev-parse HEAD^{tree} && git config --list --local | sort && cat pkg/mod.py")).stdout;
      const tamper = [
        "echo 'X = 666' > pkg/mod.py",
        "mkdir -p build && echo junk > build/out.o && echo 'build/' > .git/info/exclude",
        "git config core.hooksPath /tmp/hooks && mkdir -p /tmp/hooks && printf '#!/bin/sh\\necho hooked\\n' > .git/hooks/post-checkout",
        "mkdir -p ~/.local/lib/python3.11/site-packages && echo 'raise SystemExit(3)' > ~/.local/lib/python3.11/site-packages/sitecustomize.py",
        "echo x > /dev/shm/agent-file && echo y > /var/tmp/agent-file && mkdir /tmp/locked && touch /tmp/locked/f && chmod 000 /tmp/locked",
        // Locked folders inside locked folders, in the workdir too, and hidden files: each is opened before it is entered.
        "mkdir -p /tmp/l1/l2/l3 .hidden/deep && touch /tmp/l1/l2/l3/f .hidden/deep/.f .dotfile && chmod 000 /tmp/l1/l2/l3 /tmp/l1/l2 /tmp/l1 .hidden/deep .hidden",
        // IPC that outlives its processes: System V shared memory, a message queue, semaphores; a POSIX message queue.
        "ipcmk -M 4096 && ipcmk -Q && ipcmk -S 1 && touch /dev/mqueue/agent-queue",
        "setsid bash -c 'while :; do echo \"X = 7\" > /testbed/pkg/mod.py; sleep 0.05; done' >/dev/null 2>&1 &",
      ].join("\n");
      expect(await ws.exec(tamper)).toMatchObject({ exitCode: 0 });
      await ws.reset!(repoDir);
      // No writer loop survived (one would strike again): none of the user's processes runs it.
      expect((await ws.exec("ps -u 1000 -o args= | grep -c '[w]hile :'")).stdout).toBe("0\n");
      expect((await ws.exec("git rev-parse HEAD^{tree} && git config --list --local | sort && cat pkg/mod.py")).stdout).toBe(fresh);
      expect(
        (await ws.exec("git status --porcelain --ignored; ls -A .git/hooks; cat .git/info/exclude 2>/dev/null; echo end")).stdout,
      ).toBe("end\n");
      expect(
        (await ws.exec("ls -A ~ /dev/shm /dev/mqueue /var/tmp; find /tmp -mindepth 1 -user 1000 -not -name '.bench-shell-*'")).stdout,
      ).toBe("/dev/mqueue:\n\n/dev/shm:\n\n/home/agent:\n\n/var/tmp:\n");
      expect((await ws.exec("ipcs -m -q -s | grep -c agent")).stdout).toBe("0\n");
      // Only this command's own processes run as the user (ps and the shell that started it).
      expect(
        (await ws.exec("ps -u 1000 -o args= | grep -v -e '^ps ' -e '^grep ' -e '^bash' -e '^timeout' -e '^(' || echo none")).stdout,
      ).toBe("none\n");
      expect(await ws.exec("python3 -c 'import pkg.mod; print(pkg.mod.X)'")).toMatchObject({ exitCode: 0, stdout: "1\n" });
    } finally {
      await ws.remove();
    }
  });

  test("refuses a workspace whose commands run as root", async () => {
    const ws = await provider(`${runId}-reset-root`).create({ image: sandboxImage(), labels: {}, repoDir });
    try {
      await expect(ws.reset!(repoDir)).rejects.toThrow(/only a workspace with a non-root user can be reset/);
    } finally {
      await ws.remove();
    }
  });
});

test("a repository git must commit in the container (.gitignore) or a named user still ends up the user's", async () => {
  const repo = mkdtempSync(path.join(os.tmpdir(), "bench-user-ignore-"));
  writeFileSync(path.join(repo, ".gitignore"), "*.log\n");
  writeFileSync(path.join(repo, "a.py"), "A = 1\n");
  try {
    for (const user of ["1000:1000", "agent:agent"]) {
      const ws = await provider(`${runId}-ignore`).create({ image: sandboxImage(), labels: {}, repoDir: repo, user });
      try {
        expect(
          (await ws.exec("stat -c '%U %n' . .git .git/index a.py .gitignore && git status --porcelain && git log --format=%s")).stdout,
        ).toBe("agent .\nagent .git\nagent .git/index\nagent a.py\nagent .gitignore\nbase\n");
      } finally {
        await ws.remove();
      }
    }
  } finally {
    await fs.rm(repo, { recursive: true, force: true });
  }
});
