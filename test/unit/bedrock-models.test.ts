import type { FoundationModelSummary, InferenceProfileSummary } from "@aws-sdk/client-bedrock";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  formatModelTable,
  listBedrockModels,
  MODELS_CACHE_TTL_MS,
  selectBedrockModels,
  type BedrockCatalog,
} from "../../src/models/bedrock-models.js";

const fm = (modelId: string, extra: Partial<FoundationModelSummary> = {}): FoundationModelSummary => ({
  modelArn: `arn:aws:bedrock:us-east-1::foundation-model/${modelId}`,
  modelId,
  modelName: modelId,
  providerName: "Acme",
  outputModalities: ["TEXT"],
  responseStreamingSupported: true,
  inferenceTypesSupported: ["ON_DEMAND"],
  modelLifecycle: { status: "ACTIVE" },
  ...extra,
});
const profile = (id: string, model: string, extra: Partial<InferenceProfileSummary> = {}): InferenceProfileSummary => ({
  inferenceProfileName: `Profile ${id}`,
  inferenceProfileArn: `arn:aws:bedrock:us-east-1:123456789012:inference-profile/${id}`,
  inferenceProfileId: id,
  models: [{ modelArn: `arn:aws:bedrock:us-east-1::foundation-model/${model}` }],
  status: "ACTIVE",
  type: "SYSTEM_DEFINED",
  ...extra,
});

// The service sends "INFERENCE_PROFILE" in inferenceTypesSupported for profile-only models; the SDK's enum type lacks it.
describe("selectBedrockModels", () => {
  it("active, text-output, streaming foundation models and active profiles; global profiles first", () => {
    const models = selectBedrockModels(
      [
        fm("anthropic.claude-sonnet-4-20250514-v1:0", {
          providerName: "Anthropic",
          modelName: "Claude Sonnet 4",
          inferenceTypesSupported: ["INFERENCE_PROFILE" as never],
        }),
        fm("amazon.nova-pro-v1:0", { providerName: "Amazon", modelName: "Nova Pro" }),
        fm("anthropic.claude-v2:1", { modelLifecycle: { status: "LEGACY" } }),
        fm("amazon.titan-embed-text-v2:0", { outputModalities: ["EMBEDDING"] }),
        fm("cohere.rerank-v3-5:0", { responseStreamingSupported: false }),
      ],
      [
        profile("us.anthropic.claude-sonnet-4-20250514-v1:0", "anthropic.claude-sonnet-4-20250514-v1:0"),
        profile("global.anthropic.claude-sonnet-4-20250514-v1:0", "anthropic.claude-sonnet-4-20250514-v1:0"),
        profile("eu.amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0"),
        profile("us.meta.llama3-1-8b-instruct-v1:0", "meta.llama3-1-8b-instruct-v1:0", { status: undefined }),
      ],
    );
    expect(models).toEqual([
      {
        id: "global.anthropic.claude-sonnet-4-20250514-v1:0",
        name: "Profile global.anthropic.claude-sonnet-4-20250514-v1:0",
        kind: "inference-profile",
        provider: "Anthropic",
      },
      { id: "eu.amazon.nova-pro-v1:0", name: "Profile eu.amazon.nova-pro-v1:0", kind: "inference-profile", provider: "Amazon" },
      {
        id: "us.anthropic.claude-sonnet-4-20250514-v1:0",
        name: "Profile us.anthropic.claude-sonnet-4-20250514-v1:0",
        kind: "inference-profile",
        provider: "Anthropic",
      },
      { id: "amazon.nova-pro-v1:0", name: "Nova Pro", kind: "foundation-model", provider: "Amazon", onDemand: true },
      {
        id: "anthropic.claude-sonnet-4-20250514-v1:0",
        name: "Claude Sonnet 4",
        kind: "foundation-model",
        provider: "Anthropic",
        onDemand: false,
      },
    ]);
    expect(formatModelTable(models.slice(2, 5)).split("\n")).toEqual([
      "MODEL ID                                    INVOKE        PROVIDER   NAME",
      "us.anthropic.claude-sonnet-4-20250514-v1:0  profile       Anthropic  Profile us.anthropic.claude-sonnet-4-20250514-v1:0",
      "amazon.nova-pro-v1:0                        on-demand     Amazon     Nova Pro",
      "anthropic.claude-sonnet-4-20250514-v1:0     profile only  Anthropic  Claude Sonnet 4",
    ]);
  });
});

describe("listBedrockModels: cached for an hour", () => {
  it("asks the control plane once per hour per region and endpoint; --refresh asks again", async () => {
    const calls: string[] = [];
    const catalog: BedrockCatalog = {
      foundationModels: async () => {
        calls.push("fm");
        return [fm("amazon.nova-pro-v1:0")];
      },
      inferenceProfiles: async () => {
        calls.push("ip");
        return [profile("global.amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0")];
      },
    };
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), "bench-models-cache-"));
    let now = 1_000_000;
    const list = (extra: { region?: string; refresh?: boolean } = {}) =>
      listBedrockModels({ region: "us-east-1", cacheDir, catalog, now: () => now, ...extra });

    const first = await list();
    expect(first).toMatchObject({ cached: false, fetchedAt: 1_000_000 });
    expect(first.models.map((m) => m.id)).toEqual(["global.amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0"]);
    now += MODELS_CACHE_TTL_MS - 1;
    expect(await list()).toEqual({ ...first, cached: true });
    expect(calls).toEqual(["fm", "ip"]);
    await list({ region: "eu-west-1" });
    expect(calls).toHaveLength(4);
    await list({ refresh: true });
    expect(calls).toHaveLength(6);
    now += MODELS_CACHE_TTL_MS;
    expect((await list()).cached).toBe(false);
    expect(calls).toHaveLength(8);
  });

  it("a failing listing is a ModelError about listing, with the permission hint", async () => {
    const denied = Object.assign(new Error("User is not authorized to perform: bedrock:ListFoundationModels"), {
      name: "AccessDeniedException",
      $metadata: { httpStatusCode: 403 },
    });
    const catalog: BedrockCatalog = { foundationModels: async () => Promise.reject(denied), inferenceProfiles: async () => [] };
    await expect(listBedrockModels({ region: "us-east-1", catalog })).rejects.toMatchObject({
      errorClass: "auth",
      message:
        "bedrock models in us-east-1: AccessDeniedException: User is not authorized to perform: bedrock:ListFoundationModels (listing needs bedrock:ListFoundationModels and bedrock:ListInferenceProfiles)",
    });
  });
});
