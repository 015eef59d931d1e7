// CSV as RFC 4180 reads it, for tests that check the CSV files bench writes: quoted fields (commas, line breaks and
// doubled quotes inside), CRLF or LF records. No dependency: csv-parse is not installed (only csv-stringify is).
import { readFileSync } from "node:fs";

/** Records of a CSV text, each a list of fields. A final line break ends the last record (no empty record after it). */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  const endField = () => {
    record.push(field);
    field = "";
  };
  const endRecord = () => {
    endField();
    records.push(record);
    record = [];
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') {
        quoted = false;
        const next = text[i + 1];
        if (next !== undefined && next !== "," && next !== "\n" && next !== "\r")
          throw new Error(`csv: text after a closing quote at offset ${i + 1}`);
      } else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === "") quoted = true;
    else if (c === '"') throw new Error(`csv: a quote inside an unquoted field at offset ${i}`);
    else if (c === ",") endField();
    else if (c === "\n" || (c === "\r" && text[i + 1] === "\n")) {
      endRecord();
      if (c === "\r") i++;
    } else field += c;
    i++;
  }
  if (quoted) throw new Error("csv: a quoted field is not closed");
  if (field !== "" || record.length > 0) endRecord();
  return records;
}

/** A CSV file's records, the header first. */
export const readCsv = (file: string): string[][] => parseCsv(readFileSync(file, "utf8"));
