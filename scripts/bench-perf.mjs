#!/usr/bin/env node
// Harness performance suite (`npm run bench:perf [-- --quick]`): every figure next to a baseline measured in the same
// run, as a ratio. Plain ESM importing the compiled dist/ (no TypeScript loader), so it runs on Node 20 as is.
// Prints a table and writes results/perf-<date>.json. See docs/PERFORMANCE.md for what each row measures.
//
// Flags: --quick (fewer samples, two waves per concurrency), --only start,tool,help,throughput (sections),
// --concurrency 1,8,32,64, --latency-ms 6000 (mock answer latency), --max-iterations 3, --tasks N (per run at c > 1,
// rounded up to whole waves), --out FILE, --keep (keep the throughput runs' directories; the path is printed),
// --run-args="…" (more `bench run` flags for every throughput run, e.g. --run-args="--grading-concurrency 4").

import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import Docker from "dockerode";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = (p) => import(path.join(root, "dist", p));
const { DockerSandboxProvider } = await dist("sandbox/docker.js");
const { ensureImage } = await dist("sandbox/images.js");
const { pingDocker } = await dist("sandbox/engine.js");
const { defaultTools } = await dist("agent/tools.js");
const { BUILTIN_IMAGE_USER } = await dist("datasets/load.js");

const { values: opts } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    out: { type: "string" },
    concurrency: { type: "string", default: "1,8,32,64" },
    tasks: { type: "string" },
    "latency-ms": { type: "string", default: "6000" },
    "max-iterations": { type: "string", default: "3" },
    only: { type: "string" },
    keep: { type: "boolean", default: false },
    "run-args": { type: "string", default: "" },
  },
});
const quick = opts.quick;
const sections = new Set((opts.only ?? "start,tool,help,throughput").split(","));
const samples = {
  start: quick ? 8 : 20,
  tool: quick ? 100 : 300,
  exec: quick ? 20 : 60,
  help: quick ? 5 : 11,
  tasksAtOne: quick ? 2 : 3,
};
/**
 * Tasks per run at concurrency c > 1: whole waves (a multiple of c), so a last, partial wave does not count against
 * the ideal; at least 100 (quick: two waves). `--tasks N` rounds N up the same way.
 */
const tasksFor = (c) => {
  const wanted = opts.tasks !== undefined ? Number(opts.tasks) : quick ? 2 * c : 100;
  return Math.max(c, Math.ceil(wanted / c) * c);
};
const latencyMs = Number(opts["latency-ms"]);
const maxIterations = Number(opts["max-iterations"]);
const concurrencies = opts.concurrency.split(",").map(Number);
const log = (line) => process.stderr.write(`${line}\n`);

// ---------- small helpers ----------
const now = () => performance.now();
function quantile(values, q) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}
const stats = (values) => ({
  n: values.length,
  mean: values.reduce((a, b) => a + b, 0) / values.length,
  p50: quantile(values, 0.5),
  p95: quantile(values, 0.95),
  min: Math.min(...values),
  max: Math.max(...values),
});
const round = (x, d = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);
function phasesOf(rows) {
  const mean = (f) => round(rows.reduce((a, r) => a + (f(r) ?? 0), 0) / rows.length, 3);
  return {
    start: mean((r) => r.sandbox_start_s),
    agent: mean((r) => r.agent_s),
    llm: mean((r) => r.llm_latency_s_total),
    tools: mean((r) => r.agent_s - r.llm_latency_s_total),
    grading: mean((r) => r.grading_s),
    other: mean((r) => r.wall_s - (r.agent_s ?? 0) - (r.grading_s ?? 0)),
    wall: mean((r) => r.wall_s),
  };
}
function readCpuTotals() {
  // /proc/stat first line: user nice system idle iowait irq softirq steal … (USER_HZ ticks)
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + fields[4];
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return { idle, total };
}
function daemonCpuTicks() {
  // utime + stime of dockerd, containerd and the containerd shims: the engine's own share of the machine.
  let ticks = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (!/^(dockerd|containerd|containerd-shim.*|docker-proxy|runc)$/.test(comm)) continue;
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]); // utime stime cutime cstime
    } catch {
      // gone
    }
  }
  return ticks;
}
const CLK_TCK = 100;
/** CPU seconds used by all containers so far (cgroup v1 cpuacct of Docker's parent group; it keeps removed ones); null when unknown. */
function containersCpuS() {
  for (const file of ["/sys/fs/cgroup/cpuacct/docker/cpuacct.usage", "/sys/fs/cgroup/cpu,cpuacct/docker/cpuacct.usage"]) {
    try {
      return Number(readFileSync(file, "utf8")) / 1e9;
    } catch {
      // not this layout
    }
  }
  return null;
}

