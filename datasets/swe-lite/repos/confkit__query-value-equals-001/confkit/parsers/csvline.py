"""Split a single CSV line (RFC 4180 quoting) without the csv module's dialect machinery."""

from __future__ import annotations


class CSVLineError(ValueError):
    """Raised for malformed CSV lines (e.g. an unterminated quote)."""


def split_csv_line(line: str, delimiter: str = ",") -> list[str]:
    """Split ``line`` into fields.

    Fields may be wrapped in double quotes, in which case they can contain the
    delimiter; a doubled quote inside a quoted field stands for one quote.
    """
    fields: list[str] = []
    buf: list[str] = []
    in_quotes = False
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        if in_quotes:
            if ch == '"':
                if i + 1 < n and line[i + 1] == '"':
                    buf.append('"')
                    i += 1
                else:
                    in_quotes = False
            else:
                buf.append(ch)
        elif ch == '"' and not buf:
            in_quotes = True
        elif ch == delimiter:
            fields.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    if in_quotes:
        raise CSVLineError(f"unterminated quoted field in {line!r}")
    fields.append("".join(buf))
    return fields
