"""The coupon rows the coupon services read: a coupon staff defined, and one a borrower
holds, each found or :class:`~thinfile.errors.NotFoundError` naming the field."""

from __future__ import annotations

from thinfile.errors import NotFoundError
from thinfile.services.uow import UnitOfWork
from thinfile.store.coupons_repo import StoredBorrowerCoupon, StoredCoupon

__all__ = ["coupon_row", "held_row"]


def coupon_row(uow: UnitOfWork, coupon_id: str, *, lock: bool = False) -> StoredCoupon:
    row = uow.coupons.get(coupon_id, lock=lock)
    if row is None:
        raise NotFoundError("no such coupon", field="coupon_id", value=coupon_id)
    return row


def held_row(uow: UnitOfWork, held_id: str) -> StoredBorrowerCoupon:
    row = uow.coupons.held(held_id)
    if row is None:
        raise NotFoundError("no such coupon of the borrower", field="coupon_id", value=held_id)
    return row
