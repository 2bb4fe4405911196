"""Redeeming a borrower's coupon at checkout and giving it back (满减券), in the checkout's
unit of work (re-exported by :mod:`thinfile.services.coupons`).

* :func:`redeem_coupon_in_unit` — one conditional ``UPDATE … WHERE status = 'issued'``: of
  concurrent checkouts exactly one uses the coupon, the others get
  :class:`~thinfile.errors.CouponUnavailableError`; the same order again gets its
  redemption back (``replayed``).
* :func:`return_coupon_in_unit` — the rule of :func:`thinfile.commerce.status_after_return`:
  usable again inside its window, void once expired (never revived); a second return of the
  same order changes nothing. Partial refunds do not return a coupon.
* :func:`retake_coupon_in_unit` — a reversed full refund: the order holds its coupon again,
  unless the borrower used it elsewhere meanwhile or its window was closed since.
* :func:`order_coupon_in_unit` — the coupon an order uses now.
"""

from __future__ import annotations

from datetime import date

from thinfile.commerce import (
    BorrowerCouponStatus,
    Coupon,
    CouponFunder,
    CouponRules,
    status_after_return,
)
from thinfile.errors import CouponUnavailableError, InvalidInputError, NotFoundError
from thinfile.money import Money
from thinfile.services.campaign_records import (
    CouponRedemption,
    CouponReturn,
    coupon_rules,
    purchase_amount,
    purchase_reference,
)
from thinfile.services.coupon_rows import coupon_row as _coupon
from thinfile.services.coupon_rows import held_row as _held
from thinfile.services.identity_records import now_utc
from thinfile.services.uow import UnitOfWork
from thinfile.store.coupons_repo import StoredBorrowerCoupon

__all__ = [
    "order_coupon_in_unit",
    "redeem_coupon_in_unit",
    "retake_coupon_in_unit",
    "return_coupon_in_unit",
]


def _redeemed(held: StoredBorrowerCoupon, rules: CouponRules, reference: str) -> CouponRedemption:
    return CouponRedemption(held.id, held.coupon_id, reference, rules.coupon, replayed=True)


def redeem_coupon_in_unit(
    uow: UnitOfWork,
    coupon_id: str,
    borrower_id: str,
    order_reference: str,
    order_amount: Money,
    on: date,
    *,
    merchant_id: str | None = None,
) -> CouponRedemption:
    """Use the borrower's coupon ``coupon_id`` (a :class:`HeldCoupon`'s id) on the order
    ``order_reference`` of ``order_amount`` at ``merchant_id`` on ``on``, in the caller's
    unit of work. At most once: of concurrent redemptions one wins and the others get
    :class:`CouponUnavailableError`; the same order again returns its redemption
    (``replayed``). Another borrower's coupon is not found. A refusal writes nothing."""
    order_reference = purchase_reference(order_reference, field="order_reference")
    order_amount = purchase_amount(order_amount, field="order_amount")
    held = uow.coupons.held(coupon_id)
    if held is None or held.borrower_id != borrower_id:
        raise NotFoundError("no such coupon of the borrower", field="coupon_id", value=coupon_id)
    rules = coupon_rules(_coupon(uow, held.coupon_id))
    before = uow.coupons.redemption(coupon_id, order_reference)
    if before is not None:
        return _redemption_again(held, rules, before.returned_on, order_reference)
    why = rules.refusal(order_amount, merchant_id, on)
    if why is not None:
        raise CouponUnavailableError(why, field="coupon_id", value=coupon_id)
    if not uow.coupons.redeem(
        coupon_id,
        borrower_id,
        order_reference,
        issued=BorrowerCouponStatus.ISSUED.value,
        redeemed=BorrowerCouponStatus.REDEEMED.value,
    ):
        won = uow.coupons.redemption(coupon_id, order_reference)  # the same order, concurrently
        if won is not None:
            return _redemption_again(held, rules, won.returned_on, order_reference)
        raise CouponUnavailableError(
            "the coupon has been used already", field="coupon_id", value=coupon_id
        )
    uow.coupons.add_redemption(
        {
            "borrower_coupon_id": coupon_id,
            "order_reference": order_reference,
            "amount_fen": rules.amount_off.fen,
            "order_amount_fen": order_amount.fen,
            "merchant_id": merchant_id,
            "redeemed_on": on,
            "returned_on": None,
            "created_at": now_utc(),
        }
    )
    uow.coupons.add_redeemed(held.coupon_id, rules.amount_off.fen)
    return CouponRedemption(coupon_id, held.coupon_id, order_reference, rules.coupon)


