// `bench datasets list|validate`: the built-in datasets (each loaded with its gradings resolved), and a dataset's check:
// every task's gold patch must resolve it and the empty patch must not.

import { existsSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import PQueue from "p-queue";
import { errorMessage } from "../errors.js";
import { DockerSandboxProvider } from "../sandbox/docker.js";
import { ensureImage } from "../sandbox/images.js";
import { builtinDatasetsDir, loadDataset } from "../datasets/load.js";
import { gradeTask } from "./grader.js";
import { withGrading } from "./task-grading.js";

export function listDatasets(): { name: string; dir: string; tasks: number }[] {
  const root = builtinDatasetsDir();
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(root, e.name, "tasks.jsonl")))
    .map((e) => {
      const ds = loadDataset(path.join(root, e.name), undefined, withGrading());
      return { name: e.name, dir: ds.dir, tasks: ds.tasks.length };
    });
}

export interface ValidationReport {
  file: string;
  tasks: number;
  problems: string[];
}

export async function validateDataset(
  nameOrPath: string,
  docker: Docker,
  options: { concurrency?: number; log?: (line: string) => void; instances?: string[] } = {},
): Promise<ValidationReport> {
  const dataset = loadDataset(nameOrPath, undefined, withGrading());
  const tasks = options.instances ? dataset.tasks.filter((t) => options.instances!.includes(t.instance_id)) : dataset.tasks;
  const image = await ensureImage(docker, "python", { ...(options.log ? { onProgress: options.log } : {}) });
  const runId = `validate-${Date.now()}`;
  const provider = new DockerSandboxProvider(docker, { runId, ownerPid: process.pid, host: os.hostname() });
  const problems: string[] = [];
  const queue = new PQueue({ concurrency: options.concurrency ?? 4 });
  await Promise.all(
    tasks.map((task) =>
      queue.add(async () => {
        const labels = { "bench.run-id": runId, "bench.task-id": task.instance_id, "bench.cell": "validate" };
        const where = task.image ? task.image : image;
        try {
          const gold = await gradeTask(task, task.patch, provider, { image: where, labels, runEmpty: true });
          if (!gold.patchApplied) problems.push(`${task.instance_id}: gold patch does not apply`);
          else if (!gold.resolved) {
            problems.push(
              `${task.instance_id}: gold patch does not resolve the task (FAIL_TO_PASS ${gold.failToPass.passed}/${gold.failToPass.total}, PASS_TO_PASS ${gold.passToPass.passed}/${gold.passToPass.total}; failing: ${[...gold.failToPass.failing, ...gold.passToPass.failing].slice(0, 5).join(", ")})`,
            );
          }
          const empty = await gradeTask(task, "", provider, { image: where, labels, runEmpty: true });
          if (empty.resolved)
            problems.push(`${task.instance_id}: the empty patch already resolves the task (FAIL_TO_PASS tests pass without a fix)`);
          options.log?.(
            `${task.instance_id}: gold ${gold.resolved ? "resolves" : "FAILS"}, empty patch ${empty.resolved ? "RESOLVES" : "does not resolve"}`,
          );
        } catch (err) {
          problems.push(`${task.instance_id}: could not grade (${errorMessage(err)})`);
        }
      }),
    ),
  );
  return { file: dataset.file, tasks: tasks.length, problems };
}
