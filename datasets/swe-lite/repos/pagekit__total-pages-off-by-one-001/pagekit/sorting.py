"""Multi-key sorting of records (dicts)."""

from __future__ import annotations

from typing import Any, Iterable, Mapping


def _parse_key(spec: str) -> tuple[str, bool]:
    if spec.startswith("-"):
        return spec[1:], True
    return spec, False


def sort_records(records: Iterable[Mapping[str, Any]], *keys: str) -> list[Mapping[str, Any]]:
    """Return ``records`` sorted by ``keys`` (most significant first).

    A key prefixed with ``-`` sorts descending.  The sort is stable: records that
    compare equal on every key keep their input order.
    """
    result = list(records)
    # Python's sort is stable, so sorting by the least significant key first
    # and the most significant key last gives a correct multi-key ordering.
    for spec in reversed(keys):
        field, descending = _parse_key(spec)
        result.sort(key=lambda r: r[field], reverse=descending)
    return result
