// Docker workspaces for real: isolation, the committed base, exec limits, files, removal and clean failure.

import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { InfraError } from "../../src/errors.js";
import { DockerSandboxProvider } from "../../src/sandbox/docker.js";
import { removeContainers } from "../../src/sandbox/removal.js";
import { BoundedOutput } from "../../src/sandbox/streams.js";
import type { Sandbox } from "../../src/sandbox/types.js";

const docker = new Docker();
const image = inject("sandboxImage");
const runId = `test-sandbox-${process.pid}-${Date.now()}`;
const provider = new DockerSandboxProvider(docker, { runId, host: "test-host" });
const labels = { "bench.task-id": "demo__demo-1", "bench.cell": "mock/oracle", "extra.label": "kept" };

let repoDir: string;
let sandbox: Sandbox;

async function containersOfRun(id: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`bench.run-id=${id}`] } });
}

beforeAll(async () => {
  repoDir = await fs.mkdtemp(path.join(os.tmpdir(), "bench-sandbox-repo-"));
  await fs.mkdir(path.join(repoDir, "pkg"));
  await fs.mkdir(path.join(repoDir, "dir with space"));
  await fs.mkdir(path.join(repoDir, ".git")); // someone else's history: must not be copied
  await fs.writeFile(path.join(repoDir, ".git", "HEAD"), "ref: refs/heads/elsewhere\n");
  await fs.writeFile(path.join(repoDir, "pkg", "__init__.py"), "def answer():\n    return 42\n");
  await fs.writeFile(path.join(repoDir, "test_pkg.py"), "from pkg import answer\n\ndef test_answer():\n    assert answer() == 42\n");
  await fs.writeFile(path.join(repoDir, "dir with space", "file with space.txt"), "spaced\n");
  await fs.writeFile(path.join(repoDir, "run.sh"), "#!/bin/sh\necho ran\n", { mode: 0o755 });
  await fs.symlink("pkg/__init__.py", path.join(repoDir, "link.py"));
  sandbox = await provider.create({ image, labels, repoDir });
});

afterAll(async () => {
  await removeContainers(docker, { "bench.run-id": runId });
  await fs.rm(repoDir, { recursive: true, force: true });
});

