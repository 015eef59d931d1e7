// Input errors caught before anything runs: the typed text of a bad number, an empty --instances, BENCH_CONCURRENCY
// named as a variable, and an --output-dir that is a file.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { envOptions, rawFlagValue, resolveRunOptions } from "../../src/config/options.js";
import { checkRunDirPath } from "../../src/runner/checks.js";

describe("rawFlagValue", () => {
  it("reads --flag value, --flag=value and the camelCase spelling; the last one wins", () => {
    expect(rawFlagValue(["run", "--concurrency", "abc"], "concurrency")).toBe("abc");
    expect(rawFlagValue(["run", "--max-cost=abc"], "max-cost")).toBe("abc");
    expect(rawFlagValue(["run", "--maxCost", "x", "--max-cost", "y"], "max-cost")).toBe("y");
    expect(rawFlagValue(["run", "--temperature", "--json"], "temperature")).toBe("");
    expect(rawFlagValue(["run", "--limit", "2"], "concurrency")).toBeUndefined();
    expect(rawFlagValue(["run", "--", "--concurrency", "abc"], "concurrency")).toBeUndefined();
  });
});

describe("envOptions", () => {
  it("names BENCH_CONCURRENCY, not --concurrency, and quotes what it holds", () => {
    expect(() => envOptions({ BENCH_CONCURRENCY: "abc" })).toThrowError('BENCH_CONCURRENCY: expected a positive integer, got "abc"');
    expect(() => envOptions({ BENCH_CONCURRENCY: "0" })).toThrowError('BENCH_CONCURRENCY: expected a positive integer, got "0"');
    expect(() => envOptions({ BENCH_CONCURRENCY: "2.5" })).toThrowError('BENCH_CONCURRENCY: expected a positive integer, got "2.5"');
    expect(envOptions({ BENCH_CONCURRENCY: " 3 " })).toEqual({ concurrency: 3 });
  });
});

describe("--instances", () => {
  it("an empty list is a usage error, not every task", () => {
    expect(() => resolveRunOptions({ dataset: "d", instances: [] }, {}, {})).toThrowError(
      "--instances: expected at least one instance id (got [])",
    );
    expect(() => resolveRunOptions({ dataset: "d" }, { instances: [""] }, {})).toThrowError(
      '--instances: expected an instance id, got an empty one (got [""])',
    );
    expect(resolveRunOptions({ dataset: "d", instances: ["a"] }, {}, {}).instances).toEqual(["a"]);
  });
});

describe("checkRunDirPath", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-rundir-"));
  const file = path.join(dir, "a-file");
  writeFileSync(file, "x");

  it("refuses an --output-dir that is a file, or that lies under one", () => {
    expect(() => checkRunDirPath(path.join(file, "r1"), file, "a-file")).toThrowError(
      `--output-dir a-file: ${file} is a file, not a directory; give a folder for run directories`,
    );
    expect(() => checkRunDirPath(path.join(file, "sub", "r1"), path.join(file, "sub"), "a-file/sub")).toThrowError(
      `--output-dir a-file/sub: ${file} is a file, not a directory, so ${path.join(file, "sub")} cannot be created`,
    );
  });

  it("refuses a run id that names a file; accepts a new or existing folder", () => {
    expect(() => checkRunDirPath(file, dir, dir)).toThrowError(
      `--run-id a-file: ${file} is a file, not a run directory; pick another --run-id or --output-dir`,
    );
    expect(() => checkRunDirPath(path.join(dir, "new", "r1"), path.join(dir, "new"), "new")).not.toThrow();
    expect(() => checkRunDirPath(path.join(dir, "r1"), dir, dir)).not.toThrow();
  });
});
