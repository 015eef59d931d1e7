from decimal import Decimal

import pytest

from ledger import UnknownCurrency, format_money, quantize, to_decimal


def test_to_decimal_float_uses_repr():
    assert to_decimal(0.1) == Decimal("0.1")


def test_format_thousands():
    assert format_money(Decimal("1234567.891")) == "$1,234,567.89"


def test_format_pads_cents():
    assert format_money(5) == "$5.00"


def test_format_negative():
    assert format_money(Decimal("-5.5"), "EUR") == "-\u20ac5.50"


def test_quantize_plain():
    assert quantize(Decimal("19.991")) == Decimal("19.99")


def test_unknown_currency():
    with pytest.raises(UnknownCurrency):
        format_money(1, "XYZ")
