import pytest

from datekit import days_in_month, days_in_year, is_leap


def test_is_leap_common_cases():
    assert is_leap(2024)
    assert not is_leap(2023)


def test_days_in_month():
    assert days_in_month(2023, 1) == 31
    assert days_in_month(2023, 4) == 30
    assert days_in_month(2023, 2) == 28
    assert days_in_month(2024, 2) == 29


def test_days_in_month_rejects_bad_month():
    with pytest.raises(ValueError):
        days_in_month(2024, 13)


def test_days_in_year():
    assert days_in_year(2024) == 366
    assert days_in_year(2023) == 365
