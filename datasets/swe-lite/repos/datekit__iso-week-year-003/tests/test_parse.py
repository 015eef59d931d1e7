from datetime import date

import pytest

from datekit import DateParseError, parse_date


def test_parse_valid():
    assert parse_date("2024-02-29") == date(2024, 2, 29)


def test_parse_strips_whitespace():
    assert parse_date(" 2023-12-01\n") == date(2023, 12, 1)


@pytest.mark.parametrize("text", ["2023-02-29", "2024-13-01", "2024-04-31", "24-01-01", "2024.01.01"])
def test_parse_invalid(text):
    with pytest.raises(DateParseError):
        parse_date(text)
