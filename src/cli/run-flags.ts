// The flags of `bench run`, `bench grade` and `bench merge`, built from the one option table
// (src/config/option-defs.ts): yargs options with their help group, type, default text and "repeatable" mark,
// and the parsed arguments → option values (numbers checked against what was typed, lists, JSON objects).

import type { Argv } from "yargs";
import { OPTION_GROUPS, optionList, type OptionDef, type RunOptionKey } from "../config/option-defs.js";
import { UsageError } from "../errors.js";
import type { GivenText } from "./shared.js";

export type FlagCommand = "run" | "grade" | "merge";
type Def = ReturnType<typeof optionList>[number];

/** The options a command takes: run all but grade's own; grade all (model-only ones are refused with a message); merge the gates and --json. */
export function commandOptions(command: FlagCommand): Def[] {
  const all = optionList();
  if (command === "merge") return all.filter((d) => d.gate || d.key === "json");
  return command === "run" ? all.filter((d) => !d.gradeOnly) : all;
}

/** The help line of an option: its description, its choices, and whether it is required or repeatable. */
export function helpLine(d: OptionDef): string {
  const marks = [
    ...(d.choices ? [`one of ${d.choices.join(", ")}`] : []),
    ...(d.repeatable ? ["repeatable"] : []),
    ...(d.required ? ["required: flag, config file or --resume"] : []),
  ];
  return marks.length > 0 ? `${d.describe} (${marks.join("; ")})` : d.describe;
}

/** The default as help shows it, or undefined when there is nothing worth showing. */
export function defaultShown(d: OptionDef): string | undefined {
  if (d.defaultText !== undefined) return d.defaultText;
  if (d.default === undefined || d.default === false) return undefined;
  if (Array.isArray(d.default)) return d.default.length > 0 ? d.default.join(", ") : undefined;
  return String(d.default);
}

/** Adds the command's options to yargs. Defaults are shown, never set: a yargs default would count as a given flag. */
export function addRunFlags(y: Argv, command: FlagCommand): Argv {
  for (const d of commandOptions(command)) {
    const shown = defaultShown(d);
    y.option(d.flag, {
      type: d.type,
      ...(d.repeatable ? { array: true } : {}),
      describe: helpLine(d),
      group: OPTION_GROUPS[d.group],
      ...(shown !== undefined ? { defaultDescription: shown } : {}),
    });
  }
  return y;
}

/** A flag whose value is a JSON object; invalid JSON or a non-object is a UsageError naming the flag (exit 2). */
function jsonObject(raw: unknown, flag: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(String(raw));
  } catch (err) {
    throw new UsageError(
      `--${flag}: not valid JSON (${(err as Error).message}); expected an object, e.g. '{"thinking":{"type":"enabled","budget_tokens":2048}}'`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new UsageError(`--${flag}: expected a JSON object, got ${JSON.stringify(raw)}`);
  return value as Record<string, unknown>;
}

/** One flag's parsed value → the option value; undefined when not given. Errors name the flag and quote what was typed. */
function flagValue(d: Def, argv: Record<string, unknown>, given: GivenText): unknown {
  const v = argv[d.flag];
  if (v === undefined) return undefined;
  if (d.repeatable) return [v].flat().map(String);
  if (Array.isArray(v)) throw new UsageError(`--${d.flag}: given more than once${d.type === "number" ? ` (${v.join(", ")})` : ""}`);
  if (d.type === "number" && (typeof v !== "number" || Number.isNaN(v)))
    throw new UsageError(`--${d.flag}: expected ${d.numberWhat ?? "a number"}, got ${given(d.flag, v)}`);
  if (d.fromFlag === "json-object") return jsonObject(v, d.flag);
  if (d.fromFlag === "text") return String(v);
  if (d.fromFlag === "comma-list") {
    // An empty list (`--instances ""`, `--instances ,`) would select nothing and so, downstream, everything: refuse it.
    const items = String(v)
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    if (items.length === 0)
      throw new UsageError(
        `--${d.flag}: expected comma-separated instance ids, got ${JSON.stringify(v)} (leave the flag out to run every task)`,
      );
    return items;
  }
  return v;
}

/** The flags given to `command`, as option values keyed like RunOptions (absent flags: undefined). */
export function flagValues(argv: Record<string, unknown>, given: GivenText, command: FlagCommand): Partial<Record<RunOptionKey, unknown>> {
  const out: Partial<Record<RunOptionKey, unknown>> = {};
  for (const d of commandOptions(command)) if (d.key !== "config") out[d.key] = flagValue(d, argv, given);
  return out;
}

/** `bench grade` runs no model: the model-only flags given to it, by flag name. */
export function modelOnlyFlagsGiven(argv: Record<string, unknown>): string[] {
  return optionList()
    .filter((d) => d.modelOnly && argv[d.flag] !== undefined)
    .map((d) => d.flag);
}
