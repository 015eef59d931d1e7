"""ISO-8601 week helpers."""

from __future__ import annotations

from datetime import date, timedelta


def week_start(d: date) -> date:
    """Monday of the ISO week containing ``d``."""
    return d - timedelta(days=d.weekday())


def iso_week_label(d: date) -> str:
    """ISO week label such as ``'2024-W11'``."""
    iso = d.isocalendar()
    return f"{iso[0]:04d}-W{iso[1]:02d}"


def weeks_between(a: date, b: date) -> int:
    """Number of whole ISO weeks between the weeks containing ``a`` and ``b``."""
    return (week_start(b) - week_start(a)).days // 7
