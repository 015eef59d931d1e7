"""Terminal display width of strings (for aligning columns)."""

from __future__ import annotations

import unicodedata


def char_width(ch: str) -> int:
    """Number of terminal cells taken by the single character ``ch``."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 2
    return 1


def display_width(text: str) -> int:
    """Number of terminal cells taken by ``text``."""
    return sum(char_width(ch) for ch in text)


def ljust_display(text: str, width: int, fill: str = " ") -> str:
    """Left-justify ``text`` to ``width`` terminal cells."""
    pad = width - display_width(text)
    return text + fill * pad if pad > 0 else text


def truncate_display(text: str, width: int, ellipsis: str = "…") -> str:
    """Cut ``text`` so that it fits in ``width`` cells, ending with ``ellipsis`` if cut."""
    if display_width(text) <= width:
        return text
    room = width - display_width(ellipsis)
    out = []
    used = 0
    for ch in text:
        w = char_width(ch)
        if used + w > room:
            break
        out.append(ch)
        used += w
    return "".join(out) + ellipsis
