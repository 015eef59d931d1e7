// SWE-bench's official per-instance images pulled on demand: names from `--image-template`, registry credentials from
// the Docker config (inline or through a credential helper), throttled progress lines, retries on transient registry
// errors, bounded background prefetch, and removal of only the images this run pulled.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import type Docker from "dockerode";
import { InfraError, UsageError, errorMessage } from "../errors.js";
import { statusCodeOf } from "../util/status-code.js";

/** `missing`: pull only what the engine lacks; `always`: pull each image once per run; `never`: a missing image is an error. */
export type PullPolicy = "missing" | "always" | "never";

/** SWE-bench's naming: `{id}` is the instance id with `__` as `_1776_`, lower-cased (Docker repositories are lower-case). */
export const DEFAULT_IMAGE_TEMPLATE = "swebench/sweb.eval.x86_64.{id}:latest";

/** Docker Hub's server address in config files, credential helpers and the engine's auth header. */
const DOCKER_HUB_SERVER = "https://index.docker.io/v1/";
const DEFAULT_RETRIES = 4;
const DEFAULT_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
const DEFAULT_PREFETCH_CONCURRENCY = 2;
const DEFAULT_PROGRESS_INTERVAL_MS = 2_000;
/** No progress event for this long means the engine's pull is stuck: the attempt is abandoned and retried. */
const DEFAULT_STALL_TIMEOUT_MS = 5 * 60_000;
/** A credential helper that has not answered by then is treated as broken (it may be waiting on a locked keychain). */
const CREDENTIAL_HELPER_TIMEOUT_MS = 30_000;

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

/**
 * The registry an image is pulled from, by Docker's reference rules: the first path component is a registry host when
 * it has a `.` or `:`, is `localhost`, or has upper-case letters (repositories cannot); otherwise Docker Hub (`docker.io`).
 */
export function registryOf(image: string): string {
  const slash = image.indexOf("/");
  if (slash < 0) return "docker.io";
  const first = image.slice(0, slash);
  const isHost = /[.:]/.test(first) || first === "localhost" || first !== first.toLowerCase();
  if (!isHost) return "docker.io";
  // Docker rewrites the legacy Hub name to docker.io before anything else.
  return first === "index.docker.io" ? "docker.io" : first;
}

/** What the engine's `X-Registry-Auth` header carries: basic credentials, or an OAuth identity (refresh) token. */
export type RegistryAuth =
  | { username: string; password: string; serveraddress: string }
  | { identitytoken: string; serveraddress: string };

/** The parts of `~/.docker/config.json` this module reads. */
export interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json` (the docker CLI's own rule). */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.DOCKER_CONFIG !== undefined && env.DOCKER_CONFIG !== "" ? env.DOCKER_CONFIG : path.join(os.homedir(), ".docker");
  return path.join(dir, "config.json");
}

/** The parsed Docker config, or undefined when the file does not exist (no credentials: anonymous pulls). */
export function loadDockerConfig(file = dockerConfigPath()): DockerConfigFile | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new InfraError(`cannot read the Docker config ${file}: ${errorMessage(err)}`, { cause: err });
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null ? (parsed as DockerConfigFile) : {};
  } catch {
    // The parser's message quotes the text around the error, which may be a credential: say only where.
    throw new InfraError(`the Docker config ${file} is not valid JSON: fix it or move it away (then \`docker login\` again)`);
  }
}

/**
 * Credentials for pulling `image`, looked up as the docker CLI does: a `credHelpers` entry for the registry, else the
 * `credsStore` helper, else the `auths` entry (`auth` = base64 `user:password`, or `username`/`password`, or
 * `identitytoken`). Without `dockerConfig`, the config file is read. Undefined: pull anonymously.
 * Never puts a credential into an error message.
 */
export function authFor(image: string, dockerConfig?: object): RegistryAuth | undefined {
  const config = (dockerConfig ?? loadDockerConfig()) as DockerConfigFile | undefined;
  if (config === undefined) return undefined;
  const registry = registryOf(image);
  const serveraddress = registry === "docker.io" ? DOCKER_HUB_SERVER : registry;
  const entry = findByHost(config.auths, registry);
  const inline = entry !== undefined ? fromAuthsEntry(entry, registry, serveraddress) : undefined;
  const helper = stringOrUndefined(findByHost(config.credHelpers, registry)) ?? stringOrUndefined(config.credsStore);
  if (helper !== undefined) {
    // A helper that knows nothing about this registry leaves inline credentials usable (a hand-written config).
    return runCredentialHelper(helper, serveraddress, registry) ?? inline;
  }
  return inline;
}

