// `bench run` options: the zod schema built from the one option table (option-defs.ts), defaults in one place,
// precedence flags > config file > environment > defaults, and the config file reader.

import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { UsageError } from "../errors.js";
import { CALL_OPTION_KEYS, type CallOptionKey, type CallOptions } from "../models/call-options.js";
import { flagName, optionList, RUN_OPTIONS, type OptionDef } from "./option-defs.js";

export const CELL_LABEL = /^[A-Za-z0-9._@/:-]+$/;

/** The schema of one option: its check, then its default or optional. */
function field(def: OptionDef, flag: string): z.ZodType {
  const check = def.check!(z, `--${flag}`);
  if (def.required) return check;
  return def.default !== undefined ? check.default(def.default as never) : check.optional();
}

/** The call options' fields (run-level flags and a cell entry's own), from the option table. */
const callOptionFields = Object.fromEntries(CALL_OPTION_KEYS.map((k) => [k, field(RUN_OPTIONS[k], flagName(k))]));

/** One entry of a config file's `cells`: a model, its label, its regions and its own call options. */
export const cellEntrySchema = z
  .object({
    model: z.string({ error: "model: required (e.g. bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0)" }).min(1, "model: required"),
    label: z.string().regex(CELL_LABEL, "label: expected [A-Za-z0-9._@/:-]+").optional(),
    region: z.preprocess((v) => (v === undefined || Array.isArray(v) ? v : [v]), z.array(z.string())).optional(),
    ...callOptionFields,
  })
  .strict();
export type CellEntry = CallOptions & { model: string; label?: string; region?: string[] };
/** Keys of a cell entry (camelCase). */
export const CELL_KEYS = Object.keys(cellEntrySchema.shape);

type Defs = typeof RUN_OPTIONS;
type Checked = { [K in keyof Defs as Defs[K] extends { check: unknown } ? K : never]: Defs[K] };
type ValueOf<D> = D extends { check: (...args: never[]) => infer T } ? (T extends z.ZodType ? z.output<T> : never) : never;
type Always = { default: unknown } | { required: true };
type WithDefault = { [K in keyof Checked as Checked[K] extends Always ? K : never]: ValueOf<Checked[K]> };
type WithoutDefault = { [K in keyof Checked as Checked[K] extends Always ? never : K]?: ValueOf<Checked[K]> };

/** Every `bench run` option with its default. Keys are the flag names in camelCase. */
export type RunOptions = WithDefault &
  WithoutDefault & {
    /** Config file only: cells with their own label, regions and call options; `--model` replaces them. @default none (cells from --model) */
    cells?: CellEntry[];
  };

// The option table and the models' CallOptions must agree (checked at compile time both ways).
type CallOptionsOfTable = Pick<RunOptions, CallOptionKey>;
const _callOptionsAgree: [CallOptions, CallOptionsOfTable] = [{} as CallOptionsOfTable, {} as CallOptions];
void _callOptionsAgree;

export const runOptionsSchema = z
  .object({
    ...Object.fromEntries(
      optionList()
        .filter((d) => d.check)
        .map((d) => [d.key, field(d, d.flag)]),
    ),
    cells: z.array(cellEntrySchema).min(1, "cells: expected at least one cell").optional(),
  })
  .strict() as unknown as z.ZodType<RunOptions>;

/** Keys a config file may set (everything but the run identity and one-off switches), in table order. */
const CONFIG_KEYS = [
  ...optionList()
    .filter((d) => d.check && d.configFile !== false)
    .map((d) => d.key as string),
  "cells",
];

const kebab = flagName;
const camel = (s: string): string => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Reads bench.config.yaml|yml|json (or the given file); keys may be kebab-case or camelCase. */
export function readConfigFile(file: string | undefined, cwd = process.cwd()): Record<string, unknown> {
  const candidates = file
    ? [path.resolve(cwd, file)]
    : ["bench.config.yaml", "bench.config.yml", "bench.config.json"].map((f) => path.resolve(cwd, f));
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
    out[name] =
      name === "cells"
        ? readCells(found, value)
        : (name === "model" || name === "region" || name === "instances") && typeof value === "string"
          ? [value]
          : value;
  }
  return out;
}

/** A config file's `cells`: keys to camelCase, each entry validated; errors name the file, the cell index and the key. */
function readCells(file: string, value: unknown): Record<string, unknown>[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new UsageError(`${file}: cells: expected a list of cells, each with a model (and optional label, region and options)`);
  return value.map((entry: unknown, i) => {
    const where = `${file}: cells[${i}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry))
      throw new UsageError(`${where}: expected a mapping with a model (e.g. model: openai/gpt-4o)`);
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
      throw new UsageError(
        `${where}: ${issue.message.startsWith("--") || issue.message.startsWith(`${key}:`) ? issue.message : `${kebab(key)}: ${issue.message}`} (got ${JSON.stringify(cell[key])})`,
      );
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
    if (concurrency.trim() === "" || !Number.isInteger(n) || n <= 0)
      throw new UsageError(`BENCH_CONCURRENCY: expected a positive integer, got ${JSON.stringify(concurrency)}`);
    out["concurrency"] = n;
  }
  if (env["BENCH_MODEL"])
    out["model"] = env["BENCH_MODEL"]
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
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
      throw new UsageError(
        `cells[${String(issue.path[1])}]${issue.path[2] !== undefined ? `.${kebab(String(issue.path[2]))}` : ""}: ${issue.message}`,
      );
    }
    const text = issue.message.startsWith("--") ? issue.message : `--${kebab(key)}: ${issue.message}`;
    throw new UsageError(`${text} (got ${JSON.stringify(merged[key])})`);
  }
  return parsed.data;
}
