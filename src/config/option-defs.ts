// Every `bench run` / `bench grade` option, defined once: flag name (kebab-case of the key), type, default, help text,
// help group, repeatable, choices, whether a config file may set it, and its validation. src/cli builds the yargs
// options and their help from this table, src/config/options.ts the zod schema and the config-file keys, and a unit
// test checks docs/ARCHITECTURE.md's flag table against it. No zod at load time: `bench --help` stays fast.

import type { z } from "zod";
import { GUARDRAIL_TRACES, REASONING_EFFORTS } from "../models/call-options.js";
import { parseFailUnder, parseMaxInfraErrors } from "../report/gates.js";
import { parseDockerHost } from "../sandbox/hosts.js";
import { parseShard } from "./shard.js";

type Z = typeof z;

export const OPTION_GROUPS = {
  core: "Core options:",
  model: "Model calls:",
  limits: "Limits:",
  sandbox: "Sandbox and images:",
  output: "Output and CI:",
  bedrock: "Bedrock:",
  mock: "Mock and testing:",
} as const;
export type OptionGroup = keyof typeof OPTION_GROUPS;

export interface OptionDef {
  type: "string" | "number" | "boolean";
  group: OptionGroup;
  /** One help line. */
  describe: string;
  /** Given several times (or a list in the config file). */
  repeatable?: boolean;
  /** The value when no layer sets it (applied by the schema, never by yargs: precedence stays flags > config > env > defaults). */
  default?: unknown;
  /** The default as help shows it when it is not a plain value (e.g. "--concurrency"). */
  defaultText?: string;
  /** Accepted values (shown in help; the check refuses others with a message naming the flag). */
  choices?: readonly string[];
  /** Needed by every run (from a flag, the config file or --resume): neither optional nor defaulted in the schema. */
  required?: boolean;
  /** false: not a config-file key (the run's identity and one-off switches). */
  configFile?: boolean;
  /** Only `bench run` (a model runs): refused by `bench grade`. */
  modelOnly?: boolean;
  /** Only `bench grade`. */
  gradeOnly?: boolean;
  /** A CI gate (also on `bench merge`). */
  gate?: boolean;
  /** How the flag's text becomes the option value; see src/cli/run-flags.ts. @default as yargs parsed it */
  fromFlag?: "comma-list" | "json-object" | "text";
  /** What a number flag expects, for "expected …, got …". @default "a number" */
  numberWhat?: string;
  /** The validation of a value (flag, config file or env), without default or optional; absent: not a run option (--config). */
  check?: (z: Z, flag: string) => z.ZodType;
}

const positiveInt = (z: Z, f: string) =>
  z
    .number({ error: `${f}: expected a number` })
    .int(`${f}: expected an integer`)
    .positive(`${f}: expected a positive integer`);
const nonNegativeInt = (z: Z, f: string) => z.number().int(`${f}: expected an integer`).min(0, `${f}: expected 0 or more`);
const usd = (z: Z, f: string) => z.number({ error: `${f}: expected a number (USD)` }).positive(`${f}: expected an amount above 0 (USD)`);
const share = (z: Z, f: string) =>
  z
    .number({ error: `${f}: expected a number` })
    .min(0, `${f}: expected 0 to 1`)
    .max(1, `${f}: expected 0 to 1`);
const costPerToken = (z: Z, f: string) =>
  z.number({ error: `${f}: expected a number (USD per token, e.g. 3e-6)` }).min(0, `${f}: expected 0 or more`);
const text = (z: Z) => z.string().min(1);
const bool = (z: Z) => z.boolean();
const strings = (z: Z) => z.array(z.string());
/** One value or a list (a config file may write one as a plain value). */
const oneOrMany = <T extends z.ZodType>(z: Z, item: T) =>
  z.preprocess((v) => (v === undefined || Array.isArray(v) ? v : [v]), z.array(item));
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

