// Model specs (`<provider>/<model-id>[@region]`) and the cells they expand to (model × region).

import { UsageError } from "../errors.js";
import { POLICY_NAMES } from "../mock/policy-names.js";
import { AWS_REGION_NAME as REGION } from "../models/bedrock-model-id.js";
import { pickCallOptions, PROVIDERS, type CallOptions, type CellSpec, type ModelSpec, type Provider } from "../models/call-options.js";

// The cell and call-option types live in models (the clients take them); config parses and expands them.

/** Providers this build can drive; the others are recognised but rejected with a clear message. */
export const IMPLEMENTED_PROVIDERS: ReadonlySet<Provider> = new Set<Provider>(["mock", "openai", "openai-responses", "bedrock"]);

/** A config file's `cells` entry, as validated by src/config/options.ts. */
export interface CellEntryInput extends CallOptions {
  model: string;
  label?: string;
  region?: string[];
}

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
    throw new UsageError(
      `${flag} ${JSON.stringify(raw)}: provider "${provider}" is not available in this version yet (available: ${[...IMPLEMENTED_PROVIDERS].join(", ")})`,
    );
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
  if (p === "mock" && !(POLICY_NAMES as readonly string[]).includes(model)) {
    throw new UsageError(`${flag} ${JSON.stringify(raw)}: unknown mock policy "${model}" (expected one of ${POLICY_NAMES.join(", ")})`);
  }
  return region ? { provider: p, model, region } : { provider: p, model };
}

export function cellName(spec: ModelSpec): string {
  return `${spec.provider}/${spec.model}${spec.region ? `@${spec.region}` : ""}`;
}

/**
 * Specs × regions: --region flags apply to bedrock specs without their own region; a bedrock spec with neither gets
 * `defaultRegion` (the environment's, when the caller passes it), so every bedrock cell names its region. Duplicates are dropped.
 */
export function expandCells(specs: ModelSpec[], regions: string[], defaultRegion?: string): CellSpec[] {
  for (const r of regions)
    if (!REGION.test(r)) throw new UsageError(`--region ${JSON.stringify(r)}: not an AWS region name (e.g. us-west-2)`);
  if (regions.length > 0 && !specs.some((s) => s.provider === "bedrock" && !s.region)) {
    throw new UsageError(
      `--region ${regions.join(", ")}: regions only apply to bedrock models, and no --model bedrock/... without a region was given`,
    );
  }
  const cells: CellSpec[] = [];
  const seen = new Set<string>();
  for (const spec of specs) {
    const regionless = spec.provider === "bedrock" && !spec.region;
    const variants =
      regionless && regions.length > 0
        ? regions.map((region) => ({ ...spec, region }))
        : regionless && defaultRegion
          ? [{ ...spec, region: defaultRegion }]
          : [spec];
    for (const v of variants) {
      const cell = cellName(v);
      if (seen.has(cell)) continue;
      seen.add(cell);
      cells.push({ ...v, cell });
    }
  }
  return cells;
}

/**
 * A config file's `cells`: each entry in each of its regions (its own `region`, else the run's --region for a bedrock
 * model without one, else `defaultRegion`). Labelled cells are named by their label (`label@region` with several
 * regions); names must be unique.
 */
export function expandConfiguredCells(entries: CellEntryInput[], regions: string[], defaultRegion?: string): CellSpec[] {
  for (const r of regions)
    if (!REGION.test(r)) throw new UsageError(`--region ${JSON.stringify(r)}: not an AWS region name (e.g. us-west-2)`);
  const cells: CellSpec[] = [];
  const seen = new Map<string, number>();
  let regionsUsed = false;
  for (const [i, entry] of entries.entries()) {
    const where = `cells[${i}]`;
    const spec = parseModelSpec(entry.model, `${where}.model`);
    if (entry.label !== undefined && !/^[A-Za-z0-9._@/:-]+$/.test(entry.label))
      throw new UsageError(`${where}.label ${JSON.stringify(entry.label)}: expected [A-Za-z0-9._@/:-]+`);
    let cellRegions: (string | undefined)[];
    if (entry.region !== undefined && entry.region.length > 0) {
      if (spec.provider !== "bedrock") throw new UsageError(`${where}.region: regions only apply to bedrock models (${entry.model})`);
      if (spec.region) throw new UsageError(`${where}.region: ${entry.model} already names its region`);
      for (const r of entry.region)
        if (!REGION.test(r)) throw new UsageError(`${where}.region ${JSON.stringify(r)}: not an AWS region name (e.g. us-west-2)`);
      cellRegions = [...new Set(entry.region)];
    } else if (spec.provider === "bedrock" && !spec.region) {
      regionsUsed ||= regions.length > 0;
      cellRegions = regions.length > 0 ? regions : defaultRegion ? [defaultRegion] : [undefined];
    } else {
      cellRegions = [spec.region];
    }
    const options = pickCallOptions(entry);
    for (const region of cellRegions) {
      const v: ModelSpec = region ? { ...spec, region } : { provider: spec.provider, model: spec.model };
      const cell = entry.label !== undefined ? (cellRegions.length > 1 ? `${entry.label}@${region}` : entry.label) : cellName(v);
      const other = seen.get(cell);
      if (other !== undefined) {
        throw new UsageError(`${where}: cell name "${cell}" is also cells[${other}]'s; give each cell a unique label`);
      }
      seen.set(cell, i);
      cells.push({ ...v, cell, ...(entry.label !== undefined ? { label: entry.label } : {}), ...(options ? { options } : {}) });
    }
  }
  if (regions.length > 0 && !regionsUsed) {
    throw new UsageError(
      `--region ${regions.join(", ")}: regions only apply to bedrock cells without their own region, and the config's cells have none`,
    );
  }
  return cells;
}