/** The config-file key's host: `https://index.docker.io/v1/` → docker.io, `https://host:5000/x` → host:5000. */
function hostOfKey(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, "").split("/")[0] ?? "";
  return host === "index.docker.io" || host === "registry-1.docker.io" ? "docker.io" : host;
}

function findByHost<T>(map: Record<string, T> | undefined, registry: string): T | undefined {
  if (typeof map !== "object" || map === null) return undefined;
  if (Object.hasOwn(map, registry)) return map[registry];
  for (const [key, value] of Object.entries(map)) if (hostOfKey(key) === registry) return value;
  return undefined;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function fromAuthsEntry(entry: unknown, registry: string, serveraddress: string): RegistryAuth | undefined {
  if (typeof entry !== "object" || entry === null) return undefined;
  const e = entry as Record<string, unknown>;
  // The engine prefers an identity token over basic credentials, so it wins here too.
  const identitytoken = stringOrUndefined(e.identitytoken);
  if (identitytoken !== undefined) return { identitytoken, serveraddress };
  const auth = stringOrUndefined(e.auth);
  if (auth !== undefined) {
    const decoded = Buffer.from(auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) {
      throw new InfraError(`the Docker config's "auth" for ${registry} is not base64 of user:password: run \`docker login ${registry}\` again`);
    }
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress };
  }
  const username = stringOrUndefined(e.username);
  const password = stringOrUndefined(e.password);
  if (username !== undefined && password !== undefined) return { username, password, serveraddress };
  return undefined;
}

/**
 * `docker-credential-<helper> get`: server address on stdin, `{ServerURL, Username, Secret}` on stdout. Synchronous
 * because it runs once per registry per run (the puller caches it) and keeps authFor a plain function.
 */
function runCredentialHelper(helper: string, serverAddress: string, registry: string): RegistryAuth | undefined {
  const bin = `docker-credential-${helper}`;
  const result = spawnSync(bin, ["get"], { input: serverAddress, encoding: "utf8", timeout: CREDENTIAL_HELPER_TIMEOUT_MS });
  if (result.error !== undefined) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new InfraError(
        `the Docker config uses credential helper "${helper}" for ${registry}, but ${bin} is not installed or not on PATH: ` +
          `install it, or remove it from "credsStore"/"credHelpers" in ${dockerConfigPath()}`,
        { cause: result.error },
      );
    }
    const what = code === "ETIMEDOUT" ? `did not answer within ${CREDENTIAL_HELPER_TIMEOUT_MS / 1000}s` : `could not run (${result.error.message})`;
    throw new InfraError(`credential helper ${bin} ${what} for ${registry}`, { cause: result.error });
  }
  if (result.status !== 0) {
    // Helpers print their errors on stdout; a failed `get` prints no secret, so its first line is safe to show.
    const said = `${result.stdout ?? ""}\n${result.stderr ?? ""}`.trim();
    if (/credentials not found/i.test(said)) return undefined;
    const firstLine = said.split("\n")[0]?.slice(0, 200) ?? "";
    throw new InfraError(
      `credential helper ${bin} failed for ${registry} (exit ${result.status ?? result.signal})${firstLine !== "" ? `: ${firstLine}` : ""}`,
    );
  }
  let answer: unknown;
  try {
    answer = JSON.parse(result.stdout);
  } catch {
    // Its stdout may hold the secret: never quote it.
    throw new InfraError(`credential helper ${bin} answered ${registry} with something other than JSON`);
  }
  const { Username: username, Secret: secret } = (answer ?? {}) as { Username?: unknown; Secret?: unknown };
  if (typeof secret !== "string" || secret === "") return undefined;
  // The helper protocol's marker for an identity token rather than a password.
  if (username === "<token>") return { identitytoken: secret, serveraddress: serverAddress };
  return { username: typeof username === "string" ? username : "", password: secret, serveraddress: serverAddress };
}

/** The image is not in the registry (or not on the host under `--pull never`): retrying cannot help. */
export class ImageNotFoundError extends InfraError {
  readonly image: string;
  readonly registry: string;
  constructor(image: string, registry: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.image = image;
    this.registry = registry;
  }
}

