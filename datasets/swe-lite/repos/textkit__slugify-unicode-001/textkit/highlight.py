"""Highlight search terms in text."""

from __future__ import annotations

import re


def _pattern(term: str) -> re.Pattern[str]:
    return re.compile(re.escape(term), re.IGNORECASE)


def highlight(text: str, term: str, before: str = "[", after: str = "]") -> str:
    """Wrap every case-insensitive occurrence of ``term`` in ``before``/``after``."""
    if not term:
        return text
    return _pattern(term).sub(lambda m: f"{before}{m.group(0)}{after}", text)


def count_occurrences(text: str, term: str) -> int:
    """Count non-overlapping case-insensitive occurrences of ``term``."""
    if not term:
        return 0
    return len(_pattern(term).findall(text))
