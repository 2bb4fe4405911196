"""Programme budgets and interest coupons on one connection; never commits.

A budget moves by one conditional statement, never read-then-write: a loan's discount is
added to ``spent_fen`` only ``WHERE spent_fen + amount <= budget_fen`` (on PostgreSQL the row
lock the ``UPDATE`` takes makes concurrent bookings wait and re-check; SQLite has one writer
at a time), and the table's CHECK constraint refuses an overspend should any statement ever
try. A coupon is redeemed by one conditional ``UPDATE … WHERE status = 'issued'``: of two
bookings at once exactly one changes the row.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.decisioning_tables import applications
from thinfile.store.promotion_tables import (
    interest_coupon_batches,
    interest_coupons,
    programme_budgets,
    programme_uses,
)
from thinfile.store.servicing_tables import journal_entries, journal_lines

__all__ = [
    "PromotionRepository",
    "StoredCouponBatch",
    "StoredInterestCoupon",
    "StoredProgrammeBudget",
    "StoredProgrammeUse",
]


@dataclass(frozen=True, slots=True)
class StoredProgrammeBudget:
    code: str
    budget_fen: int
    spent_fen: int
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True, slots=True)
class StoredProgrammeUse:
    loan_id: int
    code: str
    application_id: str
    amount_fen: int
    used_on: date


@dataclass(frozen=True, slots=True)
class StoredInterestCoupon:
    id: str
    borrower_id: str
    name: str
    terms_json: str
    valid_from: date
    valid_to: date
    status: str
    issued_by: str
    issued_at: datetime
    application_id: str | None
    loan_id: int | None
    value_fen: int | None
    redeemed_on: date | None
    batch_id: str | None = None
    issue_reference: str | None = None


@dataclass(frozen=True, slots=True)
class StoredCouponBatch:
    id: str
    name: str
    terms_json: str
    valid_from: date
    valid_to: date
    per_borrower_limit: int
    budget_fen: int
    spent_fen: int
    issued: int
    status: str
    created_at: datetime
    created_by: str
    cost_booking: str = "marketing_expense"


def _columns(table: sa.Table, record: type) -> list[sa.Column[Any]]:
    return [table.c[f.name] for f in fields(record)]


_BUDGET = sa.select(*_columns(programme_budgets, StoredProgrammeBudget))
_USE = sa.select(*_columns(programme_uses, StoredProgrammeUse))
_COUPON = sa.select(*_columns(interest_coupons, StoredInterestCoupon))
_BATCH = sa.select(*_columns(interest_coupon_batches, StoredCouponBatch))


class PromotionRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # programme budgets
    def budget(self, code: str) -> StoredProgrammeBudget | None:
        row = self.conn.execute(_BUDGET.where(programme_budgets.c.code == code)).first()
        return None if row is None else StoredProgrammeBudget(*row)

    def budgets(self) -> list[StoredProgrammeBudget]:
        rows = self.conn.execute(_BUDGET.order_by(programme_budgets.c.code)).all()
        return [StoredProgrammeBudget(*r) for r in rows]

    def set_budget(self, code: str, budget_fen: int, *, at: datetime, by: str) -> bool:
        """Set the budget (new or changed); False when it is below what is spent already."""
        changed = self.conn.execute(
            sa.update(programme_budgets)
            .where(programme_budgets.c.code == code, programme_budgets.c.spent_fen <= budget_fen)
            .values(budget_fen=budget_fen, updated_at=at, updated_by=by)
        ).rowcount
        if changed:
            return True
        if self.budget(code) is not None:
            return False
        self.conn.execute(
            sa.insert(programme_budgets).values(
                code=code, budget_fen=budget_fen, spent_fen=0, updated_at=at, updated_by=by
            )
        )
        return True

    def spend(self, code: str, amount_fen: int) -> bool:
        """Add ``amount_fen`` to the programme's spent sum if the budget still covers it."""
        spent = programme_budgets.c.spent_fen
        return bool(
            self.conn.execute(
                sa.update(programme_budgets)
                .where(
                    programme_budgets.c.code == code,
                    spent + amount_fen <= programme_budgets.c.budget_fen,
                )
                .values(spent_fen=spent + amount_fen)
            ).rowcount
        )

    def add_use(self, use: StoredProgrammeUse, *, at: datetime) -> None:
        self.conn.execute(
            sa.insert(programme_uses).values(
                loan_id=use.loan_id,
                code=use.code,
                application_id=use.application_id,
                amount_fen=use.amount_fen,
                used_on=use.used_on,
                created_at=at,
            )
        )

    def uses(self, code: str | None = None) -> list[StoredProgrammeUse]:
        query = _USE.order_by(programme_uses.c.loan_id)
        if code is not None:
            query = query.where(programme_uses.c.code == code)
        return [StoredProgrammeUse(*r) for r in self.conn.execute(query).all()]

    # interest coupons
    def add_coupon(self, values: dict[str, object]) -> None:
        self.conn.execute(sa.insert(interest_coupons).values(values))

    def coupon(self, coupon_id: str) -> StoredInterestCoupon | None:
        row = self.conn.execute(_COUPON.where(interest_coupons.c.id == coupon_id)).first()
        return None if row is None else StoredInterestCoupon(*row)

    def coupons_of(self, borrower_id: str) -> list[StoredInterestCoupon]:
        rows = self.conn.execute(
            _COUPON.where(interest_coupons.c.borrower_id == borrower_id).order_by(
                interest_coupons.c.issued_at, interest_coupons.c.id
            )
        ).all()
        return [StoredInterestCoupon(*r) for r in rows]

    def redeemed_coupons(self) -> list[StoredInterestCoupon]:
        rows = self.conn.execute(
            _COUPON.where(interest_coupons.c.status == "redeemed").order_by(
                interest_coupons.c.loan_id
            )
        ).all()
        return [StoredInterestCoupon(*r) for r in rows]

    def redeem(
        self, coupon_id: str, *, application_id: str, loan_id: int, value_fen: int, on: date
    ) -> bool:
        """Mark an issued coupon redeemed by ``loan_id``; False when it is not issued (used
        already or void) — of concurrent redemptions exactly one gets True."""
        return bool(
            self.conn.execute(
                sa.update(interest_coupons)
                .where(interest_coupons.c.id == coupon_id, interest_coupons.c.status == "issued")
                .values(
                    status="redeemed",
                    application_id=application_id,
                    loan_id=loan_id,
                    value_fen=value_fen,
                    redeemed_on=on,
                )
            ).rowcount
        )

    def expire_coupons_through(self, last_day: date) -> int:
        """Close of business: every interest coupon still ``issued`` whose validity ended on or
        before ``last_day`` becomes ``expired`` (one statement; a batch reserves no budget at
        issue, so nothing is given back). The number expired; run again, nothing."""
        c = interest_coupons.c
        return int(
            self.conn.execute(
                sa.update(interest_coupons)
                .where(c.status == "issued", c.valid_to <= last_day)
                .values(status="expired")
            ).rowcount
        )

    def coupon_postings(self) -> dict[str, int]:
        """Marketing expense booked per interest coupon (``interest-coupon:<id>`` memos; none
        for a coupon whose batch books it as reduced interest income)."""
        rows = self.conn.execute(
            sa.select(journal_entries.c.memo, sa.func.sum(journal_lines.c.amount))
            .join(journal_lines, journal_lines.c.entry_id == journal_entries.c.id)
            .where(
                journal_entries.c.memo.like("interest-coupon:%"),
                journal_lines.c.account == "marketing_expense",
            )
            .group_by(journal_entries.c.memo)
        ).all()
        return {str(memo).removeprefix("interest-coupon:"): int(total) for memo, total in rows}

    def spent_by_programme(self) -> dict[str, int]:
        """What the loans priced under each programme took from it (fen)."""
        rows = self.conn.execute(
            sa.select(programme_uses.c.code, sa.func.sum(programme_uses.c.amount_fen)).group_by(
                programme_uses.c.code
            )
        ).all()
        return {str(code): int(total) for code, total in rows}

    # interest-coupon batches
    def add_batch(self, values: dict[str, object]) -> None:
        self.conn.execute(sa.insert(interest_coupon_batches).values(values))

    def batch(self, batch_id: str) -> StoredCouponBatch | None:
        row = self.conn.execute(_BATCH.where(interest_coupon_batches.c.id == batch_id)).first()
        return None if row is None else StoredCouponBatch(*row)

    def batches(self, *, limit: int, offset: int) -> list[StoredCouponBatch]:
        rows = self.conn.execute(
            _BATCH.order_by(
                interest_coupon_batches.c.created_at.desc(), interest_coupon_batches.c.id
            )
            .limit(limit)
            .offset(offset)
        ).all()
        return [StoredCouponBatch(*r) for r in rows]

    def set_batch_status(self, batch_id: str, status: str) -> None:
        self.conn.execute(
            sa.update(interest_coupon_batches)
            .where(interest_coupon_batches.c.id == batch_id)
            .values(status=status)
        )

    def claim_batch(self, batch_id: str, *, active: str) -> bool:
        """Count one more coupon issued from an active batch whose budget is not spent, and
        hold the batch's lock to the end of the unit; False when it is not."""
        b = interest_coupon_batches.c
        return bool(
            self.conn.execute(
                sa.update(interest_coupon_batches)
                .where(b.id == batch_id, b.status == active, b.spent_fen < b.budget_fen)
                .values(issued=b.issued + 1)
            ).rowcount
        )

    def claim_batch_undo(self, batch_id: str) -> None:
        """Give back a claim the unit then refused (the lock stays held)."""
        b = interest_coupon_batches.c
        self.conn.execute(
            sa.update(interest_coupon_batches).where(b.id == batch_id).values(issued=b.issued - 1)
        )

    def held_of_batch(self, batch_id: str, borrower_id: str) -> int:
        """Coupons of the batch the borrower has been given (used or not)."""
        c = interest_coupons.c
        return int(
            self.conn.execute(
                sa.select(sa.func.count())
                .select_from(interest_coupons)
                .where(c.batch_id == batch_id, c.borrower_id == borrower_id)
            ).scalar_one()
        )

    def issued_under(
        self, batch_id: str, borrower_id: str, reference: str
    ) -> StoredInterestCoupon | None:
        c = interest_coupons.c
        row = self.conn.execute(
            _COUPON.where(
                c.batch_id == batch_id, c.borrower_id == borrower_id, c.issue_reference == reference
            )
        ).first()
        return None if row is None else StoredInterestCoupon(*row)

    def spend_batch(self, batch_id: str, amount_fen: int) -> bool:
        """Add a redeemed coupon's value to its batch if the budget still covers it."""
        b = interest_coupon_batches.c
        return bool(
            self.conn.execute(
                sa.update(interest_coupon_batches)
                .where(b.id == batch_id, b.spent_fen + amount_fen <= b.budget_fen)
                .values(spent_fen=b.spent_fen + amount_fen)
            ).rowcount
        )

    def spent_by_batch(self) -> dict[str, int]:
        """The value of each batch's redeemed coupons (fen)."""
        c = interest_coupons.c
        rows = self.conn.execute(
            sa.select(c.batch_id, sa.func.sum(c.value_fen))
            .where(c.batch_id.is_not(None), c.status == "redeemed")
            .group_by(c.batch_id)
        ).all()
        return {str(batch): int(total) for batch, total in rows}

    def batch_coupon_counts(self, batch_ids: list[str]) -> dict[str, dict[str, int]]:
        """How many coupons of each batch are in each status (issued, redeemed, expired…)."""
        if not batch_ids:
            return {}
        c = interest_coupons.c
        rows = self.conn.execute(
            sa.select(c.batch_id, c.status, sa.func.count())
            .where(c.batch_id.in_(batch_ids))
            .group_by(c.batch_id, c.status)
        ).all()
        out: dict[str, dict[str, int]] = {}
        for batch, status, count in rows:
            out.setdefault(str(batch), {})[str(status)] = int(count)
        return out

    def all_batches(self) -> list[StoredCouponBatch]:
        rows = self.conn.execute(_BATCH.order_by(interest_coupon_batches.c.id)).all()
        return [StoredCouponBatch(*r) for r in rows]

    def borrowers_in_segment(self, segment: str, *, first_loan_only: bool) -> list[str]:
        """The borrowers (user ids) who applied as ``segment``, in id order; with
        ``first_loan_only`` only those with no accepted offer yet (a first loan to come)."""
        a = applications.c
        query = sa.select(a.user_id).where(a.segment == segment).distinct().order_by(a.user_id)
        if first_loan_only:
            borrowed = sa.select(a.user_id).where(a.loan_id.is_not(None))
            query = query.where(a.user_id.not_in(borrowed))
        return [str(u) for (u,) in self.conn.execute(query).all()]
