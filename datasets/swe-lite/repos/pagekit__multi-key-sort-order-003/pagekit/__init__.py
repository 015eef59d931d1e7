"""pagekit: pagination, sorting and grouping of in-memory records."""

from .grouping import count_by, group_by
from .paginate import Page, PageOutOfRange, paginate
from .sorting import sort_records

__all__ = ["Page", "PageOutOfRange", "count_by", "group_by", "paginate", "sort_records"]
