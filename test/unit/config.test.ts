import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { expandCells, parseModelSpec } from "../../src/config/model-spec.js";
import { cellDirName } from "../../src/report/types.js";
import { readConfigFile, resolveRunOptions } from "../../src/config/options.js";
import { UsageError } from "../../src/errors.js";

describe("model specs", () => {
  it("parses provider/model", () => {
    expect(parseModelSpec("mock/oracle")).toEqual({ provider: "mock", model: "oracle" });
    expect(parseModelSpec("openai/gpt-4o")).toEqual({ provider: "openai", model: "gpt-4o" });
  });
  it("rejects malformed specs, unknown providers and policies, and regions on non-regional providers", () => {
    expect(() => parseModelSpec("gpt-4o")).toThrowError(/expected <provider>\/<model-id>/);
    expect(() => parseModelSpec("acme/x")).toThrowError('--model "acme/x": unknown provider "acme"');
    expect(() => parseModelSpec("mock/genius")).toThrowError(/unknown mock policy "genius"/);
    expect(() => parseModelSpec("openai/gpt-4o@us-east-1")).toThrowError(/only applies to bedrock/);
    expect(() => parseModelSpec("openai/")).toThrowError(UsageError);
  });
  it("expands cells and rejects --region without a bedrock model", () => {
    expect(expandCells([parseModelSpec("mock/oracle"), parseModelSpec("mock/oracle"), parseModelSpec("mock/wrong")], [])).toEqual([
      { provider: "mock", model: "oracle", cell: "mock/oracle" },
      { provider: "mock", model: "wrong", cell: "mock/wrong" },
    ]);
    expect(() => expandCells([parseModelSpec("mock/oracle")], ["us-east-1"])).toThrowError(/regions only apply to bedrock/);
    expect(() => expandCells([parseModelSpec("mock/oracle")], ["moon-1"])).toThrowError(/not an AWS region/);
  });
  it("makes folder-safe cell names", () => {
    expect(cellDirName("bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0@us-west-2")).toBe(
      "bedrock_us.anthropic.claude-sonnet-4-20250514-v1_0@us-west-2",
    );
  });
});

describe("run options", () => {
  it("applies defaults and precedence flags > config > env", () => {
    const o = resolveRunOptions(
      { dataset: "swe-lite", concurrency: 8 },
      { concurrency: 2, maxIterations: 7 },
      { concurrency: 1, outputDir: "out" },
    );
    expect(o).toMatchObject({
      dataset: "swe-lite",
      concurrency: 8,
      maxIterations: 7,
      outputDir: "out",
      model: ["mock/oracle"],
      maxFakeResponses: 10,
      stream: true,
    });
  });
  it("names the flag on bad values", () => {
    expect(() => resolveRunOptions({ dataset: "d", concurrency: 0 }, {}, {})).toThrowError(
      "--concurrency: expected a positive integer (got 0)",
    );
    expect(() => resolveRunOptions({ dataset: "d", maxIterations: -3 }, {}, {})).toThrowError(
      /--max-iterations: expected a positive integer/,
    );
    expect(() => resolveRunOptions({ dataset: "d", limit: 1.5 }, {}, {})).toThrowError(/--limit: expected an integer/);
  });
  it("reads config files and rejects unknown keys", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "bench-cfg-"));
    writeFileSync(path.join(dir, "bench.config.yaml"), "model: mock/wrong\nmax-iterations: 5\n");
    expect(readConfigFile(undefined, dir)).toEqual({ model: ["mock/wrong"], maxIterations: 5 });
    writeFileSync(path.join(dir, "bad.json"), JSON.stringify({ concurency: 3 }));
    expect(() => readConfigFile("bad.json", dir)).toThrowError(/bad.json: unknown key "concurency"/);
    expect(() => readConfigFile("missing.yaml", dir)).toThrowError("--config missing.yaml: no such file");
  });
});
