// --docker-host on one machine: a second dockerd on its own socket, data root and (no) bridge, reached over plain TCP
// (tcp://127.0.0.1:<port>: the remote-host path, image copy included; TLS is unit-tested); tasks spread over both; the
// second daemon stopped mid-run; the run completes on the first with every task once and resolved.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readResults } from "../../src/report/store.js";
import { dockerVersion } from "../../src/sandbox/engine.js";
import { docker, freePort, repoRoot } from "./helpers.js";

/** The second daemon's own bridge (see beforeAll). */
const BRIDGE = "benchd2br0";
const SOCKET = "/tmp/bench-d2.sock";
const PIDFILE = "/tmp/bench-d2.pid";
const DATA = "/tmp/bench-d2";
const EXEC = "/tmp/bench-d2-exec";
const second = new Docker({ socketPath: SOCKET });
/** The second daemon's TCP address (a free port, found at start). */
let tcpHost = "";
const out = mkdtempSync(path.join(os.tmpdir(), "bench-hosts-"));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const pidOf = () => (existsSync(PIDFILE) ? Number(readFileSync(PIDFILE, "utf8").trim()) : NaN);
async function until(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
/** Stops the second daemon (SIGTERM: it stops its containers and unmounts) and waits for it to go. */
async function stopSecond(): Promise<void> {
  const pid = pidOf();
  if (!Number.isInteger(pid) || !alive(pid)) return;
  process.kill(pid, "SIGTERM");
  await until(() => !alive(pid), 60_000, "second dockerd exits");
}

beforeAll(async () => {
  // A daemon left by an earlier, killed run of this test.
  await stopSecond();
  const log = openSync(path.join(out, "dockerd.log"), "a");
  if (spawnSync("ip", ["link", "show", BRIDGE]).status !== 0) {
    const made = spawnSync("ip", ["link", "add", BRIDGE, "type", "bridge"], { encoding: "utf8" });
    if (made.status !== 0) throw new Error(`cannot create bridge ${BRIDGE} for the second dockerd: ${made.stderr}`);
  }
  const port = await freePort();
  tcpHost = `tcp://127.0.0.1:${port}`;
  const daemon = spawn(
    "dockerd",
    // A bridge of its own: with `--bridge none` a second daemon sharing the host's network namespace deletes the first
    // daemon's docker0, and every later container on the default bridge network fails to start.
    [
      "--host",
      `unix://${SOCKET}`,
      "--host",
      tcpHost,
      "--data-root",
      DATA,
      "--exec-root",
      EXEC,
      "--pidfile",
      PIDFILE,
      "--bridge",
      BRIDGE,
      "--iptables=false",
      "--ip-masq=false",
      "--shutdown-timeout",
      "2",
    ],
    { detached: true, stdio: ["ignore", log, log] },
  );
  daemon.unref();
  await until(
    async () =>
      dockerVersion(second, 5_000).then(
        () => true,
        () => false,
      ),
    60_000,
    `second dockerd on ${SOCKET} (log: ${out}/dockerd.log)`,
  );
}, 120_000);

afterAll(async () => {
  await stopSecond();
  rmSync(DATA, { recursive: true, force: true });
  rmSync(EXEC, { recursive: true, force: true });
  spawnSync("ip", ["link", "del", BRIDGE]);
}, 120_000);

describe("--docker-host with two daemons", () => {
  it("spreads tasks over both, survives the second one stopping mid-run, loses nothing", async () => {
    const runId = "two-hosts";
    const args = [
      path.join(repoRoot, "bin/bench.js"),
      "run",
      "--dataset",
      "swe-lite",
      "--limit",
      "8",
      "--mock-latency-ms",
      "400",
      "--docker-host",
      "unix:///var/run/docker.sock?capacity=2",
      "--docker-host",
      `${tcpHost}?capacity=2`,
      "--output-dir",
      out,
      "--run-id",
      runId,
      "--json",
    ];
    const child = spawn(process.execPath, args, {
      cwd: repoRoot,
      env: { ...process.env, OPENAI_API_KEY: "", CI: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));

    // A task workspace (not a short grading container) that has been running on the second daemon for a second,
    // so its agent is mid-task (each model call takes 400 ms): stop the daemon under it.
    const firstSeen = new Map<string, number>();
    await until(
      async () => {
        const running = await second.listContainers({ filters: { label: [`bench.run-id=${runId}`], status: ["running"] } }).catch(() => []);
        for (const c of running) if (c.Labels["bench.role"] !== "grading" && !firstSeen.has(c.Id)) firstSeen.set(c.Id, Date.now());
        return running.some((c) => Date.now() - (firstSeen.get(c.Id) ?? Date.now()) >= 1000);
      },
      300_000,
      `a workspace of ${runId} running on the second daemon\n${stderr}`,
    );
    await stopSecond();

    const code = await exited;
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(`docker host ${tcpHost} failed`);
    expect(stderr).toMatch(new RegExp(`docker host ${tcpHost} failed during attempt 1; re-queued on another host`));

    const { results } = await readResults(path.join(out, runId, "results.jsonl"));
    const ids = results.map((r) => r.instance_id);
    expect(ids).toHaveLength(8);
    expect(new Set(ids).size).toBe(8);
    expect(
      results
        .filter((r) => r.status !== "resolved")
        .map((r) => [r.instance_id, r.status, r.end_reason, r.error_class, r.error_message, r.attempt]),
      stderr,
    ).toEqual([]);
    expect(results.some((r) => r.attempt > 1)).toBe(true);
    expect(JSON.parse(stdout)).toMatchObject({
      run_id: runId,
      status: "completed",
      cells: [{ cell: "mock/oracle", tasks: 8, resolved: 8 }],
    });

    const runJson = JSON.parse(readFileSync(path.join(out, runId, "run.json"), "utf8"));
    const [first, down] = runJson.docker_hosts;
    expect(first).toMatchObject({ host: "unix:///var/run/docker.sock", capacity: 2, healthy: true, failure: null });
    expect(down).toMatchObject({ host: tcpHost, capacity: 2, healthy: false });
    expect(down.workspaces).toBeGreaterThan(0);
    expect(first.workspaces).toBeGreaterThan(0);
    // Nothing of the run is left on the surviving engine.
    expect(await docker.listContainers({ all: true, filters: { label: [`bench.run-id=${runId}`] } })).toEqual([]);
  }, 900_000);

  it("refuses to start when a host does not answer (exit 1, naming it)", () => {
    const r = spawnSync(
      process.execPath,
      [
        path.join(repoRoot, "bin/bench.js"),
        "run",
        "--dataset",
        "swe-lite",
        "--limit",
        "1",
        "--docker-host",
        "unix:///tmp/bench-no-such.sock",
        "--output-dir",
        out,
        "--run-id",
        "no-host",
      ],
      { cwd: repoRoot, encoding: "utf8", env: { ...process.env, OPENAI_API_KEY: "" } },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Docker host(s) not reachable: unix:///tmp/bench-no-such.sock (");
    expect(existsSync(path.join(out, "no-host"))).toBe(false);
  });
});
