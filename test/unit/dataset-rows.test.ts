// readRows: SWE-bench rows from .jsonl, .json lists and .parquet (every codec SWE-bench re-exports use), located errors.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { parquetWriteBuffer } from "hyparquet-writer";
import type { ColumnSource } from "hyparquet-writer";
import { beforeAll, describe, expect, it } from "vitest";
import { readRows } from "../../src/datasets/rows.js";
import { UsageError } from "../../src/errors.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "bench-rows-"));
});

function write(name: string, content: string | Uint8Array | ArrayBuffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, content instanceof ArrayBuffer ? new Uint8Array(content) : content);
  return file;
}

/** Awaits a rejection and returns it as a UsageError (fails the test for anything else). */
async function usageError(promise: Promise<unknown>): Promise<UsageError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UsageError);
  expect((err as UsageError).exitCode).toBe(2);
  return err as UsageError;
}

const row = (id: string) => ({
  instance_id: id,
  repo: "astropy/astropy",
  FAIL_TO_PASS: '["tests/test_a.py::test_x"]',
  PASS_TO_PASS: "[]",
});

describe("readRows .jsonl", () => {
  it("reads one object a line, skips blank lines, locates rows by 1-based line", async () => {
    const file = write("a.jsonl", `\uFEFF${JSON.stringify(row("a-1"))}\r\n\n  \n${JSON.stringify(row("b-2"))}\n`);
    const rows = await readRows(file);
    expect(rows).toEqual([
      { row: row("a-1"), where: `${file}:1` },
      { row: row("b-2"), where: `${file}:4` },
    ]);
    // The test lists stay JSON strings: decoding them is the loader's job.
    expect(rows[0]!.row["FAIL_TO_PASS"]).toBe('["tests/test_a.py::test_x"]');
  });

  it("names the line of invalid JSON", async () => {
    const file = write("bad.jsonl", `${JSON.stringify(row("a-1"))}\n\n{"instance_id": \n`);
    const err = await usageError(readRows(file));
    expect(err.message).toMatch(new RegExp(`^${escapeRegExp(file)}:3: invalid JSON \\(`));
  });

  it("names the line of a row that is not an object", async () => {
    const file = write("array.jsonl", `${JSON.stringify(row("a-1"))}\n[1, 2]\n`);
    expect((await usageError(readRows(file))).message).toBe(`${file}:2: expected a JSON object, got array`);
    const nul = write("null.jsonl", "null\n");
    expect((await usageError(readRows(nul))).message).toBe(`${nul}:1: expected a JSON object, got null`);
  });
});

describe("readRows .json", () => {
  it("reads a list of objects, located by 0-based index", async () => {
    const file = write("list.json", JSON.stringify([row("a-1"), row("b-2")], null, 2));
    expect(await readRows(file)).toEqual([
      { row: row("a-1"), where: `${file}[0]` },
      { row: row("b-2"), where: `${file}[1]` },
    ]);
  });

  it("refuses an object of rows, saying a list is needed", async () => {
    const file = write("columns.json", JSON.stringify({ instance_id: { "0": "a-1" } }));
    const err = await usageError(readRows(file));
    expect(err.message).toContain(`${file}: expected a JSON list of row objects ([{...}, ...]), got an object`);
    expect(err.message).toContain('orient="records"');
  });

  it("names the index of an element that is not an object", async () => {
    const file = write("mixed.json", JSON.stringify([row("a-1"), "b-2"]));
    expect((await usageError(readRows(file))).message).toBe(`${file}[1]: expected a JSON object, got string`);
  });

  it("names the file (and the line, when the parser says where) of invalid JSON", async () => {
    const file = write("broken.json", '[\n  {"a": 1},\n  {"b": }\n]');
    const err = await usageError(readRows(file));
    expect(err.message).toMatch(new RegExp(`^${escapeRegExp(file)}(:3)?: invalid JSON \\(`));
  });
});

/** A zstd frame of raw (stored) blocks: valid zstd that any decoder reads, written without a zstd encoder (Node 20 has none). */
function zstdStored(input: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  // Magic, then a frame header: 4-byte content size, single segment (no window descriptor), no checksum, no dictionary.
  const header = Buffer.alloc(9);
  header.writeUInt32LE(0xfd2fb528, 0);
  header.writeUInt8(0xa0, 4);
  header.writeUInt32LE(input.length, 5);
  parts.push(header);
  const max = 128 * 1024;
  let offset = 0;
  do {
    const size = Math.min(max, input.length - offset);
    const last = offset + size >= input.length ? 1 : 0;
    const blockHeader = Buffer.alloc(3);
    blockHeader.writeUIntLE((size << 3) | (0 << 1) | last, 0, 3);
    parts.push(blockHeader, input.subarray(offset, offset + size));
    offset += size;
  } while (offset < input.length);
  return Buffer.concat(parts);
}

