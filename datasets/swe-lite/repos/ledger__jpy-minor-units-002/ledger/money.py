"""Decimal conversion, rounding and formatting of money amounts."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Union

from .currencies import symbol

Number = Union[int, float, str, Decimal]

# Invoices round half away from zero: 0.125 -> 0.13, -0.125 -> -0.13.
ROUNDING = ROUND_HALF_UP


def to_decimal(value: Number) -> Decimal:
    """Convert ``value`` to Decimal; floats go through ``repr`` (2.675 -> Decimal('2.675'))."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def round_decimal(value: Number, places: int) -> Decimal:
    """Round ``value`` to ``places`` decimal places using the ledger rounding rule."""
    return to_decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUNDING)


def smallest_unit(currency: str = "USD") -> Decimal:
    """Smallest amount representable in ``currency`` (one cent)."""
    return Decimal("0.01")


def quantize(amount: Number, currency: str = "USD") -> Decimal:
    """Round ``amount`` to the smallest unit of ``currency``."""
    return round_decimal(amount, -smallest_unit(currency).as_tuple().exponent)


def format_money(amount: Number, currency: str = "USD") -> str:
    """Format ``amount`` with currency symbol and thousands separators: ``'-$1,234.50'``."""
    places = -smallest_unit(currency).as_tuple().exponent
    value = quantize(amount, currency)
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol(currency)}{abs(value):,.{places}f}"
