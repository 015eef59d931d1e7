// `docker build` of a tar context without network, and the engine's JSON-lines progress stream it (and `docker
// import`) answers with.

import type Docker from "dockerode";
import { InfraError, errorMessage } from "../errors.js";
import { LineSplitter } from "./streams.js";

export interface DockerBuildOptions {
  /** `ARG` values, e.g. `{ BASE_IMAGE: … }`. */
  buildargs?: Record<string, string>;
  labels?: Record<string, string>;
}

/**
 * `docker build` of a tar build context into `tag`, without network (every package comes from the root filesystem);
 * a failure is an InfraError carrying the build log's tail.
 */
export async function dockerBuild(
  docker: Docker,
  context: NodeJS.ReadableStream,
  tag: string,
  options: DockerBuildOptions = {},
): Promise<void> {
  let log = "";
  try {
    const stream = await docker.buildImage(context, {
      t: tag,
      buildargs: options.buildargs ?? {},
      labels: options.labels ?? {},
      networkmode: "none",
      rm: true,
      forcerm: true,
    });
    await followJsonStream(stream, (event) => {
      if (typeof event.stream === "string") log = (log + event.stream).slice(-4000);
    });
  } catch (err) {
    throw new InfraError(`docker build of ${tag} failed: ${errorMessage(err)}\n${log.trim()}`, { cause: err });
  }
}

export interface ProgressEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/** Reads a Docker JSON-lines progress stream to its end; rejects on the first `error` event. */
export function followJsonStream(stream: NodeJS.ReadableStream, onEvent: (event: ProgressEvent) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed: Error | undefined;
    const handleLine = (line: string) => {
      if (line.trim() === "") return;
      let event: ProgressEvent;
      try {
        event = JSON.parse(line) as ProgressEvent;
      } catch {
        event = { stream: line };
      }
      if (event.error !== undefined && failed === undefined) failed = new Error(event.errorDetail?.message ?? event.error);
      onEvent(event);
    };
    const lines = new LineSplitter(handleLine);
    stream.on("data", (chunk: Buffer | string) => lines.push(chunk));
    stream.on("error", reject);
    stream.on("end", () => {
      lines.end();
      if (failed !== undefined) reject(failed);
      else resolve();
    });
  });
}
