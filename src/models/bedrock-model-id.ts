// Bedrock model ids as users write them (foundation ids, cross-region inference profiles, ARNs), the model
// traits the Converse conversion depends on, and the region defaulting. Pure: no SDK, no I/O.

/** Inference-profile prefixes; `us-gov` before `us` so the longer one wins. */
export const PROFILE_GEOGRAPHIES = ["us-gov", "us", "eu", "apac", "global", "jp", "au"] as const;
export type ProfileGeography = (typeof PROFILE_GEOGRAPHIES)[number];

/** Region used when neither the spec (`@region`, `--region`) nor AWS_REGION / AWS_DEFAULT_REGION names one. */
export const DEFAULT_BEDROCK_REGION = "us-east-1";

/** An AWS region name as `--region`, `@region` and config `region` accept it (us-west-2, us-gov-west-1, …). */
export const AWS_REGION_NAME = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

export interface BedrockArn {
  partition: string;
  /** Empty for ARNs without a region. */
  region: string;
  /** Empty for AWS-owned resources (foundation models). */
  accountId: string;
  /** e.g. foundation-model, inference-profile, application-inference-profile, provisioned-model. */
  resourceType: string;
  resource: string;
}

export interface BedrockModelId {
  /** The id exactly as given; it is what the Converse call names. */
  id: string;
  kind: "foundation-model" | "inference-profile" | "arn";
  /**
   * The foundation model behind the id (profile prefix and ARN stripped), e.g. anthropic.claude-sonnet-4-20250514-v1:0;
   * undefined for opaque ARNs (application inference profiles, provisioned, custom or imported models).
   */
  baseModelId?: string;
  /** The cross-region profile's geography (`us.`, `eu.`, … prefix). */
  geography?: ProfileGeography;
  arn?: BedrockArn;
}

const ARN = /^arn:(aws[a-z-]*):bedrock:([a-z0-9-]*):(\d*):([a-z-]+)\/(.+)$/;

function splitProfile(id: string): { geography?: ProfileGeography; base: string } {
  for (const geography of PROFILE_GEOGRAPHIES) {
    if (id.startsWith(`${geography}.`) && id.length > geography.length + 1) return { geography, base: id.slice(geography.length + 1) };
  }
  return { base: id };
}

/** Parses a model id; never throws (an id Bedrock does not know fails at the first call, with Bedrock's own message). */
export function parseBedrockModelId(id: string): BedrockModelId {
  const arn = ARN.exec(id);
  if (arn) {
    const parsed: BedrockArn = {
      partition: arn[1] ?? "",
      region: arn[2] ?? "",
      accountId: arn[3] ?? "",
      resourceType: arn[4] ?? "",
      resource: arn[5] ?? "",
    };
    const out: BedrockModelId = { id, kind: "arn", arn: parsed };
    if (parsed.resourceType === "foundation-model") out.baseModelId = parsed.resource;
    if (parsed.resourceType === "inference-profile") {
      const { geography, base } = splitProfile(parsed.resource);
      out.baseModelId = base;
      if (geography) out.geography = geography;
    }
    return out;
  }
  const { geography, base } = splitProfile(id);
  return geography ? { id, kind: "inference-profile", baseModelId: base, geography } : { id, kind: "foundation-model", baseModelId: id };
}

/** Whether a region lies in a profile's geography (the profile routes among that geography's regions). */
export function geographyIncludes(geography: ProfileGeography, region: string): boolean {
  switch (geography) {
    case "us":
      return region.startsWith("us-") && !region.startsWith("us-gov-");
    case "us-gov":
      return region.startsWith("us-gov-");
    case "eu":
      return region.startsWith("eu-");
    case "apac":
      return region.startsWith("ap-");
    case "jp":
      return region === "ap-northeast-1" || region === "ap-northeast-3";
    case "au":
      return region === "ap-southeast-2" || region === "ap-southeast-4";
    case "global":
      // Global profiles are called from commercial regions only.
      return !region.startsWith("us-gov-") && !region.startsWith("cn-");
  }
}

/** The profile prefix that fits a region best (for hints): jp./au. where they exist, else the broad geography. */
export function profilePrefixForRegion(region: string): ProfileGeography {
  if (region.startsWith("us-gov-")) return "us-gov";
  if (region.startsWith("us-")) return "us";
  if (region.startsWith("eu-")) return "eu";
  if (region === "ap-northeast-1" || region === "ap-northeast-3") return "jp";
  if (region === "ap-southeast-2" || region === "ap-southeast-4") return "au";
  if (region.startsWith("ap-")) return "apac";
  return "global";
}

/**
 * A warning when the model id cannot work from the region: a profile of another geography, or an ARN naming
 * another region. Undefined when they fit (or nothing can be told).
 */
export function regionMismatchWarning(modelId: string, region: string): string | undefined {
  const parsed = parseBedrockModelId(modelId);
  if (parsed.arn && parsed.arn.region !== "" && parsed.arn.region !== region) {
    return `bedrock/${modelId}: the ARN names region ${parsed.arn.region} but calls go to ${region}; Bedrock will likely reject them`;
  }
  if (parsed.geography && !geographyIncludes(parsed.geography, region)) {
    const better = profilePrefixForRegion(region);
    const suggestion = parsed.baseModelId ? ` (for ${region} use ${better}.${parsed.baseModelId} or global.${parsed.baseModelId})` : "";
    return `bedrock/${modelId}: the "${parsed.geography}." inference profile does not serve region ${region}; calls will likely fail${suggestion}`;
  }
  return undefined;
}

/** What the Converse conversion needs to know about a model family. */
export interface BedrockModelTraits {
  claude: boolean;
  deepseek: boolean;
  nova: boolean;
  /** Accepts toolConfig / toolUse / toolResult. */
  toolUse: boolean;
  /** Accepts toolResult.status (Claude only; other models reject the field). */
  toolResultStatus: boolean;
  /** Accepts a cachePoint after the system prompt. */
  cacheSystem: boolean;
  /** Accepts a cachePoint after the tools. */
  cacheTools: boolean;
}

/**
 * Models known to reject toolConfig on Converse. A deny list on purpose: an unknown (newer) model is assumed to
 * use tools, and Bedrock says so clearly if it does not.
 */
const NO_TOOL_USE = [/deepseek[.-]r1/, /amazon\.titan-text/, /meta\.llama2/, /mistral\.mistral-7b/, /mistral\.mixtral-8x7b/];

export function modelTraits(modelId: string): BedrockModelTraits {
  const parsed = parseBedrockModelId(modelId);
  // Opaque ARNs say nothing about the model; their full text is the best guess there is.
  const base = (parsed.baseModelId ?? modelId).toLowerCase();
  const claude = base.includes("anthropic.claude");
  const nova = base.includes("amazon.nova");
  const deepseek = base.includes("deepseek");
  return {
    claude,
    deepseek,
    nova,
    toolUse: !NO_TOOL_USE.some((re) => re.test(base)),
    toolResultStatus: claude,
    cacheSystem: claude || nova,
    cacheTools: claude,
  };
}

/** The region of a bedrock cell: the spec's, else AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1. */
export function resolveBedrockRegion(specRegion: string | undefined, env: NodeJS.ProcessEnv): string {
  const pick = (v: string | undefined): string | undefined => (v && v.trim() !== "" ? v.trim() : undefined);
  return pick(specRegion) ?? pick(env["AWS_REGION"]) ?? pick(env["AWS_DEFAULT_REGION"]) ?? DEFAULT_BEDROCK_REGION;
}
