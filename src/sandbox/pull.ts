// SWE-bench's official per-instance images pulled on demand: names from `--image-template`, and the puller (one job
// per image and run, retries with backoff on transient registry errors, bounded background prefetch, removal of only
// the images this run pulled). Credentials: registry-auth.ts; the pull response: pull-stream.ts; failures: pull-errors.ts.

import { performance } from "node:perf_hooks";
import type Docker from "dockerode";
import { InfraError, UsageError, errorMessage } from "../errors.js";
import { statusCode as statusCodeOf } from "./engine.js";
import { ImageNotFoundError, RegistryAuthError, RegistryError, classifyPullError, dockerMessage, loginCommand } from "./pull-errors.js";
import { type AttemptFailure, PullFailure, formatBytes, readPullStream } from "./pull-stream.js";
import { type RegistryAuth, authFor, registryOf } from "./registry-auth.js";

// What the runner takes from here along with the puller (defined in registry-auth.ts and pull-stream.ts).

/** `missing`: pull only what the engine lacks; `always`: pull each image once per run; `never`: a missing image is an error. */
export type PullPolicy = "missing" | "always" | "never";

/** SWE-bench's naming: `{id}` is the instance id with `__` as `_1776_`, lower-cased (Docker repositories are lower-case). */
export const DEFAULT_IMAGE_TEMPLATE = "swebench/sweb.eval.x86_64.{id}:latest";

const DEFAULT_RETRIES = 4;
const DEFAULT_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
const DEFAULT_PREFETCH_CONCURRENCY = 2;
const DEFAULT_PROGRESS_INTERVAL_MS = 2_000;
/** No progress event for this long means the engine's pull is stuck: the attempt is abandoned and retried. */
const DEFAULT_STALL_TIMEOUT_MS = 5 * 60_000;

// Docker's reference grammar (distribution/reference), enough to reject a template that makes an unusable name.
const DOMAIN_PART = "[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?";
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REFERENCE = new RegExp(
  `^(?:${DOMAIN_PART}(?:\\.${DOMAIN_PART})*(?::[0-9]+)?/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*` +
    `(?::[\\w][\\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$`,
);

/** The image for an instance: `{id}` → SWE-bench's image id (`__` → `_1776_`, lower-case), `{instance_id}` → the raw id. */
export function officialImage(instanceId: string, template = DEFAULT_IMAGE_TEMPLATE): string {
  if (!template.includes("{id}") && !template.includes("{instance_id}")) {
    throw new UsageError(
      `--image-template: expected a template with {id} (SWE-bench's image id) or {instance_id}, got ${JSON.stringify(template)}`,
    );
  }
  const id = instanceId.replaceAll("__", "_1776_").toLowerCase();
  const image = template.replaceAll("{id}", id).replaceAll("{instance_id}", instanceId);
  if (!REFERENCE.test(image)) {
    throw new UsageError(
      `--image-template: ${JSON.stringify(template)} makes ${JSON.stringify(image)} for instance ${instanceId}, ` +
        `which is not a valid Docker image name (lower-case repository, optional registry/ and :tag)`,
    );
  }
  return image;
}

export interface ImagePullerOptions {
  policy: PullPolicy;
  /** One human-readable line per pull start, progress (throttled), retry, finish and removal. */
  onProgress?: (line: string) => void;
  /** Retries after the first attempt on transient registry errors. @default 4 */
  retries?: number;
  /** First retry waits about this long (with jitter), doubling each time up to 30 s. @default 1000 */
  backoffMs?: number;
  /** Background pulls started by prefetch() at once. @default 2 */
  prefetchConcurrency?: number;
  /** Parsed Docker config; without it, `$DOCKER_CONFIG/config.json` or `~/.docker/config.json` is read when credentials are needed. */
  dockerConfig?: object;
  /** At most one progress line per image this often. @default 2000 */
  progressIntervalMs?: number;
  /** An attempt with no progress event for this long is abandoned (and retried). @default 5 minutes */
  stallTimeoutMs?: number;
}

