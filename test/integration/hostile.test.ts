// Hostile agent commands through the bash tool in a real workspace: each ends in bounded time with a clear
// observation, and a neighbouring workspace keeps answering.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { defaultTools } from "../../src/agent/tools.js";
import type { Tool } from "../../src/agent/tools.js";
import type { Sandbox } from "../../src/sandbox/types.js";
import { MINI_TASK, docker, provider, sandboxImage } from "./helpers.js";

let hostile: Sandbox;
let neighbour: Sandbox;
let bash: Tool;
const text = (out: { content: { type: string; text?: string }[] }) => out.content.map((p) => p.text ?? "").join("");

beforeAll(async () => {
  const p = provider(`test-hostile-${process.pid}`);
  [hostile, neighbour] = await Promise.all([
    p.create({ image: sandboxImage(), labels: { "bench.task-id": "hostile" }, repoDir: MINI_TASK.repoDir!, pidsLimit: 128 }),
    p.create({ image: sandboxImage(), labels: { "bench.task-id": "neighbour" }, repoDir: MINI_TASK.repoDir! }),
  ]);
  bash = defaultTools(hostile, { commandTimeoutSec: 5, maxObservationChars: 20_000 })[0]!;
});
afterAll(async () => {
  await Promise.all([hostile?.remove(), neighbour?.remove()]);
});

async function timed(command: string) {
  const started = Date.now();
  const out = await bash.execute({ command });
  return { out: text(out), isError: out.isError, seconds: (Date.now() - started) / 1000 };
}

describe("hostile commands", () => {
  it("a fork bomb hits the pids limit and is killed; the neighbour keeps answering", async () => {
    // Its own workspace: the bomb's leftovers must not starve the other tests of pids.
    const bombBox = await provider(`test-bomb-${process.pid}`).create({
      image: sandboxImage(),
      labels: { "bench.task-id": "bomb" },
      repoDir: MINI_TASK.repoDir!,
      pidsLimit: 128,
    });
    const bombBash = defaultTools(bombBox, { commandTimeoutSec: 5, maxObservationChars: 20_000 })[0]!;
    const run = async (command: string) => {
      const started = Date.now();
      const out = await bombBash.execute({ command });
      return { out: text(out), seconds: (Date.now() - started) / 1000 };
    };
    try {
      // The bomb backgrounds itself, so its command returns at once and the pids limit bounds it.
      const bomb = await run(":(){ :|:& };:");
      expect(bomb.seconds).toBeLessThan(60);
      expect(bomb.out).toMatch(/\[exit code: -?\d+\]$/);
      // Once it has filled the limit (the engine's own count of the container's processes), the neighbour still answers.
      const pids = async () => (await docker.getContainer(bombBox.id).stats({ stream: false, "one-shot": true })).pids_stats?.current ?? 0;
      await vi.waitFor(async () => expect(await pids()).toBe(128), { timeout: 30_000, interval: 100 });
      const ping = await neighbour.exec("echo neighbour-ok", { timeoutSec: 20 });
      expect(ping.stdout.trim()).toBe("neighbour-ok");
      // The next command finds the limit full: the shell's guard kills every process a command started before running
      // it, and says so.
      const after = await run("echo recovered");
      expect(after.out).toMatch(
        /bench: the workspace reached its process limit \(\d+ of 128\): \d+ processes started by commands were killed/,
      );
      expect(after.out).toContain("recovered");
      expect(after.seconds).toBeLessThan(15);
      expect((await run("ps -e --no-headers | wc -l")).out).toMatch(/^\d\n/); // a handful of processes, not 128
    } finally {
      await bombBox.remove();
    }
  });

  it("`yes` flooding stdout is cut at the timeout and the observation stays bounded", async () => {
    const r = await timed("yes");
    expect(r.seconds).toBeLessThan(30);
    expect(r.out.length).toBeLessThan(25_000);
    expect(r.out).toMatch(/truncated/);
    expect(r.out).toContain("[command timed out after 5 s and was killed]");
  });

  it("a 5 GB file write stops at the file-size limit", async () => {
    const r = await timed("head -c 5G /dev/zero > /tmp/big; echo status=$?; ls -l /tmp/big | awk '{print $5}'; rm -f /tmp/big");
    expect(r.seconds).toBeLessThan(60);
    const size = Number(r.out.match(/^(\d+)$/m)?.[1]);
    expect(size).toBeLessThanOrEqual(1024 ** 3);
    expect(r.out).toMatch(/status=(?!0\b)\d+/);
  });

  it("a process that ignores SIGTERM is killed anyway", async () => {
    const r = await timed("trap '' TERM; sleep 120");
    expect(r.seconds).toBeLessThan(30);
    expect(r.out).toContain("[command timed out after 5 s and was killed]");
    // (The container's own main process is the lifeline `cat`, not a sleep; the command's `sleep 120` must be gone.)
    expect((await hostile.exec("ps -eo args | grep -c '^sleep 120$' || true", { timeoutSec: 10 })).stdout.trim()).toBe("0");
  });

  it("binary output comes back as text without breaking anything", async () => {
    const r = await timed("head -c 4096 /dev/urandom");
    expect(r.out).toMatch(/\[exit code: 0\]$/);
    expect(typeof r.out).toBe("string");
  });

  it("there is no network: name resolution and connections fail", async () => {
    const r = await timed(
      `python3 -c "import socket
try:
    socket.getaddrinfo('example.com', 80)
    print('resolved')
except OSError as e:
    print('no-network', type(e).__name__)"; ls /sys/class/net`,
    );
    expect(r.out).toContain("no-network");
    expect(r.out).not.toContain("resolved");
    expect(r.out).toMatch(/^lo$/m);
    expect(r.out).not.toMatch(/^eth0$/m);
  });
});
