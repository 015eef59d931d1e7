// Throttling benchmark (`npm run bench:throttle`): the mock enforces R requests/min; ≥100 short tasks at concurrency 32
// through the real agent loop and the real openai SDK over HTTP, tools answered by an in-memory fake (no Docker).
// Prints goodput (successful model calls per minute, as a share of R), tasks lost to throttling and p95 added latency
// for bench's retry layer + endpoint limiter, and for the baseline: the SDK's default retries at fixed concurrency.
// A second scenario (issue 15) is a short run on a small quota without hints, with resets and cut streams: goodput over
// first-to-last success and 429s per success, for the rate pacer and for the in-flight AIMD alone (the previous limiter).

import PQueue from "p-queue";
import { runAgent } from "../src/agent/loop.js";
import type { Tool } from "../src/agent/tools.js";
import { MemoryTrajectory } from "../src/agent/trajectory.js";
import type { Task } from "../src/datasets/types.js";
import { mockFaultSettings } from "../src/mock/flags.js";
import { parseLatencySpec } from "../src/mock/latency.js";
import { startMockServer } from "../src/mock/server.js";
import { OpenAIChatClient } from "../src/models/openai-chat.js";
import type { ModelRequest, ModelResponse } from "../src/models/types.js";
import { percentile } from "../src/report/stats.js";
import { LimiterRegistry } from "../src/runner/limiter.js";
import { DEFAULT_RETRY_POLICY, generateWithRetry, type RetryHooks, type RetryPolicy } from "../src/runner/retry.js";

interface Settings {
  /** Quota of the mock, requests per minute. */
  rpm: number;
  tasks: number;
  concurrency: number;
  /** Mock latency distribution. */
  latency: string;
  /** Which scenarios to run. */
  only: "quota" | "short" | "all";
  /** Runs of each short-scenario mode (it lasts ~45 s and varies with the fault draws). */
  repeat: number;
}

/** Issue 15's setting: swe-lite's 17 tasks × 5 calls at concurrency 12 on 120 rpm, burst 5, no hints, 3% resets, 3% cuts. */
const SHORT = { rpm: 120, windowMs: 2500, tasks: 17, concurrency: 12, resetRate: 0.03, cutRate: 0.03 } as const;

