"""The money of a financed purchase (DOMAIN §6.1, §11): who pays whom, to the fen.

A borrower buys at ``price``, perhaps with a coupon (满减券) taking ``coupon`` off::

    financed            = price − coupon                  the borrower's loan (the receivable)
    subsidy             = subsidy rate(term) × financed   rounded once, with the contract's mode
    merchant's subsidy  = subsidy × merchant share        rounded once (a campaign's share; 100%
                                                          without a campaign)
    lender's subsidy    = subsidy − merchant's subsidy    平台贴息
    merchant settlement = price − merchant's subsidy − merchant-funded coupon
    net investment      = financed − subsidy              what the loan really cost the lender
    marketing expense   = lender-funded coupon + lender's subsidy

so ``settlement + merchant's subsidy + merchant coupon = price`` and ``settlement = net
investment + marketing expense`` always hold: every fen of the price is paid by someone.

**Several captures of one order** (:class:`Captured`): each capture's subsidy is what the
subsidy of everything captured so far comes to, less what the earlier captures took — the
rounding is done once on the running total, not once per capture — so the captures' subsidies
add up to exactly the subsidy of their total, never more than the campaign reserved for the
order (three captures of 333.35 at 2% would each round 6.667 up to 6.67: 20.01 for an order
whose subsidy is 20.00). The merchant's share is divided the same way.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from thinfile.commerce.contract import TermPricing
from thinfile.errors import InvalidInputError
from thinfile.money import Money, Rounding

__all__ = ["Captured", "Coupon", "CouponFunder", "PurchaseMoney", "purchase_money"]


class CouponFunder(enum.StrEnum):
    """Who bears a coupon's amount."""

    MERCHANT = "merchant"
    """商户出资: the merchant's settlement is reduced by it."""
    LENDER = "lender"
    """平台出资: a marketing expense of the lender."""


@dataclass(frozen=True, slots=True)
class Coupon:
    """An amount off the price (满减), and who funds it."""

    amount: Money
    funded_by: CouponFunder

    def __post_init__(self) -> None:
        if self.amount.fen < 0:
            raise InvalidInputError(
                "a coupon cannot be negative", field="coupon", value=str(self.amount)
            )


@dataclass(frozen=True, slots=True)
class PurchaseMoney:
    """Every amount of one financed purchase (see the module's identities)."""

    price: Money
    coupon: Money
    coupon_funded_by: CouponFunder | None
    financed: Money
    subsidy: Money
    merchant_settlement: Money
    lender_subsidy: Money
    """The part of ``subsidy`` the lender pays itself (a campaign's lender share, 平台贴息)."""

    @property
    def merchant_subsidy(self) -> Money:
        """The part of the subsidy the merchant pays (its settlement is reduced by it)."""
        return self.subsidy - self.lender_subsidy

    @property
    def lender_coupon(self) -> Money:
        """The part of the coupon the lender bears."""
        if self.coupon_funded_by is CouponFunder.LENDER:
            return self.coupon
        return Money.zero(self.price.currency)

    @property
    def merchant_coupon(self) -> Money:
        """The part of the coupon the merchant bears (reduces its settlement)."""
        if self.coupon_funded_by is CouponFunder.MERCHANT:
            return self.coupon
        return Money.zero(self.price.currency)

    @property
    def marketing_expense(self) -> Money:
        """What the purchase costs the lender's marketing: the coupon it funds and its part of
        the subsidy."""
        return self.lender_coupon + self.lender_subsidy

    @property
    def receivable(self) -> Money:
        """What the borrower owes the lender in principal: the financed amount."""
        return self.financed

    @property
    def net_investment(self) -> Money:
        """The lender's net investment in the loan: financed − subsidy."""
        return self.financed - self.subsidy


@dataclass(frozen=True, slots=True)
class Captured:
    """What an order's earlier captures came to: financed, subsidy, the merchant's part."""

    financed: Money
    subsidy: Money
    merchant_subsidy: Money


def purchase_money(
    price: Money,
    pricing: TermPricing,
    *,
    coupon: Coupon | None = None,
    rounding: Rounding = Rounding.HALF_UP,
    field: str = "price",
    merchant_share: Decimal = Decimal(1),
    before: Captured | None = None,
) -> PurchaseMoney:
    """The money of buying at ``price`` on the term ``pricing``, after ``coupon``; the
    merchant pays ``merchant_share`` of the subsidy (a campaign's share), the lender the rest.

    Refused when the price is not positive, or the coupon would leave nothing to finance.
    ``before``: the order's earlier captures, when this is a later capture of it (the subsidy
    rounded on the running total: see the module).
    """
    if price.fen <= 0:
        raise InvalidInputError("the price must be positive", field=field, value=str(price))
    off = coupon.amount if coupon is not None else Money.zero(price.currency)
    if off >= price:
        raise InvalidInputError(
            "the coupon must be less than the price",
            field="coupon",
            value=str(off),
            remedy=f"a coupon on a price of {price} takes off less than {price}",
        )
    financed = price - off
    zero = Money.zero(price.currency)
    before = before or Captured(zero, zero, zero)  # the first capture, or a whole purchase
    running = (before.financed + financed).times(pricing.subsidy_rate, rounding)
    subsidy = max(running - before.subsidy, zero)
    merchant_running = running.times(merchant_share, rounding)
    merchant_subsidy = min(subsidy, max(merchant_running - before.merchant_subsidy, zero))
    funder = coupon.funded_by if coupon is not None and off.fen else None
    merchant_coupon = off if funder is CouponFunder.MERCHANT else Money.zero(price.currency)
    return PurchaseMoney(
        price=price,
        coupon=off,
        coupon_funded_by=funder,
        financed=financed,
        subsidy=subsidy,
        merchant_settlement=price - merchant_subsidy - merchant_coupon,
        lender_subsidy=subsidy - merchant_subsidy,
    )
