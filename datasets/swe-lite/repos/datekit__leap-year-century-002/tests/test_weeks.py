from datetime import date

from datekit import iso_week_label, week_start, weeks_between


def test_label_mid_year():
    assert iso_week_label(date(2024, 3, 15)) == "2024-W11"


def test_label_pads_week_number():
    assert iso_week_label(date(2024, 1, 3)) == "2024-W01"


def test_week_start_is_monday():
    assert week_start(date(2024, 3, 15)) == date(2024, 3, 11)
    assert week_start(date(2024, 3, 11)) == date(2024, 3, 11)


def test_weeks_between():
    assert weeks_between(date(2024, 3, 1), date(2024, 3, 29)) == 4
