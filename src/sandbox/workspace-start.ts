// A new workspace's first moments, after its container started: the repository streamed into the entrypoint
// (scripts/prepare.sh) and its verdict read back, then the activated environment (e.g. conda's) captured once.

import type { Duplex } from "node:stream";
import type Docker from "dockerode";
import { exitCodeOf } from "./exec.js";
import { BoundedOutput, Demuxer, awaitMarker } from "./streams.js";
import { sendRepository } from "./tar.js";

/** Deadline of unpacking and committing the repository (at start, and at a reset). */
export const PREPARE_TIMEOUT_MS = 300_000;

export interface PrepareVerdict {
  stage: "copy" | "commit" | "owner";
  exitCode: number;
  output: string;
  timedOut: boolean;
}

/**
 * Streams `repoDir` (when given) as a tar into the attached stdin of a started workspace, without ending stdin (it is
 * the lifeline), and waits for the entrypoint's verdict. A host-side read error leaves the archive incomplete (tar
 * never sees its end) and rejects; the caller removes the container.
 */
export async function prepareWorkspace(
  stdio: Duplex,
  repoDir: string | undefined,
  timeoutMs: number,
  owner?: { uid: number; gid: number },
): Promise<PrepareVerdict> {
  const outcome = await awaitMarker(
    stdio,
    /\n__BENCH_PREPARED__(copy|commit|owner):(\d+)\n/,
    timeoutMs,
    repoDir !== undefined ? () => sendRepository(repoDir, stdio, owner) : undefined,
  );
  switch (outcome.kind) {
    case "marker":
      return {
        stage: outcome.match[1] as PrepareVerdict["stage"],
        exitCode: Number(outcome.match[2]),
        output: outcome.output,
        timedOut: false,
      };
    case "timeout":
      return { stage: "copy", exitCode: 124, output: outcome.output, timedOut: true };
    case "ended":
      throw new Error(`the container stopped before the workspace was ready: ${outcome.output.trim() || "no output"}`);
    default:
      throw outcome.error;
  }
}

/** Variables that describe one process, not an environment to hand on. */
const PROCESS_VARIABLES = new Set(["PWD", "OLDPWD", "SHLVL", "_", "HOSTNAME"]);

/**
 * Runs `activate` (e.g. `source /opt/miniconda3/bin/activate && conda activate testbed`) once in a new workspace and
 * returns the environment it leaves, as `KEY=value` entries every later exec and shell starts with: the agent's
 * commands then run inside that environment, activation scripts (conda's activate.d) included, for one exec per
 * workspace instead of one per command.
 */
export async function activatedEnvironment(
  container: Docker.Container,
  activate: string,
  workdir: string,
  user: string | undefined,
): Promise<string[]> {
  const exec = await container.exec({
    Cmd: ["bash", "-c", `${activate} >/dev/null 2>&1 || { echo "activation failed: exit $?" >&2; exit 1; }\nenv -0`],
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    WorkingDir: workdir,
    ...(user !== undefined ? { User: user } : {}),
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const stdout = new BoundedOutput(1_000_000);
  const stderr = new BoundedOutput(10_000);
  const demux = new Demuxer((kind, payload) => (kind === 2 ? stderr : stdout).push(payload));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no answer within 60 s")), 60_000);
    stream.on("data", (chunk: Buffer) => demux.push(chunk));
    stream.once("end", () => {
      clearTimeout(timer);
      resolve();
    });
    stream.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    stream.once("error", (err: Error) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  const exitCode = await exitCodeOf(exec);
  if (exitCode !== 0) throw new Error(`\`${activate}\` failed (exit ${exitCode}): ${stderr.text().trim()}`);
  return stdout
    .text()
    .split("\0")
    .filter((entry) => entry.includes("=") && !PROCESS_VARIABLES.has(entry.slice(0, entry.indexOf("="))));
}
