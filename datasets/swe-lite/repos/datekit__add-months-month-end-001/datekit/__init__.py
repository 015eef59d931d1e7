"""datekit: calendar arithmetic helpers."""

from .arith import add_months, add_years, end_of_month, start_of_month
from .calendar_utils import days_in_month, days_in_year, is_leap
from .parse import DateParseError, parse_date
from .weeks import iso_week_label, week_start, weeks_between

__all__ = [
    "DateParseError",
    "add_months",
    "add_years",
    "days_in_month",
    "days_in_year",
    "end_of_month",
    "is_leap",
    "iso_week_label",
    "parse_date",
    "start_of_month",
    "week_start",
    "weeks_between",
]
