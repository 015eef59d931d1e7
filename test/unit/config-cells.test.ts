// Config-file matrix cells (labels, regions, per-cell options) and the Bedrock request options from flags and config.

import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { expandConfiguredCells } from "../../src/config/model-spec.js";
import { pickCallOptions } from "../../src/models/call-options.js";
import { readConfigFile, resolveRunOptions } from "../../src/config/options.js";
import { bedrockRequestOptions, checkCallOptions, effectiveCallOptions } from "../../src/models/factory.js";
import { OPTIONAL_CHAT_PARAMS, toChatRequest } from "../../src/models/openai-chat.js";
import { runFingerprint } from "../../src/runner/resume.js";

const YAML = `dataset: swe-lite
temperature: 0.7
cells:
  - label: sonnet-thinking
    model: bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0
    region: [us-west-2, us-east-1]
    additional-model-request-fields: {thinking: {type: enabled, budget_tokens: 2048}}
  - label: gpt4o-t0
    model: openai/gpt-4o
    temperature: 0
  - model: bedrock/eu.amazon.nova-pro-v1:0
    region: eu-west-1
    prompt-caching: true
    stop-sequence: END
`;

function configDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-cells-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

describe("config cells", () => {
  it("reads cells with camelCase keys and a region list", () => {
    const config = readConfigFile(undefined, configDir({ "bench.config.yaml": YAML }));
    expect(config["cells"]).toEqual([
      {
        label: "sonnet-thinking",
        model: "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0",
        region: ["us-west-2", "us-east-1"],
        additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 2048 } },
      },
      { label: "gpt4o-t0", model: "openai/gpt-4o", temperature: 0 },
      { model: "bedrock/eu.amazon.nova-pro-v1:0", region: "eu-west-1", promptCaching: true, stopSequence: "END" },
    ]);
    const o = resolveRunOptions({}, config, {});
    expect(o.cells?.[2]).toEqual({
      model: "bedrock/eu.amazon.nova-pro-v1:0",
      region: ["eu-west-1"],
      promptCaching: true,
      stopSequence: ["END"],
    });
    expect(o.temperature).toBe(0.7);
  });

  it("expands cells: label@region with several regions, the label alone with one, the model name without a label", () => {
    const o = resolveRunOptions({}, readConfigFile(undefined, configDir({ "bench.config.yaml": YAML })), {});
    const cells = expandConfiguredCells(o.cells!, o.region, "us-east-1");
    expect(cells).toEqual([
      {
        provider: "bedrock",
        model: "us.anthropic.claude-sonnet-4-20250514-v1:0",
        region: "us-west-2",
        cell: "sonnet-thinking@us-west-2",
        label: "sonnet-thinking",
        options: { additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 2048 } } },
      },
      {
        provider: "bedrock",
        model: "us.anthropic.claude-sonnet-4-20250514-v1:0",
        region: "us-east-1",
        cell: "sonnet-thinking@us-east-1",
        label: "sonnet-thinking",
        options: { additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 2048 } } },
      },
      { provider: "openai", model: "gpt-4o", cell: "gpt4o-t0", label: "gpt4o-t0", options: { temperature: 0 } },
      {
        provider: "bedrock",
        model: "eu.amazon.nova-pro-v1:0",
        region: "eu-west-1",
        cell: "bedrock/eu.amazon.nova-pro-v1:0@eu-west-1",
        options: { promptCaching: true, stopSequence: ["END"] },
      },
    ]);
    // A regionless bedrock cell takes the run's --region list, else the default region.
    expect(
      expandConfiguredCells(
        [{ model: "bedrock/global.anthropic.claude-sonnet-4-5-20250929-v1:0", label: "g" }],
        ["us-west-2", "us-east-1"],
      ).map((c) => c.cell),
    ).toEqual(["g@us-west-2", "g@us-east-1"]);
    expect(
      expandConfiguredCells([{ model: "bedrock/global.anthropic.claude-sonnet-4-5-20250929-v1:0", label: "g" }], [], "eu-west-1").map(
        (c) => [c.cell, c.region],
      ),
    ).toEqual([["g", "eu-west-1"]]);
  });

  it("rejects unknown keys (file, index, key), bad labels, duplicate names and regions on other providers", () => {
    const dir = configDir({
      "unknown.yaml": "cells:\n  - model: mock/oracle\n  - model: mock/wrong\n    temprature: 0\n",
      "nomodel.yaml": "cells:\n  - label: x\n",
      "label.yaml": "cells:\n  - model: mock/oracle\n    label: 'has space'\n",
      "bad.yaml": "cells:\n  - model: mock/oracle\n    temperature: 5\n",
      "notlist.yaml": "cells: mock/oracle\n",
    });
    expect(() => readConfigFile("unknown.yaml", dir)).toThrowError(`${path.join(dir, "unknown.yaml")}: cells[1]: unknown key "temprature"`);
    expect(() => readConfigFile("nomodel.yaml", dir)).toThrowError(/nomodel\.yaml: cells\[0\]: model: required/);
    expect(() => readConfigFile("label.yaml", dir)).toThrowError(/label\.yaml: cells\[0\]: label: expected \[A-Za-z0-9\._@\/:-\]\+/);
    expect(() => readConfigFile("bad.yaml", dir)).toThrowError(/bad\.yaml: cells\[0\]: --temperature: expected 0 to 2 \(got 5\)/);
    expect(() => readConfigFile("notlist.yaml", dir)).toThrowError(/notlist\.yaml: cells: expected a list/);
    expect(() =>
      expandConfiguredCells(
        [
          { model: "mock/oracle", label: "a" },
          { model: "mock/wrong", label: "a" },
        ],
        [],
      ),
    ).toThrowError(`cells[1]: cell name "a" is also cells[0]'s; give each cell a unique label`);
    expect(() => expandConfiguredCells([{ model: "mock/oracle" }, { model: "mock/oracle" }], [])).toThrowError(
      /cells\[1\]: cell name "mock\/oracle"/,
    );
    expect(() => expandConfiguredCells([{ model: "openai/gpt-4o", region: ["us-east-1"] }], [])).toThrowError(
      "cells[0].region: regions only apply to bedrock models (openai/gpt-4o)",
    );
    expect(() => expandConfiguredCells([{ model: "mock/oracle" }], ["us-east-1"])).toThrowError(
      /--region us-east-1: regions only apply to bedrock cells/,
    );
    expect(() => expandConfiguredCells([{ model: "bedrock/x", region: ["mars-1"] }], [])).toThrowError(
      /cells\[0\]\.region "mars-1": not an AWS region/,
    );
  });

  it("--model replaces the config file's cells (flags win); BENCH_MODEL does not", () => {
    const config = { cells: [{ model: "mock/wrong", label: "w" }] };
    expect(resolveRunOptions({ model: ["mock/oracle"] }, { dataset: "d", ...config }, {}).cells).toBeUndefined();
    expect(resolveRunOptions({}, { dataset: "d", ...config }, { model: ["mock/lazy"] }).cells).toEqual(config.cells);
  });

  it("puts per-cell options in the fingerprint only when a cell has them", () => {
    const o = resolveRunOptions({ dataset: "d" }, {}, {});
    const plain = [{ provider: "mock" as const, model: "oracle", cell: "mock/oracle" }];
    expect(runFingerprint(o, "h", plain)).not.toHaveProperty("cell_options");
    expect(runFingerprint(o, "h", [{ ...plain[0]!, cell: "a", label: "a" }])).not.toHaveProperty("cell_options");
    expect(
      runFingerprint(o, "h", [
        { ...plain[0]!, cell: "a", label: "a", options: { temperature: 0 } },
        { ...plain[0]!, cell: "b" },
      ])["cell_options"],
    ).toEqual({
      a: { temperature: 0 },
    });
  });
});

