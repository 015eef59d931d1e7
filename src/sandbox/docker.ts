// Docker implementation of the SandboxProvider seam: a labelled, isolated workspace container per spec, the
// repository streamed into its entrypoint, the container removed again when any step of its start fails.

import * as os from "node:os";
import type { Duplex } from "node:stream";
import type Docker from "dockerode";
import { InfraError, UsageError, errorMessage } from "../errors.js";
import { getOrInsert } from "../util/maps.js";
import { checkedSpec, containerOptions, type ContainerOwner } from "./container-config.js";
import { DockerSandbox } from "./docker-sandbox.js";
import { statusCode } from "./engine.js";
import { removeQuietly } from "./removal.js";
import { hostCommitPossible } from "./tar.js";
import type { Sandbox, SandboxProvider, WorkspaceSpec } from "./types.js";
import { PREPARE_TIMEOUT_MS, activatedEnvironment, prepareWorkspace } from "./workspace-start.js";

export interface DockerSandboxProviderOptions {
  /** Value of the `bench.run-id` label on every container this provider creates. */
  runId: string;
  /** Value of the `bench.owner-pid` label; the janitor removes containers whose owner is gone. @default process.pid */
  ownerPid?: number;
  /** Value of the `bench.host` label. @default os.hostname() */
  host?: string;
  /**
   * Capabilities added back after `CapDrop: ["ALL"]`. The Python image needs none: git, pip (as root into
   * root-owned paths), pytest, `timeout` and the deadline's kill all work without any. @default []
   */
  capAdd?: string[];
}

export class DockerSandboxProvider implements SandboxProvider {
  readonly #docker: Docker;
  readonly #owner: ContainerOwner;
  /** hostCommitPossible per repository: a task's repository is the same for every attempt of a run. */
  readonly #hostCommit = new Map<string, Promise<boolean>>();

  constructor(docker: Docker, options: DockerSandboxProviderOptions) {
    if (options.runId === "") throw new UsageError('DockerSandboxProvider runId: expected a non-empty string, got ""');
    this.#docker = docker;
    this.#owner = {
      runId: options.runId,
      ownerPid: options.ownerPid ?? process.pid,
      host: options.host ?? os.hostname(),
      capAdd: options.capAdd ?? [],
    };
  }

  #hostCommitPossible(repoDir: string): Promise<boolean> {
    return getOrInsert(this.#hostCommit, repoDir, () => hostCommitPossible(repoDir));
  }

  async create(spec: WorkspaceSpec): Promise<Sandbox> {
    const { workdir, user } = checkedSpec(spec);
    // A numeric user gets the repository from tar directly (owner in every entry); a named one through `chown -R`.
    // Only with the base commit built on the host: git committing as root could not write into the user's tree.
    const ids = user !== undefined ? /^(\d+):(\d+)$/.exec(user) : null;
    const owner =
      ids && spec.repoDir !== undefined && (await this.#hostCommitPossible(spec.repoDir))
        ? { uid: Number(ids[1]), gid: Number(ids[2]) }
        : undefined;
    let container: Docker.Container | undefined;
    let lifeline: Duplex | undefined;
    let step = "create container";
    try {
      container = await this.#docker.createContainer(containerOptions(spec, this.#owner, owner !== undefined));
      step = "attach to the container";
      // Attached before start, so nothing the entrypoint prints is lost.
      lifeline = (await container.attach({ stream: true, hijack: true, stdin: true, stdout: true, stderr: true })) as unknown as Duplex;
      lifeline.on("error", () => {}); // a broken lifeline ends the container; the next command reports it
      // The archive is written before the start: Docker holds it until the entrypoint reads stdin.
      const preparing = prepareWorkspace(lifeline, spec.repoDir, PREPARE_TIMEOUT_MS, owner);
      preparing.catch(() => {}); // awaited below; a failed start must not leave it unhandled
      step = "start container";
      await container.start();
      step = spec.repoDir !== undefined ? `copy ${spec.repoDir} into ${workdir}` : "prepare the workspace";
      const prepared = await preparing;
      if (prepared.exitCode !== 0) {
        if (prepared.stage === "commit") step = "commit the repository as git base";
        if (prepared.stage === "owner") step = `hand ${workdir} to user ${user}`;
        throw new Error(`exit code ${prepared.exitCode}${prepared.timedOut ? " (timed out)" : ""}: ${prepared.output.trim()}`);
      }
      let env: string[] | undefined;
      if (spec.activate !== undefined) {
        step = "activate the workspace environment";
        env = await activatedEnvironment(container, spec.activate, workdir, user);
      }
      return new DockerSandbox(container, workdir, { lifeline, ...(user !== undefined ? { user } : {}), ...(env ? { env } : {}) });
    } catch (err) {
      lifeline?.destroy();
      // If even removal fails (engine gone), the labels let the janitor find the container later.
      if (container !== undefined) await removeQuietly(container).catch(() => {});
      const hint = statusCode(err) === 404 && step === "create container" ? " (build it with `bench images build`)" : "";
      throw new InfraError(`cannot create workspace from image ${spec.image}: ${step} failed: ${errorMessage(err)}${hint}`, {
        cause: err,
      });
    }
  }
}
