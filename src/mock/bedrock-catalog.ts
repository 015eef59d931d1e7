// The Bedrock control plane as `bench models` reads it from the mock: ListFoundationModels and
// ListInferenceProfiles over a small, realistic catalogue, answered for the region the request was signed for.

import { checkAuth } from "./bedrock-request.js";
import type { CallContext, HttpAnswer, IncomingCall, WireRoute } from "./wire.js";

/** A foundation model of the mock's control-plane catalogue. */
interface CatalogModel {
  modelId: string;
  modelName: string;
  providerName: string;
  outputModalities: string[];
  responseStreamingSupported: boolean;
  inferenceTypesSupported: string[];
  status: "ACTIVE" | "LEGACY";
}

/**
 * What ListFoundationModels answers: a small, realistic catalogue, with one model of each kind `bench models` must
 * leave out (legacy, embeddings, no streaming). Any model id works for Converse; these are only listed.
 */
const CATALOG: readonly CatalogModel[] = [
  {
    modelId: "anthropic.claude-sonnet-4-20250514-v1:0",
    modelName: "Claude Sonnet 4",
    providerName: "Anthropic",
    outputModalities: ["TEXT"],
    responseStreamingSupported: true,
    inferenceTypesSupported: ["INFERENCE_PROFILE"],
    status: "ACTIVE",
  },
  {
    modelId: "anthropic.claude-3-5-sonnet-20240620-v1:0",
    modelName: "Claude 3.5 Sonnet",
    providerName: "Anthropic",
    outputModalities: ["TEXT"],
    responseStreamingSupported: true,
    inferenceTypesSupported: ["ON_DEMAND", "INFERENCE_PROFILE"],
    status: "ACTIVE",
  },
  {
    modelId: "anthropic.claude-v2:1",
    modelName: "Claude",
    providerName: "Anthropic",
    outputModalities: ["TEXT"],
    responseStreamingSupported: true,
    inferenceTypesSupported: ["ON_DEMAND"],
    status: "LEGACY",
  },
  {
    modelId: "amazon.nova-pro-v1:0",
    modelName: "Nova Pro",
    providerName: "Amazon",
    outputModalities: ["TEXT"],
    responseStreamingSupported: true,
    inferenceTypesSupported: ["ON_DEMAND", "INFERENCE_PROFILE"],
    status: "ACTIVE",
  },
  {
    modelId: "amazon.titan-embed-text-v2:0",
    modelName: "Titan Text Embeddings V2",
    providerName: "Amazon",
    outputModalities: ["EMBEDDING"],
    responseStreamingSupported: false,
    inferenceTypesSupported: ["ON_DEMAND"],
    status: "ACTIVE",
  },
  {
    modelId: "cohere.rerank-v3-5:0",
    modelName: "Rerank 3.5",
    providerName: "Cohere",
    outputModalities: ["TEXT"],
    responseStreamingSupported: false,
    inferenceTypesSupported: ["ON_DEMAND"],
    status: "ACTIVE",
  },
];

/** System-defined inference profiles: prefix → the catalogue models it routes. */
const PROFILES: readonly { prefix: string; geography: string; modelIds: readonly string[] }[] = [
  { prefix: "global", geography: "Global", modelIds: ["anthropic.claude-sonnet-4-20250514-v1:0"] },
  {
    prefix: "us",
    geography: "US",
    modelIds: ["anthropic.claude-sonnet-4-20250514-v1:0", "anthropic.claude-3-5-sonnet-20240620-v1:0", "amazon.nova-pro-v1:0"],
  },
  { prefix: "eu", geography: "EU", modelIds: ["anthropic.claude-sonnet-4-20250514-v1:0", "amazon.nova-pro-v1:0"] },
  { prefix: "apac", geography: "APAC", modelIds: ["anthropic.claude-sonnet-4-20250514-v1:0"] },
];

/** The region a SigV4 request was signed for (Credential=KEY/DATE/REGION/SERVICE/aws4_request); undefined with bearer auth. */
function signedRegion(call: IncomingCall): string | undefined {
  return /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(call.headers["authorization"] ?? "")?.[1];
}

function profileServes(prefix: string, region: string | undefined): boolean {
  if (region === undefined || prefix === "global") return true;
  if (prefix === "us") return region.startsWith("us-") && !region.startsWith("us-gov-");
  if (prefix === "eu") return region.startsWith("eu-");
  return region.startsWith("ap-");
}

/** The two listings; `json` renders a 200 JSON answer with the service's headers. */
export function controlPlaneRoutes(json: (ctx: CallContext, body: unknown) => HttpAnswer): { models: WireRoute; profiles: WireRoute } {
  const arn = (region: string, id: string): string => `arn:aws:bedrock:${region}::foundation-model/${id}`;
  return {
    models: {
      name: "bedrock.list-foundation-models",
      kind: "static",
      answer(call, ctx) {
        checkAuth(call);
        const region = signedRegion(call) ?? "us-east-1";
        return json(ctx, {
          modelSummaries: CATALOG.map((m) => ({
            modelArn: arn(region, m.modelId),
            modelId: m.modelId,
            modelName: m.modelName,
            providerName: m.providerName,
            inputModalities: ["TEXT"],
            outputModalities: m.outputModalities,
            responseStreamingSupported: m.responseStreamingSupported,
            customizationsSupported: [],
            inferenceTypesSupported: m.inferenceTypesSupported,
            modelLifecycle: { status: m.status },
          })),
        });
      },
    },
    profiles: {
      name: "bedrock.list-inference-profiles",
      kind: "static",
      answer(call, ctx) {
        checkAuth(call);
        const signed = signedRegion(call);
        const region = signed ?? "us-east-1";
        const summaries = PROFILES.filter((p) => profileServes(p.prefix, signed)).flatMap((p) =>
          p.modelIds.map((modelId) => {
            const model = CATALOG.find((m) => m.modelId === modelId);
            const id = `${p.prefix}.${modelId}`;
            return {
              inferenceProfileName: `${p.geography} ${model?.modelName ?? modelId}`,
              description: `Routes requests to ${model?.modelName ?? modelId} in ${p.geography} regions.`,
              inferenceProfileArn: `arn:aws:bedrock:${region}:123456789012:inference-profile/${id}`,
              models: [{ modelArn: arn(region, modelId) }],
              inferenceProfileId: id,
              status: "ACTIVE",
              type: "SYSTEM_DEFINED",
            };
          }),
        );
        return json(ctx, { inferenceProfileSummaries: summaries });
      },
    },
  };
}