export interface EnsureResult {
  /** A registry pull made the image available to this caller (false: it was already there, or pulled earlier and handed out). */
  pulled: boolean;
  /** How long this call waited: inspect, a pull it started or joined, or ~0 for an image already ensured or prefetched. */
  waitedMs: number;
}

export interface PullStats {
  /** Registry pulls that completed. */
  pulls: number;
  /** Compressed layer bytes downloaded, from the engine's progress events. */
  bytes: number;
  /** Wall time of pulls, retries and their waits included. */
  pullMs: number;
  /** Summed time ensure() callers waited: the cost tasks paid for images, which prefetch is there to hide. */
  waitedMs: number;
}

interface Job {
  state: "queued" | "running" | "done" | "failed";
  done: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
  /** This job ran a registry pull. */
  pulled: boolean;
  fromPrefetch: boolean;
  /** Some ensure() has taken this job's outcome (the first taker of a prefetched pull is told it was pulled). */
  claimed: boolean;
}

/**
 * Makes images present on one Docker engine under a pull policy. Calls for one image share one job (one pull per run
 * per image), prefetch() starts jobs in the background, and release() removes only images this puller pulled.
 */
/** release(): how often, and how far apart, an image still used by a container being removed is asked again. */
const RELEASE_CONFLICT_RETRIES = 20;
const RELEASE_CONFLICT_WAIT_MS = 250;

export class ImagePuller {
  readonly #docker: Docker;
  readonly #policy: PullPolicy;
  readonly #onProgress: (line: string) => void;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #prefetchConcurrency: number;
  readonly #dockerConfig: object | undefined;
  readonly #progressIntervalMs: number;
  readonly #stallTimeoutMs: number;
  readonly #jobs = new Map<string, Job>();
  readonly #queue: string[] = [];
  #prefetchActive = 0;
  /** Insertion-ordered: images absent before this run that this puller pulled (release() may remove them). */
  readonly #pulled = new Set<string>();
  readonly #auths = new Map<string, RegistryAuth | undefined>();
  readonly #stats: PullStats = { pulls: 0, bytes: 0, pullMs: 0, waitedMs: 0 };

