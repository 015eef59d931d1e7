// Sandbox.reset of a Docker workspace, the exec half: scripts/reset.sh as the workspace user (every process of that
// user killed, everything it could write emptied, the repository unpacked and committed again), whose bash then
// stays on the same stdin as the workspace's next command shell.

import type { Duplex } from "node:stream";
import type Docker from "dockerode";
import { InfraError, errorMessage } from "../errors.js";
import { script } from "./shell-scripts.js";
import { awaitMarker } from "./streams.js";
import { sendRepository } from "./tar.js";
import { PREPARE_TIMEOUT_MS } from "./workspace-start.js";

/**
 * Runs the reset and waits for its verdict; on success returns the exec whose stdin now feeds a `bash --noprofile
 * --norc` (ShellSession.adopt takes it). InfraError when it fails, times out, or `repoDir` cannot be read.
 */
export async function resetWorkspace(
  container: Docker.Container,
  reset: { workdir: string; user: string; repoDir: string },
): Promise<{ exec: Docker.Exec; stdio: Duplex }> {
  const where = `sandbox ${container.id.slice(0, 12)}`;
  let exec: Docker.Exec;
  let stdio: Duplex;
  try {
    exec = await container.exec({
      Cmd: ["bash", "-c", script("reset"), "bench-reset", reset.workdir],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      WorkingDir: "/",
      User: reset.user,
    });
    stdio = (await exec.start({ hijack: true, stdin: true })) as unknown as Duplex;
  } catch (err) {
    throw new InfraError(`cannot reset ${where}: ${errorMessage(err)}`, { cause: err });
  }
  // stdin stays open for the shell the script execs into.
  const outcome = await awaitMarker(stdio, /\n__BENCH_RESET__(\d+)\n/, PREPARE_TIMEOUT_MS, () => sendRepository(reset.repoDir, stdio));
  if (outcome.kind === "marker" && Number(outcome.match[1]) === 0) return { exec, stdio };
  stdio.destroy();
  switch (outcome.kind) {
    case "timeout":
      throw new InfraError(`reset of ${where} timed out: ${outcome.output.trim()}`);
    case "source-error":
      throw new InfraError(`reset of ${where}: cannot read ${reset.repoDir}: ${outcome.error.message}`, { cause: outcome.error });
    default: {
      const exitCode = outcome.kind === "marker" ? outcome.match[1] : "unknown";
      throw new InfraError(`reset of ${where} failed (exit ${exitCode}): ${outcome.output.trim()}`);
    }
  }
}