function parseArgs(argv: string[]): Settings {
  const settings: Settings = { rpm: 600, tasks: 100, concurrency: 32, latency: "lognormal:300:0.5", only: "all", repeat: 2 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag}: expected a value`);
    if (flag === "--rpm") settings.rpm = Number(value);
    else if (flag === "--tasks") settings.tasks = Number(value);
    else if (flag === "--concurrency") settings.concurrency = Number(value);
    else if (flag === "--latency") settings.latency = value;
    else if (flag === "--only" && (value === "quota" || value === "short" || value === "all")) settings.only = value;
    else if (flag === "--repeat") settings.repeat = Number(value);
    else
      throw new Error(
        `unknown flag ${flag} ${value} (known: --rpm, --tasks, --concurrency, --latency, --only quota|short|all, --repeat N)`,
      );
  }
  if (settings.tasks < 100) throw new Error("--tasks: the benchmark runs at least 100 tasks");
  if (!(Number.isInteger(settings.repeat) && settings.repeat >= 1)) throw new Error("--repeat: expected an integer >= 1");
  return settings;
}

/** Short synthetic tasks the mock's oracle policy solves in 5 model calls (one text turn, looks, apply, check, finish). */
function syntheticTasks(n: number): Task[] {
  return Array.from({ length: n }, (_, i) => ({
    instance_id: `synthetic-${String(i).padStart(3, "0")}`,
    repo: "synthetic",
    problem_statement: `Synthetic task ${i}: add() in calc_${i}.py returns a - b instead of a + b.`,
    patch: `diff --git a/calc_${i}.py b/calc_${i}.py\n--- a/calc_${i}.py\n+++ b/calc_${i}.py\n@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a - b\n+    return a + b\n`,
    test_patch: "",
    FAIL_TO_PASS: [],
    PASS_TO_PASS: [],
    test_framework: "pytest",
  }));
}

/** The agent's tools answered in memory: every command "succeeds" at once, so the model endpoint is the bottleneck. */
function fakeTools(): Tool[] {
  const ok = (text: string) => ({ content: [{ type: "text" as const, text }], isError: false });
  const spec = (name: string) => ({ name, description: name, parameters: { type: "object", properties: {} } });
  return [
    { spec: spec("bash"), execute: async () => ok("[exit code: 0]") },
    { spec: spec("str_replace_editor"), execute: async () => ok("1\tdef add(a, b):\n2\t    return a - b") },
    { spec: spec("finish"), execute: async (args) => ({ ...ok("done"), finished: { message: String(args["message"] ?? "") } }) },
  ];
}

type Mode = "bench" | "bench-no-hints" | "baseline";
/** new: in-flight AIMD + the rate pacer (the default); old: in-flight AIMD alone (the limiter before issue 15). */
type LimiterKind = "new" | "old";

interface Scenario {
  rpm: number;
  windowMs: number;
  concurrency: number;
  latency: string;
  resetRate: number;
  cutRate: number;
  seed: number;
}

interface ModeResult {
  mode: Mode;
  limiterKind: LimiterKind;
  /** First to last successful model call, s. */
  spanS: number;
  wallS: number;
  calls: number;
  tasksDone: number;
  goodputPerMin: number;
  tasksLost: number;
  lostToThrottling: number;
  addedP50S: number | null;
  addedP95S: number | null;
  requests: number;
  throttled: number;
  limiter?: { limit: number; changes: number };
}

async function runMode(mode: Mode, limiterKind: LimiterKind, settings: Scenario, tasks: Task[]): Promise<ModeResult> {
  const faultSettings = mockFaultSettings({ resetRate: settings.resetRate, cutRate: settings.cutRate, seed: settings.seed });
  const server = await startMockServer({
    tasks,
    quota: { rpm: settings.rpm, windowMs: settings.windowMs, retryHints: mode !== "bench-no-hints" },
    latency: parseLatencySpec(settings.latency, "--latency"),
    seed: settings.seed,
    ...(faultSettings.faults ? { faults: faultSettings.faults } : {}),
  });
  const registry = new LimiterRegistry({ max: settings.concurrency, log: () => undefined, pace: limiterKind === "new" });
  const limiter = registry.get("mock|mock|-|oracle");
  // bench: SDK retries off, the harness's retry layer (defaults) and the limiter. Baseline: the SDK's defaults
  // (maxRetries 2, its own backoff honouring retry-after-ms), no harness retry, no limiter, fixed concurrency.
  const policy: RetryPolicy = mode === "baseline" ? { ...DEFAULT_RETRY_POLICY, maxRetries: 0 } : DEFAULT_RETRY_POLICY;
  const added: number[] = [];
  let calls = 0;
  let firstOk: number | undefined;
  let lastOk = 0;
  let lost = 0;
  let tasksDone = 0;
  let lostToThrottling = 0;
  const queue = new PQueue({ concurrency: settings.concurrency });
  const t0 = performance.now();
  const trace = process.env["BENCH_THROTTLE_TRACE"]
    ? setInterval(
        () =>
          process.stderr.write(
            `  t=${((performance.now() - t0) / 1000).toFixed(1)} calls=${calls} 429s=${server.stats.faults["quota"] ?? 0} pace/min=${limiter.pacePerMinute?.toFixed(1) ?? "-"} inflight=${limiter.inFlight} waiting=${limiter.waiting}\n`,
          ),
        1000,
      )
    : undefined;
  for (const task of tasks) {
    void queue.add(async () => {
      // One client per task, its transport noting when each HTTP attempt starts (the SDK's retries included).
      let lastAttempt = 0;
      const timedFetch: typeof fetch = (input, init) => {
        lastAttempt = performance.now();
        return fetch(input, init);
      };
      const client = new OpenAIChatClient({
        provider: "mock",
        model: "oracle",
        apiKey: "mock-key",
        baseURL: `${server.url}/v1`,
        stream: true,
        timeoutMs: 120_000,
        fetch: timedFetch,
        ...(mode === "baseline" ? { sdkMaxRetries: 2 } : {}),
      });
      const hooks: RetryHooks = mode === "baseline" ? {} : { limiter };
      const callModel = async (request: ModelRequest): Promise<ModelResponse> => {
        const asked = performance.now();
        const response = await generateWithRetry(client, request, policy, hooks);
        calls++;
        lastOk = performance.now();
        firstOk ??= lastOk;
        // Time lost before the attempt that succeeded: limiter waits, 429 round trips, backoff.
        added.push((lastAttempt - asked) / 1000);
        return response;
      };
      const outcome = await runAgent({
        task,
        tools: fakeTools(),
        callModel,
        limits: { maxIterations: 20, maxFakeResponses: 3 },
        trajectory: new MemoryTrajectory(),
      });
      if (outcome.endReason !== "error") tasksDone++;
      else {
        lost++;
        if (outcome.error?.errorClass === "rate_limit") lostToThrottling++;
      }
    });
  }
  await queue.onIdle();
  if (trace) clearInterval(trace);
  const wallS = (performance.now() - t0) / 1000;
  const stats = server.stats;
  await server.close();
  const snapshot = limiter.snapshot();
  return {
    mode,
    limiterKind,
    spanS: firstOk === undefined ? 0 : (lastOk - firstOk) / 1000,
    wallS,
    calls,
    tasksDone,
    goodputPerMin: calls / (wallS / 60),
    tasksLost: lost,
    lostToThrottling,
    addedP50S: percentile(added, 50),
    addedP95S: percentile(added, 95),
    requests: stats.requests,
    throttled: stats.faults["quota"] ?? 0,
    ...(mode !== "baseline" ? { limiter: { limit: snapshot.limit, changes: snapshot.changes.length } } : {}),
  };
}

const f = (x: number | null, d = 2) => (x === null ? "" : x.toFixed(d));
const LIMITER_NAMES: Record<LimiterKind, string> = { new: "new (AIMD + rate pacer)", old: "old (AIMD alone)" };
/** Successful calls per minute over first-to-last success, as a share of the quota. */
const spanShare = (r: ModeResult, rpm: number) => (r.spanS > 0 ? (100 * (r.calls - 1)) / (r.spanS / 60) / rpm : 0);

function table(settings: Settings, rows: ModeResult[]): string {
  const head = [
    "mode",
    "limiter",
    "goodput/min",
    "% of R",
    "% of R, first-to-last success",
    "tasks done",
    "tasks lost",
    "lost to 429",
    "calls done",
    "p50 added s",
    "p95 added s",
    "HTTP requests",
    "429s",
    "429s per success",
    "wall s",
    "final limit",
  ];
  const names: Record<Mode, string> = {
    bench: "bench: retry layer + limiter",
    "bench-no-hints": "bench, server sends no retry hints",
    baseline: "baseline: SDK maxRetries 2, fixed concurrency",
  };
  const body = rows.map((r) => [
    names[r.mode],
    r.mode === "baseline" ? "" : LIMITER_NAMES[r.limiterKind],
    f(r.goodputPerMin, 0),
    `${((100 * r.goodputPerMin) / settings.rpm).toFixed(1)}%`,
    `${spanShare(r, settings.rpm).toFixed(1)}%`,
    `${r.tasksDone}/${settings.tasks}`,
    String(r.tasksLost),
    String(r.lostToThrottling),
    `${r.calls}/${settings.tasks * 5}`,
    f(r.addedP50S),
    f(r.addedP95S),
    String(r.requests),
    String(r.throttled),
    f(r.calls > 0 ? r.throttled / r.calls : null),
    f(r.wallS, 1),
    r.limiter ? `${r.limiter.limit} (${r.limiter.changes} changes)` : "",
  ]);
  return [head, head.map(() => "---"), ...body].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

function shortTable(rows: { run: number; r: ModeResult }[]): string {
  const head = [
    "limiter",
    "run",
    "tasks done",
    "tasks lost",
    "calls done",
    "first-to-last success s",
    "goodput, % of quota",
    "429s",
    "429s per success",
    "HTTP requests",
    "p95 added s",
    "wall s",
    "final limit",
  ];
  const body = rows.map(({ run, r }) => [
    LIMITER_NAMES[r.limiterKind],
    String(run),
    `${r.tasksDone}/${SHORT.tasks}`,
    String(r.tasksLost),
    `${r.calls}/${SHORT.tasks * 5}`,
    f(r.spanS, 1),
    `${spanShare(r, SHORT.rpm).toFixed(1)}%`,
    String(r.throttled),
    f(r.calls > 0 ? r.throttled / r.calls : null),
    String(r.requests),
    f(r.addedP95S),
    f(r.wallS, 1),
    r.limiter ? `${r.limiter.limit} (${r.limiter.changes} changes)` : "",
  ]);
  return [head, head.map(() => "---"), ...body].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

async function main(): Promise<void> {
  const settings = parseArgs(process.argv.slice(2));
  if (settings.only !== "short") {
    const tasks = syntheticTasks(settings.tasks);
    const scenario: Scenario = {
      rpm: settings.rpm,
      windowMs: 1000,
      concurrency: settings.concurrency,
      latency: settings.latency,
      resetRate: 0,
      cutRate: 0,
      seed: 7,
    };
    process.stderr.write(
      `bench:throttle: mock quota R = ${settings.rpm} requests/min (1 s window), latency ${settings.latency} ms, ` +
        `${settings.tasks} tasks × 5 model calls, concurrency ${settings.concurrency}\n`,
    );
    const rows: ModeResult[] = [];
    for (const [mode, kind] of [
      ["bench", "new"],
      ["bench", "old"],
      ["bench-no-hints", "new"],
      ["bench-no-hints", "old"],
      ["baseline", "new"],
    ] as const) {
      process.stderr.write(`running ${mode}, ${kind} limiter…\n`);
      rows.push(await runMode(mode, kind, scenario, tasks));
    }
    process.stdout.write(`${table(settings, rows)}\n`);
    const ok = rows
      .filter((r) => r.mode !== "baseline" && r.limiterKind === "new")
      .every((r) => r.goodputPerMin >= 0.9 * settings.rpm && r.tasksLost === 0);
    process.stdout.write(
      `\ntarget for bench, new limiter (goodput ≥ 90% of R, zero tasks lost, both modes): ${ok ? "met" : "NOT met"}\n\n`,
    );
  }
  if (settings.only !== "quota") {
    const tasks = syntheticTasks(SHORT.tasks);
    process.stderr.write(
      `bench:throttle, short run (issue 15): quota ${SHORT.rpm} requests/min, burst ${(SHORT.rpm * SHORT.windowMs) / 60_000} (${SHORT.windowMs} ms window), ` +
        `no retry hints, ${SHORT.resetRate * 100}% resets, ${SHORT.cutRate * 100}% cut streams, ${SHORT.tasks} tasks × 5 calls, concurrency ${SHORT.concurrency}\n`,
    );
    const rows: { run: number; r: ModeResult }[] = [];
    for (let run = 1; run <= settings.repeat; run++) {
      // Same fault and latency draws for both limiters within a run; a different draw per run.
      const scenario: Scenario = { ...SHORT, latency: settings.latency, seed: 100 + run };
      for (const kind of process.env["BENCH_THROTTLE_TRACE"] ? (["new"] as const) : (["old", "new"] as const)) {
        process.stderr.write(`running short run ${run}, ${kind} limiter…\n`);
        rows.push({ run, r: await runMode("bench-no-hints", kind, scenario, tasks) });
      }
    }
    process.stdout.write(`${shortTable(rows)}\n`);
    const news = rows.filter(({ r }) => r.limiterKind === "new").map(({ r }) => r);
    const ok = news.every((r) => spanShare(r, SHORT.rpm) >= 95 && r.throttled / r.calls <= 0.3 && r.tasksLost === 0);
    process.stdout.write(
      `\ntarget for the short run, new limiter (≥ 95% of quota first-to-last, ≤ 0.3 429s per success, zero tasks lost, every run): ${ok ? "met" : "NOT met"}\n`,
    );
  }
  process.stdout.write(
    `command: npm run bench:throttle -- --rpm ${settings.rpm} --tasks ${settings.tasks} --concurrency ${settings.concurrency} --latency ${settings.latency} --only ${settings.only} --repeat ${settings.repeat}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:throttle: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
