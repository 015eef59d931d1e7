// Model specs (`<provider>/<model-id>[@region]`) and the cells they expand to (model × region).

import { UsageError } from "../errors.js";

export const PROVIDERS = ["mock", "openai", "openai-responses", "bedrock"] as const;
export type Provider = (typeof PROVIDERS)[number];
/** Providers this build can drive; the others are recognised but rejected with a clear message. */
export const IMPLEMENTED_PROVIDERS: ReadonlySet<Provider> = new Set<Provider>(["mock", "openai", "openai-responses", "bedrock"]);
export const MOCK_POLICIES = ["oracle", "lazy", "chatty", "wrong"] as const;

export interface ModelSpec {
  provider: Provider;
  model: string;
  /** Only bedrock specs carry a region. */
  region?: string;
}

export interface CellSpec extends ModelSpec {
  /** `provider/model` or `provider/model@region`: the cell's name in every report. */
  cell: string;
}

const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

export function parseModelSpec(raw: string, flag = "--model"): ModelSpec {
  const slash = raw.indexOf("/");
  if (slash <= 0 || slash === raw.length - 1) {
    throw new UsageError(`${flag} ${JSON.stringify(raw)}: expected <provider>/<model-id>, e.g. mock/oracle or openai/gpt-4o`);
  }
  const provider = raw.slice(0, slash);
  let model = raw.slice(slash + 1);
  if (!(PROVIDERS as readonly string[]).includes(provider)) {
    throw new UsageError(`${flag} ${JSON.stringify(raw)}: unknown provider "${provider}" (expected one of ${PROVIDERS.join(", ")})`);
  }
  const p = provider as Provider;
  if (!IMPLEMENTED_PROVIDERS.has(p)) {
    throw new UsageError(`${flag} ${JSON.stringify(raw)}: provider "${provider}" is not available in this version yet (available: ${[...IMPLEMENTED_PROVIDERS].join(", ")})`);
  }
  let region: string | undefined;
  const at = model.lastIndexOf("@");
  if (at >= 0) {
    region = model.slice(at + 1);
    model = model.slice(0, at);
    if (p !== "bedrock") throw new UsageError(`${flag} ${JSON.stringify(raw)}: a region (@${region}) only applies to bedrock models`);
    if (!REGION.test(region)) throw new UsageError(`${flag} ${JSON.stringify(raw)}: "${region}" is not an AWS region name`);
  }
  if (model.trim() === "") throw new UsageError(`${flag} ${JSON.stringify(raw)}: empty model id`);
  if (p === "mock" && !(MOCK_POLICIES as readonly string[]).includes(model)) {
    throw new UsageError(`${flag} ${JSON.stringify(raw)}: unknown mock policy "${model}" (expected one of ${MOCK_POLICIES.join(", ")})`);
  }
  return region ? { provider: p, model, region } : { provider: p, model };
}

export function cellName(spec: ModelSpec): string {
  return `${spec.provider}/${spec.model}${spec.region ? `@${spec.region}` : ""}`;
}

/** Folder-safe form of a cell name for tasks/<cell>/. */
export function cellDirName(cell: string): string {
  return cell.replace(/[^A-Za-z0-9._@-]+/g, "_");
}

/**
 * Specs × regions: --region flags apply to bedrock specs without their own region; a bedrock spec with neither gets
 * `defaultRegion` (the environment's, when the caller passes it), so every bedrock cell names its region. Duplicates are dropped.
 */
export function expandCells(specs: ModelSpec[], regions: string[], defaultRegion?: string): CellSpec[] {
  for (const r of regions) if (!REGION.test(r)) throw new UsageError(`--region ${JSON.stringify(r)}: not an AWS region name (e.g. us-west-2)`);
  if (regions.length > 0 && !specs.some((s) => s.provider === "bedrock" && !s.region)) {
    throw new UsageError(`--region ${regions.join(", ")}: regions only apply to bedrock models, and no --model bedrock/... without a region was given`);
  }
  const cells: CellSpec[] = [];
  const seen = new Set<string>();
  for (const spec of specs) {
    const regionless = spec.provider === "bedrock" && !spec.region;
    const variants =
      regionless && regions.length > 0 ? regions.map((region) => ({ ...spec, region })) : regionless && defaultRegion ? [{ ...spec, region: defaultRegion }] : [spec];
    for (const v of variants) {
      const cell = cellName(v);
      if (seen.has(cell)) continue;
      seen.add(cell);
      cells.push({ ...v, cell });
    }
  }
  return cells;
}
