"""Case-insensitive comparison helpers."""

from __future__ import annotations

import unicodedata
from typing import Iterable


def _fold(text: str) -> str:
    """Key used for caseless matching."""
    return unicodedata.normalize("NFC", text).casefold()


def equals_ignore_case(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` are equal ignoring case."""
    return _fold(a) == _fold(b)


def contains_ignore_case(haystack: str, needle: str) -> bool:
    """True when ``needle`` occurs in ``haystack`` ignoring case."""
    return _fold(needle) in _fold(haystack)


def sort_ignore_case(items: Iterable[str]) -> list[str]:
    """Sort strings caselessly; ties keep their original order."""
    return sorted(items, key=_fold)
