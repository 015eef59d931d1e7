"""ledger: money formatting and allocation helpers."""

from .currencies import UnknownCurrency, symbol
from .money import format_money, quantize, round_decimal, smallest_unit, to_decimal
from .percent import format_percent
from .split import split_by_weights, split_evenly

__all__ = [
    "UnknownCurrency",
    "format_money",
    "format_percent",
    "quantize",
    "round_decimal",
    "smallest_unit",
    "split_by_weights",
    "split_evenly",
    "symbol",
    "to_decimal",
]
