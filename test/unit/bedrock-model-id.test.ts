import { describe, expect, it } from "vitest";
import { expandCells, parseModelSpec } from "../../src/config/model-spec.js";
import {
  DEFAULT_BEDROCK_REGION,
  modelTraits,
  parseBedrockModelId,
  profilePrefixForRegion,
  regionMismatchWarning,
  resolveBedrockRegion,
} from "../../src/models/bedrock-model-id.js";

describe("parseBedrockModelId", () => {
  it("foundation ids", () => {
    expect(parseBedrockModelId("anthropic.claude-sonnet-4-20250514-v1:0")).toEqual({
      id: "anthropic.claude-sonnet-4-20250514-v1:0",
      kind: "foundation-model",
      baseModelId: "anthropic.claude-sonnet-4-20250514-v1:0",
    });
    expect(parseBedrockModelId("amazon.nova-pro-v1:0").kind).toBe("foundation-model");
  });

  it.each([
    ["us.anthropic.claude-sonnet-4-20250514-v1:0", "us"],
    ["eu.anthropic.claude-sonnet-4-20250514-v1:0", "eu"],
    ["apac.anthropic.claude-sonnet-4-20250514-v1:0", "apac"],
    ["global.anthropic.claude-sonnet-4-5-20250929-v1:0", "global"],
    ["us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0", "us-gov"],
    ["jp.anthropic.claude-sonnet-4-5-20250929-v1:0", "jp"],
    ["au.anthropic.claude-sonnet-4-5-20250929-v1:0", "au"],
  ])("cross-region profile %s", (id, geography) => {
    expect(parseBedrockModelId(id)).toEqual({ id, kind: "inference-profile", geography, baseModelId: id.slice(geography.length + 1) });
  });

  it("ARNs: foundation model, inference profile, and opaque ones", () => {
    expect(parseBedrockModelId("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0")).toEqual({
      id: "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
      kind: "arn",
      baseModelId: "anthropic.claude-3-haiku-20240307-v1:0",
      arn: {
        partition: "aws",
        region: "us-east-1",
        accountId: "",
        resourceType: "foundation-model",
        resource: "anthropic.claude-3-haiku-20240307-v1:0",
      },
    });
    expect(
      parseBedrockModelId("arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-20250514-v1:0"),
    ).toEqual({
      id: "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-20250514-v1:0",
      kind: "arn",
      baseModelId: "anthropic.claude-sonnet-4-20250514-v1:0",
      geography: "eu",
      arn: {
        partition: "aws",
        region: "eu-west-1",
        accountId: "123456789012",
        resourceType: "inference-profile",
        resource: "eu.anthropic.claude-sonnet-4-20250514-v1:0",
      },
    });
    expect(parseBedrockModelId("arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:application-inference-profile/a1b2c3d4e5f6")).toEqual({
      id: "arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
      kind: "arn",
      arn: {
        partition: "aws-us-gov",
        region: "us-gov-west-1",
        accountId: "123456789012",
        resourceType: "application-inference-profile",
        resource: "a1b2c3d4e5f6",
      },
    });
  });

  it("a bare prefix is no profile", () => {
    expect(parseBedrockModelId("us.")).toEqual({ id: "us.", kind: "foundation-model", baseModelId: "us." });
  });
});

