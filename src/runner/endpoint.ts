// Which endpoint a model call counts against and what it counts: the provider's quota family, the account (no
// secret: a key's variable name, hashes), the endpoint key one limiter serves, and a call's tokens for --tpm.

import { createHash } from "node:crypto";
import type { ModelRequest, Usage } from "../models/types.js";

const shortHash = (text: string): string => createHash("sha256").update(text).digest("hex").slice(0, 10);

/** What shares one provider quota: OpenAI's Chat Completions and Responses APIs bill one account's limits. */
function quotaFamily(provider: string): string {
  return provider === "openai-responses" ? "openai" : provider;
}

export interface AccountSettings {
  baseUrl?: string | undefined;
  apiKeyEnv: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Who the provider counts the calls against, without any secret: the API key's variable name and a hash of the
 * base URL (OpenAI-compatible); the AWS access key id's hash, else the profile, else the default chain (Bedrock).
 */
export function accountIdentity(provider: string, settings: AccountSettings): string {
  switch (quotaFamily(provider)) {
    case "mock":
      return "mock";
    case "openai":
      return `${settings.apiKeyEnv}@${shortHash(settings.baseUrl ?? "https://api.openai.com/v1")}`;
    case "bedrock": {
      const akid = settings.env["AWS_ACCESS_KEY_ID"];
      if (settings.env["AWS_BEARER_TOKEN_BEDROCK"]) return "aws-bearer-token";
      if (akid) return `aws-key-${shortHash(akid)}`;
      if (settings.env["AWS_PROFILE"]) return `aws-profile-${settings.env["AWS_PROFILE"]}`;
      return "aws-default-chain";
    }
    default:
      return "default";
  }
}

/** `provider|account|region|model`: two regions, two accounts or two models never share a limiter. */
export function endpointKey(id: { provider: string; model: string; region?: string | null | undefined; account: string }): string {
  return [quotaFamily(id.provider), id.account, id.region ?? "-", id.model].join("|");
}

/** Characters an image counts as in the estimate (about 1000 tokens). */
const IMAGE_CHARS = 4000;

/** Tokens a call will likely use, for the --tpm bucket: about 4 characters per token, plus the output cap. */
export function estimateRequestTokens(request: ModelRequest): number {
  let chars = request.system.length + JSON.stringify(request.tools).length;
  for (const m of request.messages) {
    if (m.role === "assistant") {
      chars += m.text.length + m.toolCalls.reduce((n, c) => n + c.name.length + c.arguments.length, 0);
      continue;
    }
    for (const part of m.content) chars += part.type === "text" ? part.text.length : IMAGE_CHARS;
  }
  return Math.ceil(chars / 4) + (request.maxTokens ?? 0);
}

/** Tokens a provider counts against a tokens-per-minute quota. */
export function usageTokens(usage: Usage): number {
  return usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens + usage.outputTokens;
}
