// Orchestrates a run: plan (dataset × cells) → checks → image → p-queue of task attempts → results → reports.

import { mkdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type Docker from "dockerode";
import PQueue from "p-queue";
import { cellDirName, expandCells, parseModelSpec, type CellSpec } from "../config/model-spec.js";
import type { RunOptions } from "../config/options.js";
import { loadDataset, selectTasks } from "../datasets/load.js";
import type { Task } from "../datasets/types.js";
import { InfraError, errorMessage } from "../errors.js";
import { checkCredentials, createClient } from "../models/factory.js";
import type { ModelClient } from "../models/types.js";
import { ResultsStore, writeJsonAtomic } from "../report/store.js";
import type { SummaryRow } from "../report/summary.js";
import type { TaskResult } from "../report/types.js";
import { formatSummaryTable, writeReports } from "../report/write.js";
import { DockerSandboxProvider } from "../sandbox/docker.js";
import { ensureImage } from "../sandbox/images.js";
import { TrackingProvider } from "../sandbox/tracking.js";
import { DEFAULT_RETRY_POLICY } from "./retry.js";
import { runTask } from "./task.js";

export interface RunEnvironment {
  docker: Docker;
  /** One line to stderr. */
  log: (line: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted on SIGINT/SIGTERM: stop scheduling, end running tasks, keep what finished. */
  signal?: AbortSignal;
  /** Called with the live-workspace tracker so a second signal can remove everything at once. */
  onSandboxes?: (tracker: TrackingProvider) => void;
}

export interface RunOutcome {
  runId: string;
  runDir: string;
  results: TaskResult[];
  summary: SummaryRow[];
  interrupted: boolean;
}

export interface RunPlan {
  cells: CellSpec[];
  tasks: Task[];
  /** Attempts in scheduling order: cells interleave so no cell waits for another. */
  jobs: { cell: CellSpec; task: Task }[];
}

/** Pure: the cells and the ordered jobs of a run. */
export function planRun(cells: CellSpec[], tasks: Task[]): RunPlan {
  const jobs = tasks.flatMap((task) => cells.map((cell) => ({ cell, task })));
  return { cells, tasks, jobs };
}

export function defaultRunId(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z").replace("T", "-");
}

export function packageVersion(): string {
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

export async function pingDocker(docker: Docker): Promise<string> {
  try {
    const version = await Promise.race([
      docker.version(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no answer within 10 s")), 10_000).unref()),
    ]);
    return version.Version;
  } catch (err) {
    throw new InfraError(
      `Docker is not reachable (${errorMessage(err)}). Start the engine (e.g. \`sudo dockerd &\` or \`systemctl start docker\`) or set DOCKER_HOST.`,
      { cause: err },
    );
  }
}

export async function executeRun(options: RunOptions, envr: RunEnvironment): Promise<RunOutcome> {
  const { log } = envr;
  // Everything that can be wrong with the input is found before Docker is touched.
  const dataset = loadDataset(options.dataset, envr.cwd);
  const tasks = selectTasks(dataset, options.instances, options.limit);
  const specs = options.model.map((m) => parseModelSpec(m));
  const cells = expandCells(specs, options.region);
  const plan = planRun(cells, tasks);
  checkCredentials(cells, { apiKeyEnv: options.apiKeyEnv, stream: options.stream, timeoutMs: options.llmTimeout * 1000, env: envr.env, ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}) });
  if (options.model.length === 1 && options.model[0] === "mock/oracle" && !envr.env["BENCH_MODEL"]) {
    log("no --model given: using the built-in mock model (mock/oracle); see README for real providers");
  }

  const runId = options.runId ?? defaultRunId();
  const runDir = path.resolve(envr.cwd, options.outputDir, runId);
  const dockerVersion = await pingDocker(envr.docker);
  const image = await ensureImage(envr.docker, "python", { onProgress: log });

  mkdirSync(runDir, { recursive: true });
  const startedAt = new Date();
  const runJson = {
    run_id: runId,
    bench_version: packageVersion(),
    started_at: startedAt.toISOString(),
    finished_at: null as string | null,
    status: "running",
    host: os.hostname(),
    pid: process.pid,
    versions: { node: process.version, docker: dockerVersion },
    dataset: { name: dataset.name, file: dataset.file, hash: dataset.hash, tasks: tasks.length },
    image,
    cells: cells.map(({ cell, provider, model, region }) => ({ cell, provider, model, region: region ?? null })),
    // Options hold no secrets: keys are read from the environment by name (api_key_env), never stored.
    config: options,
  };
  await writeJsonAtomic(path.join(runDir, "run.json"), runJson);
  log(`run ${runId}: ${tasks.length} task(s) × ${cells.length} cell(s), concurrency ${options.concurrency} → ${runDir}`);

  const needsMock = cells.some((c) => c.provider === "mock");
  const mock = needsMock
    ? await (await import("../mock/server.js")).startMockServer({ tasks: dataset.tasks, latencyMs: options.mockLatencyMs })
    : undefined;
  const sandboxes = new TrackingProvider(new DockerSandboxProvider(envr.docker, { runId, ownerPid: process.pid, host: os.hostname() }));
  envr.onSandboxes?.(sandboxes);
  const store = new ResultsStore(runDir);
  const results: TaskResult[] = [];
  const clients = new Map<string, ModelClient>();
  for (const cell of cells) {
    clients.set(
      cell.cell,
      createClient(cell, {
        apiKeyEnv: options.apiKeyEnv,
        stream: options.stream,
        timeoutMs: options.llmTimeout * 1000,
        env: envr.env,
        ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
        ...(mock ? { mockBaseUrl: `${mock.url}/v1` } : {}),
      }),
    );
  }

  const queue = new PQueue({ concurrency: options.concurrency });
  const onAbort = (): void => queue.clear();
  envr.signal?.addEventListener("abort", onAbort, { once: true });
  let done = 0;
  try {
    for (const { cell, task } of plan.jobs) {
      void queue.add(async () => {
        if (envr.signal?.aborted) return;
        const result = await runTask({
          runId,
          runDir,
          task,
          cell,
          taskDir: path.join("tasks", cellDirName(cell.cell), task.instance_id),
          client: clients.get(cell.cell)!,
          sandboxes,
          image,
          limits: { maxIterations: options.maxIterations, maxFakeResponses: options.maxFakeResponses },
          retry: { ...DEFAULT_RETRY_POLICY, maxRetries: options.llmRetries },
          commandTimeoutSec: options.commandTimeout,
          gradingTimeoutSec: options.gradingTimeout,
          attempt: 1,
          ...(envr.signal ? { signal: envr.signal } : {}),
        });
        // An attempt cut short by an interrupt is not a result: resume runs it again.
        if (envr.signal?.aborted) return;
        await store.append(result);
        results.push(result);
        done++;
        const extra = result.error_message ? ` — ${result.error_class}: ${result.error_message.split("\n")[0]!.slice(0, 160)}` : "";
        log(
          `[${done}/${plan.jobs.length}] ${cell.cell} ${task.instance_id}: ${result.status} (${result.end_reason}, ${result.llm_calls} calls, ${result.wall_s.toFixed(1)} s)${extra}`,
        );
      });
    }
    await queue.onIdle();
  } finally {
    envr.signal?.removeEventListener("abort", onAbort);
    await sandboxes.removeAll();
    await mock?.close();
  }

  const finishedAt = new Date();
  const interrupted = envr.signal?.aborted ?? false;
  const runWallS = (finishedAt.getTime() - startedAt.getTime()) / 1000;
  await writeJsonAtomic(path.join(runDir, "run.json"), { ...runJson, finished_at: finishedAt.toISOString(), status: interrupted ? "interrupted" : "completed" });
  const { results: all } = await store.read();
  const written = await writeReports(runDir, all, { runId, runWallS });
  log(`\n${formatSummaryTable(written.summary)}`);
  log(`reports: ${path.relative(envr.cwd, written.reportCsv) || written.reportCsv}, ${path.relative(envr.cwd, written.summaryCsv)}`);
  return { runId, runDir, results, summary: written.summary, interrupted };
}

