// Orchestrates a run: plan (dataset × cells) → checks → image → p-queue of task attempts → results → reports.

import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, statfsSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type Docker from "dockerode";
import PQueue from "p-queue";
import { cellDirName, type Provider, expandCells, expandConfiguredCells, parseModelSpec, pickCellOptions, type CellSpec } from "../config/model-spec.js";
import type { RunOptions } from "../config/options.js";
import { openDataset, selectTasks } from "../datasets/load.js";
import { GOLD_MODEL, goldPredictions, loadPredictions, type Predictions } from "../datasets/predictions.js";
import { loadSpecsFile } from "../grading/specs.js";
import { writeSwebenchFiles } from "../report/swebench-report.js";
import { DEFAULT_IMAGE_TEMPLATE, dockerConfigPath, formatBytes, ImagePuller, loadDockerConfig } from "../sandbox/pull.js";
import type { Dataset, Task } from "../datasets/types.js";
import { InfraError, UsageError, errorMessage } from "../errors.js";
import { pingDocker } from "../sandbox/engine.js";
import { unpricedModels, type PriceOverride } from "../models/cost.js";
import { resolveBedrockRegion } from "../models/bedrock-model-id.js";
import { checkCallOptions, checkCredentials, connectionCounts, connectionsSince, createClient } from "../models/factory.js";
import { checkEndpoints } from "../models/preflight.js";
import { awsSdkNodeNotice } from "../models/bedrock.js";
import type { ModelClient } from "../models/types.js";
import { ResultsStore, writeJsonAtomic } from "../report/store.js";
import type { SummaryRow } from "../report/summary.js";
import type { TaskResult } from "../report/types.js";
import { writeReports } from "../report/write.js";
import { DockerSandboxProvider } from "../sandbox/docker.js";
import { ensureImage } from "../sandbox/images.js";
import { reapContainers } from "../sandbox/janitor.js";
import { TrackingProvider } from "../sandbox/tracking.js";
import { acquireRunLock, checkResumePlan, fingerprintDiff, pendingJobs, readRunJson, runFingerprint } from "./resume.js";
import { accountIdentity, endpointKey, LimiterRegistry } from "./limiter.js";
import { DEFAULT_RETRY_POLICY, sleep } from "./retry.js";
import { checkLimitOptions, isInfrastructureError, mockSettingsOf, RunLimits, taskRetryDelayMs } from "./run-limits.js";
import { runTask } from "./task.js";
import { evaluateGates, hasGates, runFailures, type GateReport } from "../report/gates.js";
import { loadGateSpec } from "../report/gates-load.js";
import { trackGrading, type ProgressSink } from "./progress.js";
import { parseShard, shardTasks, shardText } from "./shard.js";
import { DockerHostPool } from "../sandbox/host-pool.js";
import { Gate } from "../gate.js";
import { parseDockerHost } from "../sandbox/hosts.js";

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
  /** True when no flag, config file or BENCH_MODEL named a model (the CLI knows): the run says it uses mock/oracle. */
  defaultModel?: boolean;
  /** Live status / per-task lines (src/runner/progress.ts); without one, each finished task is logged. */
  progress?: ProgressSink;
}