export const RUN_OPTIONS = {
  // Core
  dataset: {
    type: "string",
    group: "core",
    required: true,
    check: text,
    describe:
      "Dataset: swe-lite, a folder, a SWE-bench .jsonl/.json/.parquet, or swe-bench-lite | swe-bench-verified | swe-bench (from the hub)",
  },
  model: {
    type: "string",
    group: "core",
    repeatable: true,
    default: ["mock/oracle"],
    check: strings,
    modelOnly: true,
    describe: "Model spec <provider>/<model-id>[@region] (providers mock, openai, openai-responses, bedrock)",
  },
  region: {
    type: "string",
    group: "core",
    repeatable: true,
    default: [],
    check: strings,
    modelOnly: true,
    describe: "AWS region for bedrock models (one cell per region)",
  },
  runId: {
    type: "string",
    group: "core",
    defaultText: "a timestamp",
    check: (z, f) => z.string().regex(/^[A-Za-z0-9._-]+$/, `${f}: expected [A-Za-z0-9._-]+`),
    describe: "Run id; the run lives in <output-dir>/<run-id>",
  },
  outputDir: { type: "string", group: "core", default: "results", check: (z) => z.string(), describe: "Folder of run directories" },
  instances: {
    type: "string",
    group: "core",
    fromFlag: "comma-list",
    defaultText: "all",
    // An empty list is refused: it would select nothing, and `selectTasks` treats "no list" as every task.
    check: (z, f) =>
      z.array(z.string().min(1, `${f}: expected an instance id, got an empty one`)).min(1, `${f}: expected at least one instance id`),
    describe: "Comma-separated instance ids to run",
  },
  limit: { type: "number", group: "core", defaultText: "all", check: positiveInt, describe: "Only the first N tasks in dataset order" },
  concurrency: { type: "number", group: "core", default: 4, check: positiveInt, describe: "Agents at once" },
  split: {
    type: "string",
    group: "core",
    defaultText: "test",
    check: (z, f) => z.string().regex(/^[A-Za-z0-9_-]+$/, `${f}: expected a split name such as test or dev`),
    describe: "Split of a named SWE-bench dataset (test or dev)",
  },
  specs: {
    type: "string",
    group: "core",
    check: text,
    describe: "JSON/YAML file of SWE-bench specs {repo: {version: {test_cmd, eval_commands, log_parser}}} over the built-in ones",
  },
  predictions: {
    type: "string",
    group: "core",
    gradeOnly: true,
    check: text,
    describe:
      "Predictions file (.jsonl, .json list or dict: instance_id, model_name_or_path, model_patch) or gold (the dataset's own patches)",
  },
  config: {
    type: "string",
    group: "core",
    configFile: false,
    defaultText: "bench.config.yaml|yml|json if present",
    describe: "Config file",
  },
  resume: {
    type: "string",
    group: "core",
    configFile: false,
    check: text,
    describe: "Continue the run in this run directory: skip finished tasks, run the rest",
  },
  rerunErrors: {
    type: "boolean",
    group: "core",
    configFile: false,
    default: false,
    check: bool,
    describe: "With --resume (or a reused --run-id), also re-run tasks that ended in an infrastructure error",
  },
  shard: {
    type: "string",
    group: "core",
    defaultText: "the whole run",
    check: (z, f) => z.string().refine(parses(parseShard), `${f}: expected I/N with 1 ≤ I ≤ N (e.g. 2/4)`),
    describe: "Run only shard I of N (e.g. 2/4): tasks split by a hash of their instance id; join with bench merge",
  },

  // Model calls
  baseUrl: {
    type: "string",
    group: "model",
    modelOnly: true,
    check: (z, f) => z.string().url(`${f}: expected a URL`),
    describe: "OpenAI-compatible endpoint for openai/* and openai-responses/* models",
  },
  apiKeyEnv: {
    type: "string",
    group: "model",
    default: "OPENAI_API_KEY",
    check: (z) => z.string(),
    describe: "Environment variable with the API key for openai/* models",
  },
  stream: { type: "boolean", group: "model", default: true, check: bool, describe: "Stream model responses (--no-stream to disable)" },
  reasoningEffort: {
    type: "string",
    group: "model",
    modelOnly: true,
    choices: REASONING_EFFORTS,
    defaultText: "the server's",
    check: (z, f) => z.enum(REASONING_EFFORTS, { error: `${f}: expected one of ${REASONING_EFFORTS.join(", ")}` }),
    describe: "Reasoning effort for reasoning models",
  },
  temperature: {
    type: "number",
    group: "model",
    modelOnly: true,
    defaultText: "the server's",
    check: (z, f) =>
      z
        .number({ error: `${f}: expected a number` })
        .min(0, `${f}: expected 0 to 2`)
        .max(2, `${f}: expected 0 to 2`),
    describe: "Sampling temperature, 0 to 2",
  },
  topP: {
    type: "number",
    group: "model",
    modelOnly: true,
    defaultText: "the server's",
    check: (z, f) =>
      z
        .number({ error: `${f}: expected a number` })
        .gt(0, `${f}: expected above 0, up to 1`)
        .max(1, `${f}: expected above 0, up to 1`),
    describe: "Nucleus sampling, above 0 up to 1",
  },
  seed: {
    type: "number",
    group: "model",
    modelOnly: true,
    check: (z, f) => z.number({ error: `${f}: expected an integer` }).int(`${f}: expected an integer`),
    describe: "Sampling seed (Chat Completions only)",
  },
  maxOutputTokens: {
    type: "number",
    group: "model",
    modelOnly: true,
    defaultText: "the server's",
    check: positiveInt,
    describe: "Output-token cap per model call",
  },
  llmTimeout: {
    type: "number",
    group: "model",
    default: 300,
    check: positiveInt,
    describe: "Deadline of one model call in seconds, stream included",
  },
  llmRetries: {
    type: "number",
    group: "model",
    default: 8,
    check: nonNegativeInt,
    describe: "Retries of one model call on rate limits and transient errors",
  },
  llmRetryTimeout: {
    type: "number",
    group: "model",
    default: 600,
    check: positiveInt,
    describe: "Time budget of one model call, retries and waits included, seconds; then the task ends as an error",
  },
  llmBackoffBaseMs: {
    type: "number",
    group: "model",
    default: 1000,
    check: positiveInt,
    describe: "First backoff ceiling of the retry layer, ms (full jitter)",
  },
  llmBackoffCapMs: { type: "number", group: "model", default: 60_000, check: positiveInt, describe: "Largest backoff ceiling, ms" },
  rpm: {
    type: "number",
    group: "model",
    check: positiveInt,
    describe: "Static cap: model calls per minute per endpoint (provider + account + region + model)",
  },
  tpm: { type: "number", group: "model", check: positiveInt, describe: "Static cap: tokens per minute per endpoint" },
  vision: {
    type: "boolean",
    group: "model",
    default: true,
    check: bool,
    describe: "Send images to the model (--no-vision: a text note instead)",
  },
  inputCostPerToken: {
    type: "number",
    group: "model",
    defaultText: "price table",
    check: costPerToken,
    describe: "USD per input token, replacing the price table's (new or private models)",
  },
  outputCostPerToken: {
    type: "number",
    group: "model",
    defaultText: "price table",
    check: costPerToken,
    describe: "USD per output token (reasoning included), replacing the price table's",
  },
  cacheReadCostPerToken: {
    type: "number",
    group: "model",
    defaultText: "the table's, else the input price",
    check: costPerToken,
    describe: "USD per cache-read token",
  },
  cacheWriteCostPerToken: {
    type: "number",
    group: "model",
    defaultText: "the table's, else the input price",
    check: costPerToken,
    describe: "USD per cache-write token",
  },

  // Limits
  maxIterations: { type: "number", group: "limits", default: 100, modelOnly: true, check: positiveInt, describe: "Model calls per task" },
  maxFakeResponses: {
    type: "number",
    group: "limits",
    default: 10,
    modelOnly: true,
    check: nonNegativeInt,
    describe: "Fake user replies per task",
  },
  commandTimeout: { type: "number", group: "limits", default: 120, check: positiveInt, describe: "Seconds per agent bash command" },
  gradingTimeout: {
    type: "number",
    group: "limits",
    default: 1800,
    check: positiveInt,
    describe: "Seconds for the grading test run (as SWE-bench)",
  },
  maxBudgetPerTask: {
    type: "number",
    group: "limits",
    check: usd,
    describe: "USD per task: budget_exceeded once its cost reaches it (graded)",
  },
  taskTimeout: {
    type: "number",
    group: "limits",
    check: positiveInt,
    describe: "Wall clock of a task's agent phase, seconds: task_timeout (graded)",
  },
  maxTokensPerTask: {
    type: "number",
    group: "limits",
    check: positiveInt,
    describe: "Tokens per task (input + cache + output): budget_exceeded (graded)",
  },
  maxCost: {
    type: "number",
    group: "limits",
    check: usd,
    describe: "USD for the run: no new task starts once the cost reaches it (the rest are reported as not run)",
  },
  deadline: {
    type: "number",
    group: "limits",
    check: positiveInt,
    describe: "Wall clock of the run, seconds: no new task after it, running agents stop (task_timeout)",
  },
  taskRetries: {
    type: "number",
    group: "limits",
    default: 0,
    check: nonNegativeInt,
    describe: "Re-runs of a task that ended in an infrastructure error, fresh workspace each",
  },

  // Sandbox and images
  gradingConcurrency: {
    type: "number",
    group: "sandbox",
    defaultText: "--concurrency",
    check: positiveInt,
    describe: "Grading containers at once",
  },
  gradingWorkspace: {
    type: "string",
    group: "sandbox",
    default: "reuse",
    choices: ["reuse", "fresh"],
    check: (z, f) => z.enum(["reuse", "fresh"], { message: `${f}: expected reuse or fresh` }),
    describe: "Grade in the agent's workspace after a reset (reuse) or in a new container (fresh)",
  },
  imageTemplate: {
    type: "string",
    group: "sandbox",
    defaultText: "swebench/sweb.eval.x86_64.{id}:latest",
    check: text,
    describe: "Image of a row without `image` ({id}: instance id, __ → _1776_, lower case)",
  },
  pull: {
    type: "string",
    group: "sandbox",
    default: "missing",
    choices: ["missing", "always", "never"],
    check: (z, f) => z.enum(["missing", "always", "never"], { message: `${f}: expected missing, always or never` }),
    describe: "Pull task images (always: once per run)",
  },
  pullAhead: {
    type: "number",
    group: "sandbox",
    defaultText: "--concurrency",
    check: nonNegativeInt,
    describe: "Queued tasks whose images are pulled while others run (0: pull when a task starts)",
  },
  removeImages: {
    type: "boolean",
    group: "sandbox",
    default: false,
    check: bool,
    describe: "Remove each image bench pulled once no pending task needs it",
  },
  dockerHost: {
    type: "string",
    group: "sandbox",
    repeatable: true,
    default: [],
    defaultText: "DOCKER_HOST or the local socket",
    check: (z, f) =>
      oneOrMany(z, z.string()).refine(
        (vs) => vs.every(parses(parseDockerHost)),
        `${f}: expected unix:///path, tcp://host:port or ssh://[user@]host[:port], options after ? (capacity=N, tls=1, ca=, cert=, key=, identity=)`,
      ),
    describe:
      "Docker engine to spread workspaces over: unix:///path, tcp://host:port, ssh://user@host, options ?capacity=N (tcp: &tls=1&ca=&cert=&key=; ssh: &identity=)",
  },

  // Output and CI
  json: {
    type: "boolean",
    group: "output",
    configFile: false,
    default: false,
    check: bool,
    describe: "Print one JSON summary on stdout instead of the table",
  },
  quiet: {
    type: "boolean",
    group: "output",
    default: false,
    check: bool,
    describe: "No progress output (no live status block, no per-task lines)",
  },
  failUnder: {
    type: "string",
    group: "output",
    repeatable: true,
    gate: true,
    default: [],
    check: (z, f) =>
      oneOrMany(z, z.union([z.string(), z.number()])).refine(
        (vs) => vs.every(parses(parseFailUnder)),
        `${f}: expected RATE (0 to 1, e.g. 0.8, or 80%) or CELL=RATE (e.g. mock/oracle=0.9)`,
      ),
    describe: "Gate: exit 3 when a cell's resolve rate is below RATE (0.8 or 80%); CELL=RATE for one cell",
  },
  baseline: {
    type: "string",
    group: "output",
    gate: true,
    check: text,
    describe: "Gate: summary.json (or --json output, or run directory) to compare resolve rates with",
  },
  maxRegression: {
    type: "number",
    group: "output",
    gate: true,
    defaultText: "0 (with --baseline)",
    numberWhat: "a number of percentage points",
    check: (z, f) => z.number({ error: `${f}: expected a number of percentage points` }).min(0, `${f}: expected 0 or more points`),
    describe: "Gate: percentage points a cell may drop below --baseline before exit 3",
  },
  maxInfraErrors: {
    type: "string",
    group: "output",
    gate: true,
    check: (z, f) =>
      z
        .union([z.number(), z.string()])
        .refine(parses(parseMaxInfraErrors), `${f}: expected a count N (e.g. 3) or a fraction of tasks (e.g. 0.05 or 5%)`),
    describe: "Gate: exit 1 when more tasks than this end in error: a count (3) or a fraction (0.05 or 5%)",
  },

  // Bedrock
  bedrockEndpoint: {
    type: "string",
    group: "bedrock",
    modelOnly: true,
    defaultText: "AWS_ENDPOINT_URL_BEDROCK_RUNTIME, else regional",
    check: (z, f) => z.string().url(`${f}: expected a URL`),
    describe: "Bedrock Runtime endpoint URL for bedrock/* models (a VPC endpoint, the mock)",
  },
  stopSequence: {
    type: "string",
    group: "bedrock",
    repeatable: true,
    check: (z, f) => oneOrMany(z, z.string({ error: `${f}: expected a string` }).min(1, `${f}: expected a non-empty string`)),
    describe: "Stop sequence (bedrock; Chat Completions: stop)",
  },
  additionalModelRequestFields: {
    type: "string",
    group: "bedrock",
    fromFlag: "json-object",
    check: (z, f) => z.record(z.string(), z.unknown(), { error: `${f}: expected a JSON object` }),
    describe: 'Bedrock additionalModelRequestFields as a JSON object, e.g. \'{"thinking":{"type":"enabled","budget_tokens":2048}}\'',
  },
  promptCaching: {
    type: "boolean",
    group: "bedrock",
    defaultText: "off",
    check: (z, f) => z.boolean({ error: `${f}: expected true or false` }),
    describe: "Prompt caching: cache points after the system prompt and the tools",
  },
  guardrailId: {
    type: "string",
    group: "bedrock",
    check: (z, f) => z.string().min(1, `${f}: expected an id`),
    describe: "Guardrail id (with --guardrail-version)",
  },
  guardrailVersion: {
    type: "string",
    group: "bedrock",
    fromFlag: "text",
    check: (z, f) => z.preprocess((v) => (typeof v === "number" ? String(v) : v), z.string().min(1, `${f}: expected a version`)),
    describe: "Guardrail version (e.g. 1 or DRAFT)",
  },
  guardrailTrace: {
    type: "string",
    group: "bedrock",
    choices: GUARDRAIL_TRACES,
    defaultText: "enabled",
    check: (z, f) => z.enum(GUARDRAIL_TRACES, { error: `${f}: expected one of ${GUARDRAIL_TRACES.join(", ")}` }),
    describe: "Guardrail trace",
  },

  // Mock and testing
  mockLatencyMs: {
    type: "number",
    group: "mock",
    default: 0,
    check: nonNegativeInt,
    describe: "Latency the built-in mock adds per answer, ms",
  },
  mockLatency: {
    type: "string",
    group: "mock",
    check: text,
    describe: "Built-in mock: latency distribution fixed:MS, uniform:MIN:MAX or lognormal:MEDIAN_MS:SIGMA",
  },
  mockRpm: { type: "number", group: "mock", check: positiveInt, describe: "Built-in mock: model calls per minute before it answers 429" },
  mockTpm: { type: "number", group: "mock", check: positiveInt, describe: "Built-in mock: tokens per minute before it answers 429" },
  mockRetryHints: {
    type: "boolean",
    group: "mock",
    default: true,
    check: bool,
    describe: "Built-in mock: retry hints on its quota 429s (--no-mock-retry-hints: none)",
  },
  mockFaultRate: {
    type: "number",
    group: "mock",
    default: 0,
    check: share,
    describe: "Built-in mock: share of calls answered 500/503 (0 to 1)",
  },
  mockResetRate: {
    type: "number",
    group: "mock",
    default: 0,
    check: share,
    describe: "Built-in mock: share of calls whose connection is reset",
  },
  mockCutRate: { type: "number", group: "mock", default: 0, check: share, describe: "Built-in mock: share of streamed calls cut mid-way" },
  mockHangRate: {
    type: "number",
    group: "mock",
    default: 0,
    check: share,
    describe: "Built-in mock: share of calls that never answer (ended by --llm-timeout)",
  },
} as const satisfies Record<string, OptionDef>;

export type RunOptionKey = keyof typeof RUN_OPTIONS;

/** The flag of an option key: camelCase → kebab-case. */
export const flagName = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The options as a list, each with its key and flag, in table order. */
export function optionList(): (OptionDef & { key: RunOptionKey; flag: string })[] {
  return (Object.entries(RUN_OPTIONS) as [RunOptionKey, OptionDef][]).map(([key, def]) => ({ ...def, key, flag: flagName(key) }));
}
