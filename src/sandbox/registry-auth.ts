// Registry credentials as the docker CLI finds them: the registry of an image reference, the Docker config file
// (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`), inline `auths` entries and credential helpers.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { InfraError, errorMessage } from "../errors.js";

/** Docker Hub's server address in config files, credential helpers and the engine's auth header. */
const DOCKER_HUB_SERVER = "https://index.docker.io/v1/";
/** A credential helper that has not answered by then is treated as broken (it may be waiting on a locked keychain). */
const CREDENTIAL_HELPER_TIMEOUT_MS = 30_000;

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
export type RegistryAuth = { username: string; password: string; serveraddress: string } | { identitytoken: string; serveraddress: string };

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
      throw new InfraError(
        `the Docker config's "auth" for ${registry} is not base64 of user:password: run \`docker login ${registry}\` again`,
      );
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
    const what =
      code === "ETIMEDOUT" ? `did not answer within ${CREDENTIAL_HELPER_TIMEOUT_MS / 1000}s` : `could not run (${result.error.message})`;
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
