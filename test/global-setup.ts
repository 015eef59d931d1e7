// vitest global setup: makes sure the Python sandbox image exists before any test file runs (building it once,
// ~1 min on first use) and hands its tag to the tests. Docker tests are never skipped: no engine is a failure.

import Docker from "dockerode";
import type { TestProject } from "vitest/node";
import { errorMessage } from "../src/errors.js";
import { pingDocker } from "../src/sandbox/engine.js";
import { ensureImage } from "../src/sandbox/images.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Tag of the Python sandbox image, e.g. `bench-sandbox-python:0123456789ab`. */
    sandboxImage: string;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const docker = new Docker();
  try {
    await pingDocker(docker);
  } catch (err) {
    const where = process.env.CI ? "in CI the engine must be installed and running" : "start it (e.g. `dockerd &`)";
    throw new Error(
      `Docker integration tests need a Docker engine and none is reachable: ${errorMessage(err)}. ` + `They are never skipped; ${where}.`,
      { cause: err },
    );
  }
  const tag = await ensureImage(docker, "python", {
    onProgress: (line) => process.stderr.write(`[global-setup] ${line}\n`),
  });
  project.provide("sandboxImage", tag);
}
