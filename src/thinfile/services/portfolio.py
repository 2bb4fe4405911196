"""Read-only views of the loan book for the staff console: the book by status and delinquency
bucket, the list of loans, one loan's journal and bucket history.

``loan_months`` is the book's loan-month table (the input of every portfolio measure, see
:mod:`thinfile.portfolio.loan_months`), read from the month-end rows close of business writes.

Everything here reads; nothing writes. The book is summed in SQL (one grouped query), so it
costs the same for ten loans or a million. Balances are integer fen, as on the loan accounts:
what is still on the books (principal, interest and fees accrued, penalty), zero once a loan
is charged off or written off — its charged-off principal is reported beside.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy.engine import Engine

from thinfile.portfolio import check_loan_months
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
    "loan_months",
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
        uow.loans.get(loan_id)  # no such loan: NotFoundError, not an empty journal
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


def _month_status(status: str, days_past_due: int, closed_day: int | None, last_due: int) -> str:
    """A servicing status as the loan-month table names it (see ``portfolio.buckets``)."""
    if status == LoanStatus.ACTIVE:
        return "late" if days_past_due > 0 else "current"
    if status == LoanStatus.CLOSED:
        return "prepaid" if closed_day is not None and closed_day < last_due else "closed"
    return status.replace("-", "_")  # charged_off, written_off: default statuses


def _months_on_book(disbursed: date, month_end: date) -> int:
    return (month_end.year - disbursed.year) * 12 + month_end.month - disbursed.month + 1


def loan_months(engine: Engine) -> pd.DataFrame:
    """The book's loan-month table: one row per loan per month-end close of business has
    passed since the loan was disbursed, up to the month it ended (``product`` beside).

    A month-end row is written by close of business on the month's last day; a book closed
    before the month-end rows existed has none for those months."""
    with UnitOfWork(engine) as uow:
        rows = uow.portfolio.month_ends()
    records = []
    for r in rows:
        disbursed, month_end = from_day(r.disbursed_day), from_day(r.month_end_day)
        records.append(
            {
                "loan_id": str(r.loan_id),
                "vintage": f"{disbursed.year:04d}-{disbursed.month:02d}",
                "mob": _months_on_book(disbursed, month_end),
                "status": _month_status(
                    r.status, int(r.days_past_due), r.closed_day, int(r.last_due_day)
                ),
                "days_past_due": int(r.days_past_due),
                "balance": int(r.principal_balance),
                "principal": int(r.principal),
                "product": r.product_code,
            }
        )
    columns = [
        "loan_id", "vintage", "mob", "status", "days_past_due", "balance", "principal", "product",
    ]  # fmt: skip
    frame = pd.DataFrame.from_records(records, columns=columns)
    whole = ("mob", "days_past_due", "balance", "principal")
    return check_loan_months(frame.astype({c: "int64" for c in whole}))
