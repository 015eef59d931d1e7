// The listing behind `bench models --provider bedrock` (src/cli/commands/models.ts): the foundation models (active, text output, streaming) and inference profiles a
// region offers, from the Bedrock control plane (@aws-sdk/client-bedrock), global profiles first, cached for an hour.

import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  BedrockClient as BedrockControlClient,
  ListFoundationModelsCommand,
  ListInferenceProfilesCommand,
  type FoundationModelSummary,
  type InferenceProfileSummary,
} from "@aws-sdk/client-bedrock";
import { classifyBedrockError } from "./bedrock-errors.js";
import { parseBedrockModelId } from "./bedrock-model-id.js";
import { ModelError } from "./errors.js";

export interface BedrockModelInfo {
  /** What `--model bedrock/<id>` takes. */
  id: string;
  name: string;
  kind: "inference-profile" | "foundation-model";
  /** Model provider (Anthropic, Amazon…); for profiles, that of the model behind them when known. */
  provider: string;
  /** Foundation models: whether they can be called on demand by their id (else only through a profile). */
  onDemand?: boolean;
}

/** One hour, as the issue asks: model catalogues change rarely, and listing them costs two control-plane calls. */
export const MODELS_CACHE_TTL_MS = 3_600_000;

const providerOf = (modelId: string): string => {
  const base = parseBedrockModelId(modelId).baseModelId ?? modelId;
  const vendor = base.split(".")[0] ?? "";
  return vendor.charAt(0).toUpperCase() + vendor.slice(1);
};

/**
 * The listing, pure: foundation models that are ACTIVE, output text and stream; ACTIVE inference profiles. Global
 * profiles first, then the other profiles, then foundation models, each by id.
 */