describe("create", () => {
  test("labels the container and isolates it: no network, no capabilities, no-new-privileges, limits", async () => {
    const info = await docker.getContainer(sandbox.id).inspect();
    expect(info.State.Running).toBe(true);
    expect(info.Config.Labels).toEqual({
      ...labels,
      // inherited from the image
      "bench.recipe": "python",
      "bench.recipe-hash": image.split(":")[1],
      "bench.run-id": runId,
      "bench.owner-pid": String(process.pid),
      "bench.host": "test-host",
      "bench.managed": "true",
    });
    expect(info.Name).not.toBe("");
    // The entrypoint prepares the workspace, then waits on the lifeline (stdin of the owner's attach connection).
    expect(info.Config.Entrypoint?.slice(0, 2)).toEqual(["bash", "-c"]);
    expect(info.Config.OpenStdin).toBe(true);
    expect(info.Config.StdinOnce).toBe(true);
    expect(info.HostConfig).toMatchObject({
      Init: true,
      AutoRemove: true,
      NetworkMode: "none",
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      Memory: 2 * 1024 ** 3,
      NanoCpus: 1e9,
      PidsLimit: 512,
    });
    expect(sandbox.workdir).toBe("/testbed");
  });

  test("the network is off: only the loopback interface, outside connections fail", async () => {
    expect((await sandbox.exec("ls /sys/class/net")).stdout).toBe("lo\n");
    const connect = await sandbox.exec(`python -c 'import socket; s = socket.socket(); s.settimeout(3); s.connect(("1.1.1.1", 80))'`);
    expect(connect.exitCode).not.toBe(0);
    expect(connect.stderr).toMatch(/Network is unreachable|OSError/);
  });

  test("commands run as root with no effective capabilities", async () => {
    const result = await sandbox.exec("id -u; grep CapEff /proc/self/status");
    expect(result.stdout).toBe("0\nCapEff:\t0000000000000000\n");
  });

  test("the repository is committed as the single base commit; modes, symlinks and spaces survive", async () => {
    expect(await sandbox.exec("git status --porcelain")).toMatchObject({ exitCode: 0, stdout: "" });
    const log = await sandbox.exec("git log --format=%s");
    expect(log).toMatchObject({ exitCode: 0, stdout: "base\n" });
    const files = await sandbox.exec("git ls-files");
    expect(files.stdout.split("\n").filter(Boolean).sort()).toEqual(
      ["dir with space/file with space.txt", "link.py", "pkg/__init__.py", "run.sh", "test_pkg.py"].sort(),
    );
    expect((await sandbox.exec("stat -c %a run.sh && ./run.sh && readlink link.py")).stdout).toBe("755\nran\npkg/__init__.py\n");
    // The agent's patch is `git diff` against the base.
    expect((await sandbox.exec("echo '# new' >> test_pkg.py && git diff --stat && git checkout -q test_pkg.py")).stdout).toContain(
      "test_pkg.py | 1 +",
    );
  });

  test("the Python toolchain works without network or capabilities (pytest, editable pip install)", async () => {
    const pytest = await sandbox.exec("python -m pytest -q -p no:cacheprovider", { timeoutSec: 60 });
    expect(pytest.stdout).toContain("1 passed");
    expect(pytest.exitCode).toBe(0);
    const pip = await sandbox.exec(
      `printf 'from setuptools import setup\\nsetup(name="pkg", version="0.1", packages=["pkg"])\\n' > /tmp/setup.py && ` +
        `mkdir -p /tmp/proj && cp -r pkg /tmp/setup.py /tmp/proj/ && cd /tmp/proj && ` +
        `pip install -q --no-index --no-build-isolation -e . 2>/dev/null && cd / && python -c 'import pkg; print(pkg.answer())'`,
      { timeoutSec: 120 },
    );
    expect(pip).toMatchObject({ exitCode: 0, stdout: "42\n" });
  });
});

