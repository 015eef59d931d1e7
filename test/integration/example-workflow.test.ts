// examples/nightly-eval.yml is documentation that runs: its `bench-*` steps are executed here, job by
// job and matrix entry by matrix entry, with `bench` = node bin/bench.js and EVAL_MODEL=mock/oracle.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "./helpers.js";

interface Step {
  id?: string;
  name?: string;
  run?: string;
  uses?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  env?: Record<string, string>;
  strategy?: { matrix: Record<string, (string | number)[]> };
  steps: Step[];
}
interface Workflow {
  on: { schedule?: { cron: string }[] };
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const workflow = parse(readFileSync(path.join(repoRoot, "examples/nightly-eval.yml"), "utf8")) as Workflow;

/** The few `${{ }}` expressions the example uses: matrix.*, github.run_id, vars.* (unset), env.*, 'literal', `a || b`. */
function expand(text: string, ctx: { matrix: Record<string, string | number>; env: Record<string, string> }): string {
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => {
    for (const part of expr.split("||").map((p) => p.trim())) {
      let value: string | undefined;
      const literal = /^'(.*)'$/.exec(part);
      if (literal) value = literal[1];
      else if (part.startsWith("matrix.")) value = String(ctx.matrix[part.slice(7)]);
      else if (part === "github.run_id") value = "4242";
      else if (part.startsWith("env.")) value = ctx.env[part.slice(4)];
      else if (part.startsWith("vars.")) value = undefined;
      else throw new Error(`example-workflow test: unsupported expression ${part}`);
      if (value) return value;
    }
    return "";
  });
}

/** Every combination of a job's matrix. */
function combinations(job: Job): Record<string, string | number>[] {
  let out: Record<string, string | number>[] = [{}];
  for (const [key, values] of Object.entries(job.strategy?.matrix ?? {})) out = out.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  return out;
}

const work = mkdtempSync(path.join(os.tmpdir(), "bench-workflow-"));
const shim = path.join(work, ".bin");
mkdirSync(shim);
writeFileSync(path.join(shim, "bench"), `#!/bin/sh\nexec "${process.execPath}" "${path.join(repoRoot, "bin/bench.js")}" "$@"\n`);
chmodSync(path.join(shim, "bench"), 0o755);

/** Runs a job's bench-* steps for one matrix entry, as Actions would (bash -eo pipefail, env layered). */
function runJob(name: string, matrix: Record<string, string | number>) {
  const job = workflow.jobs[name]!;
  const env: Record<string, string> = {};
  const layer = (vars: Record<string, string> | undefined) => {
    for (const [k, v] of Object.entries(vars ?? {})) env[k] = expand(String(v), { matrix, env });
  };
  layer(workflow.env);
  layer(job.env);
  // The test's substitutions: the mock model and a small slice of the dataset.
  Object.assign(env, { EVAL_MODEL: "mock/oracle", EVAL_ARGS: "--limit 4 --concurrency 4" });
  const ran: string[] = [];
  for (const step of job.steps) {
    if (!step.id?.startsWith("bench-") || step.run === undefined) continue;
    const stepEnv = { ...env };
    for (const [k, v] of Object.entries(step.env ?? {})) stepEnv[k] = expand(String(v), { matrix, env: stepEnv });
    const processEnv: NodeJS.ProcessEnv = {
      ...process.env,
      ...stepEnv,
      PATH: `${shim}:${process.env["PATH"]}`,
      OPENAI_API_KEY: "",
      CI: "true",
    };
    const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run], {
      cwd: work,
      env: processEnv,
      encoding: "utf8",
      timeout: 600_000,
    });
    expect(r.status, `${name} ${JSON.stringify(matrix)} step ${step.id} failed:\n${r.stderr}`).toBe(0);
    ran.push(step.id);
  }
  return ran;
}

describe("examples/nightly-eval.yml", () => {
  it("is a nightly workflow: matrix over regions × shards, a merge per region, artifacts uploaded even on failure", () => {
    expect(workflow.on.schedule?.[0]?.cron).toMatch(/^\S+ \S+ \* \* \*$/);
    const shard = workflow.jobs["shard"]!;
    const merge = workflow.jobs["merge"]!;
    expect(shard.strategy?.matrix["region"]?.length).toBeGreaterThanOrEqual(2);
    expect(shard.strategy?.matrix["shard"]).toEqual([1, 2, 3]);
    expect(workflow.env?.["SHARDS"]).toBe("3");
    expect(merge.needs).toBe("shard");
    expect(merge.strategy?.matrix["region"]).toEqual(shard.strategy?.matrix["region"]);
    for (const job of [shard, merge]) {
      const upload = job.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
      expect(upload?.if).toBe("always()");
    }
    expect(merge.steps.find((s) => s.uses?.startsWith("actions/download-artifact@"))?.with).toMatchObject({
      "merge-multiple": true,
      path: "shards/",
    });
  });

  it("its bench steps run against the mock: shards per region, merged, gated, with and without a baseline", () => {
    const shardJob = workflow.jobs["shard"]!;
    for (const matrix of combinations(shardJob)) {
      expect(runJob("shard", matrix)).toEqual(["bench-image", "bench-run"]);
    }
    const regions = shardJob.strategy!.matrix["region"]!.map(String);
    // Last night's summary for the first region only: its merge also runs the regression gate.
    mkdirSync(path.join(work, "baseline"));
    writeFileSync(
      path.join(work, "baseline", "summary.json"),
      JSON.stringify({ run_id: "last-night", cells: [{ cell: "mock/oracle", resolve_rate: 1 }] }),
    );
    for (const [i, region] of regions.entries()) {
      if (i === 1) spawnSync("rm", ["-r", path.join(work, "baseline")]);
      expect(runJob("merge", { region })).toEqual(["bench-merge"]);
      const summary = JSON.parse(readFileSync(path.join(work, "eval", `${region}.json`), "utf8"));
      expect(summary).toMatchObject({
        run_id: `nightly-4242-${region}`,
        status: "completed",
        shard: null,
        gates: { passed: true, exit_code: 0 },
      });
      expect(summary.cells.map((c: { cell: string; tasks: number; resolved: number }) => [c.cell, c.tasks, c.resolved])).toEqual([
        ["mock/oracle", 4, 4],
      ]);
      expect(summary.gates.results.map((r: { gate: string }) => r.gate)).toEqual(
        i === 0 ? ["fail_under", "max_regression", "max_infra_errors"] : ["fail_under", "max_infra_errors"],
      );
      const runDir = path.join(work, "eval", `nightly-4242-${region}`);
      for (const f of ["results.jsonl", "run.json", "report.csv", "summary.csv", "summary.json", "report.html"])
        expect(existsSync(path.join(runDir, f))).toBe(true);
      expect(JSON.parse(readFileSync(path.join(runDir, "run.json"), "utf8")).shards).toHaveLength(3);
    }
  }, 900_000);
});
