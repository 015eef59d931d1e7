"""Percentages."""

from __future__ import annotations

from .money import Number, round_decimal, to_decimal


def format_percent(ratio: Number, places: int = 1) -> str:
    """Format a ratio as a percentage: ``0.125 -> '12.5%'``."""
    value = round_decimal(to_decimal(ratio) * 100, places)
    return f"{value:.{places}f}%"
