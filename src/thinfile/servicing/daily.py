"""Day-level arithmetic shared by the Python domain and the close-of-business SQL.

Both sides must produce the same fen, so every formula here is integer arithmetic that SQL
can repeat exactly (``a * b / c`` with integer division truncating toward zero).
"""

from __future__ import annotations

from datetime import date

from thinfile.servicing.product import RATE_SCALE

__all__ = ["accrued_to", "daily_penalty"]


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


def daily_penalty(overdue_principal: int, rate_units: int, day_basis: int) -> int:
    """One day of penalty interest (罚息) on overdue principal, rounded half up to the fen.

    ``rate_units`` is the annual penalty rate in 1e-8 (see ``ServicingProduct``).
    """
    denominator = day_basis * RATE_SCALE
    return (2 * overdue_principal * rate_units + denominator) // (2 * denominator)
