"""Coupons, the coupons borrowers hold, and their redemptions.

A coupon's budget is taken when one is issued (``issued_fen`` grows by its amount only
``WHERE issued_fen + amount_off_fen <= budget_fen``), and issuing locks the coupon's row first,
so the per-borrower count read after it is not raced. A borrower's coupon is redeemed by one
conditional ``UPDATE … WHERE status = 'issued'``: of concurrent redemptions exactly one
changes the row, the others find it redeemed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.campaign_tables import (
    borrower_coupons,
    coupon_merchants,
    coupon_redemptions,
    coupons,
)
from thinfile.store.hot import Hot

__all__ = ["CouponRepository", "StoredBorrowerCoupon", "StoredCoupon", "StoredRedemption"]


@dataclass(frozen=True, slots=True)
class StoredCoupon:
    """A coupon as staff defined it, with what has been issued and redeemed (fen)."""

    id: str
    name: str
    amount_off_fen: int
    threshold_fen: int
    valid_from: date
    valid_to: date
    per_borrower_limit: int
    budget_fen: int
    issued_fen: int
    redeemed_fen: int
    funded_by: str
    campaign_id: str | None
    status: str
    created_at: datetime
    created_by: str
    merchant_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredBorrowerCoupon:
    """One coupon a borrower holds."""

    id: str
    coupon_id: str
    borrower_id: str
    status: str
    order_reference: str | None
    issue_reference: str | None
    issued_at: datetime
    issued_by: str


@dataclass(frozen=True, slots=True)
class StoredRedemption:
    borrower_coupon_id: str
    order_reference: str
    amount_fen: int
    order_amount_fen: int
    merchant_id: str | None
    redeemed_on: date
    returned_on: date | None


_COUPON_COLUMNS = [n for n in StoredCoupon.__dataclass_fields__ if n != "merchant_ids"]
_COUPON = sa.select(*(coupons.c[n] for n in _COUPON_COLUMNS))
_HELD = sa.select(*(borrower_coupons.c[n] for n in StoredBorrowerCoupon.__dataclass_fields__))
_HELD_BY_QUERY = _HELD.where(
    borrower_coupons.c.borrower_id == sa.bindparam("borrower_id")
).order_by(borrower_coupons.c.issued_at, borrower_coupons.c.id)
_HELD_BY = Hot(_HELD_BY_QUERY)  # every checkout's plans list the borrower's coupons (store.hot)
_HELD_BY_STATUS = Hot(_HELD_BY_QUERY.where(borrower_coupons.c.status == sa.bindparam("status")))
_REDEMPTION = sa.select(*(coupon_redemptions.c[n] for n in StoredRedemption.__dataclass_fields__))


class CouponRepository:
    """Coupons and borrowers' coupons on one connection; never commits."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, values: dict[str, Any], merchant_ids: tuple[str, ...]) -> None:
        self.conn.execute(sa.insert(coupons).values(values))
        if merchant_ids:
            self.conn.execute(
                sa.insert(coupon_merchants),
                [{"coupon_id": values["id"], "merchant_id": m} for m in merchant_ids],
            )

    def _complete(self, rows: list[Any]) -> list[StoredCoupon]:
        ids = [row.id for row in rows]
        merchants: dict[str, list[str]] = {i: [] for i in ids}
        if ids:
            for cid, mid in self.conn.execute(
                sa.select(coupon_merchants.c.coupon_id, coupon_merchants.c.merchant_id)
                .where(coupon_merchants.c.coupon_id.in_(ids))
                .order_by(coupon_merchants.c.merchant_id)
            ):
                merchants[cid].append(mid)
        return [StoredCoupon(**row._mapping, merchant_ids=tuple(merchants[row.id])) for row in rows]

    def get(self, coupon_id: str, *, lock: bool = False) -> StoredCoupon | None:
        query = _COUPON.where(coupons.c.id == coupon_id)
        found = self._complete(list(self.conn.execute(query.with_for_update() if lock else query)))
        return found[0] if found else None

    def page(self, *, limit: int, offset: int, status: str | None = None) -> list[StoredCoupon]:
        query = _COUPON.order_by(coupons.c.created_at.desc(), coupons.c.id)
        if status is not None:
            query = query.where(coupons.c.status == status)
        return self._complete(list(self.conn.execute(query.limit(limit).offset(offset))))

    def set_status(self, coupon_id: str, status: str) -> None:
        self.conn.execute(sa.update(coupons).where(coupons.c.id == coupon_id).values(status=status))

    def of_campaign(self, campaign_id: str, *, status: str) -> list[str]:
        """The ids of the campaign's coupons of ``status``, oldest first."""
        rows = self.conn.execute(
            sa.select(coupons.c.id)
            .where(coupons.c.campaign_id == campaign_id, coupons.c.status == status)
            .order_by(coupons.c.created_at, coupons.c.id)
        )
        return [str(r) for (r,) in rows]

    def take_budget(self, coupon_id: str, *, active: str) -> bool:
        """Reserve one more coupon's face value if the coupon is ``active`` and its budget
        holds it: one conditional statement."""
        after = coupons.c.issued_fen + coupons.c.amount_off_fen
        done = self.conn.execute(
            sa.update(coupons)
            .where(
                coupons.c.id == coupon_id,
                coupons.c.status == active,
                after <= coupons.c.budget_fen,
            )
            .values(issued_fen=after)
        )
        return done.rowcount == 1

    def expire_through(self, last_day: date, *, issued: str, expired: str) -> int:
        """Close of business: every borrower's coupon still ``issued`` whose coupon's window
        ended on or before ``last_day`` becomes ``expired`` (one statement, returning the
        coupons it changed), and the face value of exactly those goes back to their coupon's
        budget (``issued_fen``, one statement per coupon). The number expired; run again,
        nothing."""
        held = borrower_coupons.c
        ended = sa.select(coupons.c.id).where(coupons.c.valid_to <= last_day)
        changed = self.conn.execute(
            sa.update(borrower_coupons)
            .where(held.status == issued, held.coupon_id.in_(ended))
            .values(status=expired)
            .returning(held.coupon_id)
        ).all()
        per_coupon = Counter(str(coupon_id) for (coupon_id,) in changed)
        if per_coupon:
            self.conn.execute(
                sa.update(coupons)
                .where(coupons.c.id == sa.bindparam("expired_coupon"))
                .values(
                    issued_fen=coupons.c.issued_fen
                    - coupons.c.amount_off_fen * sa.bindparam("expired_count")
                ),
                [{"expired_coupon": c, "expired_count": n} for c, n in per_coupon.items()],
            )
        return len(changed)

    def add_redeemed(self, coupon_id: str, amount_fen: int) -> None:
        """Count ``amount_fen`` more (or, negative, less) as redeemed."""
        self.conn.execute(
            sa.update(coupons)
            .where(coupons.c.id == coupon_id)
            .values(redeemed_fen=coupons.c.redeemed_fen + amount_fen)
        )

    # coupons borrowers hold
    def held_count(self, coupon_id: str, borrower_id: str) -> int:
        found = self.conn.execute(
            sa.select(sa.func.count()).where(
                borrower_coupons.c.coupon_id == coupon_id,
                borrower_coupons.c.borrower_id == borrower_id,
            )
        ).scalar()
        return int(found or 0)

    def issue(self, values: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(borrower_coupons).values(values))

    def issued_under(self, coupon_id: str, issue_reference: str) -> StoredBorrowerCoupon | None:
        row = self.conn.execute(
            _HELD.where(
                borrower_coupons.c.coupon_id == coupon_id,
                borrower_coupons.c.issue_reference == issue_reference,
            )
        ).first()
        return None if row is None else StoredBorrowerCoupon(*row)

    def held(self, borrower_coupon_id: str) -> StoredBorrowerCoupon | None:
        row = self.conn.execute(_HELD.where(borrower_coupons.c.id == borrower_coupon_id)).first()
        return None if row is None else StoredBorrowerCoupon(*row)

    def held_by(self, borrower_id: str, *, status: str | None = None) -> list[StoredBorrowerCoupon]:
        """The borrower's coupons, oldest first, optionally of one status."""
        if status is None:
            rows = _HELD_BY.all(self.conn, {"borrower_id": borrower_id})
        else:
            rows = _HELD_BY_STATUS.all(self.conn, {"borrower_id": borrower_id, "status": status})
        return [StoredBorrowerCoupon(*r) for r in rows]

    def redeem(
        self,
        borrower_coupon_id: str,
        borrower_id: str,
        order_reference: str,
        *,
        issued: str,
        redeemed: str,
    ) -> bool:
        """Mark the coupon redeemed by the order if it is still ``issued``: one conditional
        statement, so of concurrent redemptions one succeeds."""
        done = self.conn.execute(
            sa.update(borrower_coupons)
            .where(
                borrower_coupons.c.id == borrower_coupon_id,
                borrower_coupons.c.borrower_id == borrower_id,
                borrower_coupons.c.status == issued,
            )
            .values(status=redeemed, order_reference=order_reference)
        )
        return done.rowcount == 1

    def give_back(
        self, borrower_coupon_id: str, order_reference: str, *, redeemed: str, status: str
    ) -> bool:
        """The order gives the coupon back: ``status`` (issued, or void once expired)."""
        done = self.conn.execute(
            sa.update(borrower_coupons)
            .where(
                borrower_coupons.c.id == borrower_coupon_id,
                borrower_coupons.c.status == redeemed,
                borrower_coupons.c.order_reference == order_reference,
            )
            .values(status=status, order_reference=None)
        )
        return done.rowcount == 1

    def take_again(
        self,
        borrower_coupon_id: str,
        order_reference: str,
        *,
        redeemable: tuple[str, ...],
        redeemed: str,
    ) -> bool:
        """The order takes back the coupon it gave back, if the coupon is still in one of the
        ``redeemable`` statuses (not used on another order since): one conditional statement."""
        done = self.conn.execute(
            sa.update(borrower_coupons)
            .where(
                borrower_coupons.c.id == borrower_coupon_id,
                borrower_coupons.c.status.in_(redeemable),
                borrower_coupons.c.order_reference.is_(None),
            )
            .values(status=redeemed, order_reference=order_reference)
        )
        return done.rowcount == 1

    def unmark_returned(self, borrower_coupon_id: str, order_reference: str) -> bool:
        """Clear the redemption's return (the order holds the coupon again)."""
        done = self.conn.execute(
            sa.update(coupon_redemptions)
            .where(
                coupon_redemptions.c.borrower_coupon_id == borrower_coupon_id,
                coupon_redemptions.c.order_reference == order_reference,
                coupon_redemptions.c.returned_on.is_not(None),
            )
            .values(returned_on=None)
        )
        return done.rowcount == 1

    # redemptions
    def add_redemption(self, values: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(coupon_redemptions).values(values))

    def redemption(self, borrower_coupon_id: str, order_reference: str) -> StoredRedemption | None:
        row = self.conn.execute(
            _REDEMPTION.where(
                coupon_redemptions.c.borrower_coupon_id == borrower_coupon_id,
                coupon_redemptions.c.order_reference == order_reference,
            )
        ).first()
        return None if row is None else StoredRedemption(*row)

    def redemption_of_order(self, order_reference: str) -> StoredRedemption | None:
        """The redemption an order holds (not given back), if any."""
        row = self.conn.execute(
            _REDEMPTION.where(
                coupon_redemptions.c.order_reference == order_reference,
                coupon_redemptions.c.returned_on.is_(None),
            )
        ).first()
        return None if row is None else StoredRedemption(*row)

    def returned_of_order(self, order_reference: str) -> StoredRedemption | None:
        """A redemption the order gave back, if any."""
        row = self.conn.execute(
            _REDEMPTION.where(
                coupon_redemptions.c.order_reference == order_reference,
                coupon_redemptions.c.returned_on.is_not(None),
            )
        ).first()
        return None if row is None else StoredRedemption(*row)

    def mark_returned(self, borrower_coupon_id: str, order_reference: str, on: date) -> bool:
        """Stamp the redemption returned; False when it was returned already."""
        done = self.conn.execute(
            sa.update(coupon_redemptions)
            .where(
                coupon_redemptions.c.borrower_coupon_id == borrower_coupon_id,
                coupon_redemptions.c.order_reference == order_reference,
                coupon_redemptions.c.returned_on.is_(None),
            )
            .values(returned_on=on)
        )
        return done.rowcount == 1