describe("exec", () => {
  test("reports the exit code and keeps stdout and stderr apart; cwd and env apply", async () => {
    const result = await sandbox.exec('echo out; echo err >&2; echo "$GREETING from $(pwd)"; exit 3', {
      cwd: "/tmp",
      env: { GREETING: "hello world" },
    });
    expect(result).toEqual({
      exitCode: 3,
      stdout: "out\nhello world from /tmp\n",
      stderr: "err\n",
      timedOut: false,
      truncatedBytes: 0,
      durationMs: expect.any(Number),
    });
  });

  test("the in-container timeout ends a long command quickly and the sandbox keeps working", async () => {
    const started = Date.now();
    const result = await sandbox.exec("echo started; sleep 30", { timeoutSec: 1 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result).toMatchObject({ timedOut: true, exitCode: 124, stdout: "started\n" });
    expect(await sandbox.exec("echo ok")).toMatchObject({ exitCode: 0, stdout: "ok\n", timedOut: false });
    expect((await sandbox.exec("ps -eo args")).stdout).not.toContain("sleep 30");
  });

  test("the host-side deadline kills a command whose in-container timeout cannot act", async () => {
    // Stopping `timeout` (the command's parent) keeps it from ever firing; only the host deadline is left.
    const result = await sandbox.exec("kill -STOP $PPID; sleep 60", { timeoutSec: 1 });
    expect(result.timedOut).toBe(true);
    expect(result.durationMs).toBeLessThan(15_000);
    expect((await sandbox.exec("ps -eo stat,args")).stdout).not.toMatch(/sleep 60|timeout -k 2 1 /);
  });

  test("a background process may outlive its command without holding it up", async () => {
    const started = Date.now();
    const result = await sandbox.exec("sleep 60 & echo launched", { timeoutSec: 30 });
    // Docker waits up to ~2 s for a process that still holds the output pipe, then closes the stream.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result).toMatchObject({ exitCode: 0, stdout: "launched\n", timedOut: false });
    expect((await sandbox.exec("ps -eo args")).stdout).toContain("sleep 60");
    await sandbox.exec("pkill -f 'sleep 60'");
  });

  test("a command exiting 124 quickly is not a timeout", async () => {
    expect(await sandbox.exec("exit 124", { timeoutSec: 30 })).toMatchObject({ exitCode: 124, timedOut: false });
  });

  test("huge output is cut in the middle while streaming: head and tail kept, the cut noted and counted", async () => {
    const result = await sandbox.exec("yes | head -c 5000000; seq 1 3 >&2", { maxOutputBytes: 10_000 });
    expect(result.exitCode).toBe(0);
    expect(result.truncatedBytes).toBe(4_990_000);
    const [head, tail] = result.stdout.split("\n[... 4990000 bytes truncated ...]\n");
    expect(head).toBe("y\n".repeat(2_500));
    expect(tail).toBe("y\n".repeat(2_500));
    expect(result.stderr).toBe("1\n2\n3\n");

    const numbers = await sandbox.exec("seq 1 200000 >&2", { maxOutputBytes: 1_000 });
    expect(numbers.stderr.startsWith("1\n2\n3\n")).toBe(true);
    expect(numbers.stderr.endsWith("199999\n200000\n")).toBe(true);
    expect(numbers.stderr).toMatch(/\n\[\.\.\. \d+ bytes truncated \.\.\.\]\n/);
    expect(numbers.stdout).toBe("");
  });

  test("binary output decodes with replacement characters instead of failing", async () => {
    const result = await sandbox.exec(`printf 'ok\\377\\376\\000end'; head -c 100000 /dev/urandom >&2`);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("ok\uFFFD\uFFFD\u0000end");
    expect(result.stderr.length).toBeGreaterThan(0);
  });

  // Its latency is measured by `npm run bench:perf` (Sandbox.exec round trip), not asserted here.
  test("a trivial command round-trips cleanly, again and again", async () => {
    for (let i = 0; i < 10; i++) {
      expect(await sandbox.exec("true")).toMatchObject({ exitCode: 0, stdout: "", stderr: "", timedOut: false, truncatedBytes: 0 });
    }
  });
});

describe("files", () => {
  test("writeFile then readFile round-trips text and binary, creating nested folders; paths resolve against workdir", async () => {
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await sandbox.writeFile("new dir/deeper/file with space.txt", "héllo\n");
    await sandbox.writeFile("/tmp/blob.bin", binary);
    expect((await sandbox.readFile("/testbed/new dir/deeper/file with space.txt")).toString("utf8")).toBe("héllo\n");
    expect(await sandbox.readFile("/tmp/blob.bin")).toEqual(binary);
    expect((await sandbox.exec("cat 'new dir/deeper/file with space.txt' && stat -c %a 'new dir/deeper'")).stdout).toBe("héllo\n755\n");
    expect((await sandbox.readFile("dir with space/file with space.txt")).toString()).toBe("spaced\n");
    expect((await sandbox.readFile("link.py")).toString()).toBe("def answer():\n    return 42\n");
  });

  test("writeFile sets the given mode and otherwise keeps an existing file's mode", async () => {
    await sandbox.writeFile("tool.sh", "#!/bin/sh\necho tool\n", 0o755);
    await sandbox.writeFile("run.sh", "#!/bin/sh\necho edited\n");
    await sandbox.writeFile("plain.txt", "x");
    expect((await sandbox.exec("stat -c '%a %n' tool.sh run.sh plain.txt && ./tool.sh && ./run.sh")).stdout).toBe(
      "755 tool.sh\n755 run.sh\n644 plain.txt\ntool\nedited\n",
    );
  });

  test("writeFile follows symlinks like fs.writeFile", async () => {
    await sandbox.writeFile("/tmp/real.txt", "before");
    await sandbox.exec("ln -s /tmp/real.txt /tmp/alias.txt");
    await sandbox.writeFile("/tmp/alias.txt", "after");
    expect((await sandbox.exec("readlink /tmp/alias.txt && cat /tmp/real.txt")).stdout).toBe("/tmp/real.txt\nafter");
  });

  test("bad paths fail like fs does (ENOENT, EISDIR, ENOTDIR), not as infrastructure errors, and change nothing", async () => {
    await expect(sandbox.readFile("nope.txt")).rejects.toMatchObject({ code: "ENOENT" });
    await expect(sandbox.readFile("pkg")).rejects.toMatchObject({ code: "EISDIR" });
    await expect(sandbox.readFile("run.sh/child")).rejects.toMatchObject({ code: "ENOTDIR" });
    await expect(sandbox.writeFile("run.sh/child", "x")).rejects.toMatchObject({ code: "ENOTDIR" });
    // Docker's untar would replace the folder by a file; writeFile must refuse instead.
    await expect(sandbox.writeFile("pkg", "x")).rejects.toMatchObject({ code: "EISDIR" });
    expect(await sandbox.exec("test -f pkg/__init__.py && git status --porcelain pkg")).toMatchObject({
      exitCode: 0,
      stdout: "",
    });
  });
});

describe("lifecycle", () => {
  test("remove is idempotent, also when called concurrently", async () => {
    const other = await provider.create({ image, labels });
    await Promise.all([other.remove(), other.remove()]);
    await other.remove();
    await expect(docker.getContainer(other.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expect(other.exec("true")).rejects.toBeInstanceOf(InfraError);
  });

  test("a failure during create leaves no container behind and says what failed", async () => {
    const failingRun = `${runId}-failing`;
    const failing = new DockerSandboxProvider(docker, { runId: failingRun });
    const missingRepo = path.join(repoDir, "does-not-exist");
    await expect(failing.create({ image, labels, repoDir: missingRepo })).rejects.toThrow(
      new RegExp(`copy ${missingRepo} into /testbed failed`),
    );
    await expect(failing.create({ image: "bench-sandbox-python:000000000000", labels })).rejects.toBeInstanceOf(InfraError);
    expect(await containersOfRun(failingRun)).toEqual([]);
  });

  test("removeContainers removes what carries the labels and reports it", async () => {
    const janitorRun = `${runId}-janitor`;
    const janitorProvider = new DockerSandboxProvider(docker, { runId: janitorRun });
    const made = await Promise.all([janitorProvider.create({ image, labels }), janitorProvider.create({ image, labels })]);
    const removed = await removeContainers(docker, { "bench.run-id": janitorRun, "bench.managed": true });
    expect(removed.map((r) => r.id).sort()).toEqual(made.map((s) => s.id).sort());
    expect(removed[0]?.labels["bench.run-id"]).toBe(janitorRun);
    expect(await removeContainers(docker, { "bench.run-id": janitorRun })).toEqual([]);
    expect(await containersOfRun(janitorRun)).toEqual([]);
  });

  // Its duration is measured by `npm run bench:perf` (sandbox start), not asserted here.
  test("each new workspace holds the repository committed as its one base commit, and is gone once removed", async () => {
    for (let i = 0; i < 5; i++) {
      const ws = await provider.create({ image, labels, repoDir });
      expect(await ws.exec("git status --porcelain && git rev-list --count HEAD")).toMatchObject({ exitCode: 0, stdout: "1\n" });
      await ws.remove();
      expect((await containersOfRun(runId)).map((c) => c.Id)).not.toContain(ws.id);
    }
  });
});

describe("BoundedOutput", () => {
  test("keeps everything under the budget and cuts at UTF-8 character boundaries over it", () => {
    const small = new BoundedOutput(100);
    small.push(Buffer.from("héllo"));
    expect([small.text(), small.droppedBytes]).toEqual(["héllo", 0]);

    const cut = new BoundedOutput(6);
    for (const piece of ["éé", "xxxxxxxx", "éé"]) cut.push(Buffer.from(piece));
    // 16 bytes in; head budget 3 holds "é" + half an "é", tail budget 3 holds half an "é" + "é": the halves go too.
    expect(cut.text()).toBe("é\n[... 12 bytes truncated ...]\né");
    expect(cut.droppedBytes).toBe(12);
  });
});
