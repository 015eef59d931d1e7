// Builds a ModelClient per cell; checks credentials before any sandbox starts.

import type { CellSpec } from "../config/model-spec.js";
import { InfraError } from "../errors.js";
import { BedrockClient, checkBedrockCredentials } from "./bedrock.js";
import { resolveBedrockRegion } from "./bedrock-model-id.js";
import type { GenerationParams } from "./generation.js";
import { OpenAIChatClient } from "./openai-chat.js";
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
  /** --reasoning-effort, --temperature, --top-p, --seed, --max-output-tokens. @default none (server defaults) */
  generation?: GenerationParams;
  /** Where providers log one-time notices (e.g. parameters dropped). @default stderr */
  log?: (line: string) => void;
  /** Bedrock Runtime endpoint (--bedrock-endpoint, e.g. a mock or a VPC endpoint). @default the SDK's: AWS_ENDPOINT_URL_BEDROCK_RUNTIME, else regional */
  bedrockEndpoint?: string;
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
  switch (cell.provider) {
    case "mock":
      if (!settings.mockBaseUrl) throw new InfraError("internal: mock cell without a mock server");
      return new OpenAIChatClient({
        provider: "mock",
        model: cell.model,
        apiKey: "mock-key",
        baseURL: settings.mockBaseUrl,
        stream: settings.stream,
        timeoutMs: settings.timeoutMs,
        ...settings.generation,
        ...(settings.log ? { log: settings.log } : {}),
      });
    case "openai":
      return new OpenAIChatClient({
        model: cell.model,
        // Local OpenAI-compatible servers often need no key; the SDK still wants a value.
        apiKey: settings.env[settings.apiKeyEnv] ?? "no-key",
        ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}),
        stream: settings.stream,
        timeoutMs: settings.timeoutMs,
        ...settings.generation,
        ...(settings.log ? { log: settings.log } : {}),
      });
    case "openai-responses":
      return new OpenAIResponsesClient({
        model: cell.model,
        apiKey: settings.env[settings.apiKeyEnv] ?? "no-key",
        ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}),
        stream: settings.stream,
        timeoutMs: settings.timeoutMs,
        ...settings.generation,
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
        ...settings.generation,
        ...(settings.log ? { log: settings.log } : {}),
      });
    default:
      throw new InfraError(`provider ${cell.provider} is not available in this version`);
  }
}
