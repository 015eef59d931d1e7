// Orchestrates a run: inputs (dataset, predictions, shard, cells → plan) → checks before anything is written →
// run directory (resume, lock, janitor) → jobs (src/runner/jobs.ts) → gates and the exit rule's failures.

import { mkdirSync } from "node:fs";
import path from "node:path";
import type Docker from "dockerode";
import { pickCallOptions } from "../models/call-options.js";
import type { CellSpec } from "../models/call-options.js";
import type { RunOptions } from "../config/options.js";
import { openDataset, selectTasks } from "../datasets/load.js";
import { GOLD_MODEL, goldPredictions, loadPredictions, type Predictions } from "../datasets/predictions.js";
import type { Dataset, Task } from "../datasets/types.js";
import { UsageError } from "../errors.js";
import { loadSpecsFile, type SpecsOverrides } from "../grading/specs.js";
import { withGrading } from "../grading/task-grading.js";
import { resolveBedrockRegion } from "../models/bedrock-model-id.js";
import { awsSdkNodeNotice } from "../models/bedrock.js";
import { unpricedModels } from "../models/cost.js";
import { checkCallOptions, checkCredentials } from "../models/factory.js";
import { checkEndpoints } from "../models/preflight.js";
import { evaluateGates, hasGates, runFailures, type GateReport } from "../report/gates.js";
import { loadGateSpec } from "../report/gates-load.js";
import { ResultsStore } from "../report/store.js";
import { DockerHostPool } from "../sandbox/host-pool.js";
import { parseDockerHost } from "../sandbox/hosts.js";
import { ensureImage } from "../sandbox/images.js";
import { reapContainers } from "../sandbox/janitor.js";
import { pingDocker } from "../sandbox/engine.js";
import { checkDiskSpace, checkRunDirPath, checkTaskImages } from "./checks.js";
import { runJobs } from "./jobs.js";
import type { JobsOutcome, RunEnvironment } from "./jobs-types.js";
import { defaultRunId, fingerprintOf, planCells, planRun, PREDICTIONS_PROVIDER, priceOverrideOf, type RunPlan } from "./plan.js";
import { acquireRunLock, checkResumePlan, fingerprintDiff, pendingJobs, readRunJson } from "./resume.js";
import { checkLimitOptions } from "./run-limits.js";
import { shardTasks } from "./shard.js";
import { parseShard, shardText, type Shard } from "../config/shard.js";

export interface RunOutcome extends JobsOutcome {
  /** `I/N` when this run is one shard, else null. */
  shard: string | null;
  /** null when no gate was set, or the run was interrupted (gates judge complete runs only). */
  gates: GateReport | null;
  /** `runFailures`: cells whose every attempted task ended in an infrastructure error (exit 1); empty after an interrupt. */
  failures: string[];
}

/** What a run reads before it checks anything: its tasks, cells and plan. */
interface RunInputs {
  pool: DockerHostPool | undefined;
  dockerVersion: string;
  specs: SpecsOverrides | undefined;
  dataset: Dataset;
  /** --instances / --limit applied, before the shard. */
  selected: Task[];
  predictions: Predictions | undefined;
  shard: Shard | undefined;
  tasks: Task[];
  cells: CellSpec[];
  plan: RunPlan;
}

export async function executeRun(options: RunOptions, envr: RunEnvironment): Promise<RunOutcome> {
  const { log } = envr;
  // Docker first (exit 1 with a hint), then everything that can be wrong with the input (exit 2),
  // all before any sandbox starts or anything is written.
  const inputs = await readInputs(options, envr);
  const { pool, dataset, tasks, cells, predictions, shard, plan } = inputs;
  const gateSpec = await checkBeforeRun(options, envr, inputs);
  const runDir = options.resume
    ? path.resolve(envr.cwd, options.resume)
    : path.resolve(envr.cwd, options.outputDir, options.runId ?? defaultRunId());
  const runId = path.basename(runDir);
  const fingerprint = fingerprintOf(options, dataset, cells, {
    ...(predictions ? { predictions } : {}),
    ...(inputs.specs ? { specs: inputs.specs } : {}),
  });
  const previous = checkRunDir(options, envr, runDir, fingerprint, tasks);

  checkDiskSpace(path.dirname(runDir), envr.env);
  // Images before the run directory: a missing image that cannot be built leaves nothing behind (exit 1).
  // --deadline counts from here.
  const imageCheckAt = performance.now();
  const dockers = pool ? pool.dockers() : [envr.docker];
  // --pull never: every task image must be there now; otherwise missing images are pulled as tasks need them.
  if (options.pull === "never" || pool) await checkTaskImages(dockers, tasks, dataset.file, pool ? "--docker-host" : "--pull never");
  const ensure = (docker: Docker) => ensureImage(docker, "python", { onProgress: log });
  const builtinImage =
    !previous && tasks.some((t) => t.image === undefined) ? await (pool ? pool.ensureImage(ensure) : ensure(envr.docker)) : undefined;
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
    if (shard) log(`shard ${shardText(shard)}: ${tasks.length} of ${inputs.selected.length} task(s)`);
    const outcome = await runJobs({
      options,
      envr,
      dataset,
      tasks,
      cells,
      jobs,
      ...(predictions ? { predictions } : {}),
      total: plan.jobs.length,
      runId,
      runDir,
      store,
      existing: existing.results,
      previous,
      fingerprint,
      dockerVersion: inputs.dockerVersion,
      imageCheckAt,
      ...(builtinImage !== undefined ? { builtinImage } : {}),
      ...(pool ? { pool } : {}),
    });
    const gates =
      hasGates(gateSpec) && !outcome.interrupted
        ? evaluateGates(
            outcome.summary,
            cells.map((c) => c.cell),
            gateSpec,
          )
        : null;
    // The exit rule: judged on every latest result (earlier attempts of a resumed run included), like the summary; not after an interrupt.
    const failures = outcome.interrupted ? [] : runFailures((await store.read()).results);
    return { ...outcome, shard: shard ? shardText(shard) : null, gates, failures };
  } finally {
    releaseLock();
  }
}

