from decimal import Decimal

import pytest

from ledger import split_by_weights, split_evenly


def test_split_evenly_remainder_goes_first():
    assert split_evenly(Decimal("10.00"), 3) == [Decimal("3.34"), Decimal("3.33"), Decimal("3.33")]


def test_split_sums_to_total():
    parts = split_evenly(Decimal("100.00"), 7)
    assert sum(parts) == Decimal("100.00")


def test_split_by_weights():
    assert split_by_weights(Decimal("100"), [1, 3]) == [Decimal("25.00"), Decimal("75.00")]


def test_split_rejects_zero_parts():
    with pytest.raises(ValueError):
        split_evenly(Decimal("1"), 0)
