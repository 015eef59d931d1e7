// Checks before a run writes anything: Docker answers, task images are present, the run directory can be made, and
// there is disk space for results. Each failure is an InfraError (exit 1) or a UsageError (exit 2) saying what to do.

import { type Stats, statfsSync, statSync } from "node:fs";
import path from "node:path";
import type Docker from "dockerode";
import type { Task } from "../datasets/types.js";
import { InfraError, UsageError, errorMessage } from "../errors.js";

/**
 * Every sandbox image a task names must already be on each Docker host: bench builds only its own recipes and never
 * pulls. Fails with an InfraError naming the image, the first task that wants it and the dataset file.
 */
export async function checkTaskImages(
  dockers: readonly Docker[],
  tasks: readonly Task[],
  datasetFile: string,
  why = "--pull never",
): Promise<void> {
  const wanted = new Map<string, string>();
  for (const t of tasks) if (t.image !== undefined && !wanted.has(t.image)) wanted.set(t.image, t.instance_id);
  for (const [image, instance] of wanted) {
    for (const docker of dockers) {
      try {
        await docker.getImage(image).inspect();
      } catch (err) {
        const missing = (err as { statusCode?: number }).statusCode === 404;
        throw new InfraError(
          missing
            ? `${datasetFile}: task ${instance} needs sandbox image ${image}, which is not on the Docker host, and with ${why} bench does not pull: pull or load it (docker pull / docker load), or check --image-template, then run again`
            : `cannot inspect sandbox image ${image} (task ${instance}): ${errorMessage(err)}`,
          { cause: err },
        );
      }
    }
  }
}

/**
 * The run directory must be creatable: a file where --output-dir (or the run directory, or a folder above them)
 * should be would fail at mkdir after the image build, as an internal error. Refused up front (exit 2).
 */
export function checkRunDirPath(runDir: string, outputDir: string, given: string): void {
  for (let probe = runDir; ; probe = path.dirname(probe)) {
    let stats: Stats;
    try {
      stats = statSync(probe);
    } catch {
      if (path.dirname(probe) === probe) return;
      continue;
    }
    if (stats.isDirectory()) return;
    if (probe === runDir)
      throw new UsageError(
        `--run-id ${path.basename(runDir)}: ${runDir} is a file, not a run directory; pick another --run-id or --output-dir`,
      );
    if (probe === outputDir)
      throw new UsageError(`--output-dir ${given}: ${outputDir} is a file, not a directory; give a folder for run directories`);
    throw new UsageError(`--output-dir ${given}: ${probe} is a file, not a directory, so ${outputDir} cannot be created`);
  }
}

/** Refuses to start with less free space than BENCH_MIN_FREE_MB (default 1024 MB) where results go. */
export function checkDiskSpace(dir: string, env: NodeJS.ProcessEnv): void {
  const minMb = Number(env["BENCH_MIN_FREE_MB"] ?? 1024);
  let probe = dir;
  while (true) {
    try {
      const stats = statfsSync(probe);
      const freeMb = (stats.bavail * stats.bsize) / 1024 / 1024;
      if (freeMb < minMb) {
        throw new InfraError(
          `only ${Math.floor(freeMb)} MB free under ${probe}; bench needs at least ${minMb} MB (set BENCH_MIN_FREE_MB to change)`,
        );
      }
      return;
    } catch (err) {
      if (err instanceof InfraError) throw err;
      const parent = path.dirname(probe);
      if (parent === probe) return;
      probe = parent;
    }
  }
}
