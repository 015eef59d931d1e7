from datetime import date

from datekit import add_months, add_years, end_of_month, start_of_month


def test_add_months_simple():
    assert add_months(date(2024, 1, 15), 1) == date(2024, 2, 15)


def test_add_months_across_year():
    assert add_months(date(2023, 11, 10), 3) == date(2024, 2, 10)


def test_subtract_months():
    assert add_months(date(2024, 1, 10), -2) == date(2023, 11, 10)


def test_add_years_simple():
    assert add_years(date(2020, 6, 1), 3) == date(2023, 6, 1)


def test_start_and_end_of_month():
    assert start_of_month(date(2024, 2, 17)) == date(2024, 2, 1)
    assert end_of_month(date(2024, 2, 17)) == date(2024, 2, 29)
