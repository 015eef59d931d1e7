// CLI wiring only: parse flags, call one function, map errors to exit codes. Heavy modules load lazily.

import yargs, { type Argv } from "yargs";
import { hideBin } from "yargs/helpers";
import { BenchError, UsageError } from "../errors.js";
import { DEFAULT_POLICY, POLICY_NAMES } from "../mock/policy-names.js";
import type { GateReport } from "../report/gates.js";

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function docker() {
  const { default: Docker } = await import("dockerode");
  return new Docker();
}

function runFlags(y: Argv) {
  return y
    .option("dataset", { type: "string", describe: "Dataset name (datasets/<name>) or path to a folder or .jsonl" })
    .option("model", { type: "string", array: true, describe: "Model spec <provider>/<model-id>[@region], repeatable (default mock/oracle)" })
    .option("region", { type: "string", array: true, describe: "AWS region for bedrock models, repeatable (one cell per region)" })
    .option("run-id", { type: "string", describe: "Run id (default: a timestamp); the run lives in <output-dir>/<run-id>" })
    .option("output-dir", { type: "string", describe: "Folder of run directories (default results)" })
    .option("instances", { type: "string", describe: "Comma-separated instance ids to run" })
    .option("limit", { type: "number", describe: "Only the first N tasks in dataset order" })
    .option("concurrency", { type: "number", describe: "Tasks at once (default 4)" })
    .option("max-iterations", { type: "number", describe: "Model calls per task (default 100)" })
    .option("max-fake-responses", { type: "number", describe: "Fake user replies per task (default 10)" })
    .option("base-url", { type: "string", describe: "OpenAI-compatible endpoint for openai/* models" })
    .option("bedrock-endpoint", { type: "string", describe: "Bedrock Runtime endpoint URL for bedrock/* models (default: the regional endpoint)" })
    .option("api-key-env", { type: "string", describe: "Environment variable with the API key for openai/* (default OPENAI_API_KEY)" })
    .option("stream", { type: "boolean", describe: "Stream model responses (default true; --no-stream to disable)" })
    .option("command-timeout", { type: "number", describe: "Seconds per agent bash command (default 120)" })
    .option("grading-timeout", { type: "number", describe: "Seconds for the grading test run (default 1800, as SWE-bench)" })
    .option("llm-timeout", { type: "number", describe: "Deadline of one model call in seconds, stream included (default 300)" })
    .option("llm-retries", { type: "number", describe: "Retries of one model call on rate limits and transient errors (default 8)" })
    .option("mock-latency-ms", { type: "number", describe: "Latency the built-in mock adds per answer (default 0)" })
    .option("llm-retry-timeout", { type: "number", describe: "Time budget of one model call, retries and waits included, seconds (default 600); then the task ends as an error" })
    .option("llm-backoff-base-ms", { type: "number", describe: "First backoff ceiling of the retry layer, ms (default 1000; full jitter)" })
    .option("llm-backoff-cap-ms", { type: "number", describe: "Largest backoff ceiling, ms (default 60000)" })
    .option("rpm", { type: "number", describe: "Static cap: model calls per minute per endpoint (provider + account + region + model)" })
    .option("tpm", { type: "number", describe: "Static cap: tokens per minute per endpoint" })
    .option("max-budget-per-task", { type: "number", describe: "USD per task: budget_exceeded once its cost reaches it (graded)" })
    .option("task-timeout", { type: "number", describe: "Wall clock of a task's agent phase, seconds: task_timeout (graded)" })
    .option("max-tokens-per-task", { type: "number", describe: "Tokens per task (input + cache + output): budget_exceeded (graded)" })
    .option("max-cost", { type: "number", describe: "USD for the run: no new task starts once the cost reaches it (the rest are reported as not run)" })
    .option("deadline", { type: "number", describe: "Wall clock of the run, seconds: no new task after it, running agents stop (task_timeout)" })
    .option("task-retries", { type: "number", describe: "Re-runs of a task that ended in an infrastructure error, fresh workspace each (default 0)" })
    .option("grading-concurrency", { type: "number", describe: "Grading containers at once (default --concurrency)" })
    .option("grading-workspace", { type: "string", describe: "Grade in the agent's workspace after a reset (reuse, default) or in a new container (fresh)" })
    .option("mock-rpm", { type: "number", describe: "Built-in mock: model calls per minute before it answers 429" })
    .option("mock-tpm", { type: "number", describe: "Built-in mock: tokens per minute before it answers 429" })
    .option("mock-retry-hints", { type: "boolean", describe: "Built-in mock: retry hints on its quota 429s (default true; --no-mock-retry-hints)" })
    .option("mock-fault-rate", { type: "number", describe: "Built-in mock: share of calls answered 500/503 (0 to 1)" })
    .option("mock-reset-rate", { type: "number", describe: "Built-in mock: share of calls whose connection is reset" })
    .option("mock-cut-rate", { type: "number", describe: "Built-in mock: share of streamed calls cut mid-way" })
    .option("mock-hang-rate", { type: "number", describe: "Built-in mock: share of calls that never answer (ended by --llm-timeout)" })
    .option("mock-latency", { type: "string", describe: "Built-in mock: latency distribution fixed:MS, uniform:MIN:MAX or lognormal:MEDIAN_MS:SIGMA" })
    .option("reasoning-effort", { type: "string", describe: "Reasoning effort for reasoning models: none, minimal, low, medium, high, xhigh" })
    .option("temperature", { type: "number", describe: "Sampling temperature, 0 to 2 (default the server's)" })
    .option("top-p", { type: "number", describe: "Nucleus sampling, above 0 up to 1 (default the server's)" })
    .option("seed", { type: "number", describe: "Sampling seed (Chat Completions; default none)" })
    .option("max-output-tokens", { type: "number", describe: "Output-token cap per model call (default the server's)" })
    .option("stop-sequence", { type: "string", array: true, describe: "Stop sequence, repeatable (bedrock models; default none)" })
    .option("additional-model-request-fields", { type: "string", describe: "Bedrock additionalModelRequestFields as a JSON object, e.g. '{\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":2048}}'" })
    .option("prompt-caching", { type: "boolean", describe: "Bedrock prompt caching: cache points after the system prompt and the tools (default off)" })
    .option("guardrail-id", { type: "string", describe: "Bedrock guardrail id (with --guardrail-version)" })
    .option("guardrail-version", { type: "string", describe: "Bedrock guardrail version (e.g. 1 or DRAFT)" })
    .option("guardrail-trace", { type: "string", describe: "Bedrock guardrail trace: enabled, disabled or enabled_full (default enabled)" })
    .option("vision", { type: "boolean", describe: "Send images to the model (default true; --no-vision: a text note instead)" })
    .option("input-cost-per-token", { type: "number", describe: "USD per input token, replacing the price table's (new or private models)" })
    .option("output-cost-per-token", { type: "number", describe: "USD per output token (reasoning included), replacing the price table's" })
    .option("cache-read-cost-per-token", { type: "number", describe: "USD per cache-read token (default: the table's, else the input price)" })
    .option("cache-write-cost-per-token", { type: "number", describe: "USD per cache-write token (default: the table's, else the input price)" })
    .option("config", { type: "string", describe: "Config file (default bench.config.yaml|yml|json if present)" })
    .option("resume", { type: "string", describe: "Continue the run in this run directory: skip finished tasks, run the rest" })
    .option("rerun-errors", { type: "boolean", describe: "With --resume (or a reused --run-id), also re-run tasks that ended in an infrastructure error" })
    .option("json", { type: "boolean", describe: "Print one JSON summary on stdout and nothing else there" })
    .option("shard", { type: "string", describe: "Run only shard I of N (e.g. 2/4): tasks split by a hash of their instance id; join with bench merge" })
    .option("quiet", { type: "boolean", describe: "No progress output (no live status line, no per-task lines)" })
    .option("split", { type: "string", describe: "Split of a named SWE-bench dataset (swe-bench-lite, swe-bench-verified, swe-bench): test (default) or dev" })
    .option("specs", { type: "string", describe: "JSON/YAML file of SWE-bench specs {repo: {version: {test_cmd, eval_commands, log_parser}}} over the built-in ones" })
    .option("image-template", { type: "string", describe: "Image of a row without `image` (default swebench/sweb.eval.x86_64.{id}:latest; {id}: instance id, __ → _1776_, lower case)" })
    .option("pull", { type: "string", describe: "Pull task images: missing (default), always (once per run), never" })
    .option("pull-ahead", { type: "number", describe: "Queued tasks whose images are pulled while others run (default --concurrency; 0: pull when a task starts)" })
    .option("remove-images", { type: "boolean", describe: "Remove each image bench pulled once no pending task needs it (a Lite run is hundreds of GB otherwise)" })
    .option("docker-host", {
      type: "string",
      describe: "Docker engine to spread workspaces over, repeatable: unix:///path, tcp://host:port, ssh://user@host, options ?capacity=N (tcp: &tls=1&ca=&cert=&key=; ssh: &identity=)",
    });
}

