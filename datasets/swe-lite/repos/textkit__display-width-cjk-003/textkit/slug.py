"""URL slugs."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _to_ascii(text: str) -> str:
    """Return ``text`` reduced to ASCII, keeping base letters of accented characters."""
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii")


def slugify(text: str, sep: str = "-", max_length: int | None = None) -> str:
    """Turn ``text`` into a lowercase URL slug.

    Runs of anything that is not a letter or digit become a single ``sep``;
    leading and trailing separators are dropped.  When ``max_length`` is given
    the slug is cut at a separator boundary where possible.
    """
    slug = _NON_ALNUM.sub(sep, _to_ascii(text).lower()).strip(sep)
    if max_length is not None and len(slug) > max_length:
        cut = slug[:max_length]
        if sep in cut and slug[max_length : max_length + len(sep)] != sep:
            cut = cut.rsplit(sep, 1)[0]
        slug = cut.strip(sep)
    return slug


def unique_slug(text: str, existing: set[str] | frozenset[str], sep: str = "-") -> str:
    """Return a slug for ``text`` that is not in ``existing`` (adds -2, -3, ...)."""
    base = slugify(text, sep=sep) or "item"
    if base not in existing:
        return base
    n = 2
    while f"{base}{sep}{n}" in existing:
        n += 1
    return f"{base}{sep}{n}"
