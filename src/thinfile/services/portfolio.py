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

from sqlalchemy.engine import Engine

from thinfile.services.uow import UnitOfWork
from thinfile.servicing import LoanStatus
from thinfile.store.servicing_codec import from_day

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


@dataclass(frozen=True, slots=True)
class BookRow:
    """Loans of one status, bucket and currency: how many, and what they owe (fen)."""

    status: LoanStatus
    bucket: str
    currency: str
    loans: int
    principal: int
    outstanding: int
    charged_off_principal: int


@dataclass(frozen=True, slots=True)
class LoanRow:
    loan_id: int
    status: LoanStatus
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


def book_by_status_and_bucket(engine: Engine) -> list[BookRow]:
    """Counts and balances of the whole book, grouped by status, bucket and currency."""
    with UnitOfWork(engine) as uow:
        rows = uow.portfolio.book()
    return [
        BookRow(
            LoanStatus(r.status),
            r.bucket,
            r.currency,
            int(r.n),
            int(r.principal or 0),
            int(r.owed or 0),
            int(r.co or 0),
        )
        for r in rows
    ]


def list_loans(engine: Engine, *, status: str | None = None, limit: int = 200) -> list[LoanRow]:
    """The newest loans first, optionally of one status."""
    with UnitOfWork(engine) as uow:
        rows = uow.portfolio.loans(status=status, limit=limit)
    return [
        LoanRow(
            int(r.id),
            LoanStatus(r.status),
            r.bucket,
            r.currency,
            int(r.principal),
            int(r.owed),
            from_day(int(r.disbursed_day)),
        )
        for r in rows
    ]


def loan_journal(engine: Engine, loan_id: int) -> list[JournalEntryView]:
    """The journal entries posted for one loan, oldest first, with their lines.

    Close of business posts some steps as one aggregated entry for the whole book; those
    carry no loan and are checked by :func:`thinfile.services.ledger.verify_ledger` instead.
    """
    with UnitOfWork(engine) as uow:
        rows = uow.portfolio.journal_of(loan_id)
    entries: dict[int, JournalEntryView] = {}
    for r in rows:
        line = JournalLineView(r.account, r.currency, int(r.amount))
        head = entries.get(r.id)
        if head is None:
            entries[r.id] = JournalEntryView(
                int(r.id), r.kind, from_day(int(r.day)), r.txn_id, r.reverses, r.memo or "", (line,)
            )
        else:
            entries[r.id] = JournalEntryView(
                head.entry_id,
                head.kind,
                head.on,
                head.txn_id,
                head.reverses,
                head.memo,
                (*head.lines, line),
            )
    return list(entries.values())


def bucket_history_of(engine: Engine, loan_id: int) -> list[BucketMoveView]:
    """Every delinquency bucket move of one loan (逾期分档迁移), oldest first."""
    with UnitOfWork(engine) as uow:
        rows = uow.portfolio.bucket_moves_of(loan_id)
    return [
        BucketMoveView(from_day(int(r.day)), r.from_bucket, r.to_bucket, int(r.days_past_due))
        for r in rows
    ]
