"""The loan repository: load and save loans with their installments, record bucket moves.

Repositories run statements on the unit of work's connection and never commit.
``LoanRepository.get(…, lock=True)`` and ``lock_for_posting`` take the row lock (``SELECT …
FOR UPDATE`` on PostgreSQL; SQLite already serialises writers with ``BEGIN IMMEDIATE``) and
``write`` / ``save`` check the version column, so two writers can never both apply to the same
state. A loan is read with its terms (``servicing_loan_terms``) and the book's last finished
business date, which stands in for the closed-to date of active loans that are behind it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.errors import ConflictError, NotFoundError
from thinfile.loanmath import Schedule, build_schedule, leap_year_basis
from thinfile.servicing import (
    BucketMove,
    Components,
    InstallmentState,
    LoanAccount,
    LoanStatus,
    Outcome,
    ServicingProduct,
    SubsidyPeriod,
    recognition_end,
)
from thinfile.store.hot import Hot
from thinfile.store.journal_repo import post_entries
from thinfile.store.servicing_batch import write_outcome_pg
from thinfile.store.servicing_codec import (
    AMOUNTS,
    from_day,
    installment_values,
    loan_values,
    product_from_json,
    product_to_json,
    terms_from_json,
    terms_to_json,
    to_day,
)
from thinfile.store.servicing_tables import (
    bucket_history,
    bucket_ranges,
    cob_runs,
    installments,
    loan_terms,
    loans,
    subsidy_periods,
    transactions,
)

__all__ = ["Gate", "LoanRepository", "StoredLoan", "record_moves"]


@dataclass(frozen=True, slots=True)
class StoredLoan:
    """A loan as loaded: the domain account, its version and the down payment it opened with."""

    account: LoanAccount
    version: int
    down_payment: int


@dataclass(frozen=True, slots=True)
class Gate:
    """What a posting must check once it holds the loan's lock."""

    blocked_day: int | None
    """The newest business day that refuses a posting on the requested day: a run not yet
    finished, or a finished run on or after that day. None when postings are open."""
    key_txn: int | None
    """The transaction that already used the idempotency key, if any."""
    book_day: int | None = None
    """The last business day close of business finished (None before the first close)."""


_BOOK_DAY = (
    sa.select(sa.func.max(cob_runs.c.business_day))
    .where(cob_runs.c.status == "done")
    .scalar_subquery()
)
"""The book's last finished business date: every active loan is closed at least to it."""

_LOAD = (
    sa.select(
        loans,
        loan_terms.c.terms_json,
        loan_terms.c.product_json,
        loan_terms.c.rates_json,
        _BOOK_DAY.label("book_day"),
    )
    .select_from(loans.join(loan_terms, loan_terms.c.loan_id == loans.c.id))
    .where(loans.c.id == sa.bindparam("loan_id"))
)
_LOAD_LOCKED = _LOAD.with_for_update(of=loans)
_POSTING = _LOAD_LOCKED.add_columns(
    sa.select(sa.func.max(cob_runs.c.business_day))
    .where((cob_runs.c.status != "done") | (cob_runs.c.business_day >= sa.bindparam("day")))
    .scalar_subquery()
    .label("blocked_day"),
    sa.select(transactions.c.id)
    .where(transactions.c.idempotency_key == sa.bindparam("key"))
    .scalar_subquery()
    .label("key_txn"),
)
_INSTALLMENTS = Hot(
    sa.select(installments)
    .where(installments.c.loan_id == sa.bindparam("loan_id"))
    .order_by(installments.c.n)
)
_PLAN = Hot(
    sa.select(subsidy_periods)
    .where(subsidy_periods.c.loan_id == sa.bindparam("loan_id"))
    .order_by(subsidy_periods.c.n)
)
_HOT_LOADS = {False: Hot(_LOAD), True: Hot(_LOAD_LOCKED)}
_HOT_POSTING = Hot(_POSTING)