export interface RunOutcome {
  runId: string;
  runDir: string;
  results: TaskResult[];
  summary: SummaryRow[];
  interrupted: boolean;
  /** `I/N` when this run is one shard, else null. */
  shard: string | null;
  /** null when no gate was set, or the run was interrupted (gates judge complete runs only). */
  gates: GateReport | null;
  /** `runFailures`: cells whose every attempted task ended in an infrastructure error (exit 1); empty after an interrupt. */
  failures: string[];
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

/**
 * Every sandbox image a task names must already be on each Docker host: bench builds only its own recipes and never
 * pulls. Fails with an InfraError naming the image, the first task that wants it and the dataset file.
 */
export async function checkTaskImages(dockers: readonly Docker[], tasks: readonly Task[], datasetFile: string, why = "--pull never"): Promise<void> {
  const wanted = new Map<string, string>();
  for (const t of tasks) if (t.image !== undefined && !wanted.has(t.image)) wanted.set(t.image, t.instance_id);
  for (const [image, instance] of wanted) {
    for (const docker of dockers) {
      try {
        await docker.getImage(image).inspect();
      } catch (err) {
        const missing = (err as { statusCode?: number }).statusCode === 404;
        throw new InfraError(
          missing
            ? `${datasetFile}: task ${instance} needs sandbox image ${image}, which is not on the Docker host, and with ${why} bench does not pull: pull or load it (docker pull / docker load), or check --image-template, then run again`
            : `cannot inspect sandbox image ${image} (task ${instance}): ${errorMessage(err)}`,
          { cause: err },
        );
      }
    }
  }
}


/** The CLI loads it from here (lazily, with the runner). */
export { pingDocker };

export async function executeRun(options: RunOptions, envr: RunEnvironment): Promise<RunOutcome> {
  const { log } = envr;
  // Docker first (exit 1 with a hint), then everything that can be wrong with the input (exit 2),
  // all before any sandbox starts or anything is written.
  // --docker-host: every host must answer now; one that fails mid-run is taken out and its tasks re-queued.
  const pool = options.dockerHost.length > 0
    ? await DockerHostPool.open(options.dockerHost.map(parseDockerHost), { defaultCapacity: options.concurrency, log })
    : undefined;
  const dockerVersion = pool ? Object.entries(pool.versions()).map(([h, v]) => `${h} ${v}`).join(", ") : await pingDocker(envr.docker);
  const specs = options.specs !== undefined ? loadSpecsFile(path.resolve(envr.cwd, options.specs)) : undefined;
  const dataset = await openDataset(options.dataset, envr.cwd, {
    ...(specs ? { specs, specsFile: options.specs } : {}),
    ...(options.imageTemplate ? { imageTemplate: options.imageTemplate } : {}),
    ...(options.split ? { split: options.split } : {}),
    env: envr.env,
    onProgress: log,
  });
  const selected = selectTasks(dataset, options.instances, options.limit);
  // bench grade: one cell per model_name_or_path of the predictions (`gold`: the dataset's patches), no agent.
  const predictions = options.predictions === undefined
    ? undefined
    : options.predictions === GOLD_MODEL
      ? goldPredictions(dataset.tasks)
      : loadPredictions(options.predictions, new Set(dataset.tasks.map((t) => t.instance_id)), envr.cwd);
  // A shard runs its hash-partition of the selected tasks (--instances/--limit apply first, so every shard of a run agrees on the whole).
  const shard = options.shard ? parseShard(options.shard) : undefined;
  const tasks = shard ? shardTasks(selected, shard) : selected;
  // A bedrock model with no region runs in the environment's (AWS_REGION, AWS_DEFAULT_REGION, else us-east-1), named in its cell.
  // A config file's `cells` (labels, per-cell options) stand in for --model; --model replaces them (src/config/options.ts).
  const cells: CellSpec[] = predictions
    ? [...predictions.byModel.keys()].map((name) => ({ cell: name, provider: PREDICTIONS_PROVIDER, model: name }))
    : options.cells
      ? expandConfiguredCells(options.cells, options.region, resolveBedrockRegion(undefined, envr.env))
      : expandCells(options.model.map((m) => parseModelSpec(m)), options.region, resolveBedrockRegion(undefined, envr.env));
  const plan = planRun(cells, tasks);
  for (const warning of checkCallOptions(cells, { callOptions: pickCellOptions(options) ?? {} })) log(`warning: ${warning}`);
  checkLimitOptions(options);
  const gateSpec = loadGateSpec(options, cells.map((c) => c.cell), envr.cwd);
  const modelCells = cells.filter((c) => c.provider !== PREDICTIONS_PROVIDER);
  // Before the first AWS SDK client (the credential probe): its 9-line Node-version warning becomes one line of ours.
  if (modelCells.some((c) => c.provider === "bedrock")) {
    const notice = awsSdkNodeNotice(process.version, process.env);
    if (notice) log(notice);
  }
  await checkCredentials(modelCells, { apiKeyEnv: options.apiKeyEnv, stream: options.stream, timeoutMs: options.llmTimeout * 1000, env: envr.env, ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}) });
  // One token-free call per endpoint: a dead endpoint or a rejected key is exit 1 now, not N `error` results later.
  await checkEndpoints(modelCells, {
    apiKeyEnv: options.apiKeyEnv,
    env: envr.env,
    timeoutSec: Math.min(10, options.llmTimeout),
    log,
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    ...(options.bedrockEndpoint ? { bedrockEndpoint: options.bedrockEndpoint } : {}),
  });
  if (envr.defaultModel && !predictions) {
    log("no --model given: using the built-in mock model (mock/oracle); see README for real providers");
  }
  // Once per model, before anything runs: its cost columns will be blank (cost_source unknown), never 0.
  const costOverride = { input: options.inputCostPerToken, output: options.outputCostPerToken, cacheRead: options.cacheReadCostPerToken, cacheWrite: options.cacheWriteCostPerToken };
  for (const name of unpricedModels(modelCells, costOverride)) {
    log(`warning: no price for ${name}: cost_usd will be blank (cost_source unknown); give --input-cost-per-token and --output-cost-per-token to price it`);
  }

  const runDir = options.resume ? path.resolve(envr.cwd, options.resume) : path.resolve(envr.cwd, options.outputDir, options.runId ?? defaultRunId());
  const runId = path.basename(runDir);
  const fingerprint = { ...runFingerprint(options, dataset.hash, cells), ...(predictions ? { predictions_hash: predictions.hash } : {}), ...(options.imageTemplate ? { image_template: options.imageTemplate } : {}), ...(specs ? { specs_hash: hashJson(specs) } : {}) };
  if (!options.resume) checkRunDirPath(runDir, path.resolve(envr.cwd, options.outputDir), options.outputDir);
  const previous = readRunJson(runDir);
  if (options.resume && !previous) throw new UsageError(`--resume ${options.resume}: not a run directory (no run.json in ${runDir})`);
  if (previous) {
    const differences = fingerprintDiff((previous["fingerprint"] ?? {}) as Record<string, unknown>, fingerprint);
    if (differences.length > 0) {
      throw new UsageError(`cannot resume ${runDir}: the run's configuration differs:\n  ${differences.join("\n  ")}\nUse a new --run-id for a different configuration.`);
    }
    checkResumePlan(previous, options, tasks.map((t) => t.instance_id), runDir);
  }

  checkDiskSpace(path.dirname(runDir), envr.env);
  // Images before the run directory: a missing image that cannot be built leaves nothing behind (exit 1).
  // --deadline counts from here.
  const imageCheckAt = performance.now();
  const dockers = pool ? pool.dockers() : [envr.docker];
  // --pull never: every task image must be there now; otherwise missing images are pulled as tasks need them.
  if (options.pull === "never" || pool) await checkTaskImages(dockers, tasks, dataset.file, pool ? "--docker-host" : "--pull never");
  const ensure = (docker: Docker) => ensureImage(docker, "python", { onProgress: log });
  const builtinImage = !previous && tasks.some((t) => t.image === undefined) ? await (pool ? pool.ensureImage(ensure) : ensure(envr.docker)) : undefined;
  mkdirSync(runDir, { recursive: true });
  const releaseLock = acquireRunLock(runDir);
  try {
    const reaped = (await Promise.all((pool ? pool.dockers() : [envr.docker]).map((d) => reapContainers(d)))).flat();
    if (reaped.length > 0) log(`janitor: removed ${reaped.length} container(s) left by dead runs`);
    const store = new ResultsStore(runDir);
    const existing = await store.read();
    for (const s of existing.skipped) log(`results.jsonl line ${s.line} ignored (${s.reason}); its task runs again`);
    const jobs = pendingJobs(plan.jobs, existing.results, options.rerunErrors);
    if (previous) log(`resuming ${runId}: ${plan.jobs.length - jobs.length} of ${plan.jobs.length} attempt(s) already done`);
    if (shard) log(`shard ${shardText(shard)}: ${tasks.length} of ${selected.length} task(s)`);
    const outcome = await runJobs({ options, envr, dataset, tasks, cells, jobs, ...(predictions ? { predictions } : {}), total: plan.jobs.length, runId, runDir, store, existing: existing.results, previous, fingerprint, dockerVersion, imageCheckAt, ...(builtinImage !== undefined ? { builtinImage } : {}), ...(pool ? { pool } : {}) });
    const gates = hasGates(gateSpec) && !outcome.interrupted ? evaluateGates(outcome.summary, cells.map((c) => c.cell), gateSpec) : null;
    // Judged on every latest result (earlier attempts of a resumed run included), like the summary; not after an interrupt.
    const failures = outcome.interrupted ? [] : runFailures((await store.read()).results);
    return { ...outcome, shard: shard ? shardText(shard) : null, gates, failures };
  } finally {
    releaseLock();
  }
}

