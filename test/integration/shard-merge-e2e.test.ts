// Sharded runs merged equal one unsharded run; CI gates and --json through the compiled CLI (real Docker, the mock).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readResults } from "../../src/report/store.js";
import { repoRoot } from "./helpers.js";

const out = mkdtempSync(path.join(os.tmpdir(), "bench-shard-"));
const bench = (args: string[]) => {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENAI_API_KEY: "" };
  delete env["CI"];
  const r = spawnSync(process.execPath, [path.join(repoRoot, "bin/bench.js"), ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    env,
    timeout: 600_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
/** stdout must be exactly one line of JSON. */
const onlyJson = (stdout: string) => {
  expect(stdout.endsWith("\n")).toBe(true);
  expect(stdout.trimEnd().split("\n")).toHaveLength(1);
  return JSON.parse(stdout) as {
    run_id: string;
    status: string;
    shard: string | null;
    cells: Record<string, unknown>[];
    gates: {
      passed: boolean;
      exit_code: number;
      results: { gate: string; cell: string | null; passed: boolean; message: string }[];
    } | null;
  };
};
const common = ["run", "--dataset", "swe-lite", "--limit", "6", "--model", "mock/oracle", "--model", "mock/wrong", "--concurrency", "4"];
const statuses = async (dir: string) =>
  Object.fromEntries((await readResults(path.join(dir, "results.jsonl"))).results.map((r) => [`${r.cell} ${r.instance_id}`, r.status]));
const counts = (cells: Record<string, unknown>[]) =>
  cells.map((c) => [
    c["cell"],
    c["tasks"],
    c["resolved"],
    c["unresolved"],
    c["errors"],
    c["resolve_rate"],
    c["resolve_rate_ci_low"],
    c["resolve_rate_ci_high"],
  ]);

describe("--shard and bench merge", () => {
  it("three shards merged equal one unsharded run; gates and --json on every path", async () => {
    const whole = bench([...common, "--output-dir", out, "--run-id", "whole", "--json"]);
    expect(whole.code, whole.stderr).toBe(0);
    const wholeJson = onlyJson(whole.stdout);
    expect(wholeJson).toMatchObject({ run_id: "whole", status: "completed", shard: null, gates: null });

    const shardDirs: string[] = [];
    for (const i of [1, 2, 3]) {
      const r = bench([
        ...common,
        "--shard",
        `${i}/3`,
        "--output-dir",
        path.join(out, "shards"),
        "--run-id",
        `nightly-${i}`,
        "--json",
        ...(i === 3 ? ["--quiet"] : []),
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(onlyJson(r.stdout)).toMatchObject({ run_id: `nightly-${i}`, status: "completed", shard: `${i}/3` });
      expect(r.stderr).toMatch(new RegExp(`shard ${i}/3: \\d+ of 6 task\\(s\\)`));
      // Not a TTY: one plain line per finished task, except with --quiet.
      if (i === 3) expect(r.stderr).not.toMatch(/^\[\d+\/\d+\] /m);
      const dir = path.join(out, "shards", `nightly-${i}`);
      const runJson = JSON.parse(readFileSync(path.join(dir, "run.json"), "utf8"));
      expect(runJson).toMatchObject({ shard: `${i}/3`, fingerprint: { shard: `${i}/3` } });
      shardDirs.push(dir);
    }

    // A shard with another configuration is refused, naming the difference.
    const odd = bench([
      ...common,
      "--shard",
      "2/3",
      "--max-iterations",
      "50",
      "--output-dir",
      path.join(out, "odd"),
      "--run-id",
      "odd",
      "--quiet",
    ]);
    expect(odd.code, odd.stderr).toBe(0);
    const refused = bench(["merge", shardDirs[0]!, path.join(out, "odd", "odd"), "--out", path.join(out, "refused")]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `cannot merge:\n  ${path.join(out, "odd", "odd")}: configuration differs from ${shardDirs[0]}: max_iterations: 100 → 50`,
    );
    expect(existsSync(path.join(out, "refused"))).toBe(false);

    const mergedDir = path.join(out, "merged");
    const merged = bench(["merge", ...shardDirs, "--out", mergedDir, "--json", "--fail-under", "mock/oracle=1", "--max-infra-errors", "0"]);
    expect(merged.stderr).toContain("gates: all 2 passed");
    expect(merged.code, merged.stderr).toBe(0);
    const mergedJson = onlyJson(merged.stdout);
    expect(mergedJson).toMatchObject({ run_id: "merged", status: "completed", shard: null, gates: { passed: true, exit_code: 0 } });
    expect(counts(mergedJson.cells)).toEqual(counts(wholeJson.cells));
    expect(await statuses(mergedDir)).toEqual(await statuses(path.join(out, "whole")));
    const summaryOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, "summary.json"), "utf8")).cells as Record<string, unknown>[];
    expect(counts(summaryOf(mergedDir))).toEqual(counts(summaryOf(path.join(out, "whole"))));
    const runJson = JSON.parse(readFileSync(path.join(mergedDir, "run.json"), "utf8"));
    expect(runJson.shards.map((s: { shard: string }) => s.shard)).toEqual(["1/3", "2/3", "3/3"]);
    expect(runJson.dataset.tasks).toBe(6);
    for (const r of (await readResults(path.join(mergedDir, "results.jsonl"))).results) {
      expect(r.run_id).toBe("merged");
      expect(existsSync(path.join(mergedDir, "tasks", r.cell.replace("/", "_"), r.instance_id, "patch.diff"))).toBe(true);
    }
    // The merged directory is a normal run directory: `bench report` rebuilds the same bytes.
    const before = readFileSync(path.join(mergedDir, "summary.csv"), "utf8");
    expect(bench(["report", mergedDir]).code).toBe(0);
    expect(readFileSync(path.join(mergedDir, "summary.csv"), "utf8")).toBe(before);

    // Gate failure on a resume with nothing to do: the JSON still comes first, then exit 3 with one line per failing cell.
    const baseline = path.join(out, "baseline.json");
    writeFileSync(
      baseline,
      JSON.stringify({
        run_id: "old",
        cells: [
          { cell: "mock/oracle", resolve_rate: 1 },
          { cell: "mock/wrong", resolve_rate: 0.5 },
        ],
      }),
    );
    const gated = bench([
      "run",
      "--resume",
      path.join(out, "whole"),
      "--json",
      "--fail-under",
      "0.5",
      "--baseline",
      baseline,
      "--max-regression",
      "10",
    ]);
    expect(gated.stderr).toContain("12 of 12 attempt(s) already done");
    expect(gated.code).toBe(3);
    const gatedJson = onlyJson(gated.stdout);
    expect(gatedJson.gates).toMatchObject({ passed: false, exit_code: 3 });
    expect(gatedJson.gates!.results.filter((r) => !r.passed).map((r) => r.message)).toEqual([
      "fail-under: mock/wrong resolve rate 0.0% (0/6) is below 50.0%",
      "max-regression: mock/wrong resolve rate 0.0% is 50.0 points below the baseline's 50.0% (allowed drop 10.0 points)",
    ]);
    expect(gated.stderr).toContain("gate failed: fail-under: mock/wrong resolve rate 0.0% (0/6) is below 50.0%\n");
    expect(gated.stderr).toContain(
      "gate failed: max-regression: mock/wrong resolve rate 0.0% is 50.0 points below the baseline's 50.0% (allowed drop 10.0 points)\n",
    );
    expect(gated.stderr).toContain("bench: 2 gate(s) failed");
    expect(gated.stderr).not.toContain("gate failed: fail-under: mock/oracle");

    // A gate that cannot be evaluated is a usage error before anything runs.
    const bad = bench([...common, "--output-dir", out, "--run-id", "bad-gate", "--fail-under", "mock/lazy=0.5"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--fail-under mock/lazy=0.5: the run has no cell "mock/lazy" (cells: mock/oracle, mock/wrong)');
    expect(bad.stdout).toBe("");
    expect(existsSync(path.join(out, "bad-gate"))).toBe(false);
    const badShard = bench([...common, "--output-dir", out, "--run-id", "bad-shard", "--shard", "4/3"]);
    expect(badShard.code).toBe(2);
    expect(badShard.stderr).toContain('--shard: expected I/N with 1 ≤ I ≤ N (e.g. 2/4) (got "4/3")');
  }, 900_000);
});
