// A run's image pulls (--pull): task images not on the engine are pulled as tasks need them, the images of the tasks
// queued next are pulled ahead (prefetch, --pull-ahead), and --remove-images drops an image bench pulled once no task
// left in the run needs it. Records what was pulled for run.json (images.pulled).

import type Docker from "dockerode";
import type { RunOptions } from "../config/options.js";
import { errorMessage } from "../errors.js";
import { ImagePuller, type PullStats } from "../sandbox/pull.js";
import { dockerConfigPath, loadDockerConfig } from "../sandbox/registry-auth.js";
import { formatBytes } from "../sandbox/pull-stream.js";
import type { Job } from "./plan.js";
import { pullsJson } from "./run-json.js";

export class RunPulls {
  readonly #puller: ImagePuller;
  readonly #jobs: readonly Job[];
  readonly #removeImages: boolean;
  /** How many jobs past the running ones have their images pulled ahead (0: none). */
  readonly #depth: number;
  readonly #agentSlots: number;
  /** Every image a registry pull brought for this run, removed since or not. */
  readonly #pulled = new Set<string>();
  /** Jobs left per image. */
  readonly #uses = new Map<string, number>();

  /**
   * A puller when some job names an image and images may be pulled (not --pull never, not --docker-host, whose images
   * are checked up front); else undefined.
   */
  static forRun(
    docker: Docker,
    jobs: readonly Job[],
    options: Pick<RunOptions, "pull" | "pullAhead" | "removeImages">,
    agentSlots: number,
    env: NodeJS.ProcessEnv,
    log: (line: string) => void,
    pool: boolean,
  ): RunPulls | undefined {
    if (pool || options.pull === "never" || !jobs.some((j) => j.task.image !== undefined)) return undefined;
    const puller = new ImagePuller(docker, { policy: options.pull, onProgress: log, ...(loadDockerConfigQuietly(env, log) ?? {}) });
    return new RunPulls(puller, jobs, { removeImages: options.removeImages, depth: options.pullAhead ?? agentSlots, agentSlots });
  }

  constructor(puller: ImagePuller, jobs: readonly Job[], o: { removeImages: boolean; depth: number; agentSlots: number }) {
    this.#puller = puller;
    this.#jobs = jobs;
    this.#removeImages = o.removeImages;
    this.#depth = o.depth;
    this.#agentSlots = o.agentSlots;
    for (const j of jobs) if (j.task.image !== undefined) this.#uses.set(j.task.image, (this.#uses.get(j.task.image) ?? 0) + 1);
    for (let i = 0; i < Math.min(o.agentSlots + o.depth, jobs.length) && o.depth > 0; i++) this.#prefetch(i);
  }

  /** Job `index` starts: the image of the job `depth` places past the running ones starts pulling. */
  started(index: number): void {
    if (this.#depth > 0) this.#prefetch(index + this.#agentSlots + this.#depth);
  }

  /** Makes `image` present; resolves with the ms the task waited (TaskContext.pullImage). */
  async ensure(image: string): Promise<number> {
    const got = await this.#puller.ensure(image);
    if (got.pulled) this.#pulled.add(image);
    return got.waitedMs;
  }

  /** A job of `image` is recorded: with --remove-images, an image no job left needs is removed. */
  async jobDone(image: string | undefined): Promise<void> {
    if (image === undefined) return;
    const left = (this.#uses.get(image) ?? 1) - 1;
    this.#uses.set(image, left);
    if (left === 0 && this.#removeImages) await this.#puller.release(image);
  }

  stats(): PullStats {
    return this.#puller.stats();
  }

  /** run.json's `images`. */
  json(): Record<string, unknown> | null {
    return pullsJson(this.stats(), this.#pulled);
  }

  /** The one summary line, when something was pulled. */
  summary(): string | undefined {
    const pulls = this.stats();
    if (pulls.pulls === 0) return undefined;
    return `images: ${pulls.pulls} pulled (${formatBytes(pulls.bytes)}, ${(pulls.pullMs / 1000).toFixed(1)} s pulling); tasks waited ${(pulls.waitedMs / 1000).toFixed(1)} s for pulls in all`;
  }

  close(): Promise<void> {
    return this.#puller.close();
  }

  #prefetch(index: number): void {
    const next = this.#jobs[index]?.task.image;
    if (next !== undefined) this.#puller.prefetch(next);
  }
}

/** The Docker config's registry credentials for pulls; a config that cannot be read is warned about, not fatal. */
function loadDockerConfigQuietly(env: NodeJS.ProcessEnv, log: (line: string) => void): { dockerConfig: object } | undefined {
  try {
    const config = loadDockerConfig(dockerConfigPath(env));
    return config ? { dockerConfig: config } : undefined;
  } catch (err) {
    log(`warning: cannot read the Docker config for registry credentials: ${errorMessage(err)}`);
    return undefined;
  }
}
