"""Coupons past their window expire at close of business (the ``coupons`` step of
:mod:`thinfile.services.cob`).

A coupon is usable through the last day of its window; closing that day turns every coupon of
either kind a borrower still holds unused into ``expired``, so the borrower's lists say so
instead of showing it as issued forever:

* checkout coupons (满减券, ``borrower_coupons``): still ``issued`` and their coupon's
  ``valid_to`` on or before the date closed. Issuing reserved each one's face value in its
  coupon's budget (``issued_fen``); expiring gives it back, so ``issued_fen`` is always the
  face value of the coupons issued and not expired (redeemed ones included).
* interest coupons (息费券, ``interest_coupons``): still ``issued`` and their ``valid_to`` on
  or before the date closed. A batch takes from its budget only what a redeemed coupon takes
  off a loan, so nothing is given back.

Redeemed and void coupons are never touched. Each kind is one set-based statement group, so
the step is idempotent per date: run again it finds nothing left to expire and counts 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from thinfile.commerce import BorrowerCouponStatus
from thinfile.services.uow import UnitOfWork

__all__ = ["expire_coupons_step"]


def expire_coupons_step(uow: UnitOfWork, x: date, _params: Mapping[str, int] | None = None) -> int:
    """Close of business of ``x``: expire the coupons whose window ended on ``x`` or before;
    the number of coupons expired (both kinds)."""
    checkout = uow.coupons.expire_through(
        x, issued=BorrowerCouponStatus.ISSUED.value, expired=BorrowerCouponStatus.EXPIRED.value
    )
    return checkout + uow.promotions.expire_coupons_through(x)
