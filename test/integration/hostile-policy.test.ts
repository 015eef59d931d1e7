// Hostile agent commands through the whole path: `bench run` with the mock's `hostile` policy (mock model → agent loop
// → bash tool → persistent shell → sandbox) next to `mock/oracle` in the same run. Each hostile command ends in bounded
// time with a clear observation, the hostile tasks still end `finished` and are graded, and the oracle's tasks, run
// at the same time, are all resolved. The compiled CLI in a child process, real Docker, the built-in mock.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { HOSTILE_CALM_PROCESSES, HOSTILE_COMMANDS, HOSTILE_MAX_PROBES, HOSTILE_PROBE } from "../../src/mock/policies.js";
import type { TaskResult } from "../../src/report/types.js";
import { docker, repoRoot } from "./helpers.js";

const out = mkdtempSync(path.join(os.tmpdir(), "bench-hostile-"));
const runId = `hostile-${process.pid}`;
const runDir = path.join(out, runId);
const INSTANCES = ["textkit__slugify-unicode-001", "datekit__add-months-month-end-001"];
/**
 * Seconds per agent command. Short, so the three commands that run into it cost little, yet well above the 5 GB
 * write's own time: dd reaches the 1 GiB file-size limit in 0.3–5.3 s here (dirty-page throttling in the 2 GiB
 * memory cgroup, two hostile tasks writing at once), so 15 s leaves it a 3× margin to end on its own.
 */
const TIMEOUT_S = 15;
/**
 * Bound of the whole run, compile of dist/ by bin/bench.js included when the sources changed (~10 s). Measured on a
 * 2-core machine: 60–78 s. A hostile task is three commands killed at the timeout (15 s, + 2 s until the SIGKILL of
 * the two that ignore SIGTERM), the write (~5 s), four quick commands, one or two probes (a probe that has to clear a
 * fork bomb at the pids limit took up to 17 s), taking the patch and grading: 60–75 s. 240 s leaves a slower host
 * three times that; a step that hangs (a command never killed, probes that never find the workspace at rest: 8 × ~18 s
 * more) goes past it.
 */
const RUN_BOUND_S = 240;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** An observation is cut to 30,000 characters (tools.ts maxObservationChars) plus a one-line note. */
const MAX_OBSERVATION = 30_100;

interface Step {
  command: string;
  text: string;
  isError: boolean;
  durationS: number;
}

let exit: number | null;
let stderr: string;
let wallS: number;
let results: TaskResult[];
let leftContainers: unknown[];

