// The one option table (src/config/option-defs.ts) drives yargs, the schema, the config-file keys and the docs:
// the docs table must list exactly its flags, and help must show groups, defaults and repeatable flags.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { commandOptions, defaultShown, flagValues, helpLine, modelOnlyFlagsGiven } from "../../src/cli/run-flags.js";
import { optionList, RUN_OPTIONS } from "../../src/config/option-defs.js";
import { readConfigFile, runOptionsSchema } from "../../src/config/options.js";
import { CALL_OPTION_KEYS } from "../../src/models/call-options.js";

const root = path.resolve(import.meta.dirname, "../..");

/** The flags named in the first column of docs/ARCHITECTURE.md's `bench run` options table (`--no-x` → `x`). */
function docsFlags(): string[] {
  const text = readFileSync(path.join(root, "docs/ARCHITECTURE.md"), "utf8");
  const start = text.indexOf("| flag | default | meaning |");
  const table = text.slice(start, text.indexOf("\n\n", start)).split("\n").slice(2);
  const flags = table.flatMap((row) => [...(row.split("|")[1] ?? "").matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1]!.replace(/^no-/, "")));
  return [...new Set(flags)].sort();
}

describe("the option table", () => {
  it("docs/ARCHITECTURE.md's flag table lists exactly the table's flags", () => {
    expect(docsFlags()).toEqual(
      optionList()
        .map((d) => d.flag)
        .sort(),
    );
  });

  it("every run option with a check is in the zod schema, and the call options come from it", () => {
    const shape = Object.keys((runOptionsSchema as unknown as { shape: Record<string, unknown> }).shape).sort();
    expect(shape).toEqual(
      [
        ...optionList()
          .filter((d) => d.check)
          .map((d) => d.key),
        "cells",
      ].sort(),
    );
    for (const k of CALL_OPTION_KEYS) expect(RUN_OPTIONS[k].check).toBeTypeOf("function");
  });

  it("config-file keys are the table's keys but config, resume, rerun-errors and json (plus cells)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "bench-keys-"));
    writeFileSync(path.join(dir, "bench.config.yaml"), "json: true\n");
    const known = [
      ...optionList()
        .filter((d) => d.check && d.configFile !== false)
        .map((d) => d.flag),
      "cells",
    ];
    expect(() => readConfigFile(undefined, dir)).toThrowError(
      `${path.join(dir, "bench.config.yaml")}: unknown key "json" (known: ${known.join(", ")})`,
    );
    expect(
      optionList()
        .filter((d) => d.configFile === false)
        .map((d) => d.key),
    ).toEqual(["config", "resume", "rerunErrors", "json"]);
    writeFileSync(path.join(dir, "bench.config.yaml"), "max-cost: 5\ndocker-host: unix:///x.sock\n");
    expect(readConfigFile(undefined, dir)).toEqual({ maxCost: 5, dockerHost: "unix:///x.sock" });
  });

  it("commands take their share: run all but --predictions, grade all, merge the gates and --json", () => {
    expect(commandOptions("run").some((d) => d.key === "predictions")).toBe(false);
    expect(commandOptions("grade")).toHaveLength(optionList().length);
    expect(commandOptions("merge").map((d) => d.flag)).toEqual(["json", "fail-under", "baseline", "max-regression", "max-infra-errors"]);
  });

  it("help lines mark choices, repeatable and required; defaults are shown, never set", () => {
    expect(helpLine(RUN_OPTIONS.model)).toBe(
      "Model spec <provider>/<model-id>[@region] (providers mock, openai, openai-responses, bedrock) (repeatable)",
    );
    expect(helpLine(RUN_OPTIONS.pull)).toBe("Pull task images (always: once per run) (one of missing, always, never)");
    expect(helpLine(RUN_OPTIONS.dataset)).toBe(
      "Dataset: swe-lite, a folder, a SWE-bench .jsonl/.json/.parquet, or swe-bench-lite | swe-bench-verified | swe-bench (from the hub) (required: flag, config file or --resume)",
    );
    expect(
      [
        RUN_OPTIONS.model,
        RUN_OPTIONS.region,
        RUN_OPTIONS.concurrency,
        RUN_OPTIONS.quiet,
        RUN_OPTIONS.stream,
        RUN_OPTIONS.gradingConcurrency,
      ].map(defaultShown),
    ).toEqual(["mock/oracle", undefined, "4", undefined, "true", "--concurrency"]);
  });
});

describe("flag values (src/cli/run-flags.ts)", () => {
  const given = (name: string, parsed: unknown) => JSON.stringify(parsed ?? name);
  it("turns parsed flags into option values; absent flags stay undefined", () => {
    const v = flagValues(
      {
        dataset: "d",
        model: "mock/oracle",
        instances: " a, ,b ",
        "additional-model-request-fields": '{"k":1}',
        "guardrail-version": 1,
        concurrency: 3,
      },
      given,
      "run",
    );
    expect([v.dataset, v.model, v.instances, v.additionalModelRequestFields, v.guardrailVersion, v.concurrency, v.limit]).toEqual([
      "d",
      ["mock/oracle"],
      ["a", "b"],
      { k: 1 },
      "1",
      3,
      undefined,
    ]);
    expect("predictions" in v).toBe(false);
    expect("config" in v).toBe(false);
  });
  it("errors name the flag and say what was given", () => {
    expect(() => flagValues({ concurrency: Number.NaN }, () => '"abc"', "run")).toThrowError('--concurrency: expected a number, got "abc"');
    expect(() => flagValues({ "max-regression": Number.NaN }, () => '"x"', "merge")).toThrowError(
      '--max-regression: expected a number of percentage points, got "x"',
    );
    expect(() => flagValues({ limit: [1, 2] }, given, "run")).toThrowError("--limit: given more than once (1, 2)");
    expect(() => flagValues({ dataset: ["a", "b"] }, given, "run")).toThrowError("--dataset: given more than once");
    expect(() => flagValues({ instances: " , " }, given, "run")).toThrowError(
      '--instances: expected comma-separated instance ids, got " , " (leave the flag out to run every task)',
    );
    expect(() => flagValues({ "additional-model-request-fields": "[1]" }, given, "run")).toThrowError(
      '--additional-model-request-fields: expected a JSON object, got "[1]"',
    );
  });
  it("bench grade names the model-only flags it was given", () => {
    expect(modelOnlyFlagsGiven({ model: ["x"], temperature: 0, dataset: "d", "max-iterations": 3 })).toEqual([
      "model",
      "temperature",
      "max-iterations",
    ]);
  });
});
