"""Allocate an amount into parts that add up exactly."""

from __future__ import annotations

from decimal import Decimal
from typing import Sequence

from .money import Number, quantize, smallest_unit


def split_by_weights(amount: Number, weights: Sequence[int], currency: str = "USD") -> list[Decimal]:
    """Split ``amount`` proportionally to ``weights``; leftover units go to the first parts."""
    if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
        raise ValueError("weights must be non-negative and not all zero")
    unit = smallest_unit(currency)
    total_units = int(quantize(amount, currency) / unit)
    total_weight = sum(weights)
    shares = [total_units * w // total_weight for w in weights]
    leftover = total_units - sum(shares)
    for i in range(leftover):
        shares[i % len(shares)] += 1
    return [(Decimal(s) * unit).quantize(unit) for s in shares]


def split_evenly(amount: Number, parts: int, currency: str = "USD") -> list[Decimal]:
    """Split ``amount`` into ``parts`` near-equal shares that sum to the rounded amount."""
    if parts <= 0:
        raise ValueError("parts must be positive")
    return split_by_weights(amount, [1] * parts, currency)
