// A config-file matrix (two Bedrock profiles × two regions, labelled cells with their own options) and the Bedrock
// request flags, through the compiled CLI, real Docker and the real AWS SDK against the mock (--bedrock-endpoint).

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDataset } from "../../src/datasets/load.js";
import { startMockServer, type MockServer, type MockRequestRecord } from "../../src/mock/index.js";
import { lookupPrice } from "../../src/models/cost.js";
import { formatNumber } from "../../src/report/format.js";
import { REPORT_COLUMNS, SUMMARY_COLUMNS } from "../../src/report/types.js";
import { repoRoot } from "./helpers.js";
import { readCsv } from "../helpers/csv.js";

const GEO = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const GLOBAL = "global.anthropic.claude-sonnet-4-5-20250929-v1:0";
const REGIONS = ["us-west-2", "us-east-1"];
const out = mkdtempSync(path.join(os.tmpdir(), "bench-bedrock-matrix-"));
const sweLite = loadDataset(path.join(repoRoot, "datasets/swe-lite"));

function bench(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, "bin/bench.js"), ...args], { cwd: repoRoot, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function fakeAwsEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AWS_")) env[k] = v;
  return {
    ...env,
    AWS_ACCESS_KEY_ID: "AKIDMOCKMATRIX",
    AWS_SECRET_ACCESS_KEY: "mock-secret",
    AWS_EC2_METADATA_DISABLED: "true",
    OPENAI_API_KEY: "",
  };
}

const regionOf = (q: MockRequestRecord) =>
  /Credential=AKIDMOCKMATRIX\/\d{8}\/([a-z0-9-]+)\/bedrock\/aws4_request/.exec(q.headers["authorization"] ?? "")?.[1];
const bodyOf = (q: MockRequestRecord) => q.body as Record<string, unknown> & { system?: unknown[]; toolConfig?: { tools?: unknown[] } };

let server: MockServer;
beforeAll(async () => {
  server = await startMockServer({ tasks: sweLite.tasks });
});
afterAll(async () => {
  await server.close();
});

describe("bench run with config cells: 2 Bedrock profiles × 2 regions", () => {
  it("produces four labelled cells whose cost is the tokens times each profile's table price", async () => {
    const config = path.join(out, "matrix.yaml");
    writeFileSync(
      config,
      [
        "dataset: swe-lite",
        "cells:",
        "  - label: s45-geo",
        `    model: bedrock/${GEO}`,
        `    region: [${REGIONS.join(", ")}]`,
        "    temperature: 0.25",
        "  - label: s45-global",
        `    model: bedrock/${GLOBAL}`,
        `    region: [${REGIONS.join(", ")}]`,
        "    prompt-caching: true",
        "",
      ].join("\n"),
    );
    const r = await bench(
      ["run", "--config", config, "--limit", "2", "--bedrock-endpoint", server.url, "--output-dir", out, "--run-id", "matrix"],
      fakeAwsEnv(),
    );
    expect(r.stderr).toContain("run matrix: 2 task(s) × 4 cell(s)");
    expect(r.code).toBe(0);

    const dir = path.join(out, "matrix");
    const [header, ...rows] = readCsv(path.join(dir, "report.csv"));
    expect(header).toEqual([...REPORT_COLUMNS]);
    const col = (row: string[], name: string) => row[REPORT_COLUMNS.indexOf(name as never)] ?? "";
    const cellNames = ["s45-geo", "s45-global"].flatMap((label) => REGIONS.map((region) => `${label}@${region}`));
    expect(rows.map((row) => col(row, "cell")).sort()).toEqual(cellNames.flatMap((c) => [c, c]).sort());

    // The two profiles bill differently (us. is 10% above global.), so a mix-up would show.
    const geoPrice = lookupPrice("bedrock", GEO, "us-west-2")!;
    const globalPrice = lookupPrice("bedrock", GLOBAL, "us-west-2")!;
    expect([geoPrice.input, globalPrice.input]).toEqual([3.3e-6, 3e-6]);
    const totals = new Map<string, number>();
    let cachedTokens = 0;
    for (const row of rows) {
      const cell = col(row, "cell");
      const model = cell.startsWith("s45-geo") ? GEO : GLOBAL;
      expect([col(row, "provider"), col(row, "model"), col(row, "region"), col(row, "status"), col(row, "cost_source")]).toEqual([
        "bedrock",
        model,
        cell.slice(cell.indexOf("@") + 1),
        "resolved",
        "price_table",
      ]);
      const price = lookupPrice("bedrock", model, col(row, "region"))!;
      const tokens = (name: string) => Number(col(row, name));
      expect(tokens("input_tokens")).toBeGreaterThan(0);
      expect(tokens("reasoning_tokens")).toBe(0);
      cachedTokens += tokens("cache_read_tokens") + tokens("cache_write_tokens");
      if (model === GEO) expect(tokens("cache_read_tokens") + tokens("cache_write_tokens")).toBe(0);
      const expected =
        tokens("input_tokens") * price.input +
        tokens("cache_read_tokens") * price.cacheRead! +
        tokens("cache_write_tokens") * price.cacheWrite! +
        tokens("output_tokens") * price.output;
      expect(Number(col(row, "cost_usd"))).toBe(formatNumber("cost_usd", expected));
      totals.set(cell, (totals.get(cell) ?? 0) + expected);
    }
    // Prompt caching of the global cells reached the mock, which billed cache tokens for them.
    expect(cachedTokens).toBeGreaterThan(0);

    const [sHeader, ...summary] = readCsv(path.join(dir, "summary.csv"));
    expect(sHeader).toEqual([...SUMMARY_COLUMNS]);
    const s = (row: string[], name: string) => row[SUMMARY_COLUMNS.indexOf(name as never)] ?? "";
    expect(summary.map((row) => [s(row, "cell"), s(row, "tasks"), s(row, "resolved")])).toEqual(
      [...cellNames].sort().map((c) => [c, "2", "2"]),
    );
    for (const row of summary) expect(Number(s(row, "cost_usd_total"))).toBe(formatNumber("cost_usd_total", totals.get(s(row, "cell"))!));

    // run.json: each cell's label and own options; the fingerprint carries them.
    const runJson = JSON.parse(readFileSync(path.join(dir, "run.json"), "utf8")) as {
      cells: unknown[];
      fingerprint: Record<string, unknown>;
    };
    expect(runJson.cells).toEqual(
      ["s45-geo", "s45-global"].flatMap((label) =>
        REGIONS.map((region) => ({
          cell: `${label}@${region}`,
          provider: "bedrock",
          model: label === "s45-geo" ? GEO : GLOBAL,
          region,
          label,
          options: label === "s45-geo" ? { temperature: 0.25 } : { promptCaching: true },
        })),
      ),
    );
    expect(runJson.fingerprint["cell_options"]).toEqual({
      "s45-geo@us-west-2": { temperature: 0.25 },
      "s45-geo@us-east-1": { temperature: 0.25 },
      "s45-global@us-west-2": { promptCaching: true },
      "s45-global@us-east-1": { promptCaching: true },
    });

    // Each cell's calls carried its own options only, signed for its region.
    const calls = server.requests.filter(
      (q) => q.route === "bedrock.converse-stream" && q.headers["authorization"]?.includes("AKIDMOCKMATRIX"),
    );
    expect(calls).toHaveLength(4 * 2 * 5);
    for (const model of [GEO, GLOBAL]) {
      const mine = calls.filter((q) => q.model === model);
      expect(REGIONS.map((region) => mine.filter((q) => regionOf(q) === region).length)).toEqual([10, 10]);
      for (const q of mine) {
        const body = bodyOf(q);
        const cachePoints = JSON.stringify(body).match(/"cachePoint"/g)?.length ?? 0;
        if (model === GEO) {
          expect(body["inferenceConfig"]).toMatchObject({ temperature: 0.25 });
          expect(cachePoints).toBe(0);
        } else {
          expect((body["inferenceConfig"] as Record<string, unknown> | undefined)?.["temperature"]).toBeUndefined();
          expect(body.system?.at(-1)).toEqual({ cachePoint: { type: "default" } });
          expect(body.toolConfig?.tools?.at(-1)).toEqual({ cachePoint: { type: "default" } });
        }
      }
    }

    // The recorded cells (labels, options) come back on --resume: same fingerprint, nothing left to run.
    const resumed = await bench(["run", "--resume", dir, "--bedrock-endpoint", server.url], fakeAwsEnv());
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain("resuming matrix: 8 of 8 attempt(s) already done");
  }, 600_000);
});

