"""Month- and year-based date arithmetic."""

from __future__ import annotations

from datetime import date

from .calendar_utils import days_in_month


def add_months(d: date, months: int) -> date:
    """Return ``d`` shifted by ``months`` calendar months (may be negative).

    When the target month is shorter than ``d.day`` the result is the last day
    of the target month (Jan 31 + 1 month -> Feb 28/29).
    """
    index = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    day = min(d.day, days_in_month(year, month))
    return date(year, month, day)


def add_years(d: date, years: int) -> date:
    """Return ``d`` shifted by ``years`` (Feb 29 -> Feb 28 in non-leap years)."""
    return add_months(d, 12 * years)


def start_of_month(d: date) -> date:
    return d.replace(day=1)


def end_of_month(d: date) -> date:
    return d.replace(day=days_in_month(d.year, d.month))