/** --fail-under, --baseline, --max-regression, --max-infra-errors: on bench run and bench merge. */
function gateFlags(y: Argv) {
  return y
    .option("fail-under", { type: "string", describe: "Exit 3 when a cell's resolve rate is below RATE (0.8 or 80%); CELL=RATE for one cell; repeatable" })
    .option("baseline", { type: "string", describe: "summary.json (or --json output, or run directory) to compare resolve rates with" })
    .option("max-regression", { type: "number", describe: "Percentage points a cell may drop below --baseline before exit 3 (default 0)" })
    .option("max-infra-errors", { type: "string", describe: "Exit 1 when more tasks than this end in error: a count (3) or a fraction (0.05 or 5%)" });
}

/** Gate flags as RunOptions fields; --fail-under may be given several times. */
function gateArgs(argv: Record<string, unknown>, given: GivenText) {
  const failUnder = argv["fail-under"];
  const maxRegression = argv["max-regression"];
  if (Array.isArray(maxRegression)) throw new UsageError(`--max-regression: given more than once (${maxRegression.join(", ")})`);
  if (maxRegression !== undefined && (typeof maxRegression !== "number" || Number.isNaN(maxRegression))) {
    throw new UsageError(`--max-regression: expected a number of percentage points, got ${given("max-regression", argv["max-regression"])}`);
  }
  return {
    failUnder: failUnder === undefined ? undefined : (Array.isArray(failUnder) ? failUnder : [failUnder]).map(String),
    baseline: argv["baseline"],
    maxRegression,
    maxInfraErrors: argv["max-infra-errors"],
  };
}

