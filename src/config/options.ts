// `bench run` options: one schema, defaults in one place, precedence flags > config file > environment > defaults.

import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { UsageError } from "../errors.js";
import { GUARDRAIL_TRACES, REASONING_EFFORTS } from "../models/call-options.js";
import { parseFailUnder, parseMaxInfraErrors } from "../report/gates.js";
import { parseShard } from "./shard.js";
import { parseDockerHost } from "../sandbox/hosts.js";

const positiveInt = (name: string) =>
  z.number({ error: `${name}: expected a number` }).int(`${name}: expected an integer`).positive(`${name}: expected a positive integer`);
const nonNegativeInt = (name: string) => z.number().int(`${name}: expected an integer`).min(0, `${name}: expected 0 or more`);
const usd = (name: string) => z.number({ error: `${name}: expected a number (USD)` }).positive(`${name}: expected an amount above 0 (USD)`);
const share = (name: string) => z.number({ error: `${name}: expected a number` }).min(0, `${name}: expected 0 to 1`).max(1, `${name}: expected 0 to 1`);
/** A refine check from a parser that throws on bad input. */
const parses =
  <T>(parse: (raw: T) => unknown) =>
  (raw: T): boolean => {
    try {
      parse(raw);
      return true;
    } catch {
      return false;
    }
  };
const costPerToken = (name: string) =>
  z.number({ error: `${name}: expected a number (USD per token, e.g. 3e-6)` }).min(0, `${name}: expected 0 or more`);

const oneOrMany = <T extends z.ZodType>(item: T) => z.preprocess((v) => (v === undefined || Array.isArray(v) ? v : [v]), z.array(item));

/**
 * Options of the model calls (generation and Bedrock request settings): run-level flags, and the per-cell options a
 * config file's `cells` entries may override. Unset means the server's / the model's default.
 */
const callOptionFields = {
  /** Reasoning effort for reasoning models (none, minimal, low, medium, high, xhigh). @default the server's */
  reasoningEffort: z.enum(REASONING_EFFORTS, { error: `--reasoning-effort: expected one of ${REASONING_EFFORTS.join(", ")}` }).optional(),
  /** Sampling temperature, 0 to 2. @default the server's */
  temperature: z.number({ error: "--temperature: expected a number" }).min(0, "--temperature: expected 0 to 2").max(2, "--temperature: expected 0 to 2").optional(),
  /** Nucleus sampling, above 0 up to 1. @default the server's */
  topP: z.number({ error: "--top-p: expected a number" }).gt(0, "--top-p: expected above 0, up to 1").max(1, "--top-p: expected above 0, up to 1").optional(),
  /** Sampling seed (Chat Completions only). @default none */
  seed: z.number({ error: "--seed: expected an integer" }).int("--seed: expected an integer").optional(),
  /** Output-token cap per model call. @default the server's */
  maxOutputTokens: positiveInt("--max-output-tokens").optional(),
  /** Stop sequences (Bedrock: inferenceConfig.stopSequences). Repeatable. @default none */
  stopSequence: oneOrMany(z.string({ error: "--stop-sequence: expected a string" }).min(1, "--stop-sequence: expected a non-empty string")).optional(),
  /** Bedrock additionalModelRequestFields, a JSON object (e.g. a Claude thinking budget). @default none */
  additionalModelRequestFields: z.record(z.string(), z.unknown(), { error: "--additional-model-request-fields: expected a JSON object" }).optional(),
  /** Bedrock prompt caching: cache points after the system prompt and the tools. @default false */
  promptCaching: z.boolean({ error: "--prompt-caching: expected true or false" }).optional(),
  /** Bedrock guardrail id (with --guardrail-version). @default no guardrail */
  guardrailId: z.string().min(1, "--guardrail-id: expected an id").optional(),
  /** Bedrock guardrail version (e.g. 1 or DRAFT). */
  guardrailVersion: z.preprocess((v) => (typeof v === "number" ? String(v) : v), z.string().min(1, "--guardrail-version: expected a version")).optional(),
  /** Bedrock guardrail trace. @default enabled (with a guardrail) */
  guardrailTrace: z.enum(GUARDRAIL_TRACES, { error: `--guardrail-trace: expected one of ${GUARDRAIL_TRACES.join(", ")}` }).optional(),
};

