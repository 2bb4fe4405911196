"""Servicing transactions and the double-entry journal: append, look up, reverse, reconcile.

The journal is append-only: a correction is a new entry that ``reverses`` another, and a
reversed transaction is only flagged. The reconciliation queries (``LedgerRepository``'s
``unbalanced`` … ``out_of_range``) sum the whole book in SQL for
``thinfile.services.ledger.verify_ledger``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.servicing import JournalEntry
from thinfile.servicing.working_capital import WORKING_CAPITAL_KINDS
from thinfile.store.db import StoredRow
from thinfile.store.servicing_codec import to_day
from thinfile.store.servicing_tables import journal_entries, journal_lines, loans, transactions

__all__ = ["BOOK_ONLY_KINDS", "LedgerRepository", "TransactionRepository", "post_entries"]

BOOK_ONLY_KINDS = ("marketing-expense", *WORKING_CAPITAL_KINDS)
"""Entry kinds the lender books outside any loan (not rebooked from a loan's postings);
working-capital lines' entries are checked against their own sub-ledger instead."""


def post_entries(
    conn: Connection,
    entries: Iterable[JournalEntry],
    *,
    loan_id: int | None,
    txn_id: int | None = None,
    cob_day: int | None = None,
) -> list[int]:
    """Append journal entries and their lines; returns the new entry ids (in order)."""
    ids: list[int] = []
    lines: list[dict[str, Any]] = []
    for entry in entries:
        entry_id = int(
            conn.execute(
                sa.insert(journal_entries)
                .values(
                    kind=entry.kind,
                    day=to_day(entry.on),
                    loan_id=loan_id,
                    txn_id=txn_id,
                    cob_day=cob_day,
                    memo=entry.memo,
                )
                .returning(journal_entries.c.id)
            ).scalar_one()
        )
        ids.append(entry_id)
        lines += [
            {
                "entry_id": entry_id,
                "account": li.account.value,
                "currency": li.currency,
                "amount": li.amount,
            }
            for li in entry.lines
        ]
    if lines:
        conn.execute(sa.insert(journal_lines), lines)
    return ids


class TransactionRepository:
    """A loan's postings (payments, refunds, waivers, reversals …) on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, values: dict[str, Any]) -> int:
        """Record a transaction; returns its id."""
        return int(
            self.conn.execute(
                sa.insert(transactions).values(values).returning(transactions.c.id)
            ).scalar_one()
        )

    def get(self, txn_id: int) -> StoredRow | None:
        return self.conn.execute(sa.select(transactions).where(transactions.c.id == txn_id)).first()

    def by_key(self, idempotency_key: str) -> StoredRow | None:
        """The transaction posted with ``idempotency_key``, if any."""
        return self.conn.execute(
            sa.select(transactions).where(transactions.c.idempotency_key == idempotency_key)
        ).first()

    def of_loan(self, loan_id: int) -> Sequence[StoredRow]:
        """Every transaction of the loan, reversed or not, in posting order: ``id``, ``kind``,
        ``day``, ``amount``, ``mode``, a refund's ``subsidy_unwound`` and ``lender_unwound``,
        ``reversed``, ``reversal_of`` and ``booked_day``."""
        return self.conn.execute(
            sa.select(
                transactions.c.id,
                transactions.c.kind,
                transactions.c.day,
                transactions.c.amount,
                transactions.c.mode,
                transactions.c.subsidy_unwound,
                transactions.c.lender_unwound,
                transactions.c.reversed,
                transactions.c.reversal_of,
                transactions.c.booked_day,
            )
            .where(transactions.c.loan_id == loan_id)
            .order_by(transactions.c.id)
        ).all()

    def in_force(self, loan_id: int, kinds: Iterable[str]) -> Sequence[StoredRow]:
        """The loan's transactions of ``kinds`` not reversed, in the order they apply: by
        date, then in posting order (a posting booked after its value date, a debit the
        gateway completed on a date since closed, takes its place among the others)."""
        return self.conn.execute(
            sa.select(transactions)
            .where(
                transactions.c.loan_id == loan_id,
                transactions.c.kind.in_(list(kinds)),
                transactions.c.reversed.is_(False),
            )
            .order_by(transactions.c.day, transactions.c.id)
        ).all()

    def set_split(self, txn_id: int, paid: tuple[int, int, int, int], overpayment: int) -> None:
        """What a payment paid (principal, interest, fee, penalty) and held as overpayment,
        as a replay allocates it now; written only where it changed."""
        p, i, f, n = paid
        c = transactions.c
        self.conn.execute(
            sa.update(transactions)
            .where(
                c.id == txn_id,
                (c.paid_principal != p)
                | (c.paid_interest != i)
                | (c.paid_fee != f)
                | (c.paid_penalty != n)
                | (c.overpayment != overpayment),
            )
            .values(
                paid_principal=p,
                paid_interest=i,
                paid_fee=f,
                paid_penalty=n,
                overpayment=overpayment,
            )
        )

    def mark_reversed(self, txn_id: int) -> None:
        self.conn.execute(
            sa.update(transactions).where(transactions.c.id == txn_id).values(reversed=True)
        )


_UNBALANCED = """
SELECT entry_id, currency, SUM(amount) AS off FROM servicing_journal_lines
GROUP BY entry_id, currency HAVING SUM(amount) <> 0
"""

_GENERAL_LEDGER = """
SELECT account, currency, SUM(amount) AS balance FROM servicing_journal_lines
GROUP BY account, currency
"""

_OPEN = "l.status IN ('active', 'closed')"
_SUB_LEDGER = f"""
SELECT l.currency,
  SUM(CASE WHEN {_OPEN} THEN i.principal_due - i.principal_paid ELSE 0 END) AS loans,
  SUM(CASE WHEN {_OPEN} THEN i.interest_accrued - i.interest_paid ELSE 0 END) AS interest,
  SUM(CASE WHEN {_OPEN} THEN i.fee_accrued - i.fee_paid ELSE 0 END) AS fee,
  SUM(CASE WHEN {_OPEN} THEN i.penalty_due - i.penalty_paid ELSE 0 END) AS penalty
FROM servicing_installments i JOIN servicing_loans l ON l.id = i.loan_id GROUP BY l.currency
"""

_LIABILITIES = """
SELECT currency, SUM(credit) AS credit, SUM(subsidy - subsidy_recognized) AS deferred
FROM servicing_loans GROUP BY currency
"""

_SUBSIDY_OUT_OF_RANGE = """
SELECT id, status, subsidy, subsidy_recognized FROM servicing_loans
WHERE subsidy_recognized < 0 OR subsidy_recognized > subsidy
   OR (status <> 'active' AND subsidy_recognized <> subsidy)
ORDER BY id
"""


def _dangling(table: str, column: str, target: str) -> str:
    return (
        f"SELECT COUNT(*) FROM {table} t WHERE NOT EXISTS "
        f"(SELECT 1 FROM {target} r WHERE r.id = t.{column})"
    )


_REFERENCES = (
    ("payment_intents.loan_id", _dangling("payment_intents", "loan_id", "servicing_loans")),
    ("payment_intents.user_id", _dangling("payment_intents", "user_id", "users")),
    ("payment_intents.card_id", _dangling("payment_intents", "card_id", "payment_cards")),
    (
        "servicing_month_ends.loan_id",
        _dangling("servicing_month_ends", "loan_id", "servicing_loans"),
    ),
    (
        "notification_deliveries.notification_id",
        _dangling("notification_deliveries", "notification_id", "notifications"),
    ),
)
"""The references written without a foreign-key trigger, each as (name, count of rows whose
target is missing)."""

_OUT_OF_RANGE = """
SELECT COUNT(*) FROM servicing_installments WHERE principal_paid > principal_due
  OR interest_paid > interest_accrued OR interest_accrued > interest_due
  OR fee_paid > fee_accrued OR fee_accrued > fee_due OR penalty_paid > penalty_due
  OR principal_paid < 0 OR interest_paid < 0 OR fee_paid < 0 OR penalty_paid < 0
  OR interest_carried < 0 OR interest_carried > interest_due
  OR fee_carried < 0 OR fee_carried > fee_due
  OR principal_carried < 0 OR principal_carried > principal_due
"""


_LINES = (
    sa.select(
        journal_entries.c.txn_id,
        journal_entries.c.loan_id,
        journal_lines.c.entry_id,
        journal_entries.c.kind,
        journal_entries.c.day,
        journal_lines.c.account,
        journal_lines.c.currency,
        journal_lines.c.amount,
    )
    .join(journal_entries, journal_entries.c.id == journal_lines.c.entry_id)
    .order_by(journal_lines.c.entry_id, journal_lines.c.id)
)


class LedgerRepository:
    """Journal entries and their lines on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def post(
        self,
        entries: Iterable[JournalEntry],
        *,
        loan_id: int | None,
        txn_id: int | None = None,
        cob_day: int | None = None,
    ) -> list[int]:
        """Append entries and their lines; the new entry ids, in order."""
        return post_entries(self.conn, entries, loan_id=loan_id, txn_id=txn_id, cob_day=cob_day)

    def first_entry_of(self, txn_id: int) -> StoredRow | None:
        """The first journal entry a transaction booked."""
        return self.conn.execute(
            sa.select(journal_entries)
            .where(journal_entries.c.txn_id == txn_id)
            .order_by(journal_entries.c.id)
        ).first()

    def lines_of(self, entry_id: int) -> Sequence[StoredRow]:
        return self.conn.execute(
            sa.select(journal_lines).where(journal_lines.c.entry_id == entry_id)
        ).all()

    def mark_reversal(self, entry_id: int, *, reverses: int, memo: str) -> None:
        """Link entry ``entry_id`` to the entry it reverses."""
        self.conn.execute(
            sa.update(journal_entries)
            .where(journal_entries.c.id == entry_id)
            .values(reverses=reverses, memo=memo)
        )

    def loan_ids(self) -> list[int]:
        """Every loan's id, in order."""
        return [
            int(i) for i in self.conn.execute(sa.select(loans.c.id).order_by(loans.c.id)).scalars()
        ]

    def posted_lines_of(self, loan_id: int) -> Sequence[StoredRow]:
        """The lines of the loan's entries booked by a transaction: ``txn_id``, ``entry_id``,
        ``kind``, ``day``, ``account``, ``currency``, ``amount``, in booking order."""
        return self.conn.execute(
            _LINES.where(
                journal_entries.c.loan_id == loan_id, journal_entries.c.txn_id.is_not(None)
            )
        ).all()

    def closing_lines(self) -> Sequence[StoredRow]:
        """The lines of every entry booked without a transaction (close of business, for one
        loan or the whole book): as :meth:`posted_lines_of`, plus ``loan_id``. Entries of
        ``book_only_kinds`` (the lender's own, no loan's, e.g. a checkout's marketing expense)
        are left out: no loan's postings rebook them."""
        return self.conn.execute(
            _LINES.where(
                journal_entries.c.txn_id.is_(None),
                journal_entries.c.kind.not_in(BOOK_ONLY_KINDS),
            )
        ).all()

    def unbalanced(self) -> Sequence[StoredRow]:
        """``entry_id``, ``currency`` and ``off`` of every entry whose lines do not sum to 0."""
        return self.conn.execute(sa.text(_UNBALANCED)).all()

    def general_ledger(self) -> dict[tuple[str, str], int]:
        """The journal's balance per (account, currency)."""
        return {
            (r.account, r.currency): int(r.balance)
            for r in self.conn.execute(sa.text(_GENERAL_LEDGER))
        }

    def sub_ledger(self) -> Sequence[sa.RowMapping]:
        """Per currency, what the open loans' installments owe: ``loans`` (principal),
        ``interest``, ``fee``, ``penalty``."""
        return self.conn.execute(sa.text(_SUB_LEDGER)).mappings().all()

    def liabilities(self) -> Sequence[sa.RowMapping]:
        """Per currency, overpayment held (``credit``) and subsidy not yet recognized
        (``deferred``)."""
        return self.conn.execute(sa.text(_LIABILITIES)).mappings().all()

    def subsidy_out_of_range(self) -> Sequence[StoredRow]:
        """Loans (``id``, ``status``, ``subsidy``, ``subsidy_recognized``) that recognised
        less than nothing or more than their subsidy, or keep some deferred once finished."""
        return self.conn.execute(sa.text(_SUBSIDY_OUT_OF_RANGE)).all()

    def unresolved_references(self) -> dict[str, int]:
        """Per reference kept without a foreign-key trigger (migrations servicing_0014 and
        comms_0002), how many rows name a row that does not exist; only those above zero."""
        found = {name: self.conn.execute(sa.text(sql)).scalar_one() for name, sql in _REFERENCES}
        return {name: int(n) for name, n in found.items() if n}

    def out_of_range(self) -> int:
        """How many installments record more paid than owed, or a negative amount."""
        return int(self.conn.execute(sa.text(_OUT_OF_RANGE)).scalar_one())
