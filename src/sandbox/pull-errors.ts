// What a failed image pull means and how it is reported: not found, credentials wanted or refused, the registry
// failing after every retry; the engine's own error message.

import { InfraError, errorMessage } from "../errors.js";
import { dockerConfigPath } from "./registry-auth.js";

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

export function loginCommand(registry: string): string {
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

const NOT_FOUND =
  /manifest unknown|repository does not exist|pull access denied|name unknown|manifest for .* not found|not found: manifest/;
const LOCAL_FATAL = /no space left|read-only file system|invalid reference format|failed to register layer|permission denied/;
const AUTH =
  /unauthorized|authentication required|no basic auth credentials|incorrect username or password|access to the resource is denied/;

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
