// Several Docker engines as one SandboxProvider (--docker-host): workspaces go to the healthy host with the
// most free capacity, the sandbox image is put on every host, and a host that stops answering is taken out
// (the runner re-queues the tasks it was running).

import { readFileSync } from "node:fs";
import Docker from "dockerode";
import { InfraError, UsageError, errorMessage } from "../errors.js";
import { DockerSandboxProvider, type DockerSandboxProviderOptions } from "./docker.js";
import { dockerVersion } from "./engine.js";
import { pickHost, type DockerHostSpec } from "./hosts.js";
import { withRemove, type Sandbox, type SandboxProvider, type WorkspaceSpec } from "./types.js";

let sshWarningQuieted = false;
/**
 * docker-modem formats an ssh host's request address as `ssh:host:port/…` for `url.resolve` (the request itself goes
 * over ssh2), which Node flags once per process as DEP0170, "The URL ssh:… is invalid": a line of noise on every run's
 * stderr. Only that warning is dropped; every other one goes through.
 */
function quietSshUrlWarning(): void {
  if (sshWarningQuieted) return;
  sshWarningQuieted = true;
  const emit = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === "string" ? warning : warning.message;
    if (
      text.startsWith("The URL ssh:") &&
      rest.some((r) => r === "DEP0170" || (typeof r === "object" && r !== null && (r as { code?: unknown }).code === "DEP0170"))
    )
      return;
    (emit as (...args: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

/** Dockerode options for a host; reads the TLS / ssh key files. */
export function dockerOptionsFor(spec: DockerHostSpec, env: NodeJS.ProcessEnv = process.env): Docker.DockerOptions {
  const read = (what: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new UsageError(`--docker-host ${spec.name}: cannot read the ${what} ${file} (${errorMessage(err)})`, { cause: err });
    }
  };
  // Explicit undefined fields: dockerode fills whatever is missing from DOCKER_HOST and friends.
  if (spec.kind === "unix")
    return { socketPath: spec.socketPath!, host: undefined, port: undefined, protocol: undefined } as Docker.DockerOptions;
  if (spec.kind === "tcp") {
    const tls = spec.tls;
    return {
      host: spec.host!,
      port: spec.port!,
      protocol: tls ? "https" : "http",
      ...(tls?.ca ? { ca: read("CA certificate", tls.ca) } : {}),
      ...(tls?.cert ? { cert: read("client certificate", tls.cert) } : {}),
      ...(tls?.key ? { key: read("client key", tls.key) } : {}),
    };
  }
  quietSshUrlWarning();
  return {
    host: spec.host!,
    port: spec.port ?? 22,
    protocol: "ssh",
    ...(spec.username ? { username: spec.username } : {}),
    sshOptions: {
      ...(spec.identity ? { privateKey: read("ssh key", spec.identity) } : {}),
      ...(env["SSH_AUTH_SOCK"] ? { agent: env["SSH_AUTH_SOCK"] } : {}),
    },
  } as Docker.DockerOptions;
}

interface HostState {
  spec: DockerHostSpec;
  name: string;
  docker: Docker;
  capacity: number;
  inUse: number;
  healthy: boolean;
  version: string;
  /** Workspaces created on it so far. */
  workspaces: number;
  failure: string | null;
  provider?: DockerSandboxProvider;
}

export interface HostPoolOptions {
  /** Capacity of a host that names none. */
  defaultCapacity: number;
  log: (line: string) => void;
  /** Makes the client of a host. @default new Docker(dockerOptionsFor(spec)) */
  connect?: (spec: DockerHostSpec) => Docker;
  /** A host counts as failed when it does not answer a ping within this. @default 5000 */
  pingTimeoutMs?: number;
  /**
   * After an error on a host that still answers, ping it once more this much later: a daemon that is
   * shutting down serves the API for a moment after its containers are gone. @default 1500
   */
  recheckAfterMs?: number;
}

export class DockerHostPool implements SandboxProvider {
  readonly #hosts: HostState[];
  readonly #log: (line: string) => void;
  readonly #pingTimeoutMs: number;
  readonly #recheckAfterMs: number;
  /** (cell, instance_id) → the host of its latest workspace. */
  readonly #taskHost = new Map<string, HostState>();

  private constructor(hosts: HostState[], options: HostPoolOptions) {
    this.#hosts = hosts;
    this.#log = options.log;
    this.#pingTimeoutMs = options.pingTimeoutMs ?? 5000;
    this.#recheckAfterMs = options.recheckAfterMs ?? 1500;
  }

  /**
   * Connects to every host and checks it answers.
   * @throws InfraError naming each host that does not (a run does not start on a partial pool).
   */
  static async open(specs: readonly DockerHostSpec[], options: HostPoolOptions): Promise<DockerHostPool> {
    const names = new Set<string>();
    for (const spec of specs) {
      if (names.has(spec.name)) throw new UsageError(`--docker-host ${spec.name}: given more than once`);
      names.add(spec.name);
    }
    const connect = options.connect ?? ((spec) => new Docker(dockerOptionsFor(spec)));
    const hosts: HostState[] = specs.map((spec) => ({
      spec,
      name: spec.name,
      docker: connect(spec),
      capacity: spec.capacity ?? options.defaultCapacity,
      inUse: 0,
      healthy: true,
      version: "",
      workspaces: 0,
      failure: null,
    }));
    const answers = await Promise.allSettled(hosts.map((h) => dockerVersion(h.docker, options.pingTimeoutMs ?? 10_000)));
    const down = answers.flatMap((a, i) => (a.status === "rejected" ? [`${hosts[i]!.name} (${errorMessage(a.reason)})`] : []));
    if (down.length > 0)
      throw new InfraError(`Docker host(s) not reachable: ${down.join("; ")}. Start the engine there, or leave the host out.`);
    answers.forEach((a, i) => {
      if (a.status === "fulfilled") hosts[i]!.version = a.value;
    });
    return new DockerHostPool(hosts, options);
  }

  /** Workspaces at once over every host: the run's task concurrency. */
  get totalCapacity(): number {
    return this.#hosts.reduce((n, h) => n + h.capacity, 0);
  }

  get healthyCount(): number {
    return this.#hosts.filter((h) => h.healthy).length;
  }

  /** Docker versions by host, for run.json. */
  versions(): Record<string, string> {
    return Object.fromEntries(this.#hosts.map((h) => [h.name, h.version]));
  }

  /** The clients of the healthy hosts (janitor). */
  dockers(): Docker[] {
    return this.#hosts.filter((h) => h.healthy).map((h) => h.docker);
  }

  /** Per host: capacity, whether it is still in, workspaces created, why it was taken out. */
  snapshot(): { host: string; capacity: number; healthy: boolean; workspaces: number; failure: string | null }[] {
    return this.#hosts.map((h) => ({
      host: h.name,
      capacity: h.capacity,
      healthy: h.healthy,
      workspaces: h.workspaces,
      failure: h.failure,
    }));
  }

  /**
   * Puts the image on every host: `ensure` (build if missing) on the first, then a copy (docker save →
   * load) onto each host that lacks it, or, when the copy fails, `ensure` there too. Returns the tag.
   */
  async ensureImage(ensure: (docker: Docker) => Promise<string>): Promise<string> {
    const [first, ...rest] = this.#hosts;
    if (!first) throw new UsageError("--docker-host: no hosts");
    const tag = await ensure(first.docker);
    for (const h of rest) {
      if (
        await h.docker
          .getImage(tag)
          .inspect()
          .then(
            () => true,
            () => false,
          )
      )
        continue;
      this.#log(`docker host ${h.name}: copying ${tag} from ${first.name}`);
      try {
        const tar = await first.docker.getImage(tag).get();
        const progress = await h.docker.loadImage(tar);
        await new Promise<void>((resolve, reject) =>
          h.docker.modem.followProgress(progress, (err: Error | null) => (err ? reject(err) : resolve())),
        );
        await h.docker.getImage(tag).inspect();
      } catch (err) {
        this.#log(`docker host ${h.name}: copy failed (${errorMessage(err)}); building the image there`);
        await ensure(h.docker);
      }
    }
    return tag;
  }

  /** Labels and owner of the workspaces; call once before create(). */
  bind(options: DockerSandboxProviderOptions): this {
    for (const h of this.#hosts) h.provider = new DockerSandboxProvider(h.docker, options);
    return this;
  }

  async create(spec: WorkspaceSpec): Promise<Sandbox> {
    for (;;) {
      const index = pickHost(this.#hosts);
      if (index === null) throw new InfraError(`no Docker host left: ${this.#hosts.map((h) => `${h.name} (${h.failure})`).join("; ")}`);
      const host = this.#hosts[index]!;
      if (!host.provider) throw new Error("DockerHostPool: bind() was not called");
      host.inUse++;
      let sandbox: Sandbox;
      try {
        sandbox = await host.provider.create(spec);
      } catch (err) {
        host.inUse--;
        // A healthy host: the failure is the workspace's own. A dead one: it is out, try the others.
        if (await this.#check(host, err)) throw err;
        continue;
      }
      host.workspaces++;
      const key = taskKey(spec.labels["bench.cell"] ?? "", spec.labels["bench.task-id"] ?? "");
      this.#taskHost.set(key, host);
      let released = false;
      return withRemove(sandbox, async () => {
        if (!released) host.inUse--;
        released = true;
        await sandbox.remove();
      });
    }
  }

  /**
   * After a task attempt ended in an infrastructure error: the name of the host its latest workspace
   * was on when that host has failed (checked now), else null. The runner then re-queues the task.
   */
  async lostHostOf(cell: string, instanceId: string): Promise<string | null> {
    const host = this.#taskHost.get(taskKey(cell, instanceId));
    if (!host) return null;
    return (await this.#check(host)) ? null : host.name;
  }

  /**
   * Whether the host still answers after an error on it: a ping now and one #recheckAfterMs later must
   * both pass. A host that fails is taken out for the rest of the run.
   */
  async #check(host: HostState, cause?: unknown): Promise<boolean> {
    if (!host.healthy) return false;
    let last: unknown;
    try {
      await dockerVersion(host.docker, this.#pingTimeoutMs);
      await new Promise((r) => setTimeout(r, this.#recheckAfterMs));
      await dockerVersion(host.docker, this.#pingTimeoutMs);
      return true;
    } catch (err) {
      last = err;
    }
    if (!host.healthy) return false;
    host.healthy = false;
    host.failure = errorMessage(last);
    const left = this.#hosts.filter((h) => h.healthy).map((h) => h.name);
    this.#log(
      `docker host ${host.name} failed (${host.failure}${cause ? `; ${errorMessage(cause).split("\n")[0]}` : ""}): taken out; ` +
        (left.length > 0 ? `its tasks run again on ${left.join(", ")}` : "no host left"),
    );
    return false;
  }
}

function taskKey(cell: string, instanceId: string): string {
  return JSON.stringify([cell, instanceId]);
}
