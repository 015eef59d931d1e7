// Pull-overlap benchmark (`npm run bench:pull`): how long tasks wait for their images with and without pulling ahead.
// The seven SWE-bench-layout fixture images are pushed to a registry on 127.0.0.1 whose blob downloads are held
// --blob-delay-ms (a registry far away), then `bench grade --predictions gold` (or, with --mock-latency-ms N, `bench run`
// --model mock/oracle with N ms per model answer) runs them at --concurrency 2, once with
// --pull-ahead 0 (each image pulled when its task starts) and once with the default (the next tasks' images pulled
// while others run). Prints, per mode, the time tasks waited for pulls (run.json images.waited_s), the run's wall time
// and the ratios.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";
import { startRegistry } from "../test/integration/registry.js";
import { ensureSwebenchImages, FIXTURE_DATASET, officialName, pushToRegistry } from "../test/integration/swebench-fixture.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

function bench(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, "bin/bench.js"), ...args], { cwd: root, env: { ...process.env, CI: "true" } });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

/** The docker CLI, awaited without blocking this process (the registry's proxy lives here). */
function dockerCli(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("docker", args, { stdio: "ignore" });
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`docker ${args.join(" ")} exited ${code}`))));
  });
}

async function main(): Promise<void> {
  const blobDelayMs = arg("blob-delay-ms", 3000);
  const concurrency = arg("concurrency", 2);
  const repeats = arg("repeats", 1);
  /** 0: `bench grade` (no agent: tasks are gradings only); N: `bench run --model mock/oracle`, each model answer N ms. */
  const agentLatencyMs = arg("mock-latency-ms", 0);
  const docker = new Docker();
  const tags = await ensureSwebenchImages(docker, (line) => process.stderr.write(`[fixture] ${line}\n`));
  const ids = Object.keys(tags);
  const sizes = `${((await docker.getImage(Object.values(tags)[0]!).inspect()).Size / 1e6).toFixed(0)} MB each, one shared base layer`;
  const registry = await startRegistry({ blobDelayMs });
  const out = mkdtempSync(path.join(os.tmpdir(), "bench-pull-"));
  let restore: (() => Promise<void>) | undefined;
  try {
    await pushToRegistry(docker, tags, registry.address);
    const template = `${registry.address}/swebench/sweb.eval.x86_64.{id}:latest`;
    // The locally built images hold every layer the registry serves: with them present a pull only reads a manifest.
    // They are untagged for the measurement (layers then really travel) and restored from the registry afterwards.
    const local = (await docker.listImages()).flatMap((i) => i.RepoTags ?? []).filter((t) => t.startsWith("bench-swebench-"));
    const kept = (tag: string) => `${registry.address}/keep/${tag}`;
    for (const tag of local) {
      await docker.getImage(tag).tag({ repo: kept(tag).slice(0, kept(tag).lastIndexOf(":")), tag: tag.slice(tag.lastIndexOf(":") + 1) });
      await dockerCli(["push", "-q", kept(tag)]);
      await docker
        .getImage(kept(tag))
        .remove()
        .catch(() => undefined);
    }
    for (const tag of local)
      await docker
        .getImage(tag)
        .remove()
        .catch(() => undefined);
    restore = async () => {
      for (const tag of local) {
        await dockerCli(["pull", "-q", kept(tag)]);
        await docker.getImage(kept(tag)).tag({ repo: tag.slice(0, tag.lastIndexOf(":")), tag: tag.slice(tag.lastIndexOf(":") + 1) });
        await docker
          .getImage(kept(tag))
          .remove()
          .catch(() => undefined);
      }
    };
    const rows: { mode: string; waited: number; wall: number; pulls: number; later: number; waits: number[] }[] = [];
    for (let r = 0; r < repeats; r++) {
      for (const [mode, ahead] of [
        ["pull when the task starts (--pull-ahead 0)", "0"],
        ["pull ahead (default)", String(concurrency)],
      ] as const) {
        const runId = `pull-${r}-${ahead}`;
        const started = performance.now();
        const job =
          agentLatencyMs > 0
            ? ["run", "--model", "mock/oracle", "--mock-latency-ms", String(agentLatencyMs)]
            : ["grade", "--predictions", "gold"];
        const result = await bench([
          ...job,
          "--dataset",
          FIXTURE_DATASET,
          "--image-template",
          template,
          "--remove-images",
          "--pull-ahead",
          ahead,
          "--concurrency",
          String(concurrency),
          "--output-dir",
          out,
          "--run-id",
          runId,
        ]);
        const wall = (performance.now() - started) / 1000;
        if (result.code !== 0) throw new Error(`bench grade (${mode}) exited ${result.code}:\n${result.stderr}`);
        const run = JSON.parse(readFileSync(path.join(out, runId, "run.json"), "utf8")) as { images: { waited_s: number; pulls: number } };
        const summary = JSON.parse(readFileSync(path.join(out, runId, "summary.json"), "utf8")) as {
          cells: { resolved: number; tasks: number }[];
        };
        if (summary.cells[0]?.resolved !== ids.length) throw new Error(`${mode}: ${summary.cells[0]?.resolved}/${ids.length} resolved`);
        // Per task, in start order: the first --concurrency tasks start at once and can only wait; the rest show the overlap.
        const waits = readFileSync(path.join(out, runId, "results.jsonl"), "utf8")
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as { started_at: string; pull_wait_s?: number })
          .sort((a, b) => a.started_at.localeCompare(b.started_at))
          .map((x) => x.pull_wait_s ?? 0);
        const later = waits.slice(concurrency).reduce((a, b) => a + b, 0);
        rows.push({ mode, waited: run.images.waited_s, wall, pulls: run.images.pulls, later, waits });
        for (const id of ids)
          await docker
            .getImage(officialName(id, registry.address))
            .remove()
            .catch(() => undefined);
      }
    }
    const fmt = (x: number) => x.toFixed(1).padStart(7);
    const what =
      agentLatencyMs > 0 ? `bench run --model mock/oracle, ${agentLatencyMs} ms per model answer` : "bench grade --predictions gold";
    console.log(
      `pull overlap: ${ids.length} SWE-bench-layout tasks (${what}), --concurrency ${concurrency}, registry on 127.0.0.1 holding each blob ${blobDelayMs} ms; images ${sizes}`,
    );
    console.log(
      `${"mode".padEnd(44)} ${"pulls".padStart(5)} ${"tasks waited on pulls, s".padStart(25)} ${"after the first wave, s".padStart(24)} ${"run wall, s".padStart(12)}  per task in start order, s`,
    );
    for (const row of rows) {
      console.log(
        `${row.mode.padEnd(44)} ${String(row.pulls).padStart(5)} ${fmt(row.waited).padStart(25)} ${fmt(row.later).padStart(24)} ${fmt(row.wall).padStart(12)}  ${row.waits.map((w) => w.toFixed(1)).join(" ")}`,
      );
    }
    const mean = (mode: string, key: "waited" | "wall") => {
      const xs = rows.filter((x) => x.mode === mode).map((x) => x[key]);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    const [cold, ahead] = [rows[0]!.mode, rows[1]!.mode];
    console.log(
      `ratio, pull ahead / pull at start: waited ${(mean(ahead, "waited") / mean(cold, "waited")).toFixed(2)}×, run wall ${(mean(ahead, "wall") / mean(cold, "wall")).toFixed(2)}×`,
    );
    console.log(
      `reproduce: npm run bench:pull -- --blob-delay-ms ${blobDelayMs} --concurrency ${concurrency} --repeats ${repeats} --mock-latency-ms ${agentLatencyMs}`,
    );
  } finally {
    await restore?.().catch((err: unknown) =>
      console.error(`could not restore the fixture images (the next test run rebuilds them): ${String(err)}`),
    );
    await registry.stop();
  }
}

await main();
