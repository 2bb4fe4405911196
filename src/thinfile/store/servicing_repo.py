"""Repositories for servicing: load and save loans, post journal entries, record events.

Repositories run statements on the unit of work's connection and never commit.
``LoanRepository.get(…, lock=True)`` takes the row lock (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite already serialises writers with ``BEGIN IMMEDIATE``) and ``save`` checks the
version column, so two writers can never both apply to the same state.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.errors import ConflictError, NotFoundError
from thinfile.loanmath import build_schedule
from thinfile.servicing import (
    BucketMove,
    Components,
    InstallmentState,
    JournalEntry,
    LoanAccount,
    LoanStatus,
)
from thinfile.store.servicing_codec import (
    from_day,
    product_from_json,
    product_to_json,
    terms_from_json,
    terms_to_json,
    to_day,
)
from thinfile.store.servicing_tables import (
    bucket_history,
    bucket_ranges,
    installments,
    journal_entries,
    journal_lines,
    loans,
)

__all__ = ["LoanRepository", "StoredLoan", "post_entries"]

_AMOUNTS = [f.name for f in fields(InstallmentState) if f.name not in ("n", "start", "due")]


@dataclass(frozen=True, slots=True)
class StoredLoan:
    """A loan as loaded: the domain account, its version and the down payment it opened with."""

    account: LoanAccount
    version: int
    down_payment: int


def _row_of(i: InstallmentState, loan_id: int) -> dict[str, Any]:
    row = {name: getattr(i, name) for name in _AMOUNTS}
    row.update(loan_id=loan_id, n=i.n, start_day=to_day(i.start), due_day=to_day(i.due))
    return row


def _installment(row: Any) -> InstallmentState:
    return InstallmentState(row.n, from_day(row.start_day), from_day(row.due_day),
                            *(getattr(row, name) for name in _AMOUNTS))


def _loan_values(loan: LoanAccount) -> dict[str, Any]:
    co = loan.charged_off
    return {
        "status": loan.status.value, "cob_day": to_day(loan.cob_date),
        "overdue_since_day": to_day(loan.overdue_since) if loan.overdue_since else None,
        "bucket": loan.bucket, "late_fees_charged": loan.late_fees_charged,
        "credit": loan.credit, "subsidy_recognized": loan.subsidy_recognized,
        "co_principal": co.principal, "co_interest": co.interest, "co_fee": co.fee,
        "co_penalty": co.penalty, "recovered": loan.recovered,
        "closed_day": to_day(loan.closed_on) if loan.closed_on else None,
    }


class LoanRepository:
    """Loans and their installments on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, loan: LoanAccount, *, down_payment: int = 0) -> int:
        """Insert a new loan (its ``loan_id`` is ignored); returns the new id."""
        terms, product = loan.schedule.terms, loan.product
        values = _loan_values(loan) | {
            "product_code": product.code, "currency": loan.currency,
            "principal": loan.principal, "down_payment": down_payment,
            "disbursed_day": to_day(loan.disbursed_on), "subsidy": loan.subsidy,
            "subsidy_end_day": to_day(loan.schedule.installments[-1].due_date),
            "merchant": loan.merchant, "credit_line_id": loan.credit_line_id,
            "grace_days": product.grace_days, "penalty_rate_units": loan.penalty_rate_units,
            "day_basis": loan.day_basis, "late_fee": product.late_fee,
            "late_fee_cap": product.late_fee_cap, "charge_off_days": product.charge_off_days,
            "terms_json": terms_to_json(terms), "product_json": product_to_json(product),
            "rates_json": json.dumps([str(r) for r in loan.rates]), "version": 1,
        }
        loan_id = int(self.conn.execute(
            sa.insert(loans).values(values).returning(loans.c.id)).scalar_one())
        self.conn.execute(sa.insert(installments),
                          [_row_of(i, loan_id) for i in loan.installments])
        self._ensure_buckets(product.code, loan)
        return loan_id

    def _ensure_buckets(self, code: str, loan: LoanAccount) -> None:
        known = self.conn.execute(sa.select(sa.func.count()).select_from(bucket_ranges).where(
            bucket_ranges.c.product_code == code)).scalar_one()
        if not known:
            self.conn.execute(sa.insert(bucket_ranges), [
                {"product_code": code, "label": b.label, "min_days": b.min_days,
                 "max_days": b.max_days} for b in loan.product.buckets])

    def get(self, loan_id: int, *, lock: bool = False) -> StoredLoan:
        query = sa.select(loans).where(loans.c.id == loan_id)
        row = self.conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            raise NotFoundError(f"no loan {loan_id}", field="loan_id", value=loan_id)
        rows = self.conn.execute(sa.select(installments).where(
            installments.c.loan_id == loan_id).order_by(installments.c.n)).all()
        return StoredLoan(_account(row, rows), row.version, row.down_payment)

    def save(self, before: StoredLoan, after: LoanAccount) -> None:
        """Write ``after`` over ``before``: changed installments only, version checked."""
        loan_id = after.loan_id
        done = self.conn.execute(
            sa.update(loans).where(loans.c.id == loan_id, loans.c.version == before.version)
            .values(_loan_values(after) | {"version": before.version + 1}))
        if done.rowcount != 1:
            raise ConflictError(f"loan {loan_id} was changed by someone else",
                                field="loan_id", value=loan_id, remedy="retry")
        old = {i.n: i for i in before.account.installments}
        new = {i.n: i for i in after.installments}
        if gone := [n for n in old if n not in new]:
            self.conn.execute(sa.delete(installments).where(
                installments.c.loan_id == loan_id, installments.c.n.in_(gone)))
        if added := [_row_of(i, loan_id) for n, i in new.items() if n not in old]:
            self.conn.execute(sa.insert(installments), added)
        for n, i in new.items():
            if n in old and old[n] != i:
                self.conn.execute(sa.update(installments).where(
                    installments.c.loan_id == loan_id, installments.c.n == n).values(
                    {k: v for k, v in _row_of(i, loan_id).items() if k not in ("loan_id",
                                                                               "n")}))

    def record_moves(self, moves: Iterable[BucketMove]) -> None:
        rows = [{"loan_id": m.loan_id, "day": to_day(m.on), "from_bucket": m.from_bucket,
                 "to_bucket": m.to_bucket, "days_past_due": m.days_past_due} for m in moves]
        if rows:
            self.conn.execute(sa.insert(bucket_history), rows)


