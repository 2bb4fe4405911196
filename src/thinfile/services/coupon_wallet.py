"""A borrower's coupons of both kinds in one list (the borrower's coupon page): checkout
coupons (满减券) and interest coupons (息费券), each with its window and status — issued,
redeemed, void, or expired once close of business has passed its last day
(``services.coupon_expiry``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Engine

from thinfile.decisioning.interest_coupons import InterestCouponTerms
from thinfile.money import Money
from thinfile.services.campaign_records import coupon_rules
from thinfile.services.identity_records import Actor
from thinfile.services.uow import UnitOfWork

__all__ = ["WalletCoupon", "my_wallet"]


@dataclass(frozen=True, slots=True)
class WalletCoupon:
    kind: str
    """``checkout`` (满减券) or ``interest`` (息费券)"""
    id: str
    name: str
    valid_from: date
    valid_to: date
    status: str
    amount_off: Money | None = None
    """a checkout coupon's amount off …"""
    threshold: Money | None = None
    """… on orders from this amount"""
    terms: InterestCouponTerms | None = None
    """an interest coupon's terms"""


def my_wallet(engine: Engine, actor: Actor) -> list[WalletCoupon]:
    """The signed-in borrower's coupons of both kinds, the latest window first."""
    out: list[WalletCoupon] = []
    with UnitOfWork(engine) as uow:
        rules = {}
        for held in uow.coupons.held_by(actor.user_id):
            if held.coupon_id not in rules:
                row = uow.coupons.get(held.coupon_id)
                assert row is not None
                rules[held.coupon_id] = coupon_rules(row)
            r = rules[held.coupon_id]
            out.append(
                WalletCoupon(
                    "checkout",
                    held.id,
                    r.name,
                    r.valid_from,
                    r.valid_to,
                    held.status,
                    amount_off=r.amount_off,
                    threshold=r.threshold,
                )
            )
        for coupon in uow.promotions.coupons_of(actor.user_id):
            terms = InterestCouponTerms.from_dict(json.loads(coupon.terms_json))
            out.append(
                WalletCoupon(
                    "interest",
                    coupon.id,
                    coupon.name,
                    coupon.valid_from,
                    coupon.valid_to,
                    coupon.status,
                    terms=terms,
                )
            )
    return sorted(out, key=lambda c: (c.valid_to, c.id), reverse=True)
