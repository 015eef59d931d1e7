// `bench run` options: one schema, defaults in one place, precedence flags > config file > environment > defaults.

import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { UsageError } from "../errors.js";

const positiveInt = (name: string) =>
  z.number({ error: `${name}: expected a number` }).int(`${name}: expected an integer`).positive(`${name}: expected a positive integer`);
const nonNegativeInt = (name: string) => z.number().int(`${name}: expected an integer`).min(0, `${name}: expected 0 or more`);

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
    instances: z.array(z.string()).optional(),
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
    /** Stream model responses. @default true */
    stream: z.boolean().default(true),
    /** Per bash command, seconds. @default 120 */
    commandTimeout: positiveInt("--command-timeout").default(120),
    /** Grading test run, seconds. @default 900 */
    gradingTimeout: positiveInt("--grading-timeout").default(900),
    /** Deadline of one model call, seconds. @default 300 */
    llmTimeout: positiveInt("--llm-timeout").default(300),
    /** Retries of one model call (rate limits, transient errors). @default 8 */
    llmRetries: nonNegativeInt("--llm-retries").default(8),
    /** Latency the built-in mock adds to each answer, ms. @default 0 */
    mockLatencyMs: nonNegativeInt("--mock-latency-ms").default(0),
    json: z.boolean().default(false),
  })
  .strict();

export type RunOptions = z.output<typeof runOptionsSchema>;

/** Keys a config file may set (everything but the run identity). */
const CONFIG_KEYS = Object.keys(runOptionsSchema.shape).filter((k) => k !== "json");

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
    out[name] = (name === "model" || name === "region" || name === "instances") && typeof value === "string" ? [value] : value;
  }
  return out;
}

/** Environment layer: the few options that make sense as variables. */
export function envOptions(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (env["BENCH_OUTPUT_DIR"]) out["outputDir"] = env["BENCH_OUTPUT_DIR"];
  if (env["BENCH_CONCURRENCY"]) out["concurrency"] = Number(env["BENCH_CONCURRENCY"]);
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
  const merged = { ...defined(env), ...defined(config), ...defined(flags) };
  const parsed = runOptionsSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? "");
    const text = issue.message.startsWith("--") ? issue.message : `--${kebab(key)}: ${issue.message}`;
    throw new UsageError(`${text} (got ${JSON.stringify(merged[key])})`);
  }
  return parsed.data;
}
