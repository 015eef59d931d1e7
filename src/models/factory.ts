// Builds a ModelClient per cell; checks credentials before any sandbox starts.

import { InfraError, UsageError } from "../errors.js";
import { BedrockClient, checkBedrockCredentials, type BedrockClientOptions } from "./bedrock.js";
import { defaultBedrockClientCache } from "./bedrock-runtime-client.js";
import { resolveBedrockRegion } from "./bedrock-model-id.js";
import { BEDROCK_ONLY_OPTION_KEYS, generationOf, type CallOptions, type CellSpec } from "./call-options.js";
import { fetchConnections, OpenAIChatClient } from "./openai-chat.js";
import { OpenAIResponsesClient } from "./openai-responses.js";
import type { ModelClient } from "./types.js";

export interface ClientSettings {
  /** Base URL of the built-in mock server (…/v1) when a mock cell exists. */
  mockBaseUrl?: string;
  baseUrl?: string;
  apiKeyEnv: string;
  stream: boolean;
  timeoutMs: number;
  env: NodeJS.ProcessEnv;
  /** Where providers log one-time notices (e.g. parameters dropped). @default stderr */
  log?: (line: string) => void;
  /** Bedrock Runtime endpoint (--bedrock-endpoint, e.g. a mock or a VPC endpoint). @default the SDK's: AWS_ENDPOINT_URL_BEDROCK_RUNTIME, else regional */
  bedrockEndpoint?: string;
  /** Run-level call options (generation + Bedrock request settings); a cell's own options win over them. @default none (server defaults) */
  callOptions?: CallOptions;
}

/** A cell's effective call options: run-level call options < the cell's own. */
export function effectiveCallOptions(cell: Pick<CellSpec, "options">, settings: Pick<ClientSettings, "callOptions">): CallOptions {
  return { ...settings.callOptions, ...cell.options };
}

/**
 * Checks every cell's effective call options before the run starts (UsageError naming the options and the cell);
 * returns warnings for Bedrock-only options set on other providers' cells (they are not sent there).
 */
export function checkCallOptions(cells: CellSpec[], settings: Pick<ClientSettings, "callOptions">): string[] {
  const warnings: string[] = [];
  for (const cell of cells) {
    const o = effectiveCallOptions(cell, settings);
    if ((o.guardrailId === undefined) !== (o.guardrailVersion === undefined)) {
      throw new UsageError(
        `${cell.cell}: --guardrail-id and --guardrail-version go together (got only ${o.guardrailId === undefined ? "--guardrail-version" : "--guardrail-id"})`,
      );
    }
    if (o.guardrailTrace !== undefined && o.guardrailId === undefined)
      throw new UsageError(`${cell.cell}: --guardrail-trace needs --guardrail-id and --guardrail-version`);
    if (cell.provider !== "bedrock") {
      const set = BEDROCK_ONLY_OPTION_KEYS.filter(
        (k) =>
          o[k] !== undefined &&
          !(k === "promptCaching" && o[k] === false) &&
          !(k === "stopSequence" && cell.provider !== "openai-responses"),
      );
      if (set.length > 0)
        warnings.push(
          `${cell.cell}: ${set.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(", ")} not supported by this provider; not sent for this cell`,
        );
    }
  }
  return warnings;
}

/** The BedrockClient fields of a cell's call options. */
export function bedrockRequestOptions(
  o: CallOptions,
): Pick<BedrockClientOptions, "stopSequences" | "additionalModelRequestFields" | "promptCaching" | "guardrail"> {
  return {
    ...(o.stopSequence !== undefined && o.stopSequence.length > 0 ? { stopSequences: o.stopSequence } : {}),
    ...(o.additionalModelRequestFields !== undefined ? { additionalModelRequestFields: o.additionalModelRequestFields } : {}),
    ...(o.promptCaching ? { promptCaching: true } : {}),
    ...(o.guardrailId !== undefined && o.guardrailVersion !== undefined
      ? { guardrail: { id: o.guardrailId, version: o.guardrailVersion, ...(o.guardrailTrace ? { trace: o.guardrailTrace } : {}) } }
      : {}),
  };
}

