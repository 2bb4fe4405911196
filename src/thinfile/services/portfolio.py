"""Read-only views of the loan book for the staff console: the book by status and delinquency
bucket, the list of loans, one loan's journal and bucket history.

Everything here reads; nothing writes. The book is summed in SQL (one grouped query), so it
costs the same for ten loans or a million. Balances are integer fen, as on the loan accounts:
what is still on the books (principal, interest and fees accrued, penalty), zero once a loan
is charged off or written off — its charged-off principal is reported beside.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from thinfile.store.servicing_codec import from_day
from thinfile.store.servicing_tables import (
    bucket_history,
    installments,
    journal_entries,
    journal_lines,
    loans,
)

__all__ = [
    "BookRow",
    "BucketMoveView",
    "JournalEntryView",
    "JournalLineView",
    "LoanRow",
    "book_by_status_and_bucket",
    "bucket_history_of",
    "list_loans",
    "loan_journal",
]

_WRITTEN_DOWN = ("charged-off", "written-off")


@dataclass(frozen=True, slots=True)
class BookRow:
    """Loans of one status, bucket and currency: how many, and what they owe (fen)."""

    status: str
    bucket: str
    currency: str
    loans: int
    principal: int
    outstanding: int
    charged_off_principal: int


@dataclass(frozen=True, slots=True)
class LoanRow:
    loan_id: int
    status: str
    bucket: str
    currency: str
    principal: int
    outstanding: int
    disbursed_on: date


@dataclass(frozen=True, slots=True)
class JournalLineView:
    account: str
    currency: str
    amount: int
    """Debit positive, credit negative, in fen."""


@dataclass(frozen=True, slots=True)
class JournalEntryView:
    entry_id: int
    kind: str
    on: date
    txn_id: int | None
    reverses: int | None
    memo: str
    lines: tuple[JournalLineView, ...]

    @property
    def is_balanced(self) -> bool:
        """Every currency's lines sum to exactly zero (the ``entries_balance`` invariant)."""
        totals: dict[str, int] = {}
        for line in self.lines:
            totals[line.currency] = totals.get(line.currency, 0) + line.amount
        return bool(self.lines) and not any(totals.values())


@dataclass(frozen=True, slots=True)
class BucketMoveView:
    on: date
    from_bucket: str
    to_bucket: str
    days_past_due: int


def _per_loan() -> sa.Subquery:
    """Each loan's unpaid principal and everything on the books, from its installments."""
    i = installments.c
    principal = i.principal_due - i.principal_paid
    owed = principal + (i.interest_accrued - i.interest_paid) + (i.fee_accrued - i.fee_paid) \
        + (i.penalty_due - i.penalty_paid)
    return sa.select(i.loan_id, sa.func.sum(principal).label("principal"),
                     sa.func.sum(owed).label("owed")).group_by(i.loan_id).subquery("owed")


def _on_books(column: sa.ColumnElement[int]) -> sa.ColumnElement[int]:
    return sa.case((loans.c.status.in_(_WRITTEN_DOWN), 0), else_=sa.func.coalesce(column, 0))


def book_by_status_and_bucket(engine: Engine) -> list[BookRow]:
    """Counts and balances of the whole book, grouped by status, bucket and currency."""
    owed = _per_loan()
    query = (sa.select(loans.c.status, loans.c.bucket, loans.c.currency,
                       sa.func.count().label("n"),
                       sa.func.sum(_on_books(owed.c.principal)).label("principal"),
                       sa.func.sum(_on_books(owed.c.owed)).label("owed"),
                       sa.func.sum(loans.c.co_principal).label("co"))
             .select_from(loans.outerjoin(owed, owed.c.loan_id == loans.c.id))
             .group_by(loans.c.status, loans.c.bucket, loans.c.currency)
             .order_by(loans.c.status, loans.c.bucket, loans.c.currency))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [BookRow(r.status, r.bucket, r.currency, int(r.n), int(r.principal or 0),
                    int(r.owed or 0), int(r.co or 0)) for r in rows]


def list_loans(engine: Engine, *, status: str | None = None, limit: int = 200) -> list[LoanRow]:
    """The newest loans first, optionally of one status."""
    owed = _per_loan()
    query = (sa.select(loans.c.id, loans.c.status, loans.c.bucket, loans.c.currency,
                       loans.c.principal, loans.c.disbursed_day,
                       _on_books(owed.c.owed).label("owed"))
             .select_from(loans.outerjoin(owed, owed.c.loan_id == loans.c.id))
             .order_by(loans.c.id.desc()).limit(limit))
    if status:
        query = query.where(loans.c.status == status)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [LoanRow(int(r.id), r.status, r.bucket, r.currency, int(r.principal), int(r.owed),
                    from_day(int(r.disbursed_day))) for r in rows]


def loan_journal(engine: Engine, loan_id: int) -> list[JournalEntryView]:
    """The journal entries posted for one loan, oldest first, with their lines.

    Close of business posts some steps as one aggregated entry for the whole book; those
    carry no loan and are checked by :func:`thinfile.services.ledger.verify_ledger` instead.
    """
    e, li = journal_entries.c, journal_lines.c
    query = (sa.select(e.id, e.kind, e.day, e.txn_id, e.reverses, e.memo, li.account,
                       li.currency, li.amount)
             .select_from(journal_entries.join(journal_lines, li.entry_id == e.id))
             .where(e.loan_id == loan_id).order_by(e.id, li.id))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    entries: dict[int, JournalEntryView] = {}
    for r in rows:
        line = JournalLineView(r.account, r.currency, int(r.amount))
        head = entries.get(r.id)
        if head is None:
            entries[r.id] = JournalEntryView(
                int(r.id), r.kind, from_day(int(r.day)), r.txn_id, r.reverses, r.memo or "",
                (line,))
        else:
            entries[r.id] = JournalEntryView(head.entry_id, head.kind, head.on, head.txn_id,
                                             head.reverses, head.memo, (*head.lines, line))
    return list(entries.values())


def bucket_history_of(engine: Engine, loan_id: int) -> list[BucketMoveView]:
    """Every delinquency bucket move of one loan (逾期分档迁移), oldest first."""
    b = bucket_history.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(b.day, b.from_bucket, b.to_bucket, b.days_past_due)
                            .where(b.loan_id == loan_id).order_by(b.day, b.id)).all()
    return [BucketMoveView(from_day(int(r.day)), r.from_bucket, r.to_bucket,
                           int(r.days_past_due)) for r in rows]