def _redemption_again(
    held: StoredBorrowerCoupon, rules: CouponRules, returned_on: date | None, reference: str
) -> CouponRedemption:
    if returned_on is not None:
        raise CouponUnavailableError(
            f"this order gave the coupon back on {returned_on}",
            field="order_reference",
            value=reference,
        )
    return _redeemed(held, rules, reference)


def order_coupon_in_unit(uow: UnitOfWork, order_reference: str) -> CouponRedemption | None:
    """The coupon the order ``order_reference`` uses now (None when none, or given back):
    the checkout's capture takes its amount off the price."""
    found = uow.coupons.redemption_of_order(order_reference)
    if found is None:
        return None
    held = _held(uow, found.borrower_coupon_id)
    rules = coupon_rules(_coupon(uow, held.coupon_id))
    coupon = Coupon(Money(found.amount_fen, rules.coupon.amount.currency), rules.coupon.funded_by)
    return CouponRedemption(
        held.id, held.coupon_id, order_reference, coupon, replayed=True, threshold=rules.threshold
    )


def return_coupon_in_unit(
    uow: UnitOfWork, coupon_id: str, order_reference: str, on: date
) -> CouponReturn:
    """The order ``order_reference`` was cancelled or fully refunded on ``on``: give its
    coupon back — usable again while inside its window, void once expired (an expired coupon
    is not revived). Returning twice changes nothing (``replayed``)."""
    order_reference = purchase_reference(order_reference, field="order_reference")
    held = _held(uow, coupon_id)
    rules = coupon_rules(_coupon(uow, held.coupon_id))
    redemption = uow.coupons.redemption(coupon_id, order_reference)
    if redemption is None:
        raise NotFoundError(
            "this order did not use this coupon", field="order_reference", value=order_reference
        )
    if not uow.coupons.mark_returned(coupon_id, order_reference, on):
        now = BorrowerCouponStatus(_held(uow, coupon_id).status)
        return CouponReturn(coupon_id, order_reference, now, replayed=True)
    status = status_after_return(rules, on)
    if not uow.coupons.give_back(
        coupon_id,
        order_reference,
        redeemed=BorrowerCouponStatus.REDEEMED.value,
        status=status.value,
    ):
        raise InvalidInputError(
            "the coupon is not held by this order", field="order_reference", value=order_reference
        )
    uow.coupons.add_redeemed(held.coupon_id, -redemption.amount_fen)
    return CouponReturn(coupon_id, order_reference, status)


def retake_coupon_in_unit(uow: UnitOfWork, order_reference: str) -> CouponRedemption | None:
    """The order ``order_reference`` gave its coupon back (a full refund) and the refund is
    reversed: the order holds the coupon again, as redeemed. Possible while the borrower has
    not used it on another order and its window has not been closed since (given back as
    usable, or void); otherwise refused (:class:`CouponUnavailableError` naming ``coupon``,
    nothing written). Returns the redemption, None when the order gave no coupon back."""
    order_reference = purchase_reference(order_reference, field="order_reference")
    found = uow.coupons.returned_of_order(order_reference)
    if found is None:
        return None
    held = _held(uow, found.borrower_coupon_id)
    rules = coupon_rules(_coupon(uow, held.coupon_id))
    if rules.coupon.funded_by is CouponFunder.LENDER:
        raise CouponUnavailableError(
            "the lender-funded coupon the refund gave back was taken back from the merchant's "
            "settlement; it is not taken again here",
            field="coupon",
            value=held.id,
            remedy="leave the refund in force and start a new checkout for the order",
        )
    if not uow.coupons.take_again(
        held.id,
        order_reference,
        redeemable=(BorrowerCouponStatus.ISSUED.value, BorrowerCouponStatus.VOID.value),
        redeemed=BorrowerCouponStatus.REDEEMED.value,
    ):
        now = _held(uow, held.id).status
        raise CouponUnavailableError(
            "the coupon the refund gave back has since been used on another order"
            if now == BorrowerCouponStatus.REDEEMED.value
            else f"the coupon the refund gave back is {now} now",
            field="coupon",
            value=held.id,
            remedy="leave the refund in force and start a new checkout for the order",
        )
    if not uow.coupons.unmark_returned(held.id, order_reference):
        raise AssertionError("this unit read the redemption's return; it cannot have moved")
    uow.coupons.add_redeemed(held.coupon_id, found.amount_fen)
    coupon = Coupon(Money(found.amount_fen, rules.coupon.amount.currency), rules.coupon.funded_by)
    return CouponRedemption(held.id, held.coupon_id, order_reference, coupon)
