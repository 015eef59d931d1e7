// test/helpers/csv.ts: the RFC 4180 reader the integration tests read bench's CSV files with, checked against
// csv-stringify (what bench writes them with) and RFC 4180's own examples.
import { stringify } from "csv-stringify/sync";
import { describe, expect, it } from "vitest";
import { parseCsv } from "../helpers/csv.js";

describe("parseCsv", () => {
  it("reads RFC 4180's examples: CRLF records, quoted fields with commas, line breaks and doubled quotes", () => {
    expect(parseCsv("aaa,bbb,ccc\r\nzzz,yyy,xxx\r\n")).toEqual([
      ["aaa", "bbb", "ccc"],
      ["zzz", "yyy", "xxx"],
    ]);
    expect(parseCsv("aaa,bbb,ccc\r\nzzz,yyy,xxx")).toEqual([
      ["aaa", "bbb", "ccc"],
      ["zzz", "yyy", "xxx"],
    ]);
    expect(parseCsv('"aaa","b\r\nbb","ccc"\r\nzzz,yyy,xxx')).toEqual([
      ["aaa", "b\r\nbb", "ccc"],
      ["zzz", "yyy", "xxx"],
    ]);
    expect(parseCsv('"aaa","b""bb","ccc"')).toEqual([["aaa", 'b"bb', "ccc"]]);
  });

  it("keeps empty fields, a trailing empty field and an empty quoted field", () => {
    expect(parseCsv("a,,c,\n,\n")).toEqual([
      ["a", "", "c", ""],
      ["", ""],
    ]);
    expect(parseCsv('"",x\n')).toEqual([["", "x"]]);
    expect(parseCsv("")).toEqual([]);
  });

  it("reads back what csv-stringify writes", () => {
    const records = [
      ["cell", "error_message", "cost_usd"],
      ["mock/oracle", 'failed: "x", then\nmore', "0.25"],
      ["bedrock/claude@us-east-1", "'=cmd|' /C calc'!A0", ""],
    ];
    expect(parseCsv(stringify(records))).toEqual(records);
    expect(parseCsv(stringify(records, { record_delimiter: "windows" }))).toEqual(records);
  });

  it("refuses malformed text instead of guessing", () => {
    expect(() => parseCsv('a"b,c')).toThrow("a quote inside an unquoted field at offset 1");
    expect(() => parseCsv('"abc')).toThrow("a quoted field is not closed");
    expect(() => parseCsv('"a"b,c')).toThrow("text after a closing quote at offset 3");
  });
});
