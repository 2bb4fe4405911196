"""A loan's delinquency record rewritten from a date: its bucket moves and month-end rows.

Close of business writes a loan's bucket moves (``servicing_bucket_history``) and its
month-end snapshot (``servicing_month_ends``) as the loan stands each night. A payment booked
at its value date (``services.value_dated``) changes how the loan stood on the nights since:
its record from that date is rewritten as the replay finds it, so reports and limit reviews
read no delinquency the borrower never had.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.servicing import BucketMove
from thinfile.store.servicing_codec import from_day, to_day
from thinfile.store.servicing_repo import record_moves
from thinfile.store.servicing_tables import bucket_history, month_ends

__all__ = ["DelinquencyHistoryRepository", "MonthEnd"]


@dataclass(frozen=True, slots=True)
class MonthEnd:
    """A loan at a month-end's close: its status, days past due and principal owed."""

    day: date
    status: str
    days_past_due: int
    principal_balance: int


class DelinquencyHistoryRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def replace_moves_since(self, loan_id: int, since: date, moves: Iterable[BucketMove]) -> None:
        """The loan's bucket moves dated ``since`` or later become ``moves``."""
        b = bucket_history.c
        self.conn.execute(
            sa.delete(bucket_history).where(b.loan_id == loan_id, b.day >= to_day(since))
        )
        record_moves(self.conn, moves)

    def month_ends_since(self, loan_id: int, since: date) -> list[date]:
        """The month-ends from ``since`` on that the loan has a snapshot of."""
        m = month_ends.c
        days = self.conn.execute(
            sa.select(m.month_end_day)
            .where(m.loan_id == loan_id, m.month_end_day >= to_day(since))
            .order_by(m.month_end_day)
        ).scalars()
        return [from_day(int(d)) for d in days]

    def add_month_end(self, loan_id: int, row: MonthEnd) -> None:
        """The loan's snapshot of month-end ``row.day``, written when a posting closes the
        loan's days past it before close of business reaches it."""
        self.conn.execute(
            sa.insert(month_ends).values(
                loan_id=loan_id,
                month_end_day=to_day(row.day),
                status=row.status,
                days_past_due=row.days_past_due,
                principal_balance=row.principal_balance,
            )
        )

    def rewrite_month_end(self, loan_id: int, row: MonthEnd | None, day: date) -> None:
        """The loan's snapshot of month-end ``day`` becomes ``row`` (None: the loan had
        ended before that month, so it has none)."""
        m = month_ends.c
        where = (m.loan_id == loan_id, m.month_end_day == to_day(day))
        if row is None:
            self.conn.execute(sa.delete(month_ends).where(*where))
            return
        self.conn.execute(
            sa.update(month_ends)
            .where(*where)
            .values(
                status=row.status,
                days_past_due=row.days_past_due,
                principal_balance=row.principal_balance,
            )
        )