/** Runs a command, returns { code, stdout, stderr, wallMs }. */
function run(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const started = now();
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, wallMs: now() - started }));
  });
}

// ---------- setup ----------
const docker = new Docker();
const dockerVersion = await pingDocker(docker);
const image = await ensureImage(docker, "python", { onProgress: log });
const runId = `perf-${process.pid}`;
const provider = new DockerSandboxProvider(docker, { runId });
const fixtureRepo = path.join(root, "test/fixtures/mini-repo");
const startRepo = path.join(root, "datasets/swe-lite/repos", readdirSync(path.join(root, "datasets/swe-lite/repos")).sort()[0]);
// Labelled like workspaces (owner pid, host) so `bench clean` reaps what a crash of this script leaves.
const labels = { "bench.managed": "true", "bench.run-id": runId, "bench.owner-pid": String(process.pid), "bench.host": os.hostname() };
const machine = {
  cpu: os.cpus()[0]?.model ?? "unknown",
  cores: os.cpus().length,
  memory_gib: round(os.totalmem() / 1024 ** 3, 1),
  kernel: os.release(),
  node: process.version,
  docker: dockerVersion,
  load_before: os.loadavg().map((x) => round(x, 2)),
};
log(
  `machine: ${machine.cores} × ${machine.cpu}, ${machine.memory_gib} GiB, Docker ${dockerVersion}, Node ${process.version}; load ${machine.load_before.join(" ")}`,
);
const results = {
  date: new Date().toISOString(),
  command: `npm run bench:perf${quick ? " -- --quick" : ""}`,
  quick,
  machine,
  image,
  rows: [],
};
const row = (r) => {
  results.rows.push(r);
  log(`  ${r.metric}: ${r.value} ${r.unit} vs ${r.baseline ?? "-"} ${r.unit} → ${r.ratio ?? "-"}`);
};

async function removeQuietly(container) {
  await container.remove({ force: true }).catch(() => {});
}

// ---------- 1. sandbox start ----------
// Baseline: `docker run -d --network none <image> sleep infinity` through dockerode (create + start), the network mode the
// workspaces use. The default bridge network costs ~40 ms more per container (a veth pair): measured too, informative.
if (sections.has("start")) {
  log(`sandbox start: ${samples.start} samples each, interleaved (repo: ${path.relative(root, startRepo)})`);
  const ours = [];
  const bare = [];
  const bareBridge = [];
  let bridgeError;
  const bareRun = async (hostConfig) => {
    const t = now();
    const c = await docker.createContainer({ Image: image, Cmd: ["sleep", "infinity"], Labels: labels, HostConfig: hostConfig });
    try {
      await c.start();
    } catch (err) {
      await removeQuietly(c);
      throw err;
    }
    return { ms: now() - t, container: c };
  };
  for (let i = 0; i < samples.start + 1; i++) {
    const b = await bareRun({ NetworkMode: "none" });
    let bb;
    if (bridgeError === undefined) {
      try {
        bb = await bareRun({});
      } catch (err) {
        bridgeError = err.message;
        log(`  bare docker run on the default bridge failed, left out: ${bridgeError}`);
      }
    }
    const t = now();
    // As `bench run` makes it for a task of the built-in image: commands as the unprivileged `agent`.
    const sandbox = await provider.create({ image, labels: {}, repoDir: startRepo, user: BUILTIN_IMAGE_USER });
    const oursMs = now() - t;
    await Promise.all([removeQuietly(b.container), bb ? removeQuietly(bb.container) : undefined, sandbox.remove()]);
    if (i === 0) continue; // warm-up
    bare.push(b.ms);
    if (bb) bareBridge.push(bb.ms);
    ours.push(oursMs);
  }
  const o = stats(ours);
  const b = stats(bare);
  results.sandbox_start = {
    ours: o,
    bare_docker_run_network_none: b,
    bare_docker_run_bridge: bareBridge.length ? stats(bareBridge) : { error: bridgeError },
  };
  for (const q of ["p50", "p95"]) {
    row({
      metric: `sandbox start ${q}`,
      value: round(o[q], 0),
      unit: "ms",
      baseline: round(b[q], 0),
      baseline_name: "bare docker run --network none",
      ratio: `${round(o[q] / b[q], 2)}×`,
      target: "≤ 1.15×",
    });
  }
  if (bareBridge.length) {
    const bb = stats(bareBridge);
    row({
      metric: "sandbox start p50 vs default-bridge run",
      value: round(o.p50, 0),
      unit: "ms",
      baseline: round(bb.p50, 0),
      baseline_name: "bare docker run (bridge network)",
      ratio: `${round(o.p50 / bb.p50, 2)}×`,
      target: "(informative)",
    });
  }
}