describe("Bedrock request options", () => {
  it("validates the flags' values", () => {
    const o = resolveRunOptions(
      {
        dataset: "d",
        stopSequence: ["A", "B"],
        additionalModelRequestFields: { top_k: 5 },
        promptCaching: true,
        guardrailId: "g1",
        guardrailVersion: "2",
        guardrailTrace: "enabled_full",
      },
      {},
      {},
    );
    expect(pickCallOptions(o)).toEqual({
      stopSequence: ["A", "B"],
      additionalModelRequestFields: { top_k: 5 },
      promptCaching: true,
      guardrailId: "g1",
      guardrailVersion: "2",
      guardrailTrace: "enabled_full",
    });
    expect(() => resolveRunOptions({ dataset: "d", guardrailTrace: "loud" }, {}, {})).toThrowError(
      /--guardrail-trace: expected one of enabled, disabled, enabled_full/,
    );
    expect(() => resolveRunOptions({ dataset: "d" }, { additionalModelRequestFields: [1] }, {})).toThrowError(
      /--additional-model-request-fields: expected a JSON object/,
    );
    // A config file may write one stop sequence as a string, and a numeric guardrail version.
    expect(resolveRunOptions({ dataset: "d" }, { stopSequence: "X", guardrailVersion: 3 }, {})).toMatchObject({
      stopSequence: ["X"],
      guardrailVersion: "3",
    });
  });

  it("merges run-level < the cell's own and maps them to BedrockClient options", () => {
    const cell = { options: { temperature: 0, guardrailTrace: "disabled" as const } };
    const o = effectiveCallOptions(cell, {
      callOptions: { temperature: 0.7, topP: 0.5, guardrailId: "g", guardrailVersion: "1", stopSequence: ["S"] },
    });
    expect(o).toEqual({
      temperature: 0,
      topP: 0.5,
      guardrailId: "g",
      guardrailVersion: "1",
      guardrailTrace: "disabled",
      stopSequence: ["S"],
    });
    expect(bedrockRequestOptions(o)).toEqual({ stopSequences: ["S"], guardrail: { id: "g", version: "1", trace: "disabled" } });
    expect(bedrockRequestOptions({ promptCaching: false, additionalModelRequestFields: { a: 1 } })).toEqual({
      additionalModelRequestFields: { a: 1 },
    });
  });

  it("refuses half a guardrail and warns about bedrock-only options on other providers", () => {
    const mock = { provider: "mock" as const, model: "oracle", cell: "mock/oracle" };
    const bedrock = { provider: "bedrock" as const, model: "m", region: "us-east-1", cell: "b" };
    expect(() => checkCallOptions([bedrock], { callOptions: { guardrailId: "g" } })).toThrowError(
      "b: --guardrail-id and --guardrail-version go together (got only --guardrail-id)",
    );
    expect(() => checkCallOptions([bedrock], { callOptions: { guardrailTrace: "enabled" } })).toThrowError(/--guardrail-trace needs/);
    const responses = { provider: "openai-responses" as const, model: "gpt-5", cell: "openai-responses/gpt-5" };
    // Chat Completions (openai, mock) take stop sequences as `stop`; the Responses API has none.
    expect(checkCallOptions([bedrock, mock, responses], { callOptions: { stopSequence: ["x"], promptCaching: true } })).toEqual([
      "mock/oracle: --prompt-caching not supported by this provider; not sent for this cell",
      "openai-responses/gpt-5: --stop-sequence, --prompt-caching not supported by this provider; not sent for this cell",
    ]);
    expect(toChatRequest("gpt-4o", { system: "s", messages: [], tools: [] }, { stop: ["<<A>>"] }).stop).toEqual(["<<A>>"]);
    expect(
      toChatRequest("gpt-4o", { system: "s", messages: [], tools: [] }, { stop: ["<<A>>"], drop: new Set(OPTIONAL_CHAT_PARAMS) }).stop,
    ).toEqual(["<<A>>"]);
    expect(toChatRequest("gpt-4o", { system: "s", messages: [], tools: [] }, {})).not.toHaveProperty("stop");
    expect(checkCallOptions([mock], { callOptions: { promptCaching: false, temperature: 0 } })).toEqual([]);
  });
});
