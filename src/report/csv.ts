// report.csv rendering: CSV text from rows (quoting by csv-stringify, cell text by format.ts) and
// the per task × cell rows of a run.

import { stringify } from "csv-stringify/sync";

import { renderCell } from "./format.js";
import { latestResults } from "./latest.js";
import { REPORT_COLUMNS, type ReportColumn, type TaskResult } from "./types.js";

/** One report.csv row: the TaskResult fields that are columns, keys in column order. */
export type ReportRow = Pick<TaskResult, ReportColumn>;

/**
 * CSV text: a header row of `columns`, then one line per row with each column's value rendered
 * by `renderCell` (blank for null/missing, true/false, numbers by column kind, strings guarded
 * against formula injection). Fields holding a comma, quote, CR or LF are quoted with `"` and
 * inner quotes doubled (RFC 4180); lines end with `\n`, the last one included.
 * @throws TypeError for a non-finite number or a non-scalar value (see renderCell).
 */
export function toCsv(columns: readonly string[], rows: readonly object[]): string {
  const records: string[][] = [[...columns]];
  for (const row of rows) {
    const values = row as Readonly<Record<string, unknown>>;
    records.push(columns.map((column) => renderCell(column, values[column])));
  }
  // quote_record_delimiter: a lone CR must be quoted too (spreadsheets end a row at it); giving
  // record_delimiter explicitly would otherwise turn that off.
  return stringify(records, { record_delimiter: "\n", quote_record_delimiter: true, eof: true });
}

/** The report.csv rows of a run: latest result per (cell, instance_id), sorted by cell then instance_id. */
export function reportRows(results: readonly TaskResult[]): ReportRow[] {
  return latestResults(results).map((result) => {
    const row: Partial<Record<ReportColumn, unknown>> = {};
    for (const column of REPORT_COLUMNS) row[column] = result[column];
    return row as ReportRow;
  });
}
