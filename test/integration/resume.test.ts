// Nothing lost, nothing leaked: resume, torn lines, SIGKILL at several points, SIGINT, lock, janitor, clean, secrets.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readResults } from "../../src/report/store.js";
import { docker, provider, repoRoot, sandboxImage, MINI_TASK } from "./helpers.js";

const out = mkdtempSync(path.join(os.tmpdir(), "bench-resume-"));
const BIN = path.join(repoRoot, "bin/bench.js");
const baseEnv = { ...process.env, OPENAI_API_KEY: "" };

function bench(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: repoRoot, encoding: "utf8", env: { ...baseEnv, ...env }, timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function start(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: repoRoot, env: baseEnv, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return { child, exited, stderr: () => stderr };
}

async function until(predicate: () => boolean | Promise<boolean>, timeoutMs = 120_000, pollMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** The mock's latency per model call in the "during a model call" kill. */
const MODEL_MS = 1500;

/** A trajectory's events as written so far (a line still being written is skipped). */
function trajectoryEvents(file: string): { type: string; ts: string }[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .flatMap((line) => {
      try {
        return line ? [JSON.parse(line) as { type: string; ts: string }] : [];
      } catch {
        return [];
      }
    });
}

/** A task's trajectory whose grading has started (`grading`) and not ended (`grading_result`). */
function gradingInFlight(runDir: string): string | undefined {
  return trajectoryFiles(runDir).find((file) => {
    const types = trajectoryEvents(file).map((e) => e.type);
    return types.includes("grading") && !types.includes("grading_result");
  });
}

/** Every trajectory of a run so far. */
function trajectoryFiles(runDir: string): string[] {
  const tasks = path.join(runDir, "tasks");
  if (!existsSync(tasks)) return [];
  return readdirSync(tasks, { recursive: true })
    .map(String)
    .filter((rel) => rel.endsWith("trajectory.jsonl"))
    .map((rel) => path.join(tasks, rel));
}

/**
 * A task whose agent has a model call in flight that began less than `withinMs` ago: its trajectory's last agent event
 * (a workspace's `sandbox` line aside) is one a model call follows at once (`start`, `observation`, `fake_user`).
 * Its file and the model calls answered so far.
 */
function modelCallInFlight(runDir: string, withinMs: number): { file: string; calls: number } | undefined {
  for (const file of trajectoryFiles(runDir)) {
    const events = trajectoryEvents(file);
    const last = events.filter((e) => e.type !== "sandbox").at(-1);
    if (last && ["start", "observation", "fake_user"].includes(last.type) && Date.now() - Date.parse(last.ts) < withinMs) {
      return { file, calls: events.filter((e) => e.type === "model_call").length };
    }
  }
  return undefined;
}

const containersOf = async (runId: string) =>
  (await docker.listContainers({ all: true, filters: { label: [`bench.run-id=${runId}`] } })).length;
const lines = (runDir: string) =>
  existsSync(path.join(runDir, "results.jsonl"))
    ? readFileSync(path.join(runDir, "results.jsonl"), "utf8").split("\n").filter(Boolean).length
    : 0;
const runArgs = (runId: string, extra: string[] = [], limit = 4) => [
  "run",
  "--dataset",
  "swe-lite",
  "--limit",
  String(limit),
  "--concurrency",
  "2",
  "--output-dir",
  out,
  "--run-id",
  runId,
  ...extra,
];

describe("resume", () => {
  it("skips finished tasks, refuses a changed configuration, re-runs torn and missing lines", async () => {
    const runDir = path.join(out, "r1");
    expect(bench(runArgs("r1")).code).toBe(0);
    expect(lines(runDir)).toBe(4);

    // Everything done: exits 0 at once, runs nothing.
    const again = bench(["run", "--resume", runDir]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("4 of 4 attempt(s) already done");
    expect(lines(runDir)).toBe(4);

    const changed = bench([...runArgs("r1"), "--max-iterations", "5"]);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain("max_iterations: 100 → 5");

    // Drop the last whole line and leave a torn one: both tasks run again, each ends up exactly once.
    const file = path.join(runDir, "results.jsonl");
    const kept = readFileSync(file, "utf8").split("\n").filter(Boolean);
    writeFileSync(file, `${kept.slice(0, 2).join("\n")}\n${kept[2]!.slice(0, 40)}`);
    const resumed = bench(["run", "--resume", runDir]);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain("2 of 4 attempt(s) already done");
    const { results, skipped } = await readResults(file);
    expect(skipped).toHaveLength(1);
    expect(new Set(results.map((r) => r.instance_id)).size).toBe(4);
    expect(results).toHaveLength(4);
    expect(results.every((r) => r.status === "resolved")).toBe(true);
  });

  it("refuses --resume of a missing directory", () => {
    const r = bench(["run", "--resume", path.join(out, "nope")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--resume .*nope: no such directory/);
  });

  it("a second process on the same run directory is refused", () => {
    const runDir = path.join(out, "locked");
    expect(bench(runArgs("locked", [], 1)).code).toBe(0);
    writeFileSync(path.join(runDir, ".lock"), JSON.stringify({ pid: process.pid, host: os.hostname() }));
    const r = bench(["run", "--resume", runDir, "--rerun-errors"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`in use by another bench process (pid ${process.pid})`);
  });
});

describe("crash safety", () => {
  it.each([
    ["during sandbox start", "start"],
    ["during a model call", "model"],
    ["during grading", "grading"],
    ["after results were written", "written"],
  ])("SIGKILL %s, then resume: every task exactly once, all resolved, no container left", async (_name, point) => {
    const runId = `kill-${point}`;
    const runDir = path.join(out, runId);
    // A model call lasts MODEL_MS here, so one seen in flight less than MODEL_MS / 3 ago is still in flight at the kill.
    const run = start(runArgs(runId, ["--mock-latency-ms", String(point === "model" ? MODEL_MS : 400)]));
    let inFlight: { file: string; calls: number } | undefined;
    let grading: string | undefined;
    if (point === "start") {
      await until(async () => (await containersOf(runId)) > 0);
    } else if (point === "model") {
      await until(
        () => {
          inFlight = modelCallInFlight(runDir, MODEL_MS / 3);
          return inFlight !== undefined;
        },
        120_000,
        20,
      );
    } else if (point === "grading") {
      // The trajectory's `grading` line is written once the workspace is reset, as the eval script starts.
      await until(
        () => {
          grading = gradingInFlight(runDir);
          return grading !== undefined;
        },
        120_000,
        20,
      );
    } else {
      await until(() => lines(runDir) >= 1);
    }
    run.child.kill("SIGKILL");
    await run.exited;
    // The call seen in flight never answered: the kill came during it.
    if (inFlight) expect(trajectoryEvents(inFlight.file).filter((e) => e.type === "model_call")).toHaveLength(inFlight.calls);
    // The grading seen running never finished: the kill came during it.
    if (grading) expect(trajectoryEvents(grading).some((e) => e.type === "grading_result")).toBe(false);
    // The lifeline: no started workspace outlives its owner, with no janitor run (one only created, never started, waits
    // for the janitor below).
    await until(async () => (await docker.listContainers({ filters: { label: [`bench.run-id=${runId}`] } })).length === 0, 15_000);
    const partial = lines(runDir);
    expect(partial).toBeLessThan(4);

    const resumed = bench(["run", "--resume", runDir]);
    expect(resumed.code).toBe(0);
    const { results } = await readResults(path.join(runDir, "results.jsonl"));
    expect(results.map((r) => r.instance_id).sort()).toEqual([...new Set(results.map((r) => r.instance_id))].sort());
    expect(results).toHaveLength(4);
    expect(results.map((r) => r.status)).toEqual(["resolved", "resolved", "resolved", "resolved"]);
    expect(await containersOf(runId)).toBe(0);
  });

  it("SIGINT stops the run, removes every container, keeps whole result lines, exits 130", async () => {
    const runId = "interrupted";
    const runDir = path.join(out, runId);
    const run = start(runArgs(runId, ["--mock-latency-ms", "300"]));
    await until(async () => (await containersOf(runId)) > 0);
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(130);
    expect(await containersOf(runId)).toBe(0);
    const { skipped } = await readResults(path.join(runDir, "results.jsonl")).catch(() => ({ skipped: [] }));
    expect(skipped).toEqual([]);
    expect(JSON.parse(readFileSync(path.join(runDir, "run.json"), "utf8")).status).toBe("interrupted");
  });
});

describe("janitor and bench clean", () => {
  it("start-up removes containers of dead runs; bench clean --run-id removes a run's containers", async () => {
    const dead = spawnSync("true");
    const deadPid = dead.pid!;
    const orphanProvider = await import("../../src/sandbox/docker.js").then(
      (m) => new m.DockerSandboxProvider(docker, { runId: "orphan-run", ownerPid: deadPid, host: os.hostname() }),
    );
    await orphanProvider.create({ image: sandboxImage(), labels: { "bench.task-id": "orphan" } });
    expect(await containersOf("orphan-run")).toBe(1);
    const r = bench(runArgs("after-orphan", [], 1));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/janitor: removed [1-9]\d* container/);
    expect(await containersOf("orphan-run")).toBe(0);

    await provider("clean-me").create({ image: sandboxImage(), labels: { "bench.task-id": "x" } });
    const clean = bench(["clean", "--run-id", "clean-me"]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/run clean-me\ttask x/);
    expect(await containersOf("clean-me")).toBe(0);
  });
});

describe("janitor: containers of other hosts", () => {
  it("removes one that is not running once stale, and leaves a running one (its lifeline ends it) and a fresh one", async () => {
    const { reapContainers } = await import("../../src/sandbox/janitor.js");
    const labels = (runId: string) => ({
      "bench.managed": "true",
      "bench.run-id": runId,
      "bench.host": "some-other-host",
      "bench.owner-pid": "1",
    });
    // Created and never started: what an owner on another host leaves when it dies between create and start.
    const created = await docker.createContainer({
      Image: sandboxImage(),
      Cmd: ["true"],
      Labels: labels("other-created"),
      HostConfig: { NetworkMode: "none" },
    });
    const running = await docker.createContainer({
      Image: sandboxImage(),
      Cmd: ["sleep", "300"],
      Labels: labels("other-running"),
      HostConfig: { NetworkMode: "none", AutoRemove: true },
    });
    await running.start();
    try {
      // Fresh: not yet stale under the default (10 minutes), so nothing is removed.
      expect((await reapContainers(docker)).map((c) => c.id)).not.toContain(created.id);
      const removed = await reapContainers(docker, { staleAfterSec: 0 });
      expect(removed.map((c) => c.id)).toContain(created.id);
      expect(removed.map((c) => c.id)).not.toContain(running.id);
      expect(await containersOf("other-created")).toBe(0);
      expect(await containersOf("other-running")).toBe(1);
    } finally {
      await running.remove({ force: true }).catch(() => undefined);
      await created.remove({ force: true }).catch(() => undefined);
    }
  });
});

describe("secrets", () => {
  it("never reach run outputs or the sandbox environment", async () => {
    const secrets = {
      OPENAI_API_KEY: "sk-test-SECRET-0123456789",
      AWS_SECRET_ACCESS_KEY: "AWSSECRET/abcdefghij0123",
      AWS_BEARER_TOKEN_BEDROCK: "bedrock-SECRET-token-xyz",
    };
    const r = bench(runArgs("secrets", [], 2), secrets);
    expect(r.code).toBe(0);
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d)) {
        const p = path.join(d, e);
        if (statSync(p).isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(path.join(out, "secrets"));
    expect(files.length).toBeGreaterThan(8);
    for (const f of files) {
      const text = readFileSync(f, "utf8");
      for (const s of Object.values(secrets)) expect(text.includes(s), `${s} in ${f}`).toBe(false);
    }
    for (const s of Object.values(secrets)) expect(r.stderr).not.toContain(s);

    process.env["OPENAI_API_KEY"] = secrets.OPENAI_API_KEY;
    const sandbox = await provider(`secrets-env-${process.pid}`).create({ image: sandboxImage(), labels: {}, repoDir: MINI_TASK.repoDir! });
    try {
      const env = await sandbox.exec("env");
      expect(env.stdout).not.toContain(secrets.OPENAI_API_KEY);
    } finally {
      delete process.env["OPENAI_API_KEY"];
      await sandbox.remove();
    }
  });
});
