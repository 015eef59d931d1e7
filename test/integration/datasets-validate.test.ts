// `bench datasets validate|list` through the compiled CLI against real Docker.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./helpers.js";

const bench = (args: string[]) => {
  const r = spawnSync(process.execPath, [path.join(repoRoot, "bin/bench.js"), ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    timeout: 600_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe("bench datasets", () => {
  it("validate swe-lite: every gold patch resolves, the empty patch resolves none", () => {
    const r = bench(["datasets", "validate", "swe-lite", "--concurrency", "4"]);
    expect(r.stderr).toMatch(/all 17 task\(s\) valid/);
    expect(r.code).toBe(0);
  });

  it("validate names the task whose gold patch does not resolve it, exit 2", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "bench-badds-"));
    const src = path.join(repoRoot, "datasets/swe-lite");
    const lines = readFileSync(path.join(src, "tasks.jsonl"), "utf8")
      .trim()
      .split("\n")
      .slice(0, 2)
      .map((l) => JSON.parse(l));
    lines[1].patch = ""; // no fix: the gold patch no longer resolves the task
    writeFileSync(path.join(dir, "tasks.jsonl"), `${lines.map((t) => JSON.stringify(t)).join("\n")}\n`);
    for (const t of lines) cpSync(path.join(src, "repos", t.instance_id), path.join(dir, "repos", t.instance_id), { recursive: true });
    const r = bench(["datasets", "validate", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${lines[1].instance_id}: gold patch does not resolve the task`);
    expect(r.stderr).not.toContain(`${lines[0].instance_id}: gold patch does not`);
    expect(r.stderr).toContain(`${lines[0].instance_id}: gold resolves, empty patch does not resolve`);
  });

  it("list shows the built-in datasets", () => {
    const r = bench(["datasets", "list"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^swe-lite\t17 tasks\t/m);
  });
});
