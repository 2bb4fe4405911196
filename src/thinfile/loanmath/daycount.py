"""Day-count conventions (计息基数): how many days a period has and what year it is divided by.

Chinese contracts usually say 月利率 = 年利率/12 and 日利率 = 年利率/360; others count actual
days over 365, or split a period by calendar year (actual/actual). The convention is a
contract parameter, never a constant.
"""

from __future__ import annotations

import calendar
import enum
from datetime import date
from decimal import Decimal

__all__ = ["DayCount", "days_between", "year_fraction"]


class DayCount(enum.StrEnum):
    THIRTY_360 = "30/360"
    ACTUAL_360 = "actual/360"
    ACTUAL_364 = "actual/364"
    ACTUAL_365 = "actual/365"
    ACTUAL_ACTUAL = "actual/actual"

    @property
    def basis(self) -> int:
        """Days in the year the rate is divided by (actual/actual: 365, or 366 in leap years)."""
        return _BASIS[self]


_BASIS = {
    DayCount.THIRTY_360: 360,
    DayCount.ACTUAL_360: 360,
    DayCount.ACTUAL_364: 364,
    DayCount.ACTUAL_365: 365,
    DayCount.ACTUAL_ACTUAL: 365,
}


def _days_30_360(start: date, end: date) -> int:
    """US (NASD) 30/360: day 31 counts as 30, and so does the last day of February at start."""
    d1, d2 = start.day, end.day
    start_is_feb_end = start.month == 2 and d1 == calendar.monthrange(start.year, 2)[1]
    if start_is_feb_end or d1 == 31:
        d1 = 30
    if d2 == 31 and d1 == 30:
        d2 = 30
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)


def days_between(start: date, end: date, convention: DayCount) -> int:
    """Days from ``start`` (excluded) to ``end`` (included) under the convention."""
    if convention is DayCount.THIRTY_360:
        return _days_30_360(start, end)
    return (end - start).days


def year_fraction(start: date, end: date, convention: DayCount) -> Decimal:
    """The fraction of a year between two dates, exact, under the convention."""
    if convention is not DayCount.ACTUAL_ACTUAL:
        return Decimal(days_between(start, end, convention)) / convention.basis
    total = Decimal(0)
    cursor = start
    while cursor < end:
        year_end = date(cursor.year + 1, 1, 1)
        stop = min(end, year_end)
        days_in_year = 366 if calendar.isleap(cursor.year) else 365
        total += Decimal((stop - cursor).days) / days_in_year
        cursor = stop
    return total
