"""Human-readable byte sizes (binary units)."""

from __future__ import annotations

import re

_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGTP]?i?B)?\s*$", re.IGNORECASE)


def human_size(num_bytes: int, precision: int = 1) -> str:
    """Format a byte count, e.g. ``1536 -> '1.5 KiB'``; bytes are shown without decimals."""
    if num_bytes < 0:
        raise ValueError("num_bytes must be >= 0")
    if num_bytes < 1024:
        return f"{num_bytes} B"
    size = float(num_bytes)
    unit = 0
    while size > 1024 and unit < len(_UNITS) - 1:
        size /= 1024
        unit += 1
    return f"{size:.{precision}f} {_UNITS[unit]}"


def parse_size(text: str) -> int:
    """Parse ``'1.5 KiB'``, ``'10MiB'`` or ``'512'`` into a number of bytes."""
    m = _SIZE_RE.match(text)
    if not m:
        raise ValueError(f"invalid size: {text!r}")
    number, unit = m.group(1), (m.group(2) or "B")
    lookup = {u.lower(): i for i, u in enumerate(_UNITS)}
    lookup.update({u[0].lower() + "b": i for i, u in enumerate(_UNITS) if i})
    try:
        power = lookup[unit.lower()]
    except KeyError:
        raise ValueError(f"unknown unit in {text!r}") from None
    return int(float(number) * 1024**power)
