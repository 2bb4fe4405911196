"""Day-level arithmetic shared by the Python domain and the close-of-business SQL.

Both sides must produce the same fen, so every formula here is integer arithmetic that SQL
can repeat exactly (``a * b / c`` with integer division truncating toward zero).
"""

from __future__ import annotations

from datetime import date

from thinfile.loanmath.defaults import daily_allowance, daily_penalty, days_in_year

__all__ = ["accrued_to", "daily_allowance", "daily_penalty", "days_in_year"]


def accrued_to(amount: int, start: date, due: date, on: date) -> int:
    """How much of a period's ``amount`` has been earned by the end of ``on`` (straight line).

    ``amount × days elapsed ÷ days in period``, truncated; the full amount from the due date.
    """
    period = (due - start).days
    days = (on - start).days
    if period <= 0 or days >= period:
        return amount
    if days <= 0:
        return 0
    return amount * days // period