/** Logs every failed gate on its own line; exit 1 when the infrastructure-error gate failed, else 3. */
async function gateExit(gates: GateReport | null, say: (line: string) => void): Promise<number> {
  if (!gates) return 0;
  const failed = gates.results.filter((r) => !r.passed);
  if (failed.length === 0) {
    say(`gates: all ${gates.results.length} passed`);
    return 0;
  }
  for (const r of failed) say(`gate failed: ${r.message}`);
  const { GateError, InfraError } = await import("../errors.js");
  if (gates.exitCode === 1) throw new InfraError("too many tasks ended in error (--max-infra-errors): the results cannot be trusted");
  throw new GateError(`${failed.length} gate(s) failed`);
}

/** What a flag was given, for its error message: the typed text (rawFlagValue), else the parsed value. */
type GivenText = (name: string, parsed: unknown) => string;
async function givenTextOf(raw: readonly string[]): Promise<GivenText> {
  const { rawFlagValue } = await import("../config/options.js");
  return (name, parsed) => {
    const typed = rawFlagValue(raw, name);
    return typed === "" ? "no value" : JSON.stringify(typed ?? parsed);
  };
}

/**
 * The exit rule of a finished run: gate lines first, then one `run failed:` line per cell that measured nothing
 * (runFailures); such a cell is exit 1 whatever the gates said, since its numbers cannot be trusted.
 */
async function failureExit(failures: readonly string[], gates: GateReport | null, say: (line: string) => void): Promise<number> {
  if (failures.length === 0) return gateExit(gates, say);
  try {
    await gateExit(gates, say);
  } catch {
    // A failed gate already printed its lines; the run failure below decides the exit code (1 over 3).
  }
  for (const f of failures) say(`run failed: ${f}`);
  const { InfraError } = await import("../errors.js");
  throw new InfraError(`${failures.length} cell(s) have no graded task: every attempted task ended in an infrastructure error; fix the cause above and rerun (--resume DIR --rerun-errors)`);
}