export const CELL_LABEL = /^[A-Za-z0-9._@/:-]+$/;

/** One entry of a config file's `cells`: a model, its label, its regions and its own call options. */
export const cellEntrySchema = z
  .object({
    model: z.string({ error: "model: required (e.g. bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0)" }).min(1, "model: required"),
    label: z.string().regex(CELL_LABEL, "label: expected [A-Za-z0-9._@/:-]+").optional(),
    region: oneOrMany(z.string()).optional(),
    ...callOptionFields,
  })
  .strict();
export type CellEntry = z.output<typeof cellEntrySchema>;
/** Keys of a cell entry (camelCase). */
export const CELL_KEYS = Object.keys(cellEntrySchema.shape);

/** Every `bench run` option with its default. Keys are the flag names in camelCase. */
export const runOptionsSchema = z
  .object({
    /** Dataset name (datasets/<name>) or path. */
    dataset: z.string().min(1),
    /** Model specs; @default ["mock/oracle"] */
    model: z.array(z.string()).default(["mock/oracle"]),
    /** Regions for bedrock models. @default [] */
    region: z.array(z.string()).default([]),
    /** @default a timestamped id */
    runId: z.string().regex(/^[A-Za-z0-9._-]+$/, "--run-id: expected [A-Za-z0-9._-]+").optional(),
    /** @default "results" */
    outputDir: z.string().default("results"),
    /** An empty list is refused: it would select nothing, and `selectTasks` treats "no list" as every task. */
    instances: z.array(z.string().min(1, "--instances: expected an instance id, got an empty one")).min(1, "--instances: expected at least one instance id").optional(),
    limit: positiveInt("--limit").optional(),
    /** Tasks at once. @default 4 */
    concurrency: positiveInt("--concurrency").default(4),
    /** Model calls per task. @default 100 */
    maxIterations: positiveInt("--max-iterations").default(100),
    /** Fake user replies per task. @default 10 */
    maxFakeResponses: nonNegativeInt("--max-fake-responses").default(10),
    /** OpenAI-compatible endpoint for openai/* models. */
    baseUrl: z.string().url("--base-url: expected a URL").optional(),
    /** Environment variable holding the API key for openai/* models. @default "OPENAI_API_KEY" */
    apiKeyEnv: z.string().default("OPENAI_API_KEY"),
    /** Bedrock Runtime endpoint for bedrock/* models (a mock, a VPC endpoint). @default the SDK's: AWS_ENDPOINT_URL_BEDROCK_RUNTIME, else regional */
    bedrockEndpoint: z.string().url("--bedrock-endpoint: expected a URL").optional(),
    /** Stream model responses. @default true */
    stream: z.boolean().default(true),
    /** Per bash command, seconds. @default 120 */
    commandTimeout: positiveInt("--command-timeout").default(120),
    /** Grading test run, seconds (SWE-bench's harness: 1800). @default 1800 */
    gradingTimeout: positiveInt("--grading-timeout").default(1800),
    /** Deadline of one model call, seconds. @default 300 */
    llmTimeout: positiveInt("--llm-timeout").default(300),
    /** Retries of one model call (rate limits, transient errors). @default 8 */
    llmRetries: nonNegativeInt("--llm-retries").default(8),
    /** Latency the built-in mock adds to each answer, ms. @default 0 */
    mockLatencyMs: nonNegativeInt("--mock-latency-ms").default(0),
    /** Time budget of one model call, retries and waits included, seconds; then the task ends as an error with the last class. @default 600 */
    llmRetryTimeout: positiveInt("--llm-retry-timeout").default(600),
    /** First backoff ceiling of the retry layer, ms (full jitter: the wait is drawn below it). @default 1000 */
    llmBackoffBaseMs: positiveInt("--llm-backoff-base-ms").default(1000),
    /** Largest backoff ceiling, ms. @default 60000 */
    llmBackoffCapMs: positiveInt("--llm-backoff-cap-ms").default(60_000),
    /** Static cap: model calls per minute per endpoint (provider + account + region + model). @default none */
    rpm: positiveInt("--rpm").optional(),
    /** Static cap: tokens per minute per endpoint. @default none */
    tpm: positiveInt("--tpm").optional(),
    /** USD per task: the task ends with budget_exceeded once its cost reaches it (graded). @default none */
    maxBudgetPerTask: usd("--max-budget-per-task").optional(),
    /** Wall clock of a task's agent phase, seconds: task_timeout (graded). @default none */
    taskTimeout: positiveInt("--task-timeout").optional(),
    /** Tokens per task (input + cache + output): budget_exceeded (graded). @default none */
    maxTokensPerTask: positiveInt("--max-tokens-per-task").optional(),
    /** USD for the whole run: no new task starts once the finished tasks' cost reaches it. @default none */
    maxCost: usd("--max-cost").optional(),
    /** Wall clock of the whole run, seconds: no new task after it, running agents stop with task_timeout. @default none */
    deadline: positiveInt("--deadline").optional(),
    /** Re-runs of a task that ended in an infrastructure error (sandbox, Docker, exhausted model retries), fresh workspace each. @default 0 */
    taskRetries: nonNegativeInt("--task-retries").default(0),
    /** Grading containers at once. @default --concurrency */
    gradingConcurrency: positiveInt("--grading-concurrency").optional(),
    /**
     * Where grading runs: `reuse` the agent's workspace after a reset (non-root workspaces with a copied repository;
     * others get a new one), or `fresh`: always a new container. @default "reuse"
     */
    gradingWorkspace: z.enum(["reuse", "fresh"], { message: "--grading-workspace: expected reuse or fresh" }).default("reuse"),
    /** Built-in mock: model calls per minute before it answers 429. @default no quota */
    mockRpm: positiveInt("--mock-rpm").optional(),
    /** Built-in mock: tokens per minute before it answers 429. @default no quota */
    mockTpm: positiveInt("--mock-tpm").optional(),
    /** Built-in mock: retry hints (retry-after, retry-after-ms, x-ratelimit-reset-*) on its quota 429s. @default true */
    mockRetryHints: z.boolean().default(true),
    /** Built-in mock: share of calls answered 500/503. @default 0 */
    mockFaultRate: share("--mock-fault-rate").default(0),
    /** Built-in mock: share of calls whose connection is reset. @default 0 */
    mockResetRate: share("--mock-reset-rate").default(0),
    /** Built-in mock: share of streamed calls cut mid-way. @default 0 */
    mockCutRate: share("--mock-cut-rate").default(0),
    /** Built-in mock: share of calls that never answer (ended by --llm-timeout). @default 0 */
    mockHangRate: share("--mock-hang-rate").default(0),
    /** Built-in mock: latency distribution, "fixed:MS", "uniform:MIN:MAX" or "lognormal:MEDIAN_MS:SIGMA". @default none */
    mockLatency: z.string().min(1).optional(),
    ...callOptionFields,
    /** Config file only: cells with their own label, regions and call options; `--model` replaces them. @default none (cells from --model) */
    cells: z.array(cellEntrySchema).min(1, "cells: expected at least one cell").optional(),
    /** Send images (the editor's view of an image file) to the model; off: a text note instead. @default true */
    vision: z.boolean().default(true),
    /** USD per input token, replacing the price table's for every cell (new or private models). */
    inputCostPerToken: costPerToken("--input-cost-per-token").optional(),
    /** USD per output token (reasoning included), replacing the price table's. */
    outputCostPerToken: costPerToken("--output-cost-per-token").optional(),
    /** USD per cache-read token. @default the table's, else the input price */
    cacheReadCostPerToken: costPerToken("--cache-read-cost-per-token").optional(),
    /** USD per cache-write token. @default the table's, else the input price */
    cacheWriteCostPerToken: costPerToken("--cache-write-cost-per-token").optional(),
    /** Continue the run in this run directory (its run.json supplies the options). */
    resume: z.string().min(1).optional(),
    /** On resume, run tasks whose latest result is an error again. @default false */
    rerunErrors: z.boolean().default(false),
    /** Run only shard I of N (`I/N`, 1-based): tasks split by a hash of their instance id (bench merge joins the shards). @default the whole run */
    shard: z.string().refine(parses(parseShard), "--shard: expected I/N with 1 ≤ I ≤ N (e.g. 2/4)").optional(),
    /** Gate: exit 3 when a cell's resolve rate is under RATE (`0.8`, `80%`), or one cell's with `CELL=RATE`. Repeatable. @default none */
    failUnder: z
      .preprocess((v) => (v === undefined || Array.isArray(v) ? v : [v]), z.array(z.union([z.string(), z.number()])))
      .refine((vs) => vs.every(parses(parseFailUnder)), "--fail-under: expected RATE (0 to 1, e.g. 0.8, or 80%) or CELL=RATE (e.g. mock/oracle=0.9)")
      .default([]),
    /** Gate: a summary.json (or --json output, or run directory) to compare resolve rates with, per cell present in both. @default none */
    baseline: z.string().min(1).optional(),
    /** Gate: percentage points a cell's resolve rate may drop below the baseline's before exit 3. @default 0 (with --baseline) */
    maxRegression: z.number({ error: "--max-regression: expected a number of percentage points" }).min(0, "--max-regression: expected 0 or more points").optional(),
    /** Gate: exit 1 when more tasks than this ended in status error: a count (`3`) or a fraction of tasks (`0.05`, `5%`). @default none */
    maxInfraErrors: z
      .union([z.number(), z.string()])
      .refine(parses(parseMaxInfraErrors), "--max-infra-errors: expected a count N (e.g. 3) or a fraction of tasks (e.g. 0.05 or 5%)")
      .optional(),
    /** Docker engines to spread workspaces over: unix://, tcp:// (TLS options), ssh://, each `?capacity=N`. Repeatable. @default [] (DOCKER_HOST or the local socket) */
    dockerHost: z
      .preprocess((v) => (v === undefined || Array.isArray(v) ? v : [v]), z.array(z.string()))
      .refine((vs) => vs.every(parses(parseDockerHost)), "--docker-host: expected unix:///path, tcp://host:port or ssh://[user@]host[:port], options after ? (capacity=N, tls=1, ca=, cert=, key=, identity=)")
      .default([]),
    /** Split of a named hub dataset (swe-bench-lite, swe-bench-verified, swe-bench). @default "test" */
    split: z.string().regex(/^[A-Za-z0-9_-]+$/, "--split: expected a split name such as test or dev").optional(),
    /** A JSON or YAML file of SWE-bench specs (`{repo: {version: {test_cmd, eval_commands, log_parser}}}`) over the built-in ones. @default none */
    specs: z.string().min(1).optional(),
    /** Image of a row without `image`: `{id}` = instance id with `__` → `_1776_`, lower case. @default swebench/sweb.eval.x86_64.{id}:latest */
    imageTemplate: z.string().min(1).optional(),
    /** When to pull a task's image: `missing`, `always` (once per run), `never`. @default "missing" */
    pull: z.enum(["missing", "always", "never"], { message: "--pull: expected missing, always or never" }).default("missing"),
    /** Remove each image bench pulled once no pending task of the run needs it. @default false */
    removeImages: z.boolean().default(false),
    /** Queued tasks whose images are pulled ahead while others run (0: pull only when a task starts). @default --concurrency */
    pullAhead: nonNegativeInt("--pull-ahead").optional(),
    /** `bench grade`: SWE-bench predictions (`.jsonl`, `.json` list or dict) or `gold`; graded instead of running an agent. @default none */
    predictions: z.string().min(1).optional(),
    /** No progress output (neither the live status line nor the per-task lines). @default false */
    quiet: z.boolean().default(false),
    json: z.boolean().default(false),
  })
  .strict();