  constructor(docker: Docker, options: ImagePullerOptions) {
    this.#docker = docker;
    this.#policy = options.policy;
    this.#onProgress = options.onProgress ?? (() => {});
    this.#retries = Math.max(0, options.retries ?? DEFAULT_RETRIES);
    this.#backoffMs = Math.max(0, options.backoffMs ?? DEFAULT_BACKOFF_MS);
    this.#prefetchConcurrency = Math.max(1, options.prefetchConcurrency ?? DEFAULT_PREFETCH_CONCURRENCY);
    this.#dockerConfig = options.dockerConfig;
    this.#progressIntervalMs = options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
    this.#stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  }

  /** Resolves once `image` is on the engine under the policy; throws ImageNotFoundError, RegistryAuthError, RegistryError or InfraError. */
  async ensure(image: string): Promise<EnsureResult> {
    const started = performance.now();
    let job = this.#jobs.get(image);
    const joinedUnsettled = job === undefined || job.state === "queued" || job.state === "running";
    if (job === undefined) {
      job = this.#newJob(image, false);
      this.#start(image, job);
    } else if (job.state === "queued") {
      // A task needs it now: start it at once, outside the prefetch bound.
      this.#start(image, job);
    }
    const firstClaim = !job.claimed;
    job.claimed = true;
    let waitedMs = 0;
    try {
      await job.done;
    } catch (err) {
      // Each failure reaches the callers that were waiting (or the first after a failed prefetch), then is forgotten so a later call tries again.
      if (this.#jobs.get(image) === job) this.#jobs.delete(image);
      throw err;
    } finally {
      waitedMs = performance.now() - started;
      this.#stats.waitedMs += waitedMs;
    }
    const pulled = job.pulled && (joinedUnsettled || (job.fromPrefetch && firstClaim));
    return { pulled, waitedMs };
  }

  /** Starts ensure(image) in the background (at most prefetchConcurrency at once); its error waits for the next ensure(image). */
  prefetch(image: string): void {
    if (this.#jobs.has(image)) return;
    this.#newJob(image, true);
    this.#queue.push(image);
    this.#pump();
  }

  /** Images this puller pulled that were not on the engine before (release() candidates), in pull order. */
  pulled(): string[] {
    return [...this.#pulled];
  }

  /** Removes `image` if this puller pulled it; an image a container still uses is kept and reported, not an error. */
  async release(image: string): Promise<void> {
    const job = this.#jobs.get(image);
    if (job?.state === "queued") {
      // Nobody needs it any more: do not pull it just to remove it.
      this.#jobs.delete(image);
      job.reject(new InfraError(`prefetch of ${image} cancelled: the image was released before it was pulled`));
      return;
    }
    if (job?.state === "running") await job.done.catch(() => undefined);
    if (!this.#pulled.has(image)) return;
    // A workspace removed a moment ago may still be on its way out (Docker's AutoRemove runs after the stop): a
    // conflict is asked again a few times before the image is kept.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#docker.getImage(image).remove();
        break;
      } catch (err) {
        const status = statusCodeOf(err);
        if (status === 409 && attempt < RELEASE_CONFLICT_RETRIES) {
          await new Promise((resolve) => setTimeout(resolve, RELEASE_CONFLICT_WAIT_MS));
          continue;
        }
        if (status === 409) {
          this.#onProgress(`kept ${image}: still used by a container (${dockerMessage(err)})`);
          return;
        }
        if (status !== 404) throw new InfraError(`cannot remove image ${image}: ${dockerMessage(err)}`, { cause: err });
        break;
      }
    }
    this.#pulled.delete(image);
    if (this.#jobs.get(image) === job) this.#jobs.delete(image);
    this.#onProgress(`removed ${image}`);
  }

  stats(): PullStats {
    return { ...this.#stats };
  }

  /** End of run: drops prefetches not yet started and waits for running jobs (their errors stay with their ensure callers). */
  async close(): Promise<void> {
    for (const image of this.#queue.splice(0)) {
      const job = this.#jobs.get(image);
      if (job?.state !== "queued") continue;
      this.#jobs.delete(image);
      job.reject(new InfraError(`prefetch of ${image} cancelled`));
    }
    await Promise.all([...this.#jobs.values()].map((job) => job.done.catch(() => undefined)));
  }

  #newJob(image: string, fromPrefetch: boolean): Job {
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A prefetch nobody asks for again must not become an unhandled rejection; ensure() still sees the error.
    done.catch(() => undefined);
    const job: Job = { state: "queued", done, resolve, reject, pulled: false, fromPrefetch, claimed: false };
    this.#jobs.set(image, job);
    return job;
  }

  #pump(): void {
    while (this.#prefetchActive < this.#prefetchConcurrency && this.#queue.length > 0) {
      const image = this.#queue.shift() as string;
      const job = this.#jobs.get(image);
      if (job?.state !== "queued") continue;
      this.#prefetchActive++;
      this.#start(image, job).finally(() => {
        this.#prefetchActive--;
        this.#pump();
      });
    }
  }

  /** Runs the job; never rejects (the outcome is on job.done). */
  async #start(image: string, job: Job): Promise<void> {
    job.state = "running";
    try {
      await this.#work(image, job);
      job.state = "done";
      job.resolve();
    } catch (err) {
      job.state = "failed";
      job.reject(err);
    }
  }

  async #work(image: string, job: Job): Promise<void> {
    const present = await this.#exists(image);
    if (this.#policy === "never") {
      if (present) return;
      throw new ImageNotFoundError(
        image,
        registryOf(image),
        `image ${image} is not on the Docker host and --pull never forbids pulling it: pull or build it first, ` +
          `use --pull missing, or check --image-template`,
      );
    }
    if (present && this.#policy === "missing") return;
    const summary = await this.#pull(image);
    job.pulled = true;
    if (!present) this.#pulled.add(image);
    // Last, so whoever reacts to the line sees the puller's state already updated.
    this.#onProgress(summary);
  }

  async #exists(image: string): Promise<boolean> {
    try {
      await this.#docker.getImage(image).inspect();
      return true;
    } catch (err) {
      if (statusCodeOf(err) === 404) return false;
      throw new InfraError(`Docker is not reachable (inspecting image ${image}): ${errorMessage(err)}`, { cause: err });
    }
  }

  #auth(image: string): RegistryAuth | undefined {
    const registry = registryOf(image);
    if (!this.#auths.has(registry)) this.#auths.set(registry, authFor(image, this.#dockerConfig));
    return this.#auths.get(registry);
  }

  /** Pulls with retries; resolves with the final progress line for the caller to print once its bookkeeping is done. */
  async #pull(image: string): Promise<string> {
    const registry = registryOf(image);
    const auth = this.#auth(image);
    const started = performance.now();
    this.#onProgress(`pulling ${image}`);
    try {
      for (let attempt = 0; ; attempt++) {
        let failure: AttemptFailure;
        try {
          const bytes = await this.#pullOnce(image, auth);
          this.#stats.pulls++;
          this.#stats.bytes += bytes;
          const size = await this.#docker
            .getImage(image)
            .inspect()
            .then(
              (info) => info.Size,
              () => undefined,
            );
          const seconds = ((performance.now() - started) / 1000).toFixed(1);
          const retried = attempt > 0 ? ` after ${attempt} retr${attempt === 1 ? "y" : "ies"}` : "";
          return `pulled ${image}: ${formatBytes(bytes)} downloaded${size !== undefined ? `, ${formatBytes(size)} unpacked` : ""}, ${seconds}s${retried}`;
        } catch (err) {
          failure = err instanceof PullFailure ? err.failure : { message: errorMessage(err), engine: false, cause: err };
        }
        if (failure.engine) {
          throw new InfraError(`Docker is not reachable (pulling ${image}): ${failure.message}`, { cause: failure.cause });
        }
        const kind = classifyPullError(failure.message, failure.statusCode);
        if (kind === "not-found") {
          throw new ImageNotFoundError(
            image,
            registry,
            `image ${image} not found on ${registry} (${failure.message}): check --image-template ` +
              `(default ${DEFAULT_IMAGE_TEMPLATE}), or build the image yourself and use --pull never` +
              // Hub's answer for a private repository too: say how to log in without implying that is the cause.
              (/docker login/.test(failure.message) ? `; if it is private, run \`${loginCommand(registry)}\`` : ""),
            { cause: failure.cause },
          );
        }
        if (kind === "auth") throw new RegistryAuthError(image, registry, auth !== undefined, failure.message, { cause: failure.cause });
        if (kind === "fatal")
          throw new InfraError(`pulling ${image} from ${registry} failed: ${failure.message}`, { cause: failure.cause });
        if (attempt >= this.#retries) throw new RegistryError(image, registry, attempt + 1, failure.message, { cause: failure.cause });
        const delay = backoffDelay(this.#backoffMs, attempt);
        this.#onProgress(
          `pulling ${image} failed (${failure.message}); retry ${attempt + 1}/${this.#retries} in ${(delay / 1000).toFixed(1)}s`,
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    } finally {
      this.#stats.pullMs += performance.now() - started;
    }
  }

  /** One pull attempt; resolves with the downloaded bytes, rejects with a PullFailure (a stream `error` event included). */
  async #pullOnce(image: string, auth: RegistryAuth | undefined): Promise<number> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = (await this.#docker.pull(image, auth !== undefined ? { authconfig: { ...auth } } : {})) as NodeJS.ReadableStream;
    } catch (err) {
      const statusCode = statusCodeOf(err);
      // No HTTP status: the engine itself did not answer (socket gone), not the registry.
      throw new PullFailure({ message: dockerMessage(err), statusCode, engine: statusCode === undefined, cause: err });
    }
    return readPullStream(stream, {
      image,
      stallTimeoutMs: this.#stallTimeoutMs,
      progressIntervalMs: this.#progressIntervalMs,
      onProgress: this.#onProgress,
    });
  }
}

/** Exponential backoff with jitter (50–100 % of the step), so many pullers hit by one outage do not retry in step. */
export function backoffDelay(baseMs: number, attempt: number, random: () => number = Math.random): number {
  const step = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** attempt);
  return Math.round(step * (0.5 + random() / 2));
}
