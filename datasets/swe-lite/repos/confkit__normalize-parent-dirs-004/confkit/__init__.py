"""confkit: configuration loading helpers."""

from .merge import deep_merge, merge_layers
from .parsers.csvline import split_csv_line
from .parsers.ini import parse_ini
from .parsers.query import build_query, parse_query, parse_query_flat
from .paths import is_safe_relative, join_path, normalize_path

__all__ = [
    "build_query",
    "deep_merge",
    "is_safe_relative",
    "join_path",
    "merge_layers",
    "normalize_path",
    "parse_ini",
    "parse_query",
    "parse_query_flat",
    "split_csv_line",
]
