"""Grouping and counting records by a field."""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Mapping, Optional


def group_by(
    records: Iterable[Mapping[str, Any]],
    field: str,
    into: Optional[dict[Any, list[Mapping[str, Any]]]] = None,
) -> dict[Any, list[Mapping[str, Any]]]:
    """Group ``records`` by the value of ``field``.

    Pass ``into`` to keep accumulating groups across several batches; the same
    dict is updated and returned.
    """
    groups = {} if into is None else into
    for record in records:
        groups.setdefault(record[field], []).append(record)
    return groups


def count_by(records: Iterable[Mapping[str, Any]], field: str) -> dict[Any, int]:
    """Count records per value of ``field``, most common first."""
    return dict(Counter(r[field] for r in records).most_common())
