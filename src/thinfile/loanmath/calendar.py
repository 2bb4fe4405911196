"""Repayment frequencies and due dates.

Monthly due dates keep the day of the first due date and clamp to the month's end:
a loan first due on 31 January falls due on 28 (or 29) February and again on 31 March.
"""

from __future__ import annotations

import calendar as _calendar
import enum
from datetime import date, timedelta

__all__ = ["Frequency", "add_months", "due_dates", "regular_first_due"]


class Frequency(enum.StrEnum):
    MONTHLY = "monthly"
    BIWEEKLY = "biweekly"
    WEEKLY = "weekly"
    EVERY_15_DAYS = "every-15-days"

    @property
    def periods_per_year(self) -> int:
        return _PER_YEAR[self]

    @property
    def days(self) -> int | None:
        """Length in days for day-based frequencies; None for calendar months."""
        return _DAYS[self]


_PER_YEAR = {
    Frequency.MONTHLY: 12,
    Frequency.BIWEEKLY: 26,
    Frequency.WEEKLY: 52,
    Frequency.EVERY_15_DAYS: 24,
}
_DAYS: dict[Frequency, int | None] = {
    Frequency.MONTHLY: None,
    Frequency.BIWEEKLY: 14,
    Frequency.WEEKLY: 7,
    Frequency.EVERY_15_DAYS: 15,
}


def add_months(anchor: date, months: int, *, day: int | None = None) -> date:
    """``anchor`` moved by whole months, on ``day`` (default: anchor's day), clamped."""
    index = anchor.year * 12 + anchor.month - 1 + months
    year, month0 = divmod(index, 12)
    last = _calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day or anchor.day, last))


def regular_first_due(start: date, frequency: Frequency) -> date:
    """The first due date one full period after ``start``."""
    step = frequency.days
    if step is None:
        return add_months(start, 1)
    return start + timedelta(days=step)


def due_dates(
    start: date, periods: int, frequency: Frequency, first_due: date | None
) -> list[date]:
    """The ``periods`` due dates of a loan disbursed on ``start``."""
    first = first_due or regular_first_due(start, frequency)
    step = frequency.days
    if step is None:
        anchor_day = first_due.day if first_due else start.day
        return [add_months(first, k, day=anchor_day) for k in range(periods)]
    return [first + timedelta(days=step * k) for k in range(periods)]