// ---------- 2. tool round trip ----------
if (sections.has("tool")) {
  log(`tool round trip: ${samples.tool} × bash tool \`true\`, ${samples.exec} × raw docker exec \`true\``);
  const sandbox = await provider.create({ image, labels: {}, repoDir: fixtureRepo, user: BUILTIN_IMAGE_USER });
  try {
    const bash = defaultTools(sandbox, { commandTimeoutSec: 30 })[0];
    for (let i = 0; i < 20; i++) await bash.execute({ command: "true" });
    const tool = [];
    for (let i = 0; i < samples.tool; i++) {
      const t = now();
      const out = await bash.execute({ command: "true" });
      tool.push(now() - t);
      if (out.isError) throw new Error(`bash tool: ${JSON.stringify(out)}`);
    }
    // The per-command-exec design: create an exec, attach, read to EOF, inspect for the exit code.
    const container = docker.getContainer(sandbox.id);
    const rawExec = async () => {
      const exec = await container.exec({ Cmd: ["true"], AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({ hijack: true, stdin: false });
      await new Promise((resolve) => {
        stream.on("end", resolve);
        stream.on("close", resolve);
        stream.resume();
      });
      for (;;) {
        const info = await exec.inspect();
        if (!info.Running) return info.ExitCode;
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    for (let i = 0; i < 5; i++) await rawExec();
    const exec = [];
    for (let i = 0; i < samples.exec; i++) {
      const t = now();
      await rawExec();
      exec.push(now() - t);
    }
    const sandboxExec = [];
    for (let i = 0; i < samples.exec; i++) {
      const t = now();
      await sandbox.exec("true");
      sandboxExec.push(now() - t);
    }
    const ts = stats(tool);
    const es = stats(exec);
    const ss = stats(sandboxExec);
    results.tool_round_trip = { bash_tool: ts, raw_docker_exec: es, sandbox_exec: ss };
    for (const q of ["p50", "p95"]) {
      row({
        metric: `bash tool round trip ${q}`,
        value: round(ts[q], 2),
        unit: "ms",
        baseline: round(es[q], 1),
        baseline_name: "raw docker exec (create+attach+EOF+inspect)",
        ratio: `${round(es[q] / ts[q], 0)}× faster`,
        target: q === "p50" ? "≤ 2 ms, ≥ 30× faster" : "",
      });
    }
    row({
      metric: "Sandbox.exec round trip p50 (command shell: timeout + bash -c)",
      value: round(ss.p50, 1),
      unit: "ms",
      baseline: round(es.p50, 1),
      baseline_name: "raw docker exec",
      ratio: `${round(es.p50 / ss.p50, 0)}× faster`,
      target: "(informative)",
    });
  } finally {
    await sandbox.remove();
  }
}

// ---------- 3. bench --help cold start ----------
if (sections.has("help")) {
  log(`bench --help: ${samples.help} spawns each of node bin/bench.js --help and node -e 0`);
  const help = [];
  const bareNode = [];
  for (let i = 0; i < samples.help + 1; i++) {
    const h = await run(process.execPath, [path.join(root, "bin/bench.js"), "--help"], { cwd: root });
    if (h.code !== 0) throw new Error(`bench --help exited ${h.code}: ${h.stderr}`);
    // Someone edited src/ meanwhile and bin/bench.js recompiled: not a cold start of the CLI, take the sample again.
    if (h.stderr.includes("compiling TypeScript")) {
      i--;
      continue;
    }
    const n = await run(process.execPath, ["-e", "0"]);
    if (i === 0) continue;
    help.push(h.wallMs);
    bareNode.push(n.wallMs);
  }
  const hs = stats(help);
  const ns = stats(bareNode);
  results.help_cold_start = { bench_help: hs, node_e_0: ns };
  row({
    metric: "bench --help cold start (median)",
    value: round(hs.p50, 0),
    unit: "ms",
    baseline: round(ns.p50, 0),
    baseline_name: "node -e 0",
    ratio: `${round(hs.p50 / ns.p50, 2)}×`,
    target: "< 300 ms",
  });
}

// ---------- 4. end-to-end throughput ----------
/** The one-bug task over test/fixtures/mini-repo (as in test/integration/helpers.ts): clamp() returns low instead of high. */
const MINI_TASK = {
  repo: "mini",
  problem_statement: "clamp(15, 0, 10) returns 0 but it should return 10: values above the range come back as the lower bound.",
  patch: [
    "diff --git a/calc/ops.py b/calc/ops.py",
    "--- a/calc/ops.py",
    "+++ b/calc/ops.py",
    "@@ -4,7 +4,7 @@ def clamp(value, low, high):",
    "     if value < low:",
    "         return low",
    "     if value > high:",
    "-        return low",
    "+        return high",
    "     return value",
    " ",
    " ",
    "",
  ].join("\n"),
  test_patch: [
    "diff --git a/tests/test_ops.py b/tests/test_ops.py",
    "--- a/tests/test_ops.py",
    "+++ b/tests/test_ops.py",
    "@@ -5,5 +5,9 @@ def test_clamp_inside():",
    "     assert clamp(5, 0, 10) == 5",
    " ",
    " ",
    "+def test_clamp_above():",
    "+    assert clamp(15, 0, 10) == 10",
    "+",
    "+",
    " def test_mean():",
    "     assert mean([1, 2, 3]) == 2",
    "",
  ].join("\n"),
  FAIL_TO_PASS: ["tests/test_ops.py::test_clamp_above"],
  PASS_TO_PASS: ["tests/test_ops.py::test_clamp_inside", "tests/test_ops.py::test_mean"],
};

/** A dataset of `n` copies of the mini repository with distinct ids and problem statements (the mock matches on them). */
function makeDataset(dir, n) {
  const task = MINI_TASK;
  mkdirSync(path.join(dir, "repos"), { recursive: true });
  const lines = [];
  for (let i = 0; i < n; i++) {
    const id = `perf__clamp-${String(i).padStart(4, "0")}`;
    cpSync(fixtureRepo, path.join(dir, "repos", id), { recursive: true });
    lines.push(JSON.stringify({ ...task, instance_id: id, problem_statement: `[${id}] ${task.problem_statement}` }));
  }
  writeFileSync(path.join(dir, "tasks.jsonl"), `${lines.join("\n")}\n`);
}

/**
 * Spawns `bench run` (dist/cli/main.js, what bin/bench.js runs, without its staleness check: an edit to src/ during
 * the suite must not put a compile into a measured run), samples its peak RSS (VmHWM), and reads its results.
 */
async function benchRun(datasetDir, outDir, concurrency) {
  const usageFile = path.join(outDir, `usage-c${concurrency}.json`);
  // Preloaded into the bench process: its own getrusage (peak RSS, CPU) and event-loop delay, written at exit.
  const hook =
    `import{writeFileSync}from"node:fs";import{monitorEventLoopDelay}from"node:perf_hooks";` +
    `const h=monitorEventLoopDelay({resolution:10});h.enable();` +
    `process.on("exit",()=>writeFileSync(${JSON.stringify(usageFile)},JSON.stringify({...process.resourceUsage(),` +
    `loop:{p50:h.percentile(50)/1e6,p99:h.percentile(99)/1e6,max:h.max/1e6}})))`;
  const args = [
    "--import",
    `data:text/javascript,${encodeURIComponent(hook)}`,
    path.join(root, "dist/cli/main.js"),
    "run",
    "--dataset",
    datasetDir,
    "--concurrency",
    String(concurrency),
    "--max-iterations",
    String(maxIterations),
    "--mock-latency-ms",
    String(latencyMs),
    "--output-dir",
    outDir,
    "--run-id",
    `c${concurrency}`,
    ...opts["run-args"].split(" ").filter((a) => a !== ""),
  ];
  const cpu0 = readCpuTotals();
  const daemon0 = daemonCpuTicks();
  const containers0 = containersCpuS();
  const started = now();
  const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-20_000)));
  let vmHwmKb = 0;
  let maxFds = 0;
  const sampler = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
      if (m) vmHwmKb = Math.max(vmHwmKb, Number(m[1]));
      maxFds = Math.max(maxFds, readdirSync(`/proc/${child.pid}/fd`).length);
    } catch {
      // exited
    }
  }, 200);
  const code = await new Promise((resolve) => child.on("close", resolve));
  clearInterval(sampler);
  const wallS = (now() - started) / 1000;
  const cpu1 = readCpuTotals();
  const daemon1 = daemonCpuTicks();
  const containers1 = containersCpuS();
  if (code !== 0) throw new Error(`bench run (concurrency ${concurrency}) exited ${code}:\n${stderr}`);
  const usage = JSON.parse(readFileSync(usageFile, "utf8"));
  const rows = readFileSync(path.join(outDir, `c${concurrency}`, "results.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  const startedAt = Math.min(...rows.map((r) => Date.parse(r.started_at)));
  const finishedAt = Math.max(...rows.map((r) => Date.parse(r.finished_at)));
  const spanS = (finishedAt - startedAt) / 1000;
  const harnessCpuS = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
  const totalTicks = cpu1.total - cpu0.total;
  const busyS = (totalTicks - (cpu1.idle - cpu0.idle)) / CLK_TCK;
  return {
    concurrency,
    tasks: rows.length,
    errors: rows.filter((r) => r.status === "error").length,
    resolved: rows.filter((r) => r.resolved).length,
    wall_s: round(wallS, 2),
    span_s: round(spanS, 2),
    tasks_per_min: round((rows.length * 60) / spanS, 1),
    task_wall_s: stats(rows.map((r) => r.wall_s)),
    sandbox_start_s: stats(rows.map((r) => r.sandbox_start_s).filter((x) => x !== null)),
    // Where a task's wall time goes (means, seconds): the agent from the task's start (its model calls, its tools; the
    // workspace's start overlaps its first model call), grading, and the rest (patch extraction, the wait for a
    // grading slot, bookkeeping).
    phases_s: phasesOf(rows),
    peak_rss_mb: round(Math.max(usage.maxRSS / 1024, vmHwmKb / 1024), 1),
    peak_open_fds: maxFds,
    harness_cpu_s: round(harnessCpuS, 2),
    event_loop_delay_ms: { p50: round(usage.loop.p50, 1), p99: round(usage.loop.p99, 1), max: round(usage.loop.max, 1) },
    harness_cpu_share: round(harnessCpuS / (wallS * machine.cores), 4),
    machine_busy_share: round(1 - (cpu1.idle - cpu0.idle) / totalTicks, 4),
    docker_daemons_cpu_share: round((daemon1 - daemon0) / CLK_TCK / (wallS * machine.cores), 4),
    containers_cpu_share: containers0 === null ? null : round((containers1 - containers0) / (wallS * machine.cores), 4),
    // Whole machine (other users included): what one task costs, and the task rate two saturated cores would allow.
    machine_cpu_s_per_task: round(busyS / rows.length, 3),
    cpu_bound_tasks_per_min: round((machine.cores * 60 * rows.length) / busyS, 1),
  };
}

if (sections.has("throughput")) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "bench-perf-"));
  try {
    results.throughput = { latency_ms: latencyMs, max_iterations: maxIterations, runs: [] };
    log(
      `throughput: mock latency ${latencyMs} ms, --max-iterations ${maxIterations}; ${samples.tasksAtOne} tasks at concurrency 1, whole waves of ≥ ${quick ? "2" : "100 tasks"} at the others`,
    );
    let taskTimeAtOne;
    for (const c of concurrencies) {
      const n = c === 1 ? samples.tasksAtOne : tasksFor(c);
      const datasetDir = path.join(tmp, `dataset-${n}`);
      try {
        readdirSync(datasetDir);
      } catch {
        makeDataset(datasetDir, n);
      }
      const loadBefore = os.loadavg()[0];
      const r = await benchRun(datasetDir, path.join(tmp, "out"), c);
      r.load_before = round(loadBefore, 2);
      if (c === 1) taskTimeAtOne = r.task_wall_s.mean;
      r.ideal_tasks_per_min = taskTimeAtOne ? round((c * 60) / taskTimeAtOne, 1) : null;
      r.efficiency = r.ideal_tasks_per_min ? round(r.tasks_per_min / r.ideal_tasks_per_min, 3) : null;
      results.throughput.runs.push(r);
      row({
        metric: `throughput at concurrency ${c} (${r.tasks} tasks, ${r.errors} errors)`,
        value: r.tasks_per_min,
        unit: "tasks/min",
        baseline: r.ideal_tasks_per_min,
        baseline_name: "ideal: concurrency × 60 / mean task time at concurrency 1",
        ratio: r.efficiency === null ? null : `${round(r.efficiency * 100, 0)}%`,
        target: c === 32 ? "≥ 85%" : "",
      });
      row({
        metric: `machine CPU per task at concurrency ${c}`,
        value: r.machine_cpu_s_per_task,
        unit: "CPU-s",
        baseline: r.cpu_bound_tasks_per_min,
        baseline_name: `tasks/min ${machine.cores} saturated cores allow at that cost`,
        ratio: null,
        target: "(informative)",
      });
      row({
        metric: `bench event-loop delay p99 at concurrency ${c}`,
        value: r.event_loop_delay_ms.p99,
        unit: "ms",
        baseline: null,
        ratio: `max ${r.event_loop_delay_ms.max} ms`,
        target: "(informative)",
      });
      const ph = r.phases_s;
      row({
        metric: `task phases at concurrency ${c} (means)`,
        value: ph.wall,
        unit: "s",
        baseline: null,
        ratio: `agent ${ph.agent} (model ${ph.llm}, tools ${round(ph.tools, 3)}; start ${ph.start} inside), grading ${ph.grading}, other ${ph.other}`,
        target: "(informative)",
      });
      row({
        metric: `bench peak RSS at concurrency ${c}`,
        value: r.peak_rss_mb,
        unit: "MB",
        baseline: null,
        ratio: `${r.peak_open_fds} open fds at most`,
        target: c === 64 ? "≤ 300 MB" : "",
      });
      row({
        metric: `harness CPU share at concurrency ${c}`,
        value: round(r.harness_cpu_share * 100, 1),
        unit: `% of ${machine.cores} cores`,
        baseline: round(r.machine_busy_share * 100, 1),
        baseline_name: "whole machine busy",
        ratio: `daemons ${round(r.docker_daemons_cpu_share * 100, 1)}%, containers ${r.containers_cpu_share === null ? "?" : round(r.containers_cpu_share * 100, 1)}%`,
        target: "",
      });
    }
  } finally {
    if (opts.keep) log(`kept: ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------- report ----------
results.machine.load_after = os.loadavg().map((x) => round(x, 2));
const outFile = opts.out ?? path.join(root, "results", `perf-${results.date.slice(0, 10)}.json`);
mkdirSync(path.dirname(outFile), { recursive: true });
writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);

const header = ["metric", "bench", "baseline", "ratio", "target"];
const lines = results.rows.map((r) => [
  r.metric,
  `${r.value} ${r.unit}`,
  r.baseline === null || r.baseline === undefined
    ? ""
    : `${r.baseline} ${r.unit.startsWith("%") ? "%" : r.unit}${r.baseline_name ? ` (${r.baseline_name})` : ""}`,
  r.ratio ?? "",
  r.target ?? "",
]);
const table = [header, header.map(() => "---"), ...lines].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
process.stdout.write(
  `\n${table}\n\nmachine: ${machine.cores} × ${machine.cpu}, ${machine.memory_gib} GiB, kernel ${machine.kernel}, Docker ${machine.docker}, Node ${machine.node}; ` +
    `load average before ${machine.load_before.join(" ")}, after ${results.machine.load_after.join(" ")}\nwritten: ${path.relative(process.cwd(), outFile)}\n`,
);
process.exit(0);