/** Docker (or the --docker-host pool), then the dataset, predictions, shard and cells, and the plan. */
async function readInputs(options: RunOptions, envr: RunEnvironment): Promise<RunInputs> {
  // --docker-host: every host must answer now; one that fails mid-run is taken out and its tasks re-queued.
  const pool =
    options.dockerHost.length > 0
      ? await DockerHostPool.open(options.dockerHost.map(parseDockerHost), { defaultCapacity: options.concurrency, log: envr.log })
      : undefined;
  const dockerVersion = pool
    ? Object.entries(pool.versions())
        .map(([h, v]) => `${h} ${v}`)
        .join(", ")
    : await pingDocker(envr.docker);
  const specs = options.specs !== undefined ? loadSpecsFile(path.resolve(envr.cwd, options.specs)) : undefined;
  // Each task's grading is resolved as the dataset loads (a row that cannot be graded is a usage error naming it).
  const dataset = await openDataset(options.dataset, envr.cwd, {
    ...withGrading(specs ? { specs, specsFile: options.specs } : {}),
    ...(options.imageTemplate ? { imageTemplate: options.imageTemplate } : {}),
    ...(options.split ? { split: options.split } : {}),
    env: envr.env,
    onProgress: envr.log,
  });
  const selected = selectTasks(dataset, options.instances, options.limit);
  // bench grade: one cell per model_name_or_path of the predictions (`gold`: the dataset's patches), no agent.
  const predictions =
    options.predictions === undefined
      ? undefined
      : options.predictions === GOLD_MODEL
        ? goldPredictions(dataset.tasks)
        : loadPredictions(options.predictions, new Set(dataset.tasks.map((t) => t.instance_id)), envr.cwd);
  // A shard runs its hash-partition of the selected tasks (--instances/--limit apply first, so every shard of a run agrees on the whole).
  const shard = options.shard ? parseShard(options.shard) : undefined;
  const tasks = shard ? shardTasks(selected, shard) : selected;
  // A bedrock model with no region runs in the environment's (AWS_REGION, AWS_DEFAULT_REGION, else us-east-1), named in its cell.
  // A config file's `cells` (labels, per-cell options) stand in for --model; --model replaces them (src/config/options.ts).
  const cells = planCells(options, predictions, resolveBedrockRegion(undefined, envr.env));
  return { pool, dockerVersion, specs, dataset, selected, predictions, shard, tasks, cells, plan: planRun(cells, tasks) };
}

/** Options, gates, credentials and endpoints, with their warnings; resolves with the gate spec. */
async function checkBeforeRun(
  options: RunOptions,
  envr: RunEnvironment,
  { cells, predictions }: RunInputs,
): Promise<ReturnType<typeof loadGateSpec>> {
  const { log } = envr;
  for (const warning of checkCallOptions(cells, { callOptions: pickCallOptions(options) ?? {} })) log(`warning: ${warning}`);
  checkLimitOptions(options);
  const gateSpec = loadGateSpec(
    options,
    cells.map((c) => c.cell),
    envr.cwd,
  );
  const modelCells = cells.filter((c) => c.provider !== PREDICTIONS_PROVIDER);
  // Before the first AWS SDK client (the credential probe): its 9-line Node-version warning becomes one line of ours.
  if (modelCells.some((c) => c.provider === "bedrock")) {
    const notice = awsSdkNodeNotice(process.version, process.env);
    if (notice) log(notice);
  }
  await checkCredentials(modelCells, {
    apiKeyEnv: options.apiKeyEnv,
    stream: options.stream,
    timeoutMs: options.llmTimeout * 1000,
    env: envr.env,
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
  });
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
  for (const name of unpricedModels(modelCells, priceOverrideOf(options))) {
    log(
      `warning: no price for ${name}: cost_usd will be blank (cost_source unknown); give --input-cost-per-token and --output-cost-per-token to price it`,
    );
  }
  return gateSpec;
}

/** A new run's directory must be creatable; a resumed one must hold a run of the same configuration. Its run.json. */
function checkRunDir(
  options: RunOptions,
  envr: RunEnvironment,
  runDir: string,
  fingerprint: Record<string, unknown>,
  tasks: readonly Task[],
): Record<string, unknown> | null {
  if (!options.resume) checkRunDirPath(runDir, path.resolve(envr.cwd, options.outputDir), options.outputDir);
  const previous = readRunJson(runDir);
  if (options.resume && !previous) throw new UsageError(`--resume ${options.resume}: not a run directory (no run.json in ${runDir})`);
  if (previous) {
    const differences = fingerprintDiff((previous["fingerprint"] ?? {}) as Record<string, unknown>, fingerprint);
    if (differences.length > 0) {
      throw new UsageError(
        `cannot resume ${runDir}: the run's configuration differs:\n  ${differences.join("\n  ")}\nUse a new --run-id for a different configuration.`,
      );
    }
    checkResumePlan(
      previous,
      options,
      tasks.map((t) => t.instance_id),
      runDir,
    );
  }
  return previous;
}