interface JobsInput {
  options: RunOptions;
  envr: RunEnvironment;
  dataset: Dataset;
  tasks: Task[];
  cells: CellSpec[];
  jobs: { cell: CellSpec; task: Task }[];
  total: number;
  runId: string;
  runDir: string;
  store: ResultsStore;
  /** Results already in results.jsonl when the run (or resume) started. */
  existing: readonly TaskResult[];
  previous: Record<string, unknown> | null;
  fingerprint: Record<string, unknown>;
  dockerVersion: string;
  /** --docker-host: the engines workspaces are spread over (else envr.docker). */
  pool?: DockerHostPool;
  /** performance.now() when the images were checked: --deadline counts from there. */
  imageCheckAt: number;
  /** Tag of the built-in sandbox image, when it was ensured before the run directory was made (a new run). */
  builtinImage?: string;
  /** bench grade: the patches to grade, per cell (model_name_or_path) and instance. */
  predictions?: Predictions;
}

async function runJobs(input: JobsInput): Promise<Omit<RunOutcome, "shard" | "gates" | "failures">> {
  const { options, envr, dataset, tasks, cells, jobs, runId, runDir, store, previous } = input;
  const { log } = envr;
  // --deadline counts from the image check; --max-cost counts what a resumed run already spent.
  const ensure = (docker: Docker) => ensureImage(docker, "python", { onProgress: log });
  const needsBuiltin = jobs.some((j) => j.task.image === undefined);
  const image = input.builtinImage ?? (needsBuiltin ? await (input.pool ? input.pool.ensureImage(ensure) : ensure(envr.docker)) : String(previous?.["image"] ?? ""));
  const limits = new RunLimits({
    maxCost: options.maxCost,
    deadlineSec: options.deadline === undefined ? undefined : Math.max(0.001, options.deadline - (performance.now() - input.imageCheckAt) / 1000),
    spentUsd: input.existing.reduce((sum, r) => sum + (r.cost_usd ?? 0), 0),
    log,
  });
  const startedAt = previous && typeof previous["started_at"] === "string" ? new Date(previous["started_at"]) : new Date();
  const runJson = {
    run_id: runId,
    bench_version: packageVersion(),
    started_at: startedAt.toISOString(),
    finished_at: null as string | null,
    status: "running",
    host: os.hostname(),
    pid: process.pid,
    versions: { node: process.version, docker: input.dockerVersion },
    dataset: { name: dataset.name, file: dataset.file, hash: dataset.hash, tasks: tasks.length, instance_ids: tasks.map((t) => t.instance_id), ...(dataset.source ? { source: dataset.source } : {}) },
    predictions: input.predictions ? { source: input.predictions.source, hash: input.predictions.hash, models: [...input.predictions.byModel.keys()] } : null,
    pull: { policy: options.pull, image_template: options.imageTemplate ?? DEFAULT_IMAGE_TEMPLATE, remove_images: options.removeImages },
    // `I/N` for one shard of a run (dataset.tasks counts this shard's tasks); `bench merge` joins the shards.
    shard: options.shard ? shardText(parseShard(options.shard)) : null,
    image,
    // A config cell's label and own call options (over the run-level ones in `config`).
    cells: cells.map(({ cell, provider, model, region, label, options: own }) => ({ cell, provider, model, region: region ?? null, label: label ?? null, options: own ?? null })),
    fingerprint: input.fingerprint,
    resumes: [...((previous?.["resumes"] as unknown[]) ?? []), ...(previous ? [{ at: new Date().toISOString(), pid: process.pid }] : [])],
    // Options hold no secrets: keys are read from the environment by name (api_key_env), never stored.
    config: redactConfig(options),
  };
  await writeJsonAtomic(path.join(runDir, "run.json"), runJson);
  log(`run ${runId}: ${tasks.length} task(s) × ${cells.length} cell(s), ${jobs.length} to run, concurrency ${options.concurrency} → ${runDir}`);

  // Connections the model clients open from here on (run.json → connections): a handshake per call would show here.
  const connectionsBefore = connectionCounts();
  const needsMock = jobs.length > 0 && !input.predictions && cells.some((c) => c.provider === "mock");
  const mock = needsMock
    ? await (await import("../mock/server.js")).startMockServer({ tasks: dataset.tasks, latencyMs: options.mockLatencyMs, ...mockSettingsOf(options) })
    : undefined;
  const providerOptions = { runId, ownerPid: process.pid, host: os.hostname() };
  const sandboxes = new TrackingProvider(input.pool ? input.pool.bind(providerOptions) : new DockerSandboxProvider(envr.docker, providerOptions));
  envr.onSandboxes?.(sandboxes);
  const results: TaskResult[] = [];
  const clients = new Map<string, ModelClient>();
  // Clients only for cells with work: a fully resumed run starts nothing.
  for (const cell of jobs.length > 0 ? cells.filter((c) => c.provider !== PREDICTIONS_PROVIDER) : []) {
    clients.set(
      cell.cell,
      createClient(cell, {
        apiKeyEnv: options.apiKeyEnv,
        stream: options.stream,
        timeoutMs: options.llmTimeout * 1000,
        env: envr.env,
        ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
        ...(mock ? { mockBaseUrl: `${mock.url}/v1` } : {}),
        ...(options.bedrockEndpoint ? { bedrockEndpoint: options.bedrockEndpoint } : {}),
        // Run-level generation and Bedrock request options; the cell's own (config `cells`) win inside createClient.
        callOptions: pickCellOptions(options) ?? {},
        log,
      }),
    );
  }

  const priceOverride: PriceOverride | undefined =
    [options.inputCostPerToken, options.outputCostPerToken, options.cacheReadCostPerToken, options.cacheWriteCostPerToken].some((v) => v !== undefined)
      ? { input: options.inputCostPerToken, output: options.outputCostPerToken, cacheRead: options.cacheReadCostPerToken, cacheWrite: options.cacheWriteCostPerToken }
      : undefined;
  for (const name of options.maxBudgetPerTask !== undefined || options.maxCost !== undefined ? unpricedModels(cells, priceOverride) : []) {
    log(`warning: ${name} has no price: --max-budget-per-task and --max-cost are not enforced for it`);
  }
  // One limiter per endpoint (provider + account + region + model), shared by every task and cell on it.
  const limiters = new LimiterRegistry({ max: options.concurrency, ...(options.rpm ? { rpm: options.rpm } : {}), ...(options.tpm ? { tpm: options.tpm } : {}), log });
  const limiterOf = (cell: CellSpec) =>
    limiters.get(endpointKey({ ...cell, account: accountIdentity(cell.provider, { baseUrl: options.baseUrl, apiKeyEnv: options.apiKeyEnv, env: envr.env }) }));
  const gradingSlots = options.gradingConcurrency ?? options.concurrency;
  const gradingQueue = new PQueue({ concurrency: gradingSlots });
  // Agents at once: --concurrency (with --docker-host, as many as the hosts hold together). A task leaves its agent
  // slot once its patch is taken, so the next task's agent starts while it is graded (the grading queue bounds that).
  const agentSlots = input.pool ? input.pool.totalCapacity : options.concurrency;
  const agents = new Gate(agentSlots);
  const queue = new PQueue({ concurrency: agentSlots + gradingSlots });
  const onAbort = (): void => queue.clear();
  envr.signal?.addEventListener("abort", onAbort, { once: true });
  limits.onStop(() => queue.clear());
  // Task images not on the engine are pulled (--pull) as tasks need them; the images of the tasks queued next are
  // pulled ahead (prefetch), so a task rarely waits for a pull that could have started earlier. --remove-images drops
  // an image bench pulled once no task left in the run needs it.
  const puller = !input.pool && options.pull !== "never" && jobs.some((j) => j.task.image !== undefined)
    ? new ImagePuller(envr.docker, { policy: options.pull, onProgress: log, ...(loadDockerConfigQuietly(envr.env, log) ?? {}) })
    : undefined;
  /** Every image a registry pull brought for this run (run.json → images.pulled), removed since or not. */
  const pulledImages = new Set<string>();
  const imageUses = new Map<string, number>();
  for (const j of jobs) if (j.task.image !== undefined) imageUses.set(j.task.image, (imageUses.get(j.task.image) ?? 0) + 1);
  const prefetchDepth = options.pullAhead ?? agentSlots;
  const prefetchFrom = (index: number): void => {
    const next = jobs[index]?.task.image;
    if (puller && next !== undefined) puller.prefetch(next);
  };
  for (let i = 0; i < Math.min(agentSlots + prefetchDepth, jobs.length) && prefetchDepth > 0; i++) prefetchFrom(i);
  const taskDone = async (image: string | undefined): Promise<void> => {
    if (image === undefined) return;
    const left = (imageUses.get(image) ?? 1) - 1;
    imageUses.set(image, left);
    if (left === 0 && options.removeImages && puller) await puller.release(image);
  };
  const recorded = new Set<number>();
  let done = 0;
  envr.progress?.begin(cells.map((c) => ({ cell: c.cell, total: tasks.length })), jobs.length > 0 ? input.existing : []);
  try {
    for (const [index, { cell, task }] of jobs.entries()) {
      void queue.add(async () => {
        if (envr.signal?.aborted || limits.stopped) return;
        let result: TaskResult | undefined;
        /** Attempts re-queued because their Docker host failed (--docker-host): not counted by --task-retries. */
        let requeued = 0;
        // --task-retries: an infrastructure error runs the task again in a fresh workspace; `attempt` counts.
        for (let attempt = 1; ; attempt++) {
          const releaseAgent = await agents.acquire();
          if (envr.signal?.aborted || limits.stopped) {
            releaseAgent();
            if (result === undefined) return; // never started: not run
            break;
          }
          if (attempt === 1) {
            envr.progress?.taskStarted(cell.cell);
            if (prefetchDepth > 0) prefetchFrom(index + agentSlots + prefetchDepth);
          }
          // --max-cost counts an attempt's spend when its agent is done, before the next task may take the slot.
          let counted = false;
          const agentDone = (cost: number | null): void => {
            if (!counted) limits.addCost(cost);
            counted = true;
            releaseAgent();
          };
          try {
            result = await runTask({
              runId,
              runDir,
              task,
              cell,
              taskDir: path.join("tasks", cellDirName(cell.cell), task.instance_id),
              client: clients.get(cell.cell) ?? NO_MODEL,
              ...(input.predictions ? { prediction: input.predictions.byModel.get(cell.cell)?.get(task.instance_id)?.model_patch ?? "" } : {}),
              ...(puller
                ? {
                    pullImage: async (wanted: string) => {
                      const got = await puller.ensure(wanted);
                      if (got.pulled) pulledImages.add(wanted);
                      return got.waitedMs;
                    },
                  }
                : {}),
              sandboxes,
              image,
              limits: {
                maxIterations: options.maxIterations,
                maxFakeResponses: options.maxFakeResponses,
                ...(options.maxBudgetPerTask !== undefined ? { maxCostUsd: options.maxBudgetPerTask } : {}),
                ...(options.maxTokensPerTask !== undefined ? { maxTokens: options.maxTokensPerTask } : {}),
              },
              retry: {
                ...DEFAULT_RETRY_POLICY,
                maxRetries: options.llmRetries,
                baseMs: options.llmBackoffBaseMs,
                capMs: options.llmBackoffCapMs,
                timeoutMs: options.llmRetryTimeout * 1000,
              },
              commandTimeoutSec: options.commandTimeout,
              gradingTimeoutSec: options.gradingTimeout,
              gradingWorkspace: options.gradingWorkspace,
              vision: options.vision,
              priceOverride,
              attempt,
              ...(envr.signal ? { signal: envr.signal } : {}),
              limiter: limiterOf(cell),
              ...(options.taskTimeout !== undefined ? { taskTimeoutSec: options.taskTimeout } : {}),
              deadline: limits.deadline,
              grading: (work) => gradingQueue.add(trackGrading(envr.progress, cell.cell, work)),
              agentDone,
            });
            if (!counted) agentDone(result.cost_usd);
          } finally {
            releaseAgent();
          }
          // An attempt cut short by an interrupt is not a result: resume runs it again.
          if (envr.signal?.aborted) return;
          // A Docker host that died under the task: re-queued elsewhere, whatever --task-retries says.
          const lost = input.pool && isInfrastructureError(result) && !limits.stopped ? await input.pool.lostHostOf(cell.cell, task.instance_id) : null;
          if (lost && input.pool!.healthyCount > 0) {
            log(`${cell.cell} ${task.instance_id}: docker host ${lost} failed during attempt ${attempt}; re-queued on another host`);
            requeued++;
            continue;
          }
          if (attempt - requeued > options.taskRetries || !isInfrastructureError(result) || limits.stopped) break;
          log(`${cell.cell} ${task.instance_id}: attempt ${attempt} ended in an infrastructure error (${result.error_class}); running it again in a fresh workspace`);
          try {
            await sleep(taskRetryDelayMs(attempt), envr.signal ? AbortSignal.any([envr.signal, limits.deadline]) : limits.deadline);
          } catch {
            break;
          }
        }
        await taskDone(task.image);
        await store.append(result);
        recorded.add(index);
        results.push(result);
        done++;
        const extra = result.error_message ? ` — ${result.error_class}: ${result.error_message.split("\n")[0]!.slice(0, 160)}` : "";
        const line = `[${done}/${jobs.length}] ${cell.cell} ${task.instance_id}: ${result.status} (${result.end_reason}, ${result.llm_calls} calls, ${result.wall_s.toFixed(1)} s)${extra}`;
        if (envr.progress) envr.progress.taskFinished(result, line);
        else log(line);
      });
    }
    await queue.onIdle();
  } finally {
    envr.progress?.end();
    limits.dispose();
    envr.signal?.removeEventListener("abort", onAbort);
    await sandboxes.removeAll();
    await puller?.close();
    await mock?.close();
  }

  const finishedAt = new Date();
  const interrupted = envr.signal?.aborted ?? false;
  const runWallS = (finishedAt.getTime() - startedAt.getTime()) / 1000;
  // Tasks never started (or cut short by an interrupt) are no failures: no result line, so --resume runs them.
  const notRun = jobs.filter((_, i) => !recorded.has(i)).map(({ cell, task }) => ({ cell: cell.cell, instance_id: task.instance_id }));
  if (notRun.length > 0) {
    const why = limits.stopped?.reason === "max_cost" ? "--max-cost reached" : limits.stopped?.reason === "deadline" ? "--deadline passed" : "interrupted";
    log(`${notRun.length} of ${jobs.length} task(s) not run (${why}); \`bench run --resume ${runDir}\` runs them`);
  }
  limiters.flushLogs();
  const pulls = puller?.stats();
  if (pulls && pulls.pulls > 0) {
    log(`images: ${pulls.pulls} pulled (${formatBytes(pulls.bytes)}, ${(pulls.pullMs / 1000).toFixed(1)} s pulling); tasks waited ${(pulls.waitedMs / 1000).toFixed(1)} s for pulls in all`);
  }
  await writeJsonAtomic(path.join(runDir, "run.json"), {
    ...runJson,
    finished_at: finishedAt.toISOString(),
    status: interrupted ? "interrupted" : "completed",
    stopped: limits.stopped ?? null,
    not_run: notRun,
    limiter: limiters.snapshot(),
    connections: connectionsSince(connectionsBefore),
    docker_hosts: input.pool?.snapshot() ?? null,
    images: pulls ? { pulled: [...pulledImages], pulls: pulls.pulls, bytes: pulls.bytes, pull_s: pulls.pullMs / 1000, waited_s: pulls.waitedMs / 1000 } : null,
  });
  const { results: all } = await store.read();
  const written = await writeReports(runDir, all, { runId, runWallS });
  await writeSwebenchFiles(runDir, runId, all, tasks.map((t) => t.instance_id));
  log(`reports: ${path.relative(envr.cwd, written.reportCsv) || written.reportCsv}, ${path.relative(envr.cwd, written.summaryCsv)}`);
  return { runId, runDir, results, summary: written.summary, interrupted };
}


