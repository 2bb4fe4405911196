"""What the console's coupon-batch page shows (``web.routes.coupon_batches``): each
interest-coupon batch with how many of its coupons borrowers hold unused, have redeemed and
let expire, and its budget's use."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from thinfile.decisioning.interest_coupons import InterestCouponStatus, InterestCouponTerms
from thinfile.money import Money
from thinfile.services.interest_coupons import batch_terms
from thinfile.services.uow import UnitOfWork
from thinfile.store.promotions_repo import StoredCouponBatch

__all__ = ["BatchRow", "batch_overview"]


@dataclass(frozen=True, slots=True)
class BatchRow:
    batch: StoredCouponBatch
    terms: InterestCouponTerms
    held: int
    """coupons issued and neither redeemed nor expired"""
    redeemed: int
    expired: int
    budget: Money
    spent: Money

    @property
    def issued(self) -> int:
        """Coupons the batch has given, in any status."""
        return self.batch.issued


def batch_overview(engine: Engine, *, limit: int = 100, offset: int = 0) -> list[BatchRow]:
    """A page of batches, newest first, each with its coupons counted by status."""
    with UnitOfWork(engine) as uow:
        found = uow.promotions.batches(limit=limit, offset=offset)
        counts = uow.promotions.batch_coupon_counts([b.id for b in found])
    rows = []
    for batch in found:
        mine = counts.get(batch.id, {})
        rows.append(
            BatchRow(
                batch,
                batch_terms(batch),
                mine.get(InterestCouponStatus.ISSUED.value, 0),
                mine.get(InterestCouponStatus.REDEEMED.value, 0),
                mine.get(InterestCouponStatus.EXPIRED.value, 0),
                Money(batch.budget_fen),
                Money(batch.spent_fen),
            )
        )
    return rows
