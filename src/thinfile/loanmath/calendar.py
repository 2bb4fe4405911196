"""Repayment frequencies and due dates.

Monthly due dates keep the day of the first due date and clamp to the month's end:
a loan first due on 31 January falls due on 28 (or 29) February and again on 31 March.
"""

from __future__ import annotations

import calendar as _calendar
import enum
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from thinfile.errors import InvalidInputError

__all__ = ["Frequency", "add_months", "due_dates", "periods_between", "regular_first_due"]


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


def periods_between(start: date, end: date, frequency: Frequency) -> tuple[int, Decimal]:
    """The time from ``start`` to ``end`` on the calendar, as whole periods and a fraction.

    Whole periods are counted from ``start`` as the due dates are (months keep ``start``'s
    day, clamped to the month's end); the rest is actual days over the actual length of the
    period it falls in. From 2026-01-01, 2026-01-05 is (0, 4/31), 2026-02-01 is (1, 0) and
    2026-02-20 is (1, 19/28).
    """
    if end < start:
        raise InvalidInputError("must not be before the start", field="end", value=end.isoformat())
    step = frequency.days
    if step is not None:
        whole, rest = divmod((end - start).days, step)
        return whole, Decimal(rest) / step
    whole = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, whole) > end:
        whole -= 1
    period_start, period_end = add_months(start, whole), add_months(start, whole + 1)
    return whole, Decimal((end - period_start).days) / (period_end - period_start).days


def due_dates(
    start: date, periods: int, frequency: Frequency, first_due: date | None
) -> list[date]:
    """The ``periods`` due dates of a loan disbursed on ``start``."""
    return list(_due_dates(start, periods, frequency, first_due))


@lru_cache(maxsize=4096)
def _due_dates(
    start: date, periods: int, frequency: Frequency, first_due: date | None
) -> tuple[date, ...]:
    """The calendar is the same for every amount and price tried on one day: a decision's
    price search and a day's decisions build it once."""
    return tuple(_calendar_of(start, periods, frequency, first_due))


def _calendar_of(
    start: date, periods: int, frequency: Frequency, first_due: date | None
) -> list[date]:
    first = first_due or regular_first_due(start, frequency)
    step = frequency.days
    if step is None:
        anchor_day = first_due.day if first_due else start.day
        return [add_months(first, k, day=anchor_day) for k in range(periods)]
    return [first + timedelta(days=step * k) for k in range(periods)]