/** Options as recorded in run.json: values only; any field that could hold a credential is masked. */
export function redactConfig(options: RunOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { ...options };
  if (typeof out["baseUrl"] === "string") out["baseUrl"] = redactUrl(out["baseUrl"]);
  if (typeof out["bedrockEndpoint"] === "string") out["bedrockEndpoint"] = redactUrl(out["bedrockEndpoint"]);
  return out;
}

/** Drops user:password and credential-looking query parameters from a URL. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.username || url.password) {
      url.username = "REDACTED";
      url.password = "";
    }
    for (const key of [...url.searchParams.keys()]) {
      if (/key|token|secret|sig|password|auth/i.test(key)) url.searchParams.set(key, "REDACTED");
    }
    return url.toString();
  } catch {
    return raw;
  }
}

/**
 * The run directory must be creatable: a file where --output-dir (or the run directory, or a folder above them)
 * should be would fail at mkdir after the image build, as an internal error. Refused up front (exit 2).
 */
export function checkRunDirPath(runDir: string, outputDir: string, given: string): void {
  for (let probe = runDir; ; probe = path.dirname(probe)) {
    let stats;
    try {
      stats = statSync(probe);
    } catch {
      if (path.dirname(probe) === probe) return;
      continue;
    }
    if (stats.isDirectory()) return;
    if (probe === runDir) throw new UsageError(`--run-id ${path.basename(runDir)}: ${runDir} is a file, not a run directory; pick another --run-id or --output-dir`);
    if (probe === outputDir) throw new UsageError(`--output-dir ${given}: ${outputDir} is a file, not a directory; give a folder for run directories`);
    throw new UsageError(`--output-dir ${given}: ${probe} is a file, not a directory, so ${outputDir} cannot be created`);
  }
}

