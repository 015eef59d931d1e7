// Whether a Docker engine answers: the one ping every caller uses (run start, `bench images|clean|…`, the host
// pool, the test setup, the perf benchmark).

import type Docker from "dockerode";
import { InfraError, errorMessage } from "../errors.js";

/** The engine's version, or the reason it did not answer within `timeoutMs` (a plain Error). */
export async function dockerVersion(docker: Docker, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const version = await Promise.race([
      docker.version(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
        timer.unref();
      }),
    ]);
    return version.Version;
  } finally {
    clearTimeout(timer);
  }
}

/** The engine's version; an InfraError that says how to fix it when the engine cannot be reached. */
export async function pingDocker(docker: Docker, timeoutMs = 10_000): Promise<string> {
  try {
    return await dockerVersion(docker, timeoutMs);
  } catch (err) {
    throw new InfraError(
      `Docker is not reachable (${errorMessage(err)}). Start the engine (e.g. \`sudo dockerd &\` or \`systemctl start docker\`) or set DOCKER_HOST.`,
      { cause: err },
    );
  }
}

/** The HTTP status of an engine error (dockerode's `statusCode`), when it has one. */
export function statusCode(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === "number" ? code : undefined;
}
