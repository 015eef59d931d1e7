// `bench` as users run it: the compiled CLI in a child process, real Docker, the built-in mock.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadDataset } from "../../src/datasets/load.js";
import { formatRate } from "../../src/report/format.js";
import { wilsonInterval } from "../../src/report/stats.js";
import { REPORT_COLUMNS, SUMMARY_COLUMNS } from "../../src/report/types.js";
import { repoRoot } from "./helpers.js";
import { readCsv } from "../helpers/csv.js";

const out = mkdtempSync(path.join(os.tmpdir(), "bench-e2e-"));
const bench = (args: string[], env: NodeJS.ProcessEnv = {}) => {
  const r = spawnSync(process.execPath, [path.join(repoRoot, "bin/bench.js"), ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, OPENAI_API_KEY: "", ...env },
    timeout: 600_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const sweLite = loadDataset(path.join(repoRoot, "datasets/swe-lite"));
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("bench run --dataset swe-lite (mock)", () => {
  it("oracle resolves every task and wrong resolves none; reports, trajectories and a byte-identical rebuild", () => {
    const r = bench([
      "run",
      "--dataset",
      "swe-lite",
      "--model",
      "mock/oracle",
      "--model",
      "mock/wrong",
      "--concurrency",
      "4",
      "--output-dir",
      out,
      "--run-id",
      "full",
    ]);
    expect(r.stderr).toContain("run full:");
    expect(r.code).toBe(0);
    // The results table goes to stdout (progress and notices to stderr): both cells, the mock's made-up price marked.
    const n = sweLite.tasks.length;
    const ci = wilsonInterval(n, n)!;
    const table = r.stdout.split("\n");
    expect(table[0]).toMatch(/^cell\s+tasks\s+resolved\s+rate \[95% CI\]\s+cost\s+p50 llm$/);
    expect(table[1]).toMatch(
      new RegExp(
        `^mock/oracle\\s+${n}\\s+${n}\\s+${escapeRegExp(formatRate(1, ci.low, ci.high))}\\s+\\$\\d+\\.\\d{4}\\*\\s+\\d+\\.\\d\\ds$`,
      ),
    );
    expect(table[2]).toMatch(
      new RegExp(
        `^mock/wrong\\s+${n}\\s+0\\s+${escapeRegExp(formatRate(0, 0, wilsonInterval(0, n)!.high))}\\s+\\$\\d+\\.\\d{4}\\*\\s+\\d+\\.\\d\\ds$`,
      ),
    );
    expect(table.slice(3)).toEqual(["* mock cell: cost from a made-up price, not a real one", ""]);
    expect(r.stderr).not.toContain("rate [95% CI]");
    const dir = path.join(out, "full");
    const [header, ...rows] = readCsv(path.join(dir, "report.csv"));
    expect(header).toEqual([...REPORT_COLUMNS]);
    expect(rows).toHaveLength(sweLite.tasks.length * 2);
    const col = (row: string[], name: string) => row[REPORT_COLUMNS.indexOf(name as never)];
    for (const row of rows) {
      const cell = col(row, "cell");
      expect(col(row, "status")).toBe(cell === "mock/oracle" ? "resolved" : "unresolved");
      expect(col(row, "end_reason")).toBe("finished");
      expect(col(row, "cost_source")).toBe("price_table");
      expect(Number(col(row, "cost_usd"))).toBeGreaterThan(0);
      expect(Number(col(row, "input_tokens"))).toBeGreaterThan(0);
      expect(Number(col(row, "llm_latency_s_p50"))).toBeGreaterThanOrEqual(0);
      expect(col(row, "region")).toBe("");
      expect(col(row, "throttle_wait_s")).toBe("0");
    }
    const oracleRow = rows.find((row) => col(row, "cell") === "mock/oracle")!;
    expect(col(oracleRow, "fake_user_responses")).toBe("1");
    const [sHeader, ...cells] = readCsv(path.join(dir, "summary.csv"));
    expect(sHeader).toEqual([...SUMMARY_COLUMNS]);
    expect(cells.map((c) => [c[1], c[5], c[6], c[9]])).toEqual([
      ["mock/oracle", String(sweLite.tasks.length), String(sweLite.tasks.length), "1"],
      ["mock/wrong", String(sweLite.tasks.length), "0", "0"],
    ]);
    const task = sweLite.tasks[0]!.instance_id;
    for (const f of ["trajectory.jsonl", "patch.diff", "test_output.txt"]) {
      expect(existsSync(path.join(dir, "tasks", "mock_oracle", task, f))).toBe(true);
    }
    const runJson = JSON.parse(readFileSync(path.join(dir, "run.json"), "utf8"));
    expect(runJson).toMatchObject({ run_id: "full", status: "completed", dataset: { name: "swe-lite", tasks: sweLite.tasks.length } });
    const before = ["report.csv", "summary.csv", "summary.json"].map((f) => readFileSync(path.join(dir, f), "utf8"));
    // A run still in progress (run.json running, its lock held by a live process on this host): reported so far, and said.
    const live = mkdtempSync(path.join(os.tmpdir(), "bench-live-"));
    cpSync(dir, live, { recursive: true });
    writeFileSync(path.join(live, "run.json"), JSON.stringify({ ...runJson, status: "running" }));
    writeFileSync(path.join(live, ".lock"), JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() }));
    const partial = bench(["report", live]);
    expect(partial.code).toBe(0);
    expect(partial.stderr).toBe(`notice: ${live} is still running: the reports cover the results so far\n`);
    expect(partial.stdout.split("\n")[1]).toBe(table[1]);
    const rebuilt = bench(["report", dir]);
    expect(rebuilt.code).toBe(0);
    expect(["report.csv", "summary.csv", "summary.json"].map((f) => readFileSync(path.join(dir, f), "utf8"))).toEqual(before);
    // No workspace or grading container of the run is left behind.
    const left = spawnSync("docker", ["ps", "-aq", "--filter", "label=bench.run-id=full"], { encoding: "utf8" });
    expect(left.stdout.trim()).toBe("");
  });

  it("lazy ends at max_iterations and chatty at max_fake_responses, both still graded; --json prints one summary", () => {
    const r = bench([
      "run",
      "--dataset",
      "swe-lite",
      "--limit",
      "2",
      "--model",
      "mock/lazy",
      "--model",
      "mock/chatty",
      "--max-iterations",
      "3",
      "--max-fake-responses",
      "2",
      "--output-dir",
      out,
      "--run-id",
      "limits",
      "--json",
    ]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.cells.map((c: { cell: string; tasks: number }) => [c.cell, c.tasks])).toEqual([
      ["mock/chatty", 2],
      ["mock/lazy", 2],
    ]);
    const rows = readFileSync(path.join(out, "limits", "results.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    for (const row of rows) {
      expect(row.status).toBe("unresolved");
      expect(row.end_reason).toBe(row.cell === "mock/lazy" ? "max_iterations" : "max_fake_responses");
      expect(row.llm_calls).toBe(3);
      expect(row.fail_to_pass).toMatch(/^0\/\d+$/);
    }
  });
});

describe("bad input fails fast with exit 2 and writes nothing", () => {
  it.each([
    [["run", "--dataset", "no-such-dataset"], /--dataset no-such-dataset: no such dataset/],
    [["run", "--dataset", "swe-lite", "--model", "acme/x"], /unknown provider "acme"/],
    [["run", "--dataset", "swe-lite", "--concurrency", "0"], /--concurrency: expected a positive integer/],
    [["run", "--dataset", "swe-lite", "--instances", "nope"], /--instances: unknown instance id\(s\) nope/],
    [["run", "--dataset", "swe-lite", "--bogus"], /Unknown argument: bogus/],
    [["run"], /--dataset: required/],
  ])("%j", (args, message) => {
    const r = bench([...args, "--output-dir", path.join(out, "bad"), "--run-id", "bad"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(path.join(out, "bad"))).toBe(false);
  });

  it("too little free disk space stops the run with exit 1 before anything is written", () => {
    const r = bench(["run", "--dataset", "swe-lite", "--output-dir", path.join(out, "disk"), "--run-id", "disk"], {
      BENCH_MIN_FREE_MB: "999999999",
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/MB free under .*; bench needs at least 999999999 MB \(set BENCH_MIN_FREE_MB to change\)/);
    expect(existsSync(path.join(out, "disk"))).toBe(false);
  });

  it("grades in the agent's reset workspace by default and in a new container with --grading-workspace fresh", () => {
    const grading = (runId: string) =>
      readdirSync(path.join(out, runId, "tasks"), { recursive: true })
        .filter((f) => String(f).endsWith("trajectory.jsonl"))
        .flatMap((f) =>
          readFileSync(path.join(out, runId, "tasks", String(f)), "utf8")
            .split("\n")
            .filter((l) => l.includes('"type":"grading"')),
        )
        .map((l) => JSON.parse(l).workspace as string);
    for (const [runId, extra, workspace] of [
      ["gw-reuse", [], "reset"],
      ["gw-fresh", ["--grading-workspace", "fresh"], "new"],
    ] as const) {
      const r = bench([
        "run",
        "--dataset",
        "swe-lite",
        "--limit",
        "3",
        "--concurrency",
        "3",
        "--output-dir",
        out,
        "--run-id",
        runId,
        "--json",
        ...extra,
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ cells: [{ cell: "mock/oracle", tasks: 3, resolved: 3 }] });
      expect(grading(runId)).toEqual([workspace, workspace, workspace]);
      const fingerprint = JSON.parse(readFileSync(path.join(out, runId, "run.json"), "utf8")).fingerprint;
      expect(fingerprint.grading_workspace).toBe(extra.length > 0 ? "fresh" : undefined);
    }
    const bad = bench(["run", "--dataset", "swe-lite", "--grading-workspace", "shared", "--output-dir", out, "--run-id", "gw-bad"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--grading-workspace: expected reuse or fresh");
  });

  it("with --pull never, a sandbox image that is missing stops the run with exit 1 before anything is written", () => {
    // A copy of one swe-lite task that names an image of its own, which no Docker host has.
    const ds = mkdtempSync(path.join(os.tmpdir(), "bench-noimage-"));
    const task = sweLite.tasks[0]!;
    cpSync(task.repoDir!, path.join(ds, "repos", task.instance_id), { recursive: true });
    const line = JSON.parse(readFileSync(sweLite.file, "utf8").split("\n")[0]!) as Record<string, unknown>;
    writeFileSync(path.join(ds, "tasks.jsonl"), `${JSON.stringify({ ...line, image: "bench-test-missing/none:0" })}\n`);
    const r = bench(["run", "--dataset", ds, "--pull", "never", "--output-dir", path.join(out, "noimage"), "--run-id", "noimage"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${path.join(ds, "tasks.jsonl")}: task ${task.instance_id} needs sandbox image bench-test-missing/none:0, which is not on the Docker host, and with --pull never bench does not pull: pull or load it (docker pull / docker load), or check --image-template, then run again`,
    );
    expect(existsSync(path.join(out, "noimage"))).toBe(false);
  });

  it("missing credentials stop the run with exit 1 before any sandbox starts", () => {
    const r = bench([
      "run",
      "--dataset",
      "swe-lite",
      "--model",
      "openai/gpt-4o",
      "--output-dir",
      path.join(out, "cred"),
      "--run-id",
      "cred",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no API key: set OPENAI_API_KEY/);
    expect(existsSync(path.join(out, "cred"))).toBe(false);
  });

  it("bench --help lists the commands", () => {
    const r = bench(["--help"]);
    expect(r.code).toBe(0);
    for (const c of ["run", "report", "images", "datasets", "mock-server"]) expect(r.stdout).toContain(`bench ${c}`);
    expect(readdirSync(out)).not.toContain("bad");
  });

  it("--version, -h, run -h with grouped options, and an action left out names the choices", () => {
    const version = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")).version as string;
    expect(bench(["--version"])).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
    expect(bench(["-V"]).stdout).toBe(`${version}\n`);
    expect(bench(["-h"]).stdout).toBe(bench(["--help"]).stdout);
    const help = bench(["run", "-h"]);
    expect(help.code).toBe(0);
    const groups = help.stdout.split("\n").filter((l) => /^[A-Z][A-Za-z ]+:$/.test(l));
    expect(groups).toEqual([
      "Core options:",
      "Model calls:",
      "Limits:",
      "Sandbox and images:",
      "Output and CI:",
      "Bedrock:",
      "Mock and testing:",
      "Options:",
      "Examples:",
    ]);
    // Help wraps long lines: read it with its whitespace folded.
    const flat = help.stdout.replace(/\s+/g, " ");
    expect(flat).toContain(
      "--model Model spec <provider>/<model-id>[@region] (providers mock, openai, openai-responses, bedrock) (repeatable) [array] [default: mock/oracle]",
    );
    expect(flat).toContain("(from the hub) (required: flag, config file or --resume) [string]");
    expect(flat).toContain("--pull Pull task images (always: once per run) (one of missing, always, never) [string] [default: missing]");
    expect(bench(["images"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "bench: images: expected an action: build | list (e.g. bench images list)\n",
    });
    expect(bench(["datasets"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "bench: datasets: expected an action: list | validate (e.g. bench datasets list)\n",
    });
  });

  it("bench images list prints a table on stdout, --json one object per image", () => {
    const table = bench(["images", "list"]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^image\s+recipe\s+state\s+size\s+created$/);
    expect(
      lines.slice(1).some((l) => /^bench-sandbox-python:[0-9a-f]{12}\s+python\s+current\s+\d+ MB\s+\d{4}-\d\d-\d\d \d\d:\d\d$/.test(l)),
    ).toBe(true);
    const json = bench(["images", "list", "--json"]);
    const rows = json.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { tag: string; current: boolean });
    expect(rows.map((r) => r.tag)).toEqual(lines.slice(1).map((l) => l.split(/\s+/)[0]));
  });
});
