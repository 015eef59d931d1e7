// `bench models --provider bedrock`: credentials first (exit 1 naming the options), then one listing per region
// (src/models/bedrock-models.ts) as a table on stdout, or one JSON object per model with --json.

import { InfraError, UsageError } from "../../errors.js";
import { AWS_REGION_NAME as REGION } from "../../models/bedrock-model-id.js";
import type { BenchCommand } from "../command.js";
import { log } from "../shared.js";

export interface ModelsCommandOptions {
  regions: string[];
  endpoint?: string;
  refresh: boolean;
  json: boolean;
  env: NodeJS.ProcessEnv;
  /** stderr lines. */
  log: (line: string) => void;
  /** stdout text. */
  write: (text: string) => void;
  /** @default defaultModelsCacheDir(env) */
  cacheDir?: string;
}

export async function bedrockModelsCommand(options: ModelsCommandOptions): Promise<void> {
  const { checkBedrockCredentials } = await import("../../models/bedrock.js");
  const { resolveBedrockRegion } = await import("../../models/bedrock-model-id.js");
  const { defaultModelsCacheDir, formatModelTable, listBedrockModels } = await import("../../models/bedrock-models.js");
  const regions = options.regions.length > 0 ? options.regions : [resolveBedrockRegion(undefined, options.env)];
  for (const r of regions)
    if (!REGION.test(r)) throw new UsageError(`--region ${JSON.stringify(r)}: not an AWS region name (e.g. us-west-2)`);
  try {
    await checkBedrockCredentials({ region: regions[0]!, env: options.env });
  } catch (err) {
    throw new InfraError(`bench models: ${(err as Error).message}`, { cause: err });
  }
  const bearer = options.env["AWS_BEARER_TOKEN_BEDROCK"]?.trim();
  for (const region of regions) {
    let listing: Awaited<ReturnType<typeof listBedrockModels>>;
    try {
      listing = await listBedrockModels({
        region,
        cacheDir: options.cacheDir ?? defaultModelsCacheDir(options.env),
        refresh: options.refresh,
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        ...(bearer ? { bearerToken: bearer } : {}),
      });
    } catch (err) {
      throw new InfraError((err as Error).message, { cause: err });
    }
    const age = listing.cached
      ? `cached ${Math.round((Date.now() - listing.fetchedAt) / 60_000)} min ago; --refresh to ask again`
      : "fresh";
    options.log(`${region}: ${listing.models.length} model(s) and inference profiles (${age})`);
    if (options.json) {
      for (const m of listing.models) options.write(`${JSON.stringify({ region, ...m })}\n`);
    } else {
      options.write(`${regions.length > 1 ? `# ${region}\n` : ""}${formatModelTable(listing.models)}\n`);
    }
  }
}

export const modelsCommand: BenchCommand = {
  command: "models",
  describe: "List the models a provider offers (bedrock: a region's foundation models and inference profiles, cached for an hour)",
  builder: (y) =>
    y
      .option("provider", { type: "string", default: "bedrock", choices: ["bedrock"] as const })
      .option("region", {
        type: "string",
        array: true,
        describe: "AWS region, repeatable (default AWS_REGION, AWS_DEFAULT_REGION, else us-east-1)",
      })
      .option("bedrock-endpoint", { type: "string", describe: "Bedrock control-plane endpoint URL (default: the regional endpoint)" })
      .option("refresh", { type: "boolean", default: false, describe: "Ask the service even when the one-hour cache is fresh" })
      .option("json", { type: "boolean", default: false, describe: "One JSON object per model on stdout" }),
  run: async (args) => {
    const { awsSdkNodeNotice } = await import("../../models/bedrock.js");
    const notice = awsSdkNodeNotice(process.version, process.env);
    if (notice) log(notice);
    await bedrockModelsCommand({
      regions: ((args["region"] as unknown[] | undefined) ?? []).map(String),
      ...(args["bedrock-endpoint"] ? { endpoint: String(args["bedrock-endpoint"]) } : {}),
      refresh: args["refresh"] === true,
      json: args["json"] === true,
      env: process.env,
      log,
      write: (text) => void process.stdout.write(text),
    });
    return 0;
  },
};
