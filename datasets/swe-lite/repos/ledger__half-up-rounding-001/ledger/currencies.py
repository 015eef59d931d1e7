"""Currency metadata."""

from __future__ import annotations

_SYMBOLS = {
    "USD": "$",
    "EUR": "\u20ac",
    "GBP": "\u00a3",
    "JPY": "\u00a5",
    "CHF": "CHF\u00a0",
}

# ISO 4217 minor units (digits after the decimal point); 2 unless listed.
_MINOR_UNITS = {
    "JPY": 0,
}


class UnknownCurrency(KeyError):
    """Raised for currency codes ledger knows nothing about."""


def _check(code: str) -> str:
    code = code.upper()
    if code not in _SYMBOLS:
        raise UnknownCurrency(code)
    return code


def symbol(code: str) -> str:
    """Display symbol for an ISO 4217 currency code."""
    return _SYMBOLS[_check(code)]


def minor_units(code: str) -> int:
    """Number of decimal places used by the currency."""
    return _MINOR_UNITS.get(_check(code), 2)
