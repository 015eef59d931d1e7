"""Page-number pagination (pages are numbered from 1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Sequence, TypeVar

T = TypeVar("T")


class PageOutOfRange(IndexError):
    """Raised when asking for a page number that does not exist."""


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int
    per_page: int
    total: int

    @property
    def total_pages(self) -> int:
        """Number of pages; an empty collection still has one (empty) page."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.number < self.total_pages

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": list(self.items),
            "page": self.number,
            "per_page": self.per_page,
            "total": self.total,
            "total_pages": self.total_pages,
        }


def paginate(items: Sequence[T], page: int = 1, per_page: int = 10) -> Page[T]:
    """Return page ``page`` of ``items``."""
    if per_page < 1:
        raise ValueError("per_page must be >= 1")
    probe: Page[T] = Page([], page, per_page, len(items))
    if not 1 <= page <= probe.total_pages:
        raise PageOutOfRange(f"page {page} out of range 1..{probe.total_pages}")
    start = (page - 1) * per_page
    return Page(list(items[start : start + per_page]), page, per_page, len(items))