export function selectBedrockModels(
  foundation: readonly FoundationModelSummary[],
  profiles: readonly InferenceProfileSummary[],
): BedrockModelInfo[] {
  const out: BedrockModelInfo[] = [];
  for (const p of profiles) {
    const id = p.inferenceProfileId?.trim();
    if (!id || p.status !== "ACTIVE") continue;
    const behind = /foundation-model\/([^/]+)$/.exec(p.models?.[0]?.modelArn ?? "")?.[1];
    out.push({ id, name: p.inferenceProfileName?.trim() || id, kind: "inference-profile", provider: providerOf(behind ?? id) });
  }
  for (const m of foundation) {
    const id = m.modelId?.trim();
    if (!id) continue;
    if (m.modelLifecycle?.status !== "ACTIVE") continue;
    if (!(m.outputModalities ?? []).includes("TEXT")) continue;
    if (m.responseStreamingSupported !== true) continue;
    out.push({
      id,
      name: m.modelName?.trim() || id,
      kind: "foundation-model",
      provider: m.providerName?.trim() || providerOf(id),
      onDemand: (m.inferenceTypesSupported ?? []).includes("ON_DEMAND"),
    });
  }
  const rank = (m: BedrockModelInfo): number => (m.kind === "foundation-model" ? 2 : m.id.startsWith("global.") ? 0 : 1);
  return out.sort((a, b) => rank(a) - rank(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The control-plane calls, behind a seam so tests can count them. */
export interface BedrockCatalog {
  foundationModels(): Promise<FoundationModelSummary[]>;
  inferenceProfiles(): Promise<InferenceProfileSummary[]>;
}

export interface CatalogSettings {
  region: string;
  /** @default the SDK's (AWS_ENDPOINT_URL_BEDROCK, else regional) */
  endpoint?: string;
  bearerToken?: string;
  /** Explicit credentials. @default the default credential chain */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Deadline per control-plane call, ms. @default 30_000 */
  timeoutMs?: number;
}

/** The real control plane: ListFoundationModels and every page of ListInferenceProfiles. */
export function sdkCatalog(settings: CatalogSettings): BedrockCatalog & { destroy(): void } {
  const timeoutMs = settings.timeoutMs ?? 30_000;
  const client = new BedrockControlClient({
    region: settings.region,
    maxAttempts: 3,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.bearerToken ? { token: { token: settings.bearerToken }, authSchemePreference: ["httpBearerAuth"] } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    // The control-plane client's default handler is HTTP/1.1; its requestTimeout only warns unless told to throw.
    requestHandler: { connectionTimeout: 10_000, requestTimeout: timeoutMs, throwOnRequestTimeout: true },
  });
  return {
    async foundationModels() {
      const out = await client.send(new ListFoundationModelsCommand({}), { abortSignal: AbortSignal.timeout(timeoutMs) });
      return out.modelSummaries ?? [];
    },
    async inferenceProfiles() {
      const all: InferenceProfileSummary[] = [];
      let nextToken: string | undefined;
      // A bounded loop: a control plane that keeps answering with a token must not spin forever.
      for (let page = 0; page < 100; page++) {
        const out = await client.send(new ListInferenceProfilesCommand({ maxResults: 1000, ...(nextToken ? { nextToken } : {}) }), {
          abortSignal: AbortSignal.timeout(timeoutMs),
        });
        all.push(...(out.inferenceProfileSummaries ?? []));
        nextToken = out.nextToken;
        if (!nextToken) break;
      }
      return all;
    },
    destroy: () => client.destroy(),
  };
}

export interface ListModelsOptions extends CatalogSettings {
  /** Folder of the one-hour cache; undefined = no cache. @default none (the CLI passes defaultModelsCacheDir()) */
  cacheDir?: string;
  /** Ignore a fresh cache entry (it is still rewritten). @default false */
  refresh?: boolean;
  /** @default Date.now */
  now?: () => number;
  /** @default sdkCatalog(settings) */
  catalog?: BedrockCatalog;
}

/** `$XDG_CACHE_HOME/bench`, else `~/.cache/bench`. */
export function defaultModelsCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env["XDG_CACHE_HOME"] || path.join(os.homedir(), ".cache"), "bench");
}

interface CacheEntry {
  fetchedAt: number;
  models: BedrockModelInfo[];
}

function cacheFile(dir: string, settings: CatalogSettings): string {
  const key = createHash("sha256")
    .update(JSON.stringify([settings.region, settings.endpoint ?? ""]))
    .digest("hex")
    .slice(0, 16);
  return path.join(dir, `bedrock-models-${settings.region}-${key}.json`);
}

/** Lists a region's models; `cached` says whether the answer came from the cache (fresh within the hour). */
export async function listBedrockModels(
  options: ListModelsOptions,
): Promise<{ models: BedrockModelInfo[]; cached: boolean; fetchedAt: number }> {
  const now = options.now ?? Date.now;
  const file = options.cacheDir ? cacheFile(options.cacheDir, options) : undefined;
  if (file && !options.refresh) {
    try {
      const entry = JSON.parse(readFileSync(file, "utf8")) as CacheEntry;
      if (
        Array.isArray(entry.models) &&
        typeof entry.fetchedAt === "number" &&
        now() - entry.fetchedAt >= 0 &&
        now() - entry.fetchedAt < MODELS_CACHE_TTL_MS
      ) {
        return { models: entry.models, cached: true, fetchedAt: entry.fetchedAt };
      }
    } catch {
      // No cache yet, or an unreadable one: ask the service.
    }
  }
  const owned = options.catalog ? undefined : sdkCatalog(options);
  const catalog = options.catalog ?? owned!;
  try {
    const [foundation, profiles] = await Promise.all([catalog.foundationModels(), catalog.inferenceProfiles()]);
    const models = selectBedrockModels(foundation, profiles);
    const fetchedAt = now();
    if (file) {
      mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ fetchedAt, models } satisfies CacheEntry));
      renameSync(tmp, file);
    }
    return { models, cached: false, fetchedAt };
  } catch (err) {
    // The class from the provider's classifier; the message about listing, not about calling a model.
    const classified = classifyBedrockError(err, { model: "-", region: options.region });
    const e = err as { name?: string; message?: string };
    const detail =
      classified.errorClass === "auth" && /credentials/i.test(classified.message)
        ? classified.message.replace(/^bedrock\/-@\S+: /, "")
        : `${e.name ?? "Error"}: ${e.message ?? String(err)}`;
    const hint =
      e.name === "AccessDeniedException" ? " (listing needs bedrock:ListFoundationModels and bedrock:ListInferenceProfiles)" : "";
    throw new ModelError(classified.errorClass, `bedrock models in ${options.region}: ${detail}${hint}`, { cause: err });
  } finally {
    owned?.destroy();
  }
}

/** Fixed-width text table of a listing (stdout of `bench models`). */
export function formatModelTable(models: readonly BedrockModelInfo[]): string {
  const rows = models.map((m) => [
    m.id,
    m.kind === "inference-profile" ? "profile" : m.onDemand ? "on-demand" : "profile only",
    m.provider,
    m.name,
  ]);
  const header = ["MODEL ID", "INVOKE", "PROVIDER", "NAME"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  return [line(header), ...rows.map(line)].join("\n");
}
