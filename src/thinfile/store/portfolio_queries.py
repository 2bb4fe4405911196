"""Read-only queries over the loan book for the staff console, summed in SQL.

Balances are what is still on the books (principal, interest and fees accrued, penalty),
zero once a loan is charged off or written off; its charged-off principal is reported beside.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.servicing import LoanStatus
from thinfile.store.db import StoredRow
from thinfile.store.decisioning_tables import applications
from thinfile.store.servicing_tables import (
    bucket_history,
    installments,
    journal_entries,
    journal_lines,
    loans,
    month_ends,
)

__all__ = ["PortfolioQueries"]

_WRITTEN_DOWN = (LoanStatus.CHARGED_OFF.value, LoanStatus.WRITTEN_OFF.value)


def _per_loan() -> sa.Subquery:
    """Each loan's unpaid principal and everything on the books, from its installments."""
    i = installments.c
    principal = i.principal_due - i.principal_paid
    owed = (
        principal
        + (i.interest_accrued - i.interest_paid)
        + (i.fee_accrued - i.fee_paid)
        + (i.penalty_due - i.penalty_paid)
    )
    return (
        sa.select(
            i.loan_id, sa.func.sum(principal).label("principal"), sa.func.sum(owed).label("owed")
        )
        .group_by(i.loan_id)
        .subquery("owed")
    )


def _on_books(column: sa.ColumnElement[int]) -> sa.ColumnElement[int]:
    return sa.case((loans.c.status.in_(_WRITTEN_DOWN), 0), else_=sa.func.coalesce(column, 0))


class PortfolioQueries:
    """The book's read models on one connection; nothing here writes."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def book(self) -> Sequence[StoredRow]:
        """Per status, bucket and currency: ``n`` loans, ``principal`` and ``owed`` on the
        books, ``co`` (charged-off principal)."""
        owed = _per_loan()
        return self.conn.execute(
            sa.select(
                loans.c.status,
                loans.c.bucket,
                loans.c.currency,
                sa.func.count().label("n"),
                sa.func.sum(_on_books(owed.c.principal)).label("principal"),
                sa.func.sum(_on_books(owed.c.owed)).label("owed"),
                sa.func.sum(loans.c.co_principal).label("co"),
            )
            .select_from(loans.outerjoin(owed, owed.c.loan_id == loans.c.id))
            .group_by(loans.c.status, loans.c.bucket, loans.c.currency)
            .order_by(loans.c.status, loans.c.bucket, loans.c.currency)
        ).all()

    def loans(self, *, status: str | None, limit: int) -> Sequence[StoredRow]:
        """The newest loans first (``id``, ``status``, ``bucket``, ``currency``,
        ``principal``, ``disbursed_day``, ``owed``), optionally of one status."""
        owed = _per_loan()
        query = (
            sa.select(
                loans.c.id,
                loans.c.status,
                loans.c.bucket,
                loans.c.currency,
                loans.c.principal,
                loans.c.disbursed_day,
                _on_books(owed.c.owed).label("owed"),
            )
            .select_from(loans.outerjoin(owed, owed.c.loan_id == loans.c.id))
            .order_by(loans.c.id.desc())
            .limit(limit)
        )
        if status:
            query = query.where(loans.c.status == status)
        return self.conn.execute(query).all()

    def journal_of(self, loan_id: int) -> Sequence[StoredRow]:
        """One row per journal line of the loan's entries, oldest entry first."""
        e, li = journal_entries.c, journal_lines.c
        return self.conn.execute(
            sa.select(
                e.id,
                e.kind,
                e.day,
                e.txn_id,
                e.reverses,
                e.memo,
                li.account,
                li.currency,
                li.amount,
            )
            .select_from(journal_entries.join(journal_lines, li.entry_id == e.id))
            .where(e.loan_id == loan_id)
            .order_by(e.id, li.id)
        ).all()

    def bucket_moves_of(self, loan_id: int) -> Sequence[StoredRow]:
        """The loan's delinquency bucket moves, oldest first."""
        b = bucket_history.c
        return self.conn.execute(
            sa.select(b.day, b.from_bucket, b.to_bucket, b.days_past_due)
            .where(b.loan_id == loan_id)
            .order_by(b.day, b.id)
        ).all()

    def month_ends(self) -> Sequence[StoredRow]:
        """Every loan's month-end rows in loan and month order, beside what the loan-month
        table needs of the loan: ``principal``, ``disbursed_day``, ``product_code``,
        ``closed_day`` and ``last_due_day`` (its schedule's last due date)."""
        m = month_ends.c
        last_due = (
            sa.select(installments.c.loan_id, sa.func.max(installments.c.due_day).label("day"))
            .group_by(installments.c.loan_id)
            .subquery("last_due")
        )
        query = (
            sa.select(
                m.loan_id,
                m.month_end_day,
                m.status,
                m.days_past_due,
                m.principal_balance,
                loans.c.principal,
                loans.c.disbursed_day,
                loans.c.product_code,
                loans.c.closed_day,
                last_due.c.day.label("last_due_day"),
            )
            .join(loans, loans.c.id == m.loan_id)
            .join(last_due, last_due.c.loan_id == m.loan_id)
            .order_by(m.loan_id, m.month_end_day)
        )
        return self.conn.execute(query).all()

    def decisions(self, *, limit: int) -> Sequence[StoredRow]:
        """The newest ``limit`` applications with what monitoring reads of them: ``id``,
        ``decided_on``, ``status``, ``segment``, ``grade``, ``pd``, ``score``, ``loan_id`` and
        ``decision_json`` (inputs masked as stored)."""
        a = applications.c
        query = (
            sa.select(
                a.id,
                a.decided_on,
                a.status,
                a.segment,
                a.grade,
                a.pd,
                a.score,
                a.loan_id,
                a.decision_json,
            )
            .order_by(a.submitted_at.desc(), a.id)
            .limit(limit)
        )
        return self.conn.execute(query).all()