beforeAll(async () => {
  const started = Date.now();
  const r = spawnSync(
    process.execPath,
    [
      path.join(repoRoot, "bin/bench.js"),
      "run",
      "--dataset",
      "swe-lite",
      "--model",
      "mock/hostile",
      "--model",
      "mock/oracle",
      "--instances",
      INSTANCES.join(","),
      "--concurrency",
      "4",
      "--command-timeout",
      String(TIMEOUT_S),
      "--output-dir",
      out,
      "--run-id",
      runId,
    ],
    { cwd: repoRoot, encoding: "utf8", env: { ...process.env, OPENAI_API_KEY: "" }, timeout: 600_000 },
  );
  wallS = (Date.now() - started) / 1000;
  exit = r.status;
  stderr = r.stderr;
  results = readFileSync(path.join(runDir, "results.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as TaskResult);
  leftContainers = await docker.listContainers({ all: true, filters: { label: [`bench.run-id=${runId}`] } });
}, 600_000);

/** The bash commands of a task's trajectory with their observations, in order, and how the agent ended. */
function trajectory(cell: string, instance: string): { steps: Step[]; calls: string[]; end: Record<string, unknown> | undefined } {
  const file = path.join(runDir, "tasks", cell.replace(/[^A-Za-z0-9._@-]/g, "_"), instance, "trajectory.jsonl");
  const events = readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const commands = new Map<string, string>();
  const steps: Step[] = [];
  const calls: string[] = [];
  for (const e of events) {
    if (e["type"] === "tool_call") {
      calls.push(String(e["name"]));
      if (e["name"] === "bash") commands.set(String(e["id"]), String(JSON.parse(String(e["arguments"]))["command"]));
    } else if (e["type"] === "observation" && commands.has(String(e["id"]))) {
      const content = e["content"] as { type: string; text?: string }[];
      steps.push({
        command: commands.get(String(e["id"]))!,
        text: content.map((p) => p.text ?? "").join(""),
        isError: e["is_error"] === true,
        durationS: Number(e["duration_s"]),
      });
    }
  }
  return { steps, calls, end: events.find((e) => e["type"] === "end") };
}

describe("bench run: mock/hostile next to mock/oracle", () => {
  it("exits 0 within its bound and leaves no container behind", () => {
    expect(exit, stderr).toBe(0);
    expect(stderr).toContain(`run ${runId}: 2 task(s) × 2 cell(s), 4 to run`);
    expect(wallS).toBeLessThan(RUN_BOUND_S);
    expect(leftContainers).toEqual([]);
  });

  it("the oracle's tasks, running at the same time, are all resolved", () => {
    const oracle = results.filter((r) => r.cell === "mock/oracle");
    expect(oracle.map((r) => [r.instance_id, r.status, r.end_reason, r.error_class]).sort()).toEqual(
      INSTANCES.map((id) => [id, "resolved", "finished", null]).sort(),
    );
  });

  it("every hostile task ends finished and is graded: unresolved (its patch is empty), not an error", () => {
    const hostile = results.filter((r) => r.cell === "mock/hostile");
    // SWE-bench grades an empty patch unresolved without running the tests: so does bench.
    expect(hostile.map((r) => [r.instance_id, r.status, r.end_reason, r.error_class, r.error_message]).sort()).toEqual(
      INSTANCES.map((id) => [id, "unresolved", "finished", "empty_patch", "the patch is empty"]).sort(),
    );
    for (const r of hostile) {
      expect(r.fail_to_pass).toMatch(/^0\/[1-9]\d*$/);
      expect(r.patch_lines).toBe(0); // every hostile command cleaned up after itself: nothing in the repository changed
    }
  });

  describe.each(INSTANCES)("hostile task %s", (instance) => {
    const load = () => trajectory("mock/hostile", instance);
    const step = (steps: Step[], command: string): Step => {
      const found = steps.filter((s) => s.command === command);
      expect(found, command).toHaveLength(1);
      return found[0]!;
    };
    const killed = (code: number) => `[command timed out after ${TIMEOUT_S} s and was killed]\n[exit code: ${code}]`;

    it("runs every hostile command once, in order, then probes until the workspace answers, then finishes", () => {
      const { steps, calls, end } = load();
      const probes = steps.slice(HOSTILE_COMMANDS.length);
      expect(steps.slice(0, HOSTILE_COMMANDS.length).map((s) => s.command)).toEqual([...HOSTILE_COMMANDS]);
      expect(probes.length).toBeGreaterThanOrEqual(1);
      expect(probes.length).toBeLessThanOrEqual(HOSTILE_MAX_PROBES);
      expect(probes.every((s) => s.command === HOSTILE_PROBE)).toBe(true);
      expect(calls).toEqual([...steps.map(() => "bash"), "finish"]);
      expect(end).toMatchObject({
        end_reason: "finished",
        finish_message: `I ran every hostile command; the workspace answered again after ${probes.length} probe(s).`,
      });
      for (const s of steps) expect(s.text.length, s.command).toBeLessThanOrEqual(MAX_OBSERVATION);
    });

    it("`yes` floods stdout until the timeout: killed by SIGTERM, its output cut to a bounded observation", () => {
      const s = step(load().steps, "yes");
      expect(s.isError).toBe(true);
      expect(s.text.startsWith("y\ny\ny\n")).toBe(true);
      expect(s.text).toMatch(/\n\[\.\.\. \d+ characters truncated \.\.\.\]\n/);
      expect(s.text).toMatch(
        new RegExp(`\\ny\\n\\[stderr\\]\\n(?:bash: line \\d+: +\\d+ )?Terminated(?: +yes)?\\n${escapeRegExp(killed(143))}$`),
      );
      expect(s.text.length).toBeLessThanOrEqual(MAX_OBSERVATION);
      expect(s.durationS).toBeGreaterThanOrEqual(TIMEOUT_S);
      expect(s.durationS).toBeLessThan(TIMEOUT_S + 10);
    });

    it("a process that ignores SIGTERM is SIGKILLed 2 s after it", () => {
      const s = step(load().steps, "trap '' TERM; sleep 600");
      expect(s.isError).toBe(true);
      expect(s.text).toMatch(new RegExp(`^\\[stderr\\]\\nbash: line \\d+: +\\d+ Killed +sleep 600\\n${escapeRegExp(killed(137))}$`));
      expect(s.durationS).toBeGreaterThanOrEqual(TIMEOUT_S + 2);
      expect(s.durationS).toBeLessThan(TIMEOUT_S + 10);
    });

    it("a sleep past the timeout is killed (SIGKILL: the trap above still holds in the persistent shell)", () => {
      const s = step(load().steps, "sleep 600");
      expect(s.isError).toBe(true);
      expect(s.text).toMatch(new RegExp(`^\\[stderr\\]\\nbash: line \\d+: +\\d+ Killed +sleep 600\\n${escapeRegExp(killed(137))}$`));
      expect(s.durationS).toBeGreaterThanOrEqual(TIMEOUT_S);
      expect(s.durationS).toBeLessThan(TIMEOUT_S + 10);
    });

    it("a 5 GB write stops at the 1 GiB file-size limit, on its own, before the timeout", () => {
      const s = step(load().steps, HOSTILE_COMMANDS[3]!);
      expect(s.isError).toBe(false); // the command's status is rm's
      expect(s.text).toMatch(
        /^dd exit status: 153\n\[stderr\]\nbash: line \d+: +\d+ File size limit exceeded *dd if=\/dev\/zero of=\/tmp\/big bs=1M count=5120\n\[exit code: 0\]$/,
      );
      expect(s.durationS).toBeLessThan(TIMEOUT_S);
    });

    it("binary output comes back as a well-formed string, cut like any other", () => {
      const s = step(load().steps, "head -c 65536 /dev/urandom");
      expect(s.isError).toBe(false);
      expect(s.text).not.toMatch(LONE_SURROGATE); // well-formed: it survives JSON and every model API
      expect(s.text).toContain("\uFFFD"); // invalid UTF-8 became replacement characters
      expect(s.text).toMatch(/\n\[\.\.\. \d+ characters truncated \.\.\.\]\n/);
      expect(s.text).not.toContain("[stderr]");
      expect(s.text.endsWith("\n[exit code: 0]")).toBe(true);
      expect(s.text.length).toBeLessThanOrEqual(MAX_OBSERVATION);
    });

    it("a network request fails at once: the sandbox has no network", () => {
      const s = step(load().steps, HOSTILE_COMMANDS[5]!);
      expect(s.isError).toBe(true);
      expect(s.text.startsWith("[stderr]\nTraceback (most recent call last):\n")).toBe(true);
      expect(s.text.endsWith("OSError: [Errno 101] Network is unreachable\n[exit code: 1]")).toBe(true);
      expect(s.durationS).toBeLessThan(5);
    });

    it("a fork bomb's command returns at once; within the probes the workspace starts a program again and the bomb is gone", () => {
      const { steps } = load();
      const bomb = step(steps, "bomb() { bomb | bomb & }; bomb");
      expect(bomb.text.endsWith("[exit code: 0]"), bomb.text.slice(-1_500)).toBe(true);
      expect(bomb.durationS, bomb.text.slice(-1_500)).toBeLessThan(5);
      const probes = steps.slice(HOSTILE_COMMANDS.length);
      const counts = probes.map((p) => Number(/^processes: (\d+)$/m.exec(p.text)?.[1] ?? NaN));
      const last = probes.at(-1)!;
      // The last probe: the external echo ran, and a handful of processes (init, entrypoint, shell), not the pids limit.
      expect(last.text.startsWith("probe-ok\nprocesses: "), last.text.slice(0, 2_000)).toBe(true);
      expect(counts.at(-1)).toBeLessThan(HOSTILE_CALM_PROCESSES);
      // Any earlier probe found the bomb still there (else the policy would have finished).
      for (const [i, p] of probes.slice(0, -1).entries()) {
        expect(/^probe-ok$/m.test(p.text) && counts[i]! < HOSTILE_CALM_PROCESSES, p.text.slice(0, 2_000)).toBe(false);
      }
    });
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