export type RunOptions = z.output<typeof runOptionsSchema>;

/** Keys a config file may set (everything but the run identity). */
const CONFIG_KEYS = Object.keys(runOptionsSchema.shape).filter((k) => k !== "json" && k !== "resume" && k !== "rerunErrors");

const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (s: string): string => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Reads bench.config.yaml|yml|json (or the given file); keys may be kebab-case or camelCase. */
export function readConfigFile(file: string | undefined, cwd = process.cwd()): Record<string, unknown> {
  const candidates = file ? [path.resolve(cwd, file)] : ["bench.config.yaml", "bench.config.yml", "bench.config.json"].map((f) => path.resolve(cwd, f));
  const found = candidates.find((f) => existsSync(f));
  if (!found) {
    if (file) throw new UsageError(`--config ${file}: no such file`);
    return {};
  }
  let data: unknown;
  try {
    const text = readFileSync(found, "utf8");
    data = found.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new UsageError(`${found}: cannot parse (${(err as Error).message})`);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== "object" || Array.isArray(data)) throw new UsageError(`${found}: expected a mapping of option names to values`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    const name = camel(key);
    if (!CONFIG_KEYS.includes(name)) {
      throw new UsageError(`${found}: unknown key "${key}" (known: ${CONFIG_KEYS.map(kebab).join(", ")})`);
    }
    out[name] = name === "cells" ? readCells(found, value) : (name === "model" || name === "region" || name === "instances") && typeof value === "string" ? [value] : value;
  }
  return out;
}

