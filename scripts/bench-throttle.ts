// Throttling benchmark (`npm run bench:throttle`): the mock enforces R requests/min; ≥100 short tasks at concurrency 32
// through the real agent loop and the real openai SDK over HTTP, tools answered by an in-memory fake (no Docker).
// Prints goodput (successful model calls per minute, as a share of R), tasks lost to throttling and p95 added latency
// for bench's retry layer + endpoint limiter, and for the baseline: the SDK's default retries at fixed concurrency.

import PQueue from "p-queue";
import { runAgent } from "../src/agent/loop.js";
import type { Tool } from "../src/agent/tools.js";
import { MemoryTrajectory } from "../src/agent/trajectory.js";
import type { Task } from "../src/datasets/types.js";
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
}

function parseArgs(argv: string[]): Settings {
  const settings: Settings = { rpm: 600, tasks: 100, concurrency: 32, latency: "lognormal:300:0.5" };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag}: expected a value`);
    if (flag === "--rpm") settings.rpm = Number(value);
    else if (flag === "--tasks") settings.tasks = Number(value);
    else if (flag === "--concurrency") settings.concurrency = Number(value);
    else if (flag === "--latency") settings.latency = value;
    else throw new Error(`unknown flag ${flag} (known: --rpm, --tasks, --concurrency, --latency)`);
  }
  if (settings.tasks < 100) throw new Error("--tasks: the benchmark runs at least 100 tasks");
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

interface ModeResult {
  mode: Mode;
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

async function runMode(mode: Mode, settings: Settings, tasks: Task[]): Promise<ModeResult> {
  const server = await startMockServer({
    tasks,
    quota: { rpm: settings.rpm, windowMs: 1000, retryHints: mode !== "bench-no-hints" },
    latency: parseLatencySpec(settings.latency, "--latency"),
    seed: 7,
  });
  const registry = new LimiterRegistry({ max: settings.concurrency, log: () => undefined });
  const limiter = registry.get("mock|mock|-|oracle");
  // bench: SDK retries off, the harness's retry layer (defaults) and the limiter. Baseline: the SDK's defaults
  // (maxRetries 2, its own backoff honouring retry-after-ms), no harness retry, no limiter, fixed concurrency.
  const policy: RetryPolicy = mode === "baseline" ? { ...DEFAULT_RETRY_POLICY, maxRetries: 0 } : DEFAULT_RETRY_POLICY;
  const added: number[] = [];
  let calls = 0;
  let lost = 0;
  let tasksDone = 0;
  let lostToThrottling = 0;
  const queue = new PQueue({ concurrency: settings.concurrency });
  const t0 = performance.now();
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
        // Time lost before the attempt that succeeded: limiter waits, 429 round trips, backoff.
        added.push((lastAttempt - asked) / 1000);
        return response;
      };
      const outcome = await runAgent({ task, tools: fakeTools(), callModel, limits: { maxIterations: 20, maxFakeResponses: 3 }, trajectory: new MemoryTrajectory() });
      if (outcome.endReason !== "error") tasksDone++;
      else {
        lost++;
        if (outcome.error?.errorClass === "rate_limit") lostToThrottling++;
      }
    });
  }
  await queue.onIdle();
  const wallS = (performance.now() - t0) / 1000;
  const stats = server.stats;
  await server.close();
  const snapshot = limiter.snapshot();
  return {
    mode,
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

function table(settings: Settings, rows: ModeResult[]): string {
  const head = ["mode", "goodput/min", "% of R", "tasks done", "tasks lost", "lost to 429", "calls done", "p50 added s", "p95 added s", "HTTP requests", "429s", "wall s", "final limit"];
  const names: Record<Mode, string> = {
    bench: "bench: retry layer + limiter",
    "bench-no-hints": "bench, server sends no retry hints",
    baseline: "baseline: SDK maxRetries 2, fixed concurrency",
  };
  const f = (x: number | null, d = 2) => (x === null ? "" : x.toFixed(d));
  const body = rows.map((r) => [
    names[r.mode],
    f(r.goodputPerMin, 0),
    `${((100 * r.goodputPerMin) / settings.rpm).toFixed(1)}%`,
    `${r.tasksDone}/${settings.tasks}`,
    String(r.tasksLost),
    String(r.lostToThrottling),
    `${r.calls}/${settings.tasks * 5}`,
    f(r.addedP50S),
    f(r.addedP95S),
    String(r.requests),
    String(r.throttled),
    f(r.wallS, 1),
    r.limiter ? `${r.limiter.limit} (${r.limiter.changes} changes)` : "",
  ]);
  const lines = [head, head.map(() => "---"), ...body].map((cells) => `| ${cells.join(" | ")} |`);
  return lines.join("\n");
}

async function main(): Promise<void> {
  const settings = parseArgs(process.argv.slice(2));
  const tasks = syntheticTasks(settings.tasks);
  process.stderr.write(
    `bench:throttle: mock quota R = ${settings.rpm} requests/min (1 s window, retry hints on), latency ${settings.latency} ms, ` +
      `${settings.tasks} tasks × 5 model calls, concurrency ${settings.concurrency}\n`,
  );
  const rows: ModeResult[] = [];
  for (const mode of ["bench", "bench-no-hints", "baseline"] as const) {
    process.stderr.write(`running ${mode}…\n`);
    rows.push(await runMode(mode, settings, tasks));
  }
  process.stdout.write(`${table(settings, rows)}\n`);
  const bench = rows[0]!;
  const ok = bench.goodputPerMin >= 0.9 * settings.rpm && bench.tasksLost === 0;
  process.stdout.write(`\ntarget for bench (goodput ≥ 90% of R, zero tasks lost): ${ok ? "met" : "NOT met"}\n`);
  process.stdout.write(`command: npm run bench:throttle -- --rpm ${settings.rpm} --tasks ${settings.tasks} --concurrency ${settings.concurrency} --latency ${settings.latency}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:throttle: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
