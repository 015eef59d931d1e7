"""URL query strings (``a=1&b=two+words``)."""

from __future__ import annotations

from typing import Mapping, Sequence, Union
from urllib.parse import quote_plus, unquote_plus


def parse_query(qs: str, keep_blank: bool = True) -> dict[str, list[str]]:
    """Parse a query string into ``{key: [values...]}`` preserving order.

    A leading ``?`` is ignored, ``+`` means space and percent-escapes are decoded.
    A key without ``=`` gets the value ``""``.
    """
    result: dict[str, list[str]] = {}
    if qs.startswith("?"):
        qs = qs[1:]
    for pair in qs.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        key, value = unquote_plus(key), unquote_plus(value)
        if not value and not keep_blank:
            continue
        result.setdefault(key, []).append(value)
    return result


def parse_query_flat(qs: str) -> dict[str, str]:
    """Like :func:`parse_query` but keeps only the last value of each key."""
    return {k: v[-1] for k, v in parse_query(qs).items()}


def build_query(params: Mapping[str, Union[str, Sequence[str]]]) -> str:
    """Inverse of :func:`parse_query`."""
    parts = []
    for key, value in params.items():
        values = [value] if isinstance(value, str) else list(value)
        for v in values:
            parts.append(f"{quote_plus(key)}={quote_plus(v)}")
    return "&".join(parts)
