// Endpoint preflight: one cheap, token-free call per model endpoint before any workspace starts, so a dead endpoint
// or rejected credentials stop the run at once (exit 1) instead of turning every task into an `error` result.

import type { CellSpec } from "../config/model-spec.js";
import { InfraError } from "../errors.js";

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
  const e = err as { name?: string; cause?: { code?: string; message?: string }; message?: string };
  if (e.name === "TimeoutError" || e.name === "AbortError") return `no answer (timeout after ${timeoutSec} s)`;
  const code = e.cause?.code;
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
 * and checks the key the same way a completion would. Mock cells (in-process server) and `bench grade` cells (no model)
 * need none; Bedrock's credentials are resolved by checkCredentials.
 * @throws InfraError naming the cells, the URL and what failed (connection refused, 401, timeout after N s).
 */
export async function checkEndpoints(cells: readonly CellSpec[], settings: PreflightSettings): Promise<void> {
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
    throw new InfraError(`${names}: endpoint check failed: GET ${url}: ${connectionProblem(err, timeoutSec)}; is the server up and --base-url right?`, { cause: err });
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
