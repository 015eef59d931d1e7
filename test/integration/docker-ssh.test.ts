// --docker-host ssh://: bench reaches the engine through an sshd on 127.0.0.1 (a throwaway host and client key, key
// authentication only), the way it reaches a remote build machine: every API call, attach and exec goes over ssh2 and
// `docker system dial-stdio`. Needs openssh-server (.ci/run installs it) and root (sshd, and its login as root).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readResults } from "../../src/report/store.js";
import { containersOf, freePort, repoRoot } from "./helpers.js";

const SSHD = "/usr/sbin/sshd";
const dir = mkdtempSync(path.join(os.tmpdir(), "bench-sshd-"));
let port = 0;

const run = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
};

beforeAll(async () => {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} not found: install openssh-server (apt-get install openssh-server), as .ci/run does`);
  port = await freePort();
  run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "host_key")]);
  run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "client_key")]);
  writeFileSync(path.join(dir, "authorized_keys"), readFileSync(path.join(dir, "client_key.pub")), { mode: 0o600 });
  writeFileSync(
    path.join(dir, "sshd_config"),
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${path.join(dir, "host_key")}`,
      `PidFile ${path.join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`,
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes no",
      // bench opens one ssh connection per Docker API connection: allow a burst of them.
      "MaxStartups 200:30:400",
      "",
    ].join("\n"),
  );
  run("mkdir", ["-p", "/run/sshd"]); // privilege separation directory
  run(SSHD, ["-f", path.join(dir, "sshd_config"), "-E", path.join(dir, "sshd.log")]);
  const deadline = Date.now() + 10_000;
  while (!existsSync(path.join(dir, "sshd.pid"))) {
    if (Date.now() > deadline) throw new Error(`sshd did not start: ${readFileSync(path.join(dir, "sshd.log"), "utf8")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);

afterAll(() => {
  const pidFile = path.join(dir, "sshd.pid");
  if (existsSync(pidFile)) process.kill(Number(readFileSync(pidFile, "utf8").trim()), "SIGTERM");
  rmSync(dir, { recursive: true, force: true });
});

describe("--docker-host ssh://", () => {
  it("runs tasks over ssh with the key from ?identity=: resolved, graded, nothing left; no warning noise on stderr", () => {
    const runId = `ssh-${process.pid}`;
    const host = `ssh://root@127.0.0.1:${port}?identity=${path.join(dir, "client_key")}&capacity=3`;
    const r = spawnSync(
      process.execPath,
      [
        path.join(repoRoot, "bin/bench.js"),
        "run",
        "--dataset",
        "swe-lite",
        "--limit",
        "3",
        "--concurrency",
        "3",
        "--docker-host",
        host,
        "--output-dir",
        dir,
        "--run-id",
        runId,
      ],
      { cwd: repoRoot, encoding: "utf8", env: { ...process.env, OPENAI_API_KEY: "", CI: "true" }, timeout: 300_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/DeprecationWarning|Warning:/);
    return (async () => {
      const { results } = await readResults(path.join(dir, runId, "results.jsonl"));
      expect(results.map((x) => [x.status, x.error_class])).toEqual([
        ["resolved", null],
        ["resolved", null],
        ["resolved", null],
      ]);
      const runJson = JSON.parse(readFileSync(path.join(dir, runId, "run.json"), "utf8"));
      expect(runJson.docker_hosts).toMatchObject([
        { host: `ssh://root@127.0.0.1:${port}`, capacity: 3, healthy: true, failure: null, workspaces: 3 },
      ]);
      // The key's path and contents reach no file of the run.
      expect(readFileSync(path.join(dir, runId, "run.json"), "utf8")).not.toContain("PRIVATE KEY");
      expect(await containersOf(runId)).toBe(0);
      // sshd saw bench log in with the key.
      expect(readFileSync(path.join(dir, "sshd.log"), "utf8")).toMatch(/Accepted publickey for root from 127\.0\.0\.1/);
    })();
  }, 320_000);
});