describe("regionMismatchWarning", () => {
  it.each([
    ["us.anthropic.claude-sonnet-4-20250514-v1:0", "us-west-2"],
    ["us.anthropic.claude-sonnet-4-20250514-v1:0", "us-east-1"],
    ["eu.anthropic.claude-sonnet-4-20250514-v1:0", "eu-central-1"],
    ["apac.anthropic.claude-sonnet-4-20250514-v1:0", "ap-southeast-1"],
    ["jp.anthropic.claude-sonnet-4-5-20250929-v1:0", "ap-northeast-1"],
    ["au.anthropic.claude-sonnet-4-5-20250929-v1:0", "ap-southeast-2"],
    ["global.anthropic.claude-sonnet-4-5-20250929-v1:0", "sa-east-1"],
    ["us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0", "us-gov-west-1"],
    ["anthropic.claude-sonnet-4-20250514-v1:0", "eu-west-3"],
    ["arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0", "us-east-1"],
  ])("%s from %s: none", (id, region) => {
    expect(regionMismatchWarning(id, region)).toBeUndefined();
  });

  it("a profile of another geography, with the profile that would fit", () => {
    expect(regionMismatchWarning("us.anthropic.claude-sonnet-4-20250514-v1:0", "eu-central-1")).toBe(
      'bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0: the "us." inference profile does not serve region eu-central-1; calls will likely fail ' +
        "(for eu-central-1 use eu.anthropic.claude-sonnet-4-20250514-v1:0 or global.anthropic.claude-sonnet-4-20250514-v1:0)",
    );
    expect(regionMismatchWarning("us.anthropic.claude-sonnet-4-20250514-v1:0", "us-gov-west-1")).toMatch(
      /"us\." inference profile does not serve region us-gov-west-1/,
    );
    expect(regionMismatchWarning("jp.anthropic.claude-sonnet-4-5-20250929-v1:0", "ap-southeast-1")).toMatch(/use apac\.anthropic/);
    expect(regionMismatchWarning("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "us-gov-east-1")).toMatch(
      /"global\." inference profile/,
    );
  });

  it("an ARN of another region", () => {
    expect(regionMismatchWarning("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0", "us-west-2")).toBe(
      "bedrock/arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0: the ARN names region us-east-1 but calls go to us-west-2; Bedrock will likely reject them",
    );
  });

  it("profilePrefixForRegion", () => {
    expect(
      ["us-east-1", "us-gov-west-1", "eu-west-1", "ap-northeast-1", "ap-southeast-4", "ap-south-1", "ca-central-1"].map(
        profilePrefixForRegion,
      ),
    ).toEqual(["us", "us-gov", "eu", "jp", "au", "apac", "global"]);
  });
});

describe("modelTraits", () => {
  it("Claude: tool use, toolResult.status, cache points after system and tools", () => {
    expect(modelTraits("us.anthropic.claude-sonnet-4-20250514-v1:0")).toEqual({
      claude: true,
      deepseek: false,
      nova: false,
      toolUse: true,
      toolResultStatus: true,
      cacheSystem: true,
      cacheTools: true,
    });
  });

  it("Nova: tool use, no status, system cache point only", () => {
    expect(modelTraits("amazon.nova-pro-v1:0")).toEqual({
      claude: false,
      deepseek: false,
      nova: true,
      toolUse: true,
      toolResultStatus: false,
      cacheSystem: true,
      cacheTools: false,
    });
  });

  it("DeepSeek R1 has no tool use; DeepSeek V3 has", () => {
    expect(modelTraits("us.deepseek.r1-v1:0")).toMatchObject({ deepseek: true, toolUse: false, cacheSystem: false });
    expect(modelTraits("deepseek.v3-v1:0")).toMatchObject({ deepseek: true, toolUse: true });
    expect(modelTraits("meta.llama3-1-70b-instruct-v1:0")).toMatchObject({ toolUse: true, cacheSystem: false });
  });

  it("an opaque ARN is judged by its text", () => {
    expect(modelTraits("arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc").claude).toBe(false);
  });
});

describe("resolveBedrockRegion", () => {
  it("spec region, then AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1", () => {
    expect(resolveBedrockRegion("eu-west-1", { AWS_REGION: "us-west-2" })).toBe("eu-west-1");
    expect(resolveBedrockRegion(undefined, { AWS_REGION: "us-west-2", AWS_DEFAULT_REGION: "eu-west-1" })).toBe("us-west-2");
    expect(resolveBedrockRegion(undefined, { AWS_REGION: " ", AWS_DEFAULT_REGION: "eu-west-1" })).toBe("eu-west-1");
    expect(resolveBedrockRegion(undefined, {})).toBe(DEFAULT_BEDROCK_REGION);
    expect(DEFAULT_BEDROCK_REGION).toBe("us-east-1");
  });
});

describe("bedrock cells always name their region", () => {
  it("a bedrock spec without @region or --region gets the environment's region; --region and @region win", () => {
    const specs = ["bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0", "bedrock/amazon.nova-pro-v1:0@eu-west-1", "mock/oracle"].map((s) =>
      parseModelSpec(s),
    );
    expect(expandCells(specs, [], resolveBedrockRegion(undefined, { AWS_DEFAULT_REGION: "us-west-2" })).map((c) => c.cell)).toEqual([
      "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0@us-west-2",
      "bedrock/amazon.nova-pro-v1:0@eu-west-1",
      "mock/oracle",
    ]);
    expect(expandCells(specs, ["us-east-2"], "us-west-2").map((c) => c.region)).toEqual(["us-east-2", "eu-west-1", undefined]);
    // The same cell twice (explicit region = the default) runs once.
    const twice = ["bedrock/m", "bedrock/m@us-east-1"].map((s) => parseModelSpec(s));
    expect(expandCells(twice, [], "us-east-1")).toEqual([
      { provider: "bedrock", model: "m", region: "us-east-1", cell: "bedrock/m@us-east-1" },
    ]);
  });
});