def _row_of(i: InstallmentState, loan_id: int) -> dict[str, Any]:
    return installment_values(i) | {"loan_id": loan_id}


def _installment(row: Any) -> InstallmentState:
    return InstallmentState(
        row.n,
        from_day(row.start_day),
        from_day(row.due_day),
        *(getattr(row, name) for name in AMOUNTS),
    )


class LoanRepository:
    """Loans and their installments on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, loan: LoanAccount, *, down_payment: int = 0) -> int:
        """Insert a new loan (its ``loan_id`` is ignored); returns the new id."""
        terms, product = loan.schedule.terms, loan.product
        values = loan_values(loan) | {
            "product_code": product.code,
            "currency": loan.currency,
            "principal": loan.principal,
            "down_payment": down_payment,
            "disbursed_day": to_day(loan.disbursed_on),
            "subsidy": loan.subsidy,
            "lender_subsidy": loan.lender_subsidy,
            "subsidy_end_day": to_day(recognition_end(loan)),
            "merchant": loan.merchant,
            "credit_line_id": loan.credit_line_id,
            "grace_days": product.defaults.grace_days,
            "penalty_rate_units": loan.penalty_rate_units,
            "day_basis": terms.day_count.basis,
            "leap_basis": leap_year_basis(terms.day_count),
            "all_in_cap_units": product.defaults.all_in_cap_units,
            "late_fee": product.defaults.late_fee,
            "late_fee_cap": product.defaults.late_fee_cap,
            "charge_off_days": product.charge_off_days,
            "version": 1,
        }
        loan_id = int(
            self.conn.execute(sa.insert(loans).values(values).returning(loans.c.id)).scalar_one()
        )
        self.conn.execute(
            sa.insert(loan_terms).values(
                loan_id=loan_id,
                terms_json=terms_to_json(terms),
                product_json=product_to_json(product),
                rates_json=json.dumps([str(r) for r in loan.rates]),
            )
        )
        self.conn.execute(sa.insert(installments), [_row_of(i, loan_id) for i in loan.installments])
        self._insert_plan(loan_id, loan.subsidy_plan)
        self._ensure_buckets(product.code, loan)
        return loan_id

    def _insert_plan(self, loan_id: int, plan: Sequence[SubsidyPeriod]) -> None:
        if plan:
            self.conn.execute(
                sa.insert(subsidy_periods),
                [
                    {
                        "loan_id": loan_id,
                        "n": p.n,
                        "start_day": to_day(p.start),
                        "due_day": to_day(p.due),
                        "amount": p.amount,
                        "recognized_before": p.before,
                    }
                    for p in plan
                ],
            )

    def _replace_plan(self, loan: LoanAccount) -> None:
        """A re-planned subsidy: the new periods, and the day recognition ends."""
        self.conn.execute(
            sa.delete(subsidy_periods).where(subsidy_periods.c.loan_id == loan.loan_id)
        )
        self._insert_plan(loan.loan_id, loan.subsidy_plan)
        self.conn.execute(
            sa.update(loans)
            .where(loans.c.id == loan.loan_id)
            .values(subsidy_end_day=to_day(recognition_end(loan)))
        )

    def _plan_of(self, loan_id: int) -> tuple[SubsidyPeriod, ...]:
        rows = _PLAN.all(self.conn, {"loan_id": loan_id})
        return tuple(
            SubsidyPeriod(
                r.n, from_day(r.start_day), from_day(r.due_day), r.amount, r.recognized_before
            )
            for r in rows
        )

    def _ensure_buckets(self, code: str, loan: LoanAccount) -> None:
        known = self.conn.execute(
            sa.select(sa.func.count())
            .select_from(bucket_ranges)
            .where(bucket_ranges.c.product_code == code)
        ).scalar_one()
        if not known:
            self.conn.execute(
                sa.insert(bucket_ranges),
                [
                    {
                        "product_code": code,
                        "label": b.label,
                        "min_days": b.min_days,
                        "max_days": b.max_days,
                    }
                    for b in loan.product.buckets
                ],
            )

    def get(self, loan_id: int, *, lock: bool = False) -> StoredLoan:
        return self._load(_HOT_LOADS[lock], {"loan_id": loan_id})[0]

    def lock_for_posting(self, loan_id: int, day: int, key: str | None) -> tuple[StoredLoan, Gate]:
        """Lock and load the loan, and in the same statement read what a posting checks.

        On PostgreSQL the table lock is taken while the statement is planned, before its
        snapshot: a posting that waited for close of business to start sees the run. A key
        committed by a posting that held the row lock may be missed; the unique key then
        refuses the second insert and the caller returns the first receipt.
        """
        stored, row = self._load(_HOT_POSTING, {"loan_id": loan_id, "day": day, "key": key})
        return stored, Gate(row.blocked_day, row.key_txn, row.book_day)

    def _load(self, query: Hot, params: dict[str, Any]) -> tuple[StoredLoan, Any]:
        row = query.first(self.conn, params)
        if row is None:
            loan_id = params["loan_id"]
            raise NotFoundError(f"no loan {loan_id}", field="loan_id", value=loan_id)
        rows = _INSTALLMENTS.all(self.conn, {"loan_id": params["loan_id"]})
        account = _account(row, rows)
        if row.subsidy:  # only subsidised loans have a plan to read
            account = replace(account, subsidy_plan=self._plan_of(account.loan_id))
        return StoredLoan(account, row.version, row.down_payment), row

    def write(
        self, before: StoredLoan, done: Outcome, txn: dict[str, Any] | None = None
    ) -> int | None:
        """Store an outcome: loan, installments, bucket moves, transaction and entries.

        PostgreSQL writes it all with one statement when no installment was added or removed
        and no period rate changed; otherwise (and on SQLite, where statements cost no round
        trip) one statement each.
        Returns the new transaction id, if ``txn`` was given.
        """
        rows_kept = [i.n for i in before.account.installments] == [
            i.n for i in done.loan.installments
        ] and done.loan.rates == before.account.rates  # a holiday restates a period's rate
        if self.conn.dialect.name == "postgresql" and rows_kept:
            if done.loan.subsidy_plan != before.account.subsidy_plan:
                self._replace_plan(done.loan)
            return write_outcome_pg(self.conn, before.account, before.version, done, txn)
        self.save(before, done.loan)
        self.record_moves(done.moves)
        txn_id = None
        if txn is not None:
            txn_id = int(
                self.conn.execute(
                    sa.insert(transactions)
                    .values(loan_id=done.loan.loan_id, **txn)
                    .returning(transactions.c.id)
                ).scalar_one()
            )
        post_entries(self.conn, done.entries, loan_id=done.loan.loan_id, txn_id=txn_id)
        return txn_id

    def save(self, before: StoredLoan, after: LoanAccount) -> None:
        """Write ``after`` over ``before``: changed installments only (and a re-planned
        subsidy), version checked."""
        loan_id = after.loan_id
        done = self.conn.execute(
            sa.update(loans)
            .where(loans.c.id == loan_id, loans.c.version == before.version)
            .values(loan_values(after) | {"version": before.version + 1})
        )
        if done.rowcount != 1:
            raise ConflictError(
                f"loan {loan_id} was changed by someone else",
                field="loan_id",
                value=loan_id,
                remedy="retry",
            )
        if after.subsidy_plan != before.account.subsidy_plan:
            self._replace_plan(after)
        if after.rates != before.account.rates:  # a term extension, a holiday
            self.conn.execute(
                sa.update(loan_terms)
                .where(loan_terms.c.loan_id == loan_id)
                .values(rates_json=json.dumps([str(r) for r in after.rates]))
            )
        old = {i.n: i for i in before.account.installments}
        new = {i.n: i for i in after.installments}
        if gone := [n for n in old if n not in new]:
            self.conn.execute(
                sa.delete(installments).where(
                    installments.c.loan_id == loan_id, installments.c.n.in_(gone)
                )
            )
        if added := [_row_of(i, loan_id) for n, i in new.items() if n not in old]:
            self.conn.execute(sa.insert(installments), added)
        for n, i in new.items():
            if n in old and old[n] != i:
                self.conn.execute(
                    sa.update(installments)
                    .where(installments.c.loan_id == loan_id, installments.c.n == n)
                    .values(
                        {k: v for k, v in _row_of(i, loan_id).items() if k not in ("loan_id", "n")}
                    )
                )

    def credit_line_of(self, loan_id: int) -> int | None:
        """The credit line ``loan_id`` was drawn from, if any (None for an unknown loan)."""
        line = self.conn.execute(
            sa.select(loans.c.credit_line_id).where(loans.c.id == loan_id)
        ).scalar()
        return None if line is None else int(line)

    def drawn_from(self, line_ids: Sequence[int]) -> list[int]:
        """The loans drawn from any of ``line_ids``."""
        return [
            int(i)
            for i in self.conn.execute(
                sa.select(loans.c.id).where(loans.c.credit_line_id.in_(line_ids))
            ).scalars()
        ]

    def record_moves(self, moves: Iterable[BucketMove]) -> None:
        record_moves(self.conn, moves)


@functools.lru_cache(maxsize=1024)
def _schedule(terms_json: str) -> Schedule:
    """Terms never change after opening, so equal JSON always builds the same schedule."""
    return build_schedule(terms_from_json(terms_json))


@functools.lru_cache(maxsize=256)
def _product(product_json: str) -> ServicingProduct:
    return product_from_json(product_json)


@functools.lru_cache(maxsize=1024)
def _rates(rates_json: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(r) for r in json.loads(rates_json))


def _closed_to(row: Any) -> int:
    """The loan's own closed-to date, or the book's when the loan is active and behind it."""
    book = row.book_day
    if row.status == LoanStatus.ACTIVE.value and book is not None and book > row.cob_day:
        return int(book)
    return int(row.cob_day)


def _account(row: Any, rows: Sequence[Any]) -> LoanAccount:
    return LoanAccount(
        loan_id=row.id,
        product=_product(row.product_json),
        schedule=_schedule(row.terms_json),
        status=LoanStatus(row.status),
        principal=row.principal,
        disbursed_on=from_day(row.disbursed_day),
        installments=tuple(_installment(r) for r in rows),
        rates=_rates(row.rates_json),
        cob_date=from_day(_closed_to(row)),
        overdue_since=from_day(row.overdue_since_day)
        if row.overdue_since_day is not None
        else None,
        bucket=row.bucket,
        late_fees_charged=row.late_fees_charged,
        credit=row.credit,
        subsidy=row.subsidy,
        subsidy_recognized=row.subsidy_recognized,
        lender_subsidy=row.lender_subsidy,
        charged_off=Components(row.co_principal, row.co_interest, row.co_fee, row.co_penalty),
        recovered=row.recovered,
        merchant_refunded=row.merchant_refunded,
        closed_on=from_day(row.closed_day) if row.closed_day is not None else None,
        merchant=row.merchant,
        credit_line_id=row.credit_line_id,
    )


def record_moves(conn: Connection, moves: Iterable[BucketMove]) -> None:
    """Append ``moves`` to the bucket history."""
    rows = [
        {
            "loan_id": m.loan_id,
            "day": to_day(m.on),
            "from_bucket": m.from_bucket,
            "to_bucket": m.to_bucket,
            "days_past_due": m.days_past_due,
        }
        for m in moves
    ]
    if rows:
        conn.execute(sa.insert(bucket_history), rows)
