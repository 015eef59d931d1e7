// Reads dataset rows as SWE-bench publishes them (.jsonl, a .json list, .parquet), each with the place to name in errors.
// Rows come back untouched apart from making them JSON-safe; field validation and decoding are the loader's job.

import { readFile } from "node:fs/promises";
import path from "node:path";
import { parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { UsageError, errorMessage } from "../errors.js";

export interface RawRow {
  row: Record<string, unknown>;
  /**
   * Where the row came from, for error messages: `file:line` (.jsonl, 1-based line), `file[index]` (.json, 0-based
   * array index, as the list is written), `file row N` (.parquet, 1-based: the first row is row 1, like line numbers).
   */
  where: string;
}

export const ROW_FILE_TYPES = [".jsonl", ".json", ".parquet"] as const;

/** Reads every row of a dataset file; any problem is a UsageError naming the file and the line, index or row. */
export async function readRows(file: string): Promise<RawRow[]> {
  const ext = path.extname(file).toLowerCase();
  if (!(ROW_FILE_TYPES as readonly string[]).includes(ext)) {
    const got = ext === "" ? "no extension" : `"${ext}"`;
    throw new UsageError(`${file}: unknown dataset file type (${got}; expected ${ROW_FILE_TYPES.join(", ")})`);
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new UsageError(`${file}: cannot read (${errorMessage(err)})`, { cause: err });
  }
  if (ext === ".parquet") return parquetRows(file, bytes);
  // A UTF-8 byte order mark is not JSON; editors on Windows add one.
  const text = bytes.toString("utf8").replace(/^\uFEFF/, "");
  return ext === ".jsonl" ? jsonlRows(file, text) : jsonListRows(file, text);
}

function jsonlRows(file: string, text: string): RawRow[] {
  const rows: RawRow[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === "") continue;
    const where = `${file}:${i + 1}`;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      throw new UsageError(`${where}: invalid JSON (${errorMessage(err)})`);
    }
    rows.push({ row: asObject(json, where), where });
  }
  return rows;
}

function jsonListRows(file: string, text: string): RawRow[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${jsonErrorPlace(file, text, err)}: invalid JSON (${errorMessage(err)})`);
  }
  if (!Array.isArray(json)) {
    // pandas' default to_json() writes {column: {index: value}}; the rows need orient="records".
    throw new UsageError(
      `${file}: expected a JSON list of row objects ([{...}, ...]), got ${kind(json)}` +
        ` (pandas: to_json(orient="records"); or write one object per line to a .jsonl file)`,
    );
  }
  return json.map((value, index) => {
    const where = `${file}[${index}]`;
    return { row: asObject(value, where), where };
  });
}

/** `file:line` when the JSON parser says where it stopped (Node 20: "at position N"), else the file alone. */
function jsonErrorPlace(file: string, text: string, err: unknown): string {
  const position = /at position (\d+)/.exec(errorMessage(err));
  if (!position) return file;
  const line = text.slice(0, Number(position[1])).split("\n").length;
  return `${file}:${line}`;
}

function asObject(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`${where}: expected a JSON object, got ${kind(value)}`);
  }
  return value as Record<string, unknown>;
}

function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value === "object" ? "an object" : typeof value;
}

async function parquetRows(file: string, bytes: Buffer): Promise<RawRow[]> {
  // The whole file is in memory already (SWE-bench's largest split is ~30 MB); hyparquet slices an ArrayBuffer directly.
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let objects: Record<string, unknown>[];
  try {
    // compressors: SWE-bench files are snappy, but re-exports are often zstd or gzip, which hyparquet alone cannot read.
    objects = await parquetReadObjects({ file: buffer, compressors });
  } catch (err) {
    throw new UsageError(`${file}: not a readable parquet file (${errorMessage(err)})`, { cause: err });
  }
  return objects.map((object, index) => {
    const where = `${file} row ${index + 1}`;
    return { row: jsonSafe(object) as Record<string, unknown>, where };
  });
}

/**
 * Makes a decoded parquet value survive JSON.stringify and hashing: int64 columns arrive as BigInt (exact numbers when
 * they fit, decimal strings otherwise), timestamps as Date (ISO strings, which is how SWE-bench's JSONL spells
 * created_at), raw bytes as Uint8Array (UTF-8 text). Strings, including the JSON-encoded FAIL_TO_PASS, pass unchanged.
 */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("utf8");
  if (typeof value === "number" && !Number.isFinite(value)) return null;
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return Array.from(value as ArrayLike<unknown>, jsonSafe);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = jsonSafe(inner);
    return out;
  }
  return value;
}