/** Five SWE-bench-like rows: strings, JSON-encoded test lists, an int64 column, a timestamp, a null. */
function columns(): ColumnSource[] {
  return [
    { name: "instance_id", data: ["a-1", "b-2", "c-3", "d-4", "e-5"], type: "STRING" },
    { name: "FAIL_TO_PASS", data: ['["t::x"]', "[]", '["t::y", "t::z"]', "[]", "[]"], type: "STRING" },
    { name: "hints_text", data: ["", null, "look at x", "", ""], type: "STRING" },
    { name: "pull_number", data: [1n, 2n, 9007199254740993n, 4n, 5n], type: "INT64" },
    {
      name: "created_at",
      data: [0, 1, 2, 3, 4].map((i) => new Date(Date.UTC(2023, 1, 6, 21, 56, 51 + i))),
      type: "TIMESTAMP",
    },
  ];
}

describe("readRows .parquet", () => {
  const codecs = {
    SNAPPY: {},
    UNCOMPRESSED: {},
    GZIP: { GZIP: (input: Uint8Array) => new Uint8Array(gzipSync(input)) },
    ZSTD: { ZSTD: zstdStored },
  } as const;

  for (const [codec, compressors] of Object.entries(codecs)) {
    it(`reads a ${codec} file: rows in order, 1-based row numbers, JSON-safe values`, async () => {
      const buffer = parquetWriteBuffer({
        columnData: columns(),
        codec: codec as keyof typeof codecs,
        compressors,
        // Several row groups, so the row numbers must run on across them.
        rowGroupSize: 2,
      });
      const file = write(`swe-${codec.toLowerCase()}.parquet`, buffer);
      const rows = await readRows(file);
      expect(rows.map((r) => r.where)).toEqual([1, 2, 3, 4, 5].map((n) => `${file} row ${n}`));
      expect(rows[0]!.row).toEqual({
        instance_id: "a-1",
        FAIL_TO_PASS: '["t::x"]',
        hints_text: "",
        pull_number: 1,
        created_at: "2023-02-06T21:56:51.000Z",
      });
      expect(rows[1]!.row["hints_text"]).toBeNull();
      expect(rows[2]!.row["FAIL_TO_PASS"]).toBe('["t::y", "t::z"]');
      // Beyond 2^53 an int64 stays exact as a decimal string.
      expect(rows[2]!.row["pull_number"]).toBe("9007199254740993");
      expect(() => JSON.stringify(rows.map((r) => r.row))).not.toThrow();
    });
  }

  it("names a truncated file as not readable parquet", async () => {
    const whole = new Uint8Array(parquetWriteBuffer({ columnData: columns() }));
    const file = write("truncated.parquet", whole.subarray(0, Math.floor(whole.length / 2)));
    const err = await usageError(readRows(file));
    expect(err.message).toMatch(new RegExp(`^${escapeRegExp(file)}: not a readable parquet file \\(.+\\)$`));
  });

  it("names a file that is not parquet at all, and an empty one", async () => {
    const junk = write("junk.parquet", "instance_id,repo\na-1,x/y\n");
    expect((await usageError(readRows(junk))).message).toMatch(new RegExp(`^${escapeRegExp(junk)}: not a readable parquet file \\(`));
    const empty = write("empty.parquet", "");
    expect((await usageError(readRows(empty))).message).toMatch(new RegExp(`^${escapeRegExp(empty)}: not a readable parquet file \\(`));
  });

  it("names a file whose pages are corrupt", async () => {
    const whole = new Uint8Array(parquetWriteBuffer({ columnData: columns(), codec: "GZIP", compressors: codecs.GZIP }));
    const bytes = Uint8Array.from(whole);
    // Overwrite the start of the first page's compressed data (after the 4-byte magic and the page header).
    bytes.fill(0xff, 40, 80);
    const file = write("corrupt.parquet", bytes);
    const err = await usageError(readRows(file));
    expect(err.message).toMatch(new RegExp(`^${escapeRegExp(file)}: not a readable parquet file \\(`));
    expect(readFileSync(file).length).toBe(whole.length);
  });
});

describe("readRows, any type", () => {
  it("refuses an unknown extension, listing the known ones", async () => {
    const file = write("tasks.csv", "instance_id\na-1\n");
    expect((await usageError(readRows(file))).message).toBe(
      `${file}: unknown dataset file type (".csv"; expected .jsonl, .json, .parquet)`,
    );
  });

  it("names a file it cannot read", async () => {
    const file = path.join(dir, "missing.jsonl");
    expect((await usageError(readRows(file))).message).toMatch(new RegExp(`^${escapeRegExp(file)}: cannot read \\(.*ENOENT`));
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