/** A config file's `cells`: keys to camelCase, each entry validated; errors name the file, the cell index and the key. */
function readCells(file: string, value: unknown): Record<string, unknown>[] {
  if (!Array.isArray(value) || value.length === 0) throw new UsageError(`${file}: cells: expected a list of cells, each with a model (and optional label, region and options)`);
  return value.map((entry: unknown, i) => {
    const where = `${file}: cells[${i}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw new UsageError(`${where}: expected a mapping with a model (e.g. model: openai/gpt-4o)`);
    const cell: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(entry as Record<string, unknown>)) {
      const name = camel(key);
      if (!CELL_KEYS.includes(name)) throw new UsageError(`${where}: unknown key "${key}" (known: ${CELL_KEYS.map(kebab).join(", ")})`);
      cell[name] = v;
    }
    const parsed = cellEntrySchema.safeParse(cell);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const key = String(issue.path[0] ?? "");
      throw new UsageError(`${where}: ${issue.message.startsWith("--") || issue.message.startsWith(`${key}:`) ? issue.message : `${kebab(key)}: ${issue.message}`} (got ${JSON.stringify(cell[key])})`);
    }
    return cell;
  });
}

/**
 * The text typed for `--name` (`--name v`, `--name=v`, or the camelCase spelling yargs also accepts; the last one
 * wins, as in yargs). yargs has already turned a non-number into NaN, which JSON prints as null: messages quote this.
 */
export function rawFlagValue(raw: readonly string[], name: string): string | undefined {
  const spellings = [name, name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())];
  let found: string | undefined;
  for (let i = 0; i < raw.length; i++) {
    const a = raw[i]!;
    if (a === "--") break;
    for (const n of spellings) {
      if (a === `--${n}`) found = raw[i + 1] !== undefined && !raw[i + 1]!.startsWith("--") ? raw[i + 1] : "";
      else if (a.startsWith(`--${n}=`)) found = a.slice(n.length + 3);
    }
  }
  return found;
}


/** Environment layer: the few options that make sense as variables. */
export function envOptions(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (env["BENCH_OUTPUT_DIR"]) out["outputDir"] = env["BENCH_OUTPUT_DIR"];
  const concurrency = env["BENCH_CONCURRENCY"];
  if (concurrency) {
    // Checked here, not by the schema: its message would name --concurrency and print NaN as null.
    const n = Number(concurrency.trim());
    if (concurrency.trim() === "" || !Number.isInteger(n) || n <= 0) throw new UsageError(`BENCH_CONCURRENCY: expected a positive integer, got ${JSON.stringify(concurrency)}`);
    out["concurrency"] = n;
  }
  if (env["BENCH_MODEL"]) out["model"] = env["BENCH_MODEL"].split(",").map((s) => s.trim()).filter(Boolean);
  return out;
}

/** Merges the layers and validates; errors name the flag (or config key) and what was expected. */
export function resolveRunOptions(
  flags: Record<string, unknown>,
  config: Record<string, unknown>,
  env: Record<string, unknown>,
): RunOptions {
  const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  // --model replaces the config file's cells (flags win); the env's BENCH_MODEL does not.
  const fromConfig = flags["model"] !== undefined ? { ...config, cells: undefined } : config;
  const merged = { ...defined(env), ...defined(fromConfig), ...defined(flags) };
  const parsed = runOptionsSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? "");
    if (key === "cells" && issue.path.length > 1) {
      throw new UsageError(`cells[${String(issue.path[1])}]${issue.path[2] !== undefined ? `.${kebab(String(issue.path[2]))}` : ""}: ${issue.message}`);
    }
    const text = issue.message.startsWith("--") ? issue.message : `--${kebab(key)}: ${issue.message}`;
    throw new UsageError(`${text} (got ${JSON.stringify(merged[key])})`);
  }
  return parsed.data;
}