/** Throws InfraError (exit 1) naming what is missing, before the run starts anything. */
export async function checkCredentials(cells: CellSpec[], settings: Omit<ClientSettings, "mockBaseUrl">): Promise<void> {
  // Bedrock credentials come from a chain (bearer token, env keys, profile/SSO, container, instance role): resolve
  // them now, the way calls will, so a run without any stops before its first sandbox.
  const bedrock = cells.filter((c) => c.provider === "bedrock");
  if (bedrock.length > 0) {
    try {
      await checkBedrockCredentials({ region: resolveBedrockRegion(bedrock[0]!.region, settings.env), env: settings.env });
    } catch (err) {
      throw new InfraError(`${bedrock.map((c) => c.cell).join(", ")}: ${(err as Error).message}`, { cause: err });
    }
  }
  for (const cell of cells) {
    if ((cell.provider === "openai" || cell.provider === "openai-responses") && !settings.env[settings.apiKeyEnv] && !settings.baseUrl) {
      throw new InfraError(
        `${cell.cell}: no API key: set ${settings.apiKeyEnv} (or pass --api-key-env NAME), or use --base-url for a local OpenAI-compatible server`,
      );
    }
  }
}

export function createClient(cell: CellSpec, settings: ClientSettings): ModelClient {
  const calls = effectiveCallOptions(cell, settings);
  const generation = generationOf(calls);
  switch (cell.provider) {
    case "mock":
    case "openai": {
      // The built-in mock is the Chat provider pointed at the in-process server.
      const mock = cell.provider === "mock";
      if (mock && !settings.mockBaseUrl) throw new InfraError("internal: mock cell without a mock server");
      const baseURL = mock ? settings.mockBaseUrl : settings.baseUrl;
      return new OpenAIChatClient({
        ...(mock ? { provider: "mock" } : {}),
        model: cell.model,
        // Local OpenAI-compatible servers often need no key; the SDK still wants a value.
        apiKey: mock ? "mock-key" : (settings.env[settings.apiKeyEnv] ?? "no-key"),
        ...(baseURL ? { baseURL } : {}),
        stream: settings.stream,
        timeoutMs: settings.timeoutMs,
        ...generation,
        ...(calls.stopSequence?.length ? { stopSequences: calls.stopSequence } : {}),
        ...(settings.log ? { log: settings.log } : {}),
      });
    }
    case "openai-responses":
      return new OpenAIResponsesClient({
        model: cell.model,
        apiKey: settings.env[settings.apiKeyEnv] ?? "no-key",
        ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}),
        stream: settings.stream,
        timeoutMs: settings.timeoutMs,
        ...generation,
        ...(settings.log ? { log: settings.log } : {}),
      });
    case "bedrock":
      return new BedrockClient({
        model: cell.model,
        region: resolveBedrockRegion(cell.region, settings.env),
        ...(settings.bedrockEndpoint ? { endpoint: settings.bedrockEndpoint } : {}),
        ...(settings.env["AWS_BEARER_TOKEN_BEDROCK"]?.trim() ? { bearerToken: settings.env["AWS_BEARER_TOKEN_BEDROCK"].trim() } : {}),
        stream: settings.stream,
        timeoutMs: settings.timeoutMs,
        ...generation,
        ...bedrockRequestOptions(calls),
        ...(settings.log ? { log: settings.log } : {}),
      });
    default:
      throw new InfraError(`provider ${cell.provider} is not available in this version`);
  }
}

/**
 * Connections opened so far by the model clients, by origin (`https://host:port`): Node's fetch (OpenAI-compatible
 * endpoints, the mock) and the Bedrock clients' HTTP/2 sessions. Process-wide counters: a run records the difference
 * between two snapshots (connectionsSince).
 */
export function connectionCounts(): Record<string, number> {
  const all: Record<string, number> = { ...fetchConnections() };
  for (const [origin, n] of Object.entries(defaultBedrockClientCache.connections())) all[origin] = (all[origin] ?? 0) + n;
  return all;
}

/** Connections opened since `before` (a connectionCounts() snapshot), origins with none left out. */
export function connectionsSince(before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [origin, n] of Object.entries(connectionCounts()).sort(([a], [b]) => a.localeCompare(b))) {
    const opened = n - (before[origin] ?? 0);
    if (opened > 0) out[origin] = opened;
  }
  return out;
}