describe("bench run --stop-sequence --additional-model-request-fields --prompt-caching --guardrail-*", () => {
  it("sends them on every Converse call", async () => {
    const before = server.requests.length;
    const r = await bench(
      [
        "run",
        "--dataset",
        "swe-lite",
        "--limit",
        "1",
        "--model",
        "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0@us-west-2",
        "--stop-sequence",
        "<<HALT-A>>",
        "--stop-sequence",
        "<<HALT-B>>",
        "--additional-model-request-fields",
        '{"top_k": 40}',
        "--prompt-caching",
        "--guardrail-id",
        "gr-mock-1",
        "--guardrail-version",
        "3",
        "--guardrail-trace",
        "enabled_full",
        "--bedrock-endpoint",
        server.url,
        "--output-dir",
        out,
        "--run-id",
        "flags",
      ],
      fakeAwsEnv(),
    );
    expect(r.code, r.stderr).toBe(0);
    const calls = server.requests.slice(before).filter((q) => q.route === "bedrock.converse-stream");
    expect(calls.length).toBeGreaterThan(0);
    for (const q of calls) {
      const body = bodyOf(q);
      expect(body["inferenceConfig"]).toMatchObject({ stopSequences: ["<<HALT-A>>", "<<HALT-B>>"] });
      expect(body["additionalModelRequestFields"]).toEqual({ top_k: 40 });
      expect(body["guardrailConfig"]).toEqual({ guardrailIdentifier: "gr-mock-1", guardrailVersion: "3", trace: "enabled_full" });
      expect(body.system?.at(-1)).toEqual({ cachePoint: { type: "default" } });
      expect(body.toolConfig?.tools?.at(-1)).toEqual({ cachePoint: { type: "default" } });
    }
    const config = (JSON.parse(readFileSync(path.join(out, "flags", "run.json"), "utf8")) as { config: Record<string, unknown> }).config;
    expect(config).toMatchObject({
      stopSequence: ["<<HALT-A>>", "<<HALT-B>>"],
      additionalModelRequestFields: { top_k: 40 },
      promptCaching: true,
      guardrailId: "gr-mock-1",
    });
  }, 600_000);

  it("exits 2 naming the flag on invalid JSON", async () => {
    const r = await bench(
      [
        "run",
        "--dataset",
        "swe-lite",
        "--model",
        "bedrock/x@us-west-2",
        "--additional-model-request-fields",
        "{thinking:",
        "--bedrock-endpoint",
        server.url,
        "--output-dir",
        out,
      ],
      fakeAwsEnv(),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--additional-model-request-fields: not valid JSON/);
  }, 60_000);
});