/** A flag whose value is a JSON object; invalid JSON or a non-object is a UsageError naming the flag (exit 2). */
function jsonObjectFlag(argv: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const raw = argv[name];
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) throw new UsageError(`--${name}: given more than once`);
  let value: unknown;
  try {
    value = JSON.parse(String(raw));
  } catch (err) {
    throw new UsageError(`--${name}: not valid JSON (${(err as Error).message}); expected an object, e.g. '{"thinking":{"type":"enabled","budget_tokens":2048}}'`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new UsageError(`--${name}: expected a JSON object, got ${JSON.stringify(raw)}`);
  return value as Record<string, unknown>;
}

/** Flags of `bench run` that mean nothing to `bench grade` (no model runs there). */
const MODEL_FLAGS = ["model", "region", "base-url", "bedrock-endpoint", "max-iterations", "max-fake-responses", "reasoning-effort", "temperature", "top-p", "seed", "max-output-tokens"];

async function runCommand(argv: Record<string, unknown>, raw: readonly string[], command: "run" | "grade" = "run"): Promise<number> {
  if (command === "grade") {
    if (argv["predictions"] === undefined && argv["resume"] === undefined) throw new UsageError("--predictions: required (a predictions .jsonl/.json file, or gold)");
    const given = MODEL_FLAGS.filter((f) => argv[f] !== undefined);
    if (given.length > 0) throw new UsageError(`bench grade runs no model: --${given.join(", --")} not accepted (use bench run)`);
  }
  const { readConfigFile, envOptions, resolveRunOptions } = await import("../config/options.js");
  const given = await givenTextOf(raw);
  const num = (k: string) => {
    const v = argv[k];
    if (v === undefined) return undefined;
    if (Array.isArray(v)) throw new UsageError(`--${k}: given more than once (${v.join(", ")})`);
    if (typeof v !== "number" || Number.isNaN(v)) throw new UsageError(`--${k}: expected a number, got ${given(k, v)}`);
    return v;
  };
  // An empty list (`--instances ""`, `--instances ,`) would select nothing and so, downstream, everything: refuse it.
  const instances = typeof argv["instances"] === "string" ? argv["instances"].split(",").map((s) => s.trim()).filter(Boolean) : undefined;
  if (instances !== undefined && instances.length === 0) {
    throw new UsageError(`--instances: expected comma-separated instance ids, got ${JSON.stringify(argv["instances"])} (leave the flag out to run every task)`);
  }
  const flags = {
    dataset: argv["dataset"],
    model: argv["model"],
    region: argv["region"],
    runId: argv["run-id"],
    outputDir: argv["output-dir"],
    instances,
    limit: num("limit"),
    concurrency: num("concurrency"),
    maxIterations: num("max-iterations"),
    maxFakeResponses: num("max-fake-responses"),
    baseUrl: argv["base-url"],
    bedrockEndpoint: argv["bedrock-endpoint"],
    apiKeyEnv: argv["api-key-env"],
    stream: argv["stream"],
    commandTimeout: num("command-timeout"),
    gradingTimeout: num("grading-timeout"),
    llmTimeout: num("llm-timeout"),
    llmRetries: num("llm-retries"),
    mockLatencyMs: num("mock-latency-ms"),
    llmRetryTimeout: num("llm-retry-timeout"),
    llmBackoffBaseMs: num("llm-backoff-base-ms"),
    llmBackoffCapMs: num("llm-backoff-cap-ms"),
    rpm: num("rpm"),
    tpm: num("tpm"),
    maxBudgetPerTask: num("max-budget-per-task"),
    taskTimeout: num("task-timeout"),
    maxTokensPerTask: num("max-tokens-per-task"),
    maxCost: num("max-cost"),
    deadline: num("deadline"),
    taskRetries: num("task-retries"),
    gradingConcurrency: num("grading-concurrency"),
    gradingWorkspace: argv["grading-workspace"],
    mockRpm: num("mock-rpm"),
    mockTpm: num("mock-tpm"),
    mockRetryHints: argv["mock-retry-hints"],
    mockFaultRate: num("mock-fault-rate"),
    mockResetRate: num("mock-reset-rate"),
    mockCutRate: num("mock-cut-rate"),
    mockHangRate: num("mock-hang-rate"),
    mockLatency: argv["mock-latency"],
    reasoningEffort: argv["reasoning-effort"],
    temperature: num("temperature"),
    topP: num("top-p"),
    seed: num("seed"),
    maxOutputTokens: num("max-output-tokens"),
    stopSequence: argv["stop-sequence"] === undefined ? undefined : [argv["stop-sequence"]].flat().map(String),
    additionalModelRequestFields: jsonObjectFlag(argv, "additional-model-request-fields"),
    promptCaching: argv["prompt-caching"],
    guardrailId: argv["guardrail-id"],
    guardrailVersion: argv["guardrail-version"] === undefined ? undefined : String(argv["guardrail-version"]),
    guardrailTrace: argv["guardrail-trace"],
    vision: argv["vision"],
    inputCostPerToken: num("input-cost-per-token"),
    outputCostPerToken: num("output-cost-per-token"),
    cacheReadCostPerToken: num("cache-read-cost-per-token"),
    cacheWriteCostPerToken: num("cache-write-cost-per-token"),
    resume: argv["resume"],
    rerunErrors: argv["rerun-errors"],
    json: argv["json"],
    shard: argv["shard"],
    quiet: argv["quiet"],
    split: argv["split"],
    specs: argv["specs"],
    imageTemplate: argv["image-template"],
    pull: argv["pull"],
    removeImages: argv["remove-images"],
    pullAhead: num("pull-ahead"),
    predictions: argv["predictions"],
    dockerHost: argv["docker-host"] === undefined ? undefined : [argv["docker-host"]].flat().map(String),
    ...gateArgs(argv, given),
  };
  let config = readConfigFile(argv["config"] as string | undefined);
  if (typeof argv["resume"] === "string") {
    // The run's own recorded options are the config layer; flags still override (and must agree on what matters).
    const { readRunJson } = await import("../runner/resume.js");
    const { existsSync } = await import("node:fs");
    const path = await import("node:path");
    const dir = path.resolve(argv["resume"]);
    if (!existsSync(dir)) throw new UsageError(`--resume ${argv["resume"]}: no such directory`);
    const recorded = readRunJson(dir);
    if (!recorded) throw new UsageError(`--resume ${argv["resume"]}: not a run directory (no run.json)`);
    // The run id is the directory's: a different --run-id would be silently ignored, so it is refused.
    const recordedId = typeof recorded["run_id"] === "string" ? recorded["run_id"] : path.basename(dir);
    if (argv["run-id"] !== undefined && String(argv["run-id"]) !== recordedId) {
      throw new UsageError(`--run-id ${String(argv["run-id"])}: --resume ${argv["resume"]} continues run ${recordedId}; drop --run-id (or give ${recordedId})`);
    }
    const { json: _j, resume: _r, rerunErrors: _e, runId: _id, outputDir: _o, quiet: _q, dockerHost: _h, ...rest } = (recorded["config"] ?? {}) as Record<string, unknown>;
    config = { ...config, ...rest };
  }
  if (flags.dataset === undefined && config["dataset"] === undefined) throw new UsageError("--dataset: required (e.g. --dataset swe-lite)");
  const env = envOptions(process.env);
  const options = resolveRunOptions(flags, config, env);
  // Said only when no layer named a model: `--model mock/oracle` given on purpose is not "no --model".
  const defaultModel = command === "run" && argv["resume"] === undefined && flags.model === undefined && config["model"] === undefined && config["cells"] === undefined && env["model"] === undefined;
  const { executeRun } = await import("../runner/run.js");

  const controller = new AbortController();
  let removeAll: (() => Promise<void>) | undefined;
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      log(`\n${sig}: stopping — no new tasks; removing workspaces; finished results are kept (press Ctrl-C again to exit now)`);
      controller.abort(new Error(`interrupted by ${sig}`));
      void removeAll?.();
      return;
    }
    log(`${sig} again: removing workspaces and exiting now`);
    void (removeAll?.() ?? Promise.resolve()).finally(() => process.exit(sig === "SIGINT" ? 130 : 143));
  };
  let caught: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals) => {
    caught ??= sig;
    onSignal(sig);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  const { ProgressReporter, progressMode } = await import("../runner/progress.js");
  const progress = new ProgressReporter({
    mode: progressMode({ quiet: options.quiet, isTTY: process.stderr.isTTY === true, env: process.env }),
    write: (text) => process.stderr.write(text),
    columns: () => process.stderr.columns,
  });
  try {
    const outcome = await executeRun(options, {
      docker: await docker(),
      log: progress.log,
      progress,
      env: process.env,
      cwd: process.cwd(),
      defaultModel,
      signal: controller.signal,
      onSandboxes: (tracker) => {
        removeAll = () => tracker.removeAll();
      },
    });
    if (options.json) {
      const { jsonSummary } = await import("../report/json-summary.js");
      const status = outcome.interrupted ? "interrupted" : "completed";
      process.stdout.write(`${JSON.stringify(jsonSummary({ runId: outcome.runId, runDir: outcome.runDir, status, shard: outcome.shard, summary: outcome.summary, gates: outcome.gates }))}\n`);
    }
    if (outcome.interrupted) return caught === "SIGTERM" ? 143 : 130;
    return await failureExit(outcome.failures, outcome.gates, log);
  } finally {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  }
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const parser = yargs(argv)
    .scriptName("bench")
    .usage("$0 <command> [options]\n\nA headless harness that measures LLM coding agents in Docker sandboxes.")
    .command(
      "run",
      "Run a dataset against one or more models (cells = model × region)",
      (y) => gateFlags(runFlags(y)),
      async (args) => {
        code = await runCommand(args as Record<string, unknown>, argv);
      },
    )
    .command(
      "grade",
      "Grade SWE-bench predictions (any system's patches, or `gold`) exactly as SWE-bench grades them; one cell per model_name_or_path",
      (y) =>
        gateFlags(runFlags(y)).option("predictions", {
          type: "string",
          describe: "Predictions file (.jsonl, .json list or dict: instance_id, model_name_or_path, model_patch) or gold (the dataset's own patches)",
        }),
      async (args) => {
        code = await runCommand(args as Record<string, unknown>, argv, "grade");
      },
    )
    .command(
      "report <run-dir>",
      "Rebuild report.csv, summary.csv and summary.json from results.jsonl (--html: also report.html)",
      (y) =>
        y
          .positional("run-dir", { type: "string", demandOption: true })
          .option("html", { type: "boolean", default: false, describe: "Also write report.html: one self-contained page with tables and charts" }),
      async (args) => {
        const { rebuildReports, formatSummaryTable, writeHtmlReport } = await import("../report/write.js");
        const dir = String(args["run-dir"]);
        const rebuilt = await rebuildReports(dir);
        for (const s of rebuilt.skipped) log(`warning: results.jsonl line ${s.line} skipped (${s.reason})`);
        log(formatSummaryTable(rebuilt.summary));
        if (args.html) log(`report: ${await writeHtmlReport(dir, rebuilt.runId, rebuilt.results, rebuilt.summary)}`);
      },
    )
    .command(
      "compare <inputs..>",
      "Compare cells of runs side by side on their shared tasks, with paired statistics → compare.csv",
      (y) =>
        y
          .positional("inputs", { type: "string", array: true, demandOption: true, describe: "Run directories, results.jsonl or summary.json files" })
          .option("out", { type: "string", default: "compare.csv", describe: "Where to write the CSV" }),
      async (args) => {
        const { loadCompareInput, writeCompareCsv } = await import("../report/compare-load.js");
        const { compareRuns, compareCsv, formatCompareTable } = await import("../report/compare.js");
        const inputs = [];
        for (const path of (args.inputs as string[]).map(String)) {
          const loaded = await loadCompareInput(path);
          for (const s of loaded.skipped) log(`warning: ${path}: results.jsonl line ${s.line} skipped (${s.reason})`);
          inputs.push(loaded.input);
        }
        const comparison = compareRuns(inputs);
        await writeCompareCsv(args.out, compareCsv(comparison));
        log(formatCompareTable(comparison));
        log(`compare: ${args.out}`);
      },
    )
    .command(
      "merge <dirs..>",
      "Join the shard run directories of one run (--shard I/N) into one run directory and rebuild its reports",
      (y) =>
        gateFlags(
          y
            .positional("dirs", { type: "string", array: true, demandOption: true, describe: "Shard run directories" })
            .option("out", { type: "string", demandOption: true, describe: "The merged run directory (new or empty; its name is the run id)" })
            .option("html", { type: "boolean", default: false, describe: "Also write report.html" })
            .option("json", { type: "boolean", describe: "Print one JSON summary on stdout and nothing else there" }),
        ),
      async (args) => {
        const { mergeRuns } = await import("../runner/merge.js");
        const { formatSummaryTable, writeHtmlReport } = await import("../report/write.js");
        const { loadGateSpec } = await import("../report/gates-load.js");
        const { evaluateGates, hasGates } = await import("../report/gates.js");
        const gateOptions = gateArgs(args as Record<string, unknown>, await givenTextOf(argv));
        if (gateOptions.maxInfraErrors !== undefined && typeof gateOptions.maxInfraErrors !== "string") {
          throw new UsageError(`--max-infra-errors: expected a count or a fraction, got ${JSON.stringify(gateOptions.maxInfraErrors)}`);
        }
        let spec: ReturnType<typeof loadGateSpec> | undefined;
        const merged = await mergeRuns((args.dirs as string[]).map(String), String(args.out), {
          cwd: process.cwd(),
          log,
          beforeWrite: (cells) => {
            spec = loadGateSpec(gateOptions as Parameters<typeof loadGateSpec>[0], cells);
          },
        });
        if (!spec) throw new Error("merge: gates were not checked");
        const gates = hasGates(spec) ? evaluateGates(merged.summary, merged.cells, spec) : null;
        log(formatSummaryTable(merged.summary));
        if (args.html) log(`report: ${await writeHtmlReport(merged.runDir, merged.runId, merged.results, merged.summary)}`);
        log(`merged ${(args.dirs as string[]).length} shard(s) → ${merged.runDir} (${merged.status})`);
        if (args.json) {
          const { jsonSummary } = await import("../report/json-summary.js");
          process.stdout.write(`${JSON.stringify(jsonSummary({ runId: merged.runId, runDir: merged.runDir, status: merged.status, shard: null, summary: merged.summary, gates }))}\n`);
        }
        const { runFailures } = await import("../report/gates.js");
        code = await failureExit(runFailures(merged.results), gates, log);
      },
    )
    .command(
      "clean",
      "Remove sandbox containers left behind: by default those whose owner run is dead (on this host)",
      (y) =>
        y
          .option("run-id", { type: "string", describe: "Remove every container of this run" })
          .option("all", { type: "boolean", describe: "Remove every bench container, live runs included" })
          .conflicts("run-id", "all"),
      async (args) => {
        const { reapContainers } = await import("../sandbox/janitor.js");
        const { pingDocker } = await import("../runner/run.js");
        const d = await docker();
        await pingDocker(d);
        const removed = await reapContainers(d, {
          ...(args["run-id"] ? { runId: String(args["run-id"]) } : {}),
          ...(args.all ? { all: true } : {}),
        });
        for (const r of removed) {
          process.stdout.write(`${r.id.slice(0, 12)}\trun ${r.labels["bench.run-id"] ?? "?"}\ttask ${r.labels["bench.task-id"] ?? "?"}\towner pid ${r.labels["bench.owner-pid"] ?? "?"}\n`);
        }
        log(`removed ${removed.length} container(s)`);
      },
    )
    .command("images <action>", "Build or list sandbox images", (y) =>
      y.positional("action", { choices: ["build", "list"] as const, demandOption: true }),
      async (args) => {
        const images = await import("../sandbox/images.js");
        const { pingDocker } = await import("../runner/run.js");
        const d = await docker();
        await pingDocker(d);
        if (args.action === "build") {
          const tag = await images.ensureImage(d, "python", { onProgress: log });
          log(`sandbox image ready: ${tag}`);
        } else {
          for (const img of await images.listImages(d)) process.stdout.write(`${JSON.stringify(img)}\n`);
        }
      },
    )
    .command(
      "datasets <action> [path]",
      "List the built-in datasets, or validate one (gold patch resolves every task, empty patch none)",
      (y) =>
        y
          .positional("action", { choices: ["list", "validate"] as const, demandOption: true })
          .positional("path", { type: "string", describe: "Dataset name or path (validate)" })
          .option("concurrency", { type: "number", default: 4 }),
      async (args) => {
        const { listDatasets, validateDataset } = await import("../datasets/validate.js");
        if (args.action === "list") {
          for (const d of listDatasets()) process.stdout.write(`${d.name}\t${d.tasks} tasks\t${d.dir}\n`);
          return;
        }
        if (!args.path) throw new UsageError("bench datasets validate <path>: a dataset name or path is required");
        const { pingDocker } = await import("../runner/run.js");
        const d = await docker();
        await pingDocker(d);
        const report = await validateDataset(String(args.path), d, { concurrency: args.concurrency, log });
        if (report.problems.length > 0) {
          throw new UsageError(`dataset ${report.file}: ${report.problems.length} problem(s):\n  ${report.problems.join("\n  ")}`);
        }
        log(`dataset ${report.file}: all ${report.tasks} task(s) valid (gold patch resolves, empty patch does not)`);
      },
    )
    .command(
      "models",
      "List the models a provider offers (bedrock: a region's foundation models and inference profiles, cached for an hour)",
      (y) =>
        y
          .option("provider", { type: "string", default: "bedrock", choices: ["bedrock"] as const })
          .option("region", { type: "string", array: true, describe: "AWS region, repeatable (default AWS_REGION, AWS_DEFAULT_REGION, else us-east-1)" })
          .option("bedrock-endpoint", { type: "string", describe: "Bedrock control-plane endpoint URL (default: the regional endpoint)" })
          .option("refresh", { type: "boolean", default: false, describe: "Ask the service even when the one-hour cache is fresh" })
          .option("json", { type: "boolean", default: false, describe: "One JSON object per model on stdout" }),
      async (args) => {
        const { bedrockModelsCommand } = await import("../models/bedrock-models.js");
        const { awsSdkNodeNotice } = await import("../models/bedrock.js");
        const notice = awsSdkNodeNotice(process.version, process.env);
        if (notice) log(notice);
        await bedrockModelsCommand({
          regions: (args.region ?? []).map(String),
          ...(args["bedrock-endpoint"] ? { endpoint: String(args["bedrock-endpoint"]) } : {}),
          refresh: args.refresh,
          json: args.json,
          env: process.env,
          log,
          write: (text) => void process.stdout.write(text),
        });
      },
    )
    .command(
      "mock-server",
      "Serve the mock LLM (OpenAI Chat Completions and Responses wire protocols) for local tests",
      (y) =>
        y
          .option("port", { type: "number", default: 8080 })
          .option("host", { type: "string", default: "127.0.0.1" })
          .option("policy", { type: "string", default: DEFAULT_POLICY, choices: POLICY_NAMES })
          .option("dataset", { type: "string", default: "swe-lite", describe: "Tasks the policies solve" })
          .option("latency-ms", { type: "number", default: 0 })
          .option("latency", { type: "string", describe: "Latency distribution added per call: fixed:MS, uniform:MIN:MAX or lognormal:MEDIAN_MS:SIGMA" })
          .option("rpm", { type: "number", describe: "Quota: model calls per minute; over it a call gets 429 (ThrottlingException on Bedrock)" })
          .option("tpm", { type: "number", describe: "Quota: tokens per minute" })
          .option("quota-window-ms", { type: "number", describe: "Burst window of the quota: the buckets hold this many ms of it (default 1000)" })
          .option("retry-hints", { type: "boolean", default: true, describe: "Send retry-after / retry-after-ms / x-ratelimit-reset-* with quota 429s (--no-retry-hints: none)" })
          .option("fault-rate", { type: "number", describe: "Share of calls answered 500/503 (0 to 1)" })
          .option("reset-rate", { type: "number", describe: "Share of calls whose connection is reset" })
          .option("cut-rate", { type: "number", describe: "Share of streamed calls cut mid-way" })
          .option("hang-rate", { type: "number", describe: "Share of calls that never answer" })
          .option("seed", { type: "number", describe: "Seed of the fault and latency draws (default 1)" }),
      async (args) => {
        const { loadDataset } = await import("../datasets/load.js");
        const { startMockServer } = await import("../mock/server.js");
        const { mockFaultSettings } = await import("../mock/flags.js");
        const dataset = loadDataset(args.dataset);
        const server = await startMockServer({
          tasks: dataset.tasks,
          port: args.port,
          host: args.host,
          defaultPolicy: args.policy,
          latencyMs: args["latency-ms"],
          ...mockFaultSettings(
            {
              rpm: args.rpm,
              tpm: args.tpm,
              quotaWindowMs: args["quota-window-ms"],
              retryHints: args["retry-hints"],
              faultRate: args["fault-rate"],
              resetRate: args["reset-rate"],
              cutRate: args["cut-rate"],
              hangRate: args["hang-rate"],
              latency: args.latency,
              seed: args.seed,
            },
            "--",
          ),
        }).catch((err: NodeJS.ErrnoException) => {
          // Taken or forbidden addresses are the user's to change (exit 2), not an internal error.
          const why = { EADDRINUSE: "is already in use (another server listens there)", EACCES: "needs privileges this user lacks", EADDRNOTAVAIL: "is not an address of this machine" }[err.code ?? ""];
          if (why) throw new UsageError(`--port ${args.port}: ${args.host}:${args.port} ${why}; pick another --port (0: any free port)${err.code === "EADDRNOTAVAIL" ? " or --host" : ""}`, { cause: err });
          throw err;
        });
        log(`mock server listening on ${server.url} (OpenAI base URL ${server.url}/v1, --bedrock-endpoint ${server.url}, default policy ${args.policy})`);
        await new Promise<void>((resolve) => {
          const stop = () => void server.close().then(resolve);
          process.once("SIGINT", stop);
          process.once("SIGTERM", stop);
        });
      },
    )
    .demandCommand(1, "Name a command (e.g. bench run --dataset swe-lite); see bench --help")
    .strict()
    .help()
    .version(false)
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(msg);
    });
  try {
    await parser.parseAsync();
  } catch (err) {
    if (err instanceof BenchError) {
      log(`bench: ${err.message}`);
      return err.exitCode;
    }
    log(`bench: internal error: ${err instanceof Error ? (process.env["BENCH_DEBUG"] ? err.stack : err.message) : String(err)}`);
    return 1;
  }
  return code;
}

// Exit explicitly: idle keep-alive sockets (Docker API, HTTP agents) must not hold the process open.
main(hideBin(process.argv)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`bench: internal error: ${String(err)}`);
    process.exit(1);
  },
);