def _account(row: Any, rows: Sequence[Any]) -> LoanAccount:
    terms = terms_from_json(row.terms_json)
    return LoanAccount(
        loan_id=row.id, product=product_from_json(row.product_json),
        schedule=build_schedule(terms), status=LoanStatus(row.status),
        principal=row.principal, disbursed_on=from_day(row.disbursed_day),
        installments=tuple(_installment(r) for r in rows),
        rates=tuple(Decimal(r) for r in json.loads(row.rates_json)),
        cob_date=from_day(row.cob_day),
        overdue_since=from_day(row.overdue_since_day) if row.overdue_since_day is not None
        else None,
        bucket=row.bucket, late_fees_charged=row.late_fees_charged, credit=row.credit,
        subsidy=row.subsidy, subsidy_recognized=row.subsidy_recognized,
        charged_off=Components(row.co_principal, row.co_interest, row.co_fee, row.co_penalty),
        recovered=row.recovered,
        closed_on=from_day(row.closed_day) if row.closed_day is not None else None,
        merchant=row.merchant, credit_line_id=row.credit_line_id,
    )


def post_entries(conn: Connection, entries: Iterable[JournalEntry], *, loan_id: int | None,
                 txn_id: int | None = None, cob_day: int | None = None) -> list[int]:
    """Append journal entries and their lines; returns the new entry ids (in order)."""
    ids: list[int] = []
    lines: list[dict[str, Any]] = []
    for entry in entries:
        entry_id = int(conn.execute(sa.insert(journal_entries).values(
            kind=entry.kind, day=to_day(entry.on), loan_id=loan_id, txn_id=txn_id,
            cob_day=cob_day, memo=entry.memo).returning(journal_entries.c.id)).scalar_one())
        ids.append(entry_id)
        lines += [{"entry_id": entry_id, "account": li.account.value,
                   "currency": li.currency, "amount": li.amount} for li in entry.lines]
    if lines:
        conn.execute(sa.insert(journal_lines), lines)
    return ids