/** The registry kept failing with transient errors after every retry. */
export class RegistryError extends InfraError {
  readonly image: string;
  readonly registry: string;
  readonly attempts: number;
  constructor(image: string, registry: string, attempts: number, lastError: string, options?: { cause?: unknown }) {
    super(`pulling ${image} from ${registry} failed ${attempts} time(s); last error: ${lastError}`, options);
    this.image = image;
    this.registry = registry;
    this.attempts = attempts;
  }
}

/** The registry wants credentials, or refused the ones from the Docker config. */
export class RegistryAuthError extends InfraError {
  readonly image: string;
  readonly registry: string;
  constructor(image: string, registry: string, hadCredentials: boolean, detail: string, options?: { cause?: unknown }) {
    const login = loginCommand(registry);
    super(
      hadCredentials
        ? `registry ${registry} refused the credentials from the Docker config for ${image} (${detail}): run \`${login}\` again`
        : `registry ${registry} requires credentials to pull ${image} (${detail}): run \`${login}\` (bench reads ${dockerConfigPath()})`,
      options,
    );
    this.image = image;
    this.registry = registry;
  }
}

function loginCommand(registry: string): string {
  return registry === "docker.io" ? "docker login" : `docker login ${registry}`;
}

export type PullErrorKind = "not-found" | "auth" | "transient" | "fatal";

/**
 * What a failed pull means, from the engine's message (and HTTP status when the engine refused before streaming): the
 * engine answers 500 for nearly every registry failure, so the words matter more than the code. Unknown registry-side
 * messages count as transient: a bounded retry costs seconds, a wrong "fatal" costs a task.
 */
export function classifyPullError(message: string, statusCode?: number): PullErrorKind {
  const m = message.toLowerCase();
  // Docker Hub says "pull access denied" for a missing repository and a private one alike; a wrong template is likelier.
  if (NOT_FOUND.test(m)) return "not-found";
  // Local failures before auth: "permission denied" on the engine's disk is not a registry refusing credentials.
  if (LOCAL_FATAL.test(m)) return "fatal";
  if (statusCode === 401 || AUTH.test(m)) return "auth";
  if (statusCode === 404 || /\bnot found\b|no such image/.test(m)) return "not-found";
  const clientError = statusCode !== undefined && statusCode >= 400 && statusCode < 500;
  if (clientError && statusCode !== 408 && statusCode !== 429) return "fatal";
  return "transient";
}

const NOT_FOUND = /manifest unknown|repository does not exist|pull access denied|name unknown|manifest for .* not found|not found: manifest/;
const LOCAL_FATAL = /no space left|read-only file system|invalid reference format|failed to register layer|permission denied/;
const AUTH = /unauthorized|authentication required|no basic auth credentials|incorrect username or password|access to the resource is denied/;

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

