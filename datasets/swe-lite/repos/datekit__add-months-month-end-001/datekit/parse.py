"""Strict ISO date parsing."""

from __future__ import annotations

import re
from datetime import date

from .calendar_utils import days_in_month

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


class DateParseError(ValueError):
    """Raised when a string is not a valid ``YYYY-MM-DD`` date."""


def parse_date(text: str) -> date:
    """Parse a strict ``YYYY-MM-DD`` string, validating the day of month."""
    m = _ISO_DATE.match(text.strip())
    if not m:
        raise DateParseError(f"not a YYYY-MM-DD date: {text!r}")
    year, month, day = (int(g) for g in m.groups())
    if not 1 <= month <= 12:
        raise DateParseError(f"month out of range in {text!r}")
    if not 1 <= day <= days_in_month(year, month):
        raise DateParseError(f"day out of range in {text!r}")
    return date(year, month, day)
