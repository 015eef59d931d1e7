// Builds a ModelClient per cell; checks credentials before any sandbox starts.

import type { CellSpec } from "../config/model-spec.js";
import { InfraError } from "../errors.js";
import { OpenAIChatClient } from "./openai-chat.js";
import type { ModelClient } from "./types.js";

export interface ClientSettings {
  /** Base URL of the built-in mock server (…/v1) when a mock cell exists. */
  mockBaseUrl?: string;
  baseUrl?: string;
  apiKeyEnv: string;
  stream: boolean;
  timeoutMs: number;
  env: NodeJS.ProcessEnv;
}

/** Throws InfraError (exit 1) naming what is missing, before the run starts anything. */
export function checkCredentials(cells: CellSpec[], settings: Omit<ClientSettings, "mockBaseUrl">): void {
  for (const cell of cells) {
    if (cell.provider === "openai" && !settings.env[settings.apiKeyEnv] && !settings.baseUrl) {
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
      });
    case "openai":
      return new OpenAIChatClient({
        model: cell.model,
        // Local OpenAI-compatible servers often need no key; the SDK still wants a value.
        apiKey: settings.env[settings.apiKeyEnv] ?? "no-key",
        ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}),
        stream: settings.stream,
        timeoutMs: settings.timeoutMs,
      });
    default:
      throw new InfraError(`provider ${cell.provider} is not available in this version`);
  }
}