interface ProgressEvent {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

/** Layer states in the engine's pull events (ids of other events are tags or digests, not layers). */
const LAYER_STATUSES = new Set(["Pulling fs layer", "Waiting", "Downloading", "Verifying Checksum", "Download complete", "Extracting", "Pull complete"]);

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
            .then((info) => info.Size, () => undefined);
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
        if (kind === "fatal") throw new InfraError(`pulling ${image} from ${registry} failed: ${failure.message}`, { cause: failure.cause });
        if (attempt >= this.#retries) throw new RegistryError(image, registry, attempt + 1, failure.message, { cause: failure.cause });
        const delay = backoffDelay(this.#backoffMs, attempt);
        this.#onProgress(`pulling ${image} failed (${failure.message}); retry ${attempt + 1}/${this.#retries} in ${(delay / 1000).toFixed(1)}s`);
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
    const layers = new Map<string, { current: number; total: number; complete: boolean }>();
    const downloaded = () => {
      let done = 0;
      let total = 0;
      let complete = 0;
      for (const layer of layers.values()) {
        done += layer.complete ? layer.total : layer.current;
        total += layer.total;
        if (layer.complete) complete++;
      }
      return { done, total, complete };
    };
    let lastLine = performance.now();
    return new Promise<number>((resolve, reject) => {
      let buffered = "";
      let streamError: string | undefined;
      let settled = false;
      let stall: NodeJS.Timeout | undefined;
      const finish = (err?: PullFailure) => {
        if (settled) return;
        settled = true;
        clearTimeout(stall);
        if (err !== undefined) reject(err);
        else if (streamError !== undefined) reject(new PullFailure({ message: streamError, engine: false, cause: undefined }));
        else resolve(downloaded().done);
      };
      const armStall = () => {
        clearTimeout(stall);
        stall = setTimeout(() => {
          finish(new PullFailure({ message: `no progress for ${Math.round(this.#stallTimeoutMs / 1000)}s (timeout)`, engine: false, cause: undefined }));
          (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
        }, this.#stallTimeoutMs);
        stall.unref?.();
      };
      const onEvent = (event: ProgressEvent) => {
        // Errors met mid-pull arrive as an event in a 200 response, not as a rejected request.
        if (event.error !== undefined || event.errorDetail !== undefined) {
          streamError ??= event.errorDetail?.message ?? event.error ?? "unknown error";
          return;
        }
        const status = event.status ?? "";
        if (event.id !== undefined && LAYER_STATUSES.has(status)) {
          let layer = layers.get(event.id);
          if (layer === undefined) layers.set(event.id, (layer = { current: 0, total: 0, complete: false }));
          if (status === "Downloading") {
            layer.current = event.progressDetail?.current ?? layer.current;
            layer.total = event.progressDetail?.total ?? layer.total;
          } else if (status === "Download complete" || status === "Extracting" || status === "Pull complete") {
            layer.complete = true;
            layer.current = layer.total;
          }
        }
        const now = performance.now();
        if (now - lastLine >= this.#progressIntervalMs && layers.size > 0) {
          lastLine = now;
          const { done, total, complete } = downloaded();
          this.#onProgress(`pulling ${image}: ${formatBytes(done)} / ${formatBytes(total)}, ${complete}/${layers.size} layers`);
        }
      };
      const onLine = (line: string) => {
        if (line.trim() === "") return;
        let event: ProgressEvent;
        try {
          event = JSON.parse(line) as ProgressEvent;
        } catch {
          return; // not one of the engine's JSON lines: nothing to count
        }
        onEvent(event);
      };
      armStall();
      stream.on("data", (chunk: Buffer | string) => {
        armStall();
        buffered += chunk.toString();
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          onLine(buffered.slice(0, newline));
          buffered = buffered.slice(newline + 1);
        }
      });
      stream.on("end", () => {
        onLine(buffered);
        finish();
      });
      stream.on("error", (err: Error) => finish(new PullFailure({ message: err.message, engine: false, cause: err })));
      // Closed without an end: the engine dropped the response mid-pull.
      stream.on("close", () => {
        finish(new PullFailure({ message: "the engine closed the pull stream early (connection reset)", engine: false, cause: undefined }));
      });
    });
  }
}

interface AttemptFailure {
  message: string;
  statusCode?: number | undefined;
  /** The engine itself did not answer (not the registry): retrying the registry cannot help. */
  engine: boolean;
  cause: unknown;
}

/** Carries one attempt's failure out of #pullOnce with what classification needs. */
class PullFailure extends Error {
  readonly failure: AttemptFailure;
  constructor(failure: AttemptFailure) {
    super(failure.message);
    this.failure = failure;
  }
}

/** Exponential backoff with jitter (50–100 % of the step), so many pullers hit by one outage do not retry in step. */
export function backoffDelay(baseMs: number, attempt: number, random: () => number = Math.random): number {
  const step = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** attempt);
  return Math.round(step * (0.5 + random() / 2));
}

/** Decimal units as `docker images` prints them. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** The engine's own message (`{"message": …}` body) rather than dockerode's "(HTTP code 500) server error - …" wrapper. */
export function dockerMessage(err: unknown): string {
  const json = (err as { json?: unknown } | null)?.json;
  if (typeof json === "object" && json !== null && typeof (json as { message?: unknown }).message === "string") {
    return (json as { message: string }).message;
  }
  if (typeof json === "string" && json.trim() !== "") {
    try {
      const parsed = JSON.parse(json) as { message?: unknown };
      if (typeof parsed.message === "string") return parsed.message;
    } catch {
      return json.trim();
    }
  }
  return errorMessage(err)
    .replace(/^\(HTTP code \d+\) [^-]*- /, "")
    .trim();
}