/** Refuses to start with less free space than BENCH_MIN_FREE_MB (default 1024 MB) where results go. */
export function checkDiskSpace(dir: string, env: NodeJS.ProcessEnv): void {
  const minMb = Number(env["BENCH_MIN_FREE_MB"] ?? 1024);
  let probe = dir;
  while (true) {
    try {
      const stats = statfsSync(probe);
      const freeMb = (stats.bavail * stats.bsize) / 1024 / 1024;
      if (freeMb < minMb) {
        throw new InfraError(`only ${Math.floor(freeMb)} MB free under ${probe}; bench needs at least ${minMb} MB (set BENCH_MIN_FREE_MB to change)`);
      }
      return;
    } catch (err) {
      if (err instanceof InfraError) throw err;
      const parent = path.dirname(probe);
      if (parent === probe) return;
      probe = parent;
    }
  }
}

/** The provider name of `bench grade` cells: patches from a predictions file, no model. */
export const PREDICTIONS_PROVIDER: Provider = "predictions";

/** Stands in for a model client in a `bench grade` cell: no agent runs there, so it is never called. */
const NO_MODEL: ModelClient = {
  generate: () => Promise.reject(new Error("bench grade runs no model")),
} as unknown as ModelClient;

/** sha256 of a JSON value (the --specs table in the fingerprint). */
function hashJson(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex");
}

/** The Docker config's registry credentials for pulls; a config that cannot be read is warned about, not fatal. */
function loadDockerConfigQuietly(env: NodeJS.ProcessEnv, log: (line: string) => void): { dockerConfig: object } | undefined {
  try {
    const config = loadDockerConfig(dockerConfigPath(env));
    return config ? { dockerConfig: config } : undefined;
  } catch (err) {
    log(`warning: cannot read the Docker config for registry credentials: ${errorMessage(err)}`);
    return undefined;
  }
}
