import { describe, expect, it } from "vitest";

import { reportRows, toCsv } from "../../src/report/csv.js";
import { formatNumber, normalizeRow, plainDecimal, renderCell } from "../../src/report/format.js";
import { REPORT_COLUMNS } from "../../src/report/types.js";
import { makeResult } from "./report-fixtures.js";

describe("renderCell", () => {
  it("blanks null and undefined, never 0", () => {
    expect(renderCell("cost_usd", null)).toBe("");
    expect(renderCell("cost_usd", undefined)).toBe("");
  });

  it("prints booleans as true/false", () => {
    expect(renderCell("resolved", false)).toBe("false");
    expect(renderCell("resolved", true)).toBe("true");
  });

  it("guards strings that a spreadsheet would run, and only strings", () => {
    expect(renderCell("error_message", "=SUM(A1)")).toBe("'=SUM(A1)");
    expect(renderCell("error_message", "+1")).toBe("'+1");
    expect(renderCell("error_message", "-x")).toBe("'-x");
    expect(renderCell("error_message", "@cmd")).toBe("'@cmd");
    expect(renderCell("error_message", "\tx")).toBe("'\tx");
    expect(renderCell("error_message", "\rx")).toBe("'\rx");
    expect(renderCell("error_message", "＝1+2")).toBe("'＝1+2");
    expect(renderCell("error_message", "a=b")).toBe("a=b");
    expect(renderCell("throttle_wait_s", -5)).toBe("-5");
    expect(renderCell("error_message", "")).toBe("");
  });

  it("rounds numbers by column kind, in plain decimal", () => {
    expect(renderCell("cost_usd", 0.1 + 0.2)).toBe("0.3");
    expect(renderCell("cost_usd", 0.00000012345678901234)).toBe("0.000000123456789");
    expect(renderCell("cost_usd", 1234.56789012345)).toBe("1234.56789");
    expect(renderCell("wall_s", 12.34567)).toBe("12.346");
    expect(renderCell("wall_s", 0.0004)).toBe("0");
    expect(renderCell("resolve_rate", 2 / 3)).toBe("0.666667");
    expect(renderCell("input_tokens", 123456789)).toBe("123456789");
    expect(renderCell("some_new_column", 0.1 + 0.2)).toBe("0.3");
    expect(renderCell("some_new_column", 1e21)).toBe("1000000000000000000000");
  });

  it("refuses non-finite numbers and non-scalars", () => {
    expect(() => renderCell("wall_s", Number.NaN)).toThrow("column wall_s: expected a finite number, got NaN");
    expect(() => renderCell("x", { a: 1 })).toThrow("column x: expected a string, number, boolean or null, got object");
  });
});

describe("plainDecimal and formatNumber", () => {
  it("expands exponent notation", () => {
    expect(plainDecimal(1.5e-7)).toBe("0.00000015");
    expect(plainDecimal(-1.5e-7)).toBe("-0.00000015");
    expect(plainDecimal(1e-7)).toBe("0.0000001");
    expect(plainDecimal(1.25e21)).toBe("1250000000000000000000");
    expect(plainDecimal(0.5)).toBe("0.5");
    expect(plainDecimal(-3)).toBe("-3");
  });

  it("rounds without producing -0", () => {
    expect(Object.is(formatNumber("wall_s", -0.0001), 0)).toBe(true);
    expect(formatNumber("cost_usd_total", 0.6000000000000001)).toBe(0.6);
  });

  it("normalizeRow keeps the columns, in order, with JSON-safe values", () => {
    const row = normalizeRow(["b", "a", "c"], { a: 0.1 + 0.2, b: "x", c: undefined as number | undefined, d: 1 });
    expect(JSON.stringify(row)).toBe('{"b":"x","a":0.3,"c":null}');
  });
});

describe("toCsv", () => {
  it("writes a header, quotes what needs quoting, and ends with a newline", () => {
    const csv = toCsv(
      ["name", "note", "count", "ok", "wall_s"],
      [
        { name: "a,b", note: 'say "hi"', count: -5, ok: false, wall_s: null },
        { name: "line\nbreak", note: "=SUM(A1)", count: 0, ok: true, wall_s: 1.23456 },
        { name: "cr\rhere", note: "-x" },
      ],
    );
    expect(csv).toBe(
      ["name,note,count,ok,wall_s", '"a,b","say ""hi""",-5,false,', '"line\nbreak",\'=SUM(A1),0,true,1.235', '"cr\rhere",\'-x,,,', ""].join(
        "\n",
      ),
    );
  });

  it("quotes a guarded cell that also needs quoting", () => {
    expect(toCsv(["x"], [{ x: '=HYPERLINK("http://e.com","a,b")' }])).toBe('x\n"\'=HYPERLINK(""http://e.com"",""a,b"")"\n');
  });

  it("writes the header alone for no rows", () => {
    expect(toCsv(["a", "b"], [])).toBe("a,b\n");
  });
});

describe("reportRows", () => {
  it("keeps the latest line per (cell, instance_id), sorted by cell then instance_id, columns in order", () => {
    const rows = reportRows([
      makeResult({ cell: "z/model", instance_id: "t1" }),
      makeResult({ cell: "a/model", instance_id: "t2", status: "error", resolved: false, attempt: 1 }),
      makeResult({ cell: "a/model", instance_id: "t10" }),
      makeResult({ cell: "a/model", instance_id: "t2", status: "unresolved", resolved: false, attempt: 2 }),
    ]);
    expect(rows.map((r) => [r.cell, r.instance_id, r.status])).toEqual([
      ["a/model", "t10", "resolved"],
      ["a/model", "t2", "unresolved"],
      ["z/model", "t1", "resolved"],
    ]);
    expect(Object.keys(rows[0] ?? {})).toEqual([...REPORT_COLUMNS]);
  });

  it("renders a whole report line", () => {
    const csv = toCsv(
      REPORT_COLUMNS,
      reportRows([
        makeResult({
          cell: "bedrock/claude@eu-central-1",
          provider: "bedrock",
          model: "claude",
          region: "eu-central-1",
          status: "error",
          resolved: false,
          end_reason: "error",
          error_class: "transient",
          error_message: "-1: reset, again",
          llm_retries: null,
          cost_usd: null,
          cost_source: "unknown",
          wall_s: 8.0004,
        }),
      ]),
    );
    expect(csv.split("\n")[1]).toBe(
      'run-1,bedrock/claude@eu-central-1,bedrock,claude,eu-central-1,task-1,error,false,error,transient,"\'-1: reset, again",' +
        "3,0,2,3,,0,100,20,0,0,0,,unknown,3,1,1,0.5,1,5,2,8,4,1/1,2/2,2025-01-01T00:00:00.000Z,2025-01-01T00:00:08.000Z",
    );
  });
});
