"""textkit: small, dependency-free text helpers."""

from .compare import contains_ignore_case, equals_ignore_case, sort_ignore_case
from .highlight import count_occurrences, highlight
from .sizes import human_size, parse_size
from .slug import slugify, unique_slug
from .width import char_width, display_width, ljust_display, truncate_display

__all__ = [
    "char_width",
    "contains_ignore_case",
    "count_occurrences",
    "display_width",
    "equals_ignore_case",
    "highlight",
    "human_size",
    "ljust_display",
    "parse_size",
    "slugify",
    "sort_ignore_case",
    "truncate_display",
    "unique_slug",
]

__version__ = "0.4.2"
