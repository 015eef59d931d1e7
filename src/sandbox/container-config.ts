// What a workspace container is made of: the labels bench owns, default limits, the user spec, and the create
// options (entrypoint, lifeline stdin, isolation, resource limits) for a WorkspaceSpec.

import * as path from "node:path";
import type Docker from "dockerode";
import { UsageError } from "../errors.js";
import { requirePositive } from "./exec.js";
import { script } from "./shell-scripts.js";
import { DEFAULT_WORKDIR, type WorkspaceSpec } from "./types.js";

/** Label keys the provider owns; spec.labels cannot override them. */
export const LABELS = {
  runId: "bench.run-id",
  taskId: "bench.task-id",
  cell: "bench.cell",
  ownerPid: "bench.owner-pid",
  host: "bench.host",
  managed: "bench.managed",
} as const;

const DEFAULT_MEMORY_BYTES = 2 * 1024 ** 3;
const DEFAULT_CPUS = 1;
const DEFAULT_PIDS_LIMIT = 512;
const DEFAULT_MAX_FILE_BYTES = 1024 ** 3;

/**
 * Added back for the root entrypoint when a workspace has a user: CHOWN to give files away, FOWNER to set their mode
 * and times after that (tar --same-owner chowns, then chmods). Only root processes of the container hold them.
 */
const ENTRYPOINT_CAPS = ["CHOWN", "FOWNER"];

/** `uid[:gid]` or `name[:group]`, as Docker's exec `User` and `chown` take them. */
const USER_SPEC = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/;

/** Who owns a container (its labels) and what capabilities its entrypoint may keep. */
export interface ContainerOwner {
  runId: string;
  ownerPid: number;
  host: string;
  capAdd: string[];
}

/** The spec's workdir and user, checked (UsageError naming the field). */
export function checkedSpec(spec: WorkspaceSpec): { workdir: string; user: string | undefined } {
  const workdir = spec.workdir ?? DEFAULT_WORKDIR;
  if (!path.posix.isAbsolute(workdir)) throw new UsageError(`workspace workdir: expected an absolute path, got ${JSON.stringify(workdir)}`);
  requirePositive("workspace memoryBytes", spec.memoryBytes ?? DEFAULT_MEMORY_BYTES);
  requirePositive("workspace cpus", spec.cpus ?? DEFAULT_CPUS);
  requirePositive("workspace pidsLimit", spec.pidsLimit ?? DEFAULT_PIDS_LIMIT);
  const user = spec.user;
  if (user !== undefined && !USER_SPEC.test(user)) {
    throw new UsageError(`workspace user: expected uid[:gid] or user[:group] names, got ${JSON.stringify(user)}`);
  }
  return { workdir, user };
}

/**
 * Create options of a workspace: the entrypoint (scripts/prepare.sh) unpacks the repository from stdin (no
 * putArchive: Docker untars through a helper process, ~45 ms), commits it, hands the workdir to the user, then waits
 * on stdin, the lifeline. `tarOwner`: the archive carries the user's ids (no `chown -R` needed).
 */
export function containerOptions(spec: WorkspaceSpec, owner: ContainerOwner, tarOwner: boolean): Docker.ContainerCreateOptions {
  const { workdir, user } = checkedSpec(spec);
  const labels: Record<string, string> = {
    [LABELS.taskId]: "",
    [LABELS.cell]: "",
    ...spec.labels,
    [LABELS.runId]: owner.runId,
    [LABELS.ownerPid]: String(owner.ownerPid),
    [LABELS.host]: owner.host,
    [LABELS.managed]: "true",
  };
  return {
    Image: spec.image,
    Entrypoint: ["bash", "-c", script("prepare"), "bench-prepare"],
    Cmd: [],
    Env: [`BENCH_REPO=${spec.repoDir !== undefined ? 1 : 0}`, `BENCH_OWNER=${user ?? ""}`, `BENCH_TAR_OWNER=${tarOwner ? 1 : 0}`],
    OpenStdin: true,
    StdinOnce: true,
    Labels: labels,
    WorkingDir: workdir,
    Tty: false,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: {
      Init: true,
      // The container ends when its lifeline closes (the owner exited or was killed); Docker then removes it.
      AutoRemove: true,
      NetworkMode: spec.network === true ? "bridge" : "none",
      // `docker-default` (SWE-bench's grading container): Docker's own defaults, no limit nor dropped capability.
      ...(spec.isolation === "docker-default"
        ? {}
        : limits(spec, user !== undefined ? [...new Set([...owner.capAdd, ...ENTRYPOINT_CAPS])] : owner.capAdd)),
      LogConfig: { Type: "none", Config: {} }, // the entrypoint's output comes through the attach stream
    },
  };
}

function limits(spec: WorkspaceSpec, capAdd: string[]): Docker.HostConfig {
  const memoryBytes = spec.memoryBytes ?? DEFAULT_MEMORY_BYTES;
  const maxFileBytes = spec.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  return {
    Memory: memoryBytes,
    MemorySwap: memoryBytes, // no swap: the limit is the limit
    NanoCpus: Math.round((spec.cpus ?? DEFAULT_CPUS) * 1e9),
    PidsLimit: spec.pidsLimit ?? DEFAULT_PIDS_LIMIT,
    CapDrop: ["ALL"],
    // Only for the root entrypoint handing the repository to the user (tar --same-owner, or chown -R); the user's
    // commands get no capability (a non-root process's effective set is empty after execve).
    CapAdd: capAdd,
    SecurityOpt: ["no-new-privileges"],
    // No single file past this size (RLIMIT_FSIZE, bytes): a runaway write fails fast instead of filling the host
    // disk. overlay2 on ext4 has no per-container quota, so this is the bound that works everywhere.
    Ulimits: [
      { Name: "fsize", Soft: maxFileBytes, Hard: maxFileBytes },
      { Name: "nofile", Soft: 4096, Hard: 4096 },
    ],
  };
}
