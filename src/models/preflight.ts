// Endpoint preflight: one cheap, token-free call per model endpoint before any workspace starts, so a dead endpoint
// or rejected credentials stop the run at once (exit 1) instead of turning every task into an `error` result.

import { ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
import type { CellSpec } from "./call-options.js";
import { InfraError } from "../errors.js";
import { createRuntimeClient } from "./bedrock-runtime-client.js";

export interface PreflightSettings {
  baseUrl?: string;
  apiKeyEnv: string;
  env: NodeJS.ProcessEnv;
  /** Seconds to wait for an answer. @default 10 */
  timeoutSec?: number;
  /** Where a non-blocking oddity (a 5xx) is reported. */
  log?: (line: string) => void;
  /** Injected for tests. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** The OpenAI SDK's own default, and its OPENAI_BASE_URL override: where the cells' calls will go. */
export function openaiBaseUrl(settings: Pick<PreflightSettings, "baseUrl" | "env">): string {
  return (settings.baseUrl ?? settings.env["OPENAI_BASE_URL"] ?? "https://api.openai.com/v1").replace(/\/+$/, "");
}

/** Why a fetch failed, in words: connection refused, unknown host, timeout after N s. */
function connectionProblem(err: unknown, timeoutSec: number): string {
  const e = err as { name?: string; code?: string; cause?: { code?: string; message?: string }; message?: string };
  if (e.name === "TimeoutError" || e.name === "AbortError") return `no answer (timeout after ${timeoutSec} s)`;
  // fetch puts the system error in `cause`; the AWS SDK's handler throws it as is.
  const code = e.cause?.code ?? e.code;
  const words: Record<string, string> = {
    ECONNREFUSED: "connection refused",
    ENOTFOUND: "unknown host",
    EAI_AGAIN: "host name lookup failed",
    ECONNRESET: "connection reset",
    EHOSTUNREACH: "host unreachable",
    ENETUNREACH: "network unreachable",
  };
  if (code && words[code]) return `${words[code]} (${code})`;
  return e.cause?.message ?? e.message ?? String(err);
}

/**
 * Checks each OpenAI-compatible endpoint the cells use once: `GET {baseURL}/models` answers without spending tokens
 * and checks the key the same way a completion would; Bedrock cells get checkBedrockEndpoints. Mock cells (in-process
 * server) and `bench grade` cells (no model) need none.
 * @throws InfraError naming the cells, the URL and what failed (connection refused, 401, timeout after N s).
 */
export async function checkEndpoints(
  cells: readonly CellSpec[],
  settings: PreflightSettings & { bedrockEndpoint?: string },
): Promise<void> {
  await checkBedrockEndpoints(cells, settings);
  const openai = cells.filter((c) => c.provider === "openai" || c.provider === "openai-responses");
  if (openai.length === 0) return;
  // Every openai/* cell shares one base URL and one key (--base-url, --api-key-env): one call covers them all.
  const url = `${openaiBaseUrl(settings)}/models`;
  const names = openai.map((c) => c.cell).join(", ");
  const timeoutSec = settings.timeoutSec ?? 10;
  const key = settings.env[settings.apiKeyEnv];
  let res: Response;
  try {
    res = await (settings.fetch ?? fetch)(url, {
      headers: key ? { authorization: `Bearer ${key}` } : {},
      signal: AbortSignal.timeout(timeoutSec * 1000),
    });
  } catch (err) {
    throw new InfraError(
      `${names}: endpoint check failed: GET ${url}: ${connectionProblem(err, timeoutSec)}; is the server up and --base-url right?`,
      { cause: err },
    );
  }
  const body = (await res.text().catch(() => "")).replace(/\s+/g, " ").trim().slice(0, 200);
  if (res.ok) return;
  if (res.status === 401 || res.status === 403) {
    throw new InfraError(
      `${names}: endpoint check failed: GET ${url}: HTTP ${res.status} (credentials rejected${key ? `: check ${settings.apiKeyEnv}` : `: ${settings.apiKeyEnv} is not set`})${body ? ` — ${body}` : ""}`,
    );
  }
  // Many OpenAI-compatible servers (proxies, local inference servers) serve completions but not /models: a 404, 405 or
  // 501 there proves the server is up and says nothing about the calls the run makes, so it must not block the run.
  if (res.status === 404 || res.status === 405 || res.status === 501) return;
  // A 429 or 5xx is what the retry layer exists for; blocking on one transient answer would make the check flaky.
  settings.log?.(`warning: ${names}: endpoint check GET ${url} answered HTTP ${res.status}; going on (model calls retry)`);
}

/** AWS error types that mean the credentials (or the model access they carry) were refused. */
const BEDROCK_AUTH_ERRORS = new Set([
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "ExpiredTokenException",
  "AccessDeniedException",
  "UnauthorizedException",
  "InvalidClientTokenId",
  "MissingAuthenticationTokenException",
]);

/**
 * Bedrock: one Converse call per cell's region and model with no message. The service authenticates the request,
 * checks model access, then refuses it as invalid (ValidationException) before any model runs: no token is spent, and
 * that refusal proves the endpoint answers and accepts the credentials. Anything else stops the run naming the cell.
 */
export async function checkBedrockEndpoints(
  cells: readonly CellSpec[],
  settings: PreflightSettings & { bedrockEndpoint?: string },
): Promise<void> {
  const timeoutSec = settings.timeoutSec ?? 10;
  const seen = new Set<string>();
  for (const cell of cells) {
    if (cell.provider !== "bedrock" || cell.region === undefined) continue;
    const key = `${cell.region}\0${cell.model}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const bearerToken = settings.env["AWS_BEARER_TOKEN_BEDROCK"]?.trim();
    const client = createRuntimeClient({
      region: cell.region,
      requestTimeoutMs: timeoutSec * 1000,
      ...(settings.bedrockEndpoint ? { endpoint: settings.bedrockEndpoint } : {}),
      ...(bearerToken ? { bearerToken } : {}),
    });
    const where = settings.bedrockEndpoint ?? `bedrock-runtime.${cell.region}.amazonaws.com`;
    try {
      await client.send(new ConverseCommand({ modelId: cell.model, messages: [] }), {
        abortSignal: AbortSignal.timeout(timeoutSec * 1000),
      });
      // A service that answered an empty conversation took it: reachable and authenticated all the same.
    } catch (err) {
      const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; code?: string; cause?: unknown };
      const status = e.$metadata?.httpStatusCode;
      if (e.name === "ValidationException") continue;
      if (e.name !== undefined && BEDROCK_AUTH_ERRORS.has(e.name)) {
        throw new InfraError(
          `${cell.cell}: endpoint check failed: Converse on ${where}: ${e.name} (credentials or model access refused) — ${(e.message ?? "").split("\n")[0]}`,
          { cause: err },
        );
      }
      if (e.name === "ResourceNotFoundException") {
        throw new InfraError(
          `${cell.cell}: endpoint check failed: Converse on ${where}: model ${cell.model} not found in ${cell.region} — ${(e.message ?? "").split("\n")[0]}`,
          { cause: err },
        );
      }
      if (status !== undefined && (status === 429 || status >= 500)) {
        settings.log?.(
          `warning: ${cell.cell}: endpoint check Converse on ${where} answered HTTP ${status} (${e.name}); going on (model calls retry)`,
        );
        continue;
      }
      throw new InfraError(
        `${cell.cell}: endpoint check failed: Converse on ${where}: ${status === undefined ? connectionProblem(err, timeoutSec) : `HTTP ${status} ${e.name ?? ""}`}; is the endpoint (--bedrock-endpoint) and region right?`,
        { cause: err },
      );
    } finally {
      client.destroy();
    }
  }
}
