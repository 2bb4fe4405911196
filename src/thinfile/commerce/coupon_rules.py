"""Coupons (满减券): their rules, who may use one, and what a cancelled order gives back.

Staff define a coupon: ``amount_off`` taken off an order of at least ``threshold`` (满 300 减
30), usable from ``valid_from`` to ``valid_to`` (both inclusive), at most
``per_borrower_limit`` of them held by one borrower, funded by the merchant or by the lender
(:class:`~thinfile.commerce.purchase.CouponFunder`), optionally only at some merchants. The
**budget** caps the face value issued: every coupon issued reserves its amount, so every
coupon a borrower holds can be used.

A borrower's coupon is ``issued`` (usable inside its window), ``redeemed`` (used by one
order), ``void`` (given back after it expired: never usable again) or ``expired`` (never used;
close of business of its window's last day gives its face value back to the budget,
``services.coupon_expiry``).

**Returns.** An order that is cancelled (voided before any capture) or fully refunded gives
its coupon back (:func:`status_after_return`): ``issued`` again when the day of the return is
inside the coupon's window, ``void`` when the coupon has expired by then — an expired coupon
is not revived. A partial refund gives nothing back: the coupon stays with the order, and so
neither a partial refund nor a void may leave the order below the coupon's threshold
(``services.checkout.check_coupon_kept``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from thinfile.commerce.campaign import display_name
from thinfile.commerce.purchase import Coupon, CouponFunder
from thinfile.errors import FieldProblem, InvalidCouponError
from thinfile.money import Money

__all__ = [
    "MAX_COUPON_DAYS",
    "MAX_PER_BORROWER",
    "BorrowerCouponStatus",
    "CouponRules",
    "CouponStatus",
    "status_after_return",
]

MAX_COUPON_DAYS = 366
"""The longest validity window of a coupon."""
MAX_PER_BORROWER = 100
"""The most coupons of one kind a borrower may hold."""


class CouponStatus(enum.StrEnum):
    """Whether a coupon may still be issued."""

    ACTIVE = "active"
    ENDED = "ended"
    """No more are issued; those issued stay usable inside their window."""


class BorrowerCouponStatus(enum.StrEnum):
    """One coupon a borrower holds."""

    ISSUED = "issued"
    REDEEMED = "redeemed"
    VOID = "void"
    """Given back by a cancelled or refunded order after it expired: never usable again."""
    EXPIRED = "expired"
    """Never used, and its window has ended (close of business of its last day)."""


def _problems(rules: CouponRules) -> list[FieldProblem]:
    out: list[FieldProblem] = []
    name = display_name(rules.name, field="name", longest=200)
    if isinstance(name, FieldProblem):
        out.append(name)
    else:
        object.__setattr__(rules, "name", name)  # the normal form is the one kept
    if rules.amount_off.fen <= 0:
        out.append(FieldProblem("amount_off", "must be positive", str(rules.amount_off)))
    if rules.threshold <= rules.amount_off:
        out.append(
            FieldProblem(
                "threshold",
                "must be above amount_off (满减: the order must be worth more than the coupon)",
                str(rules.threshold),
            )
        )
    if rules.budget < rules.amount_off:
        out.append(FieldProblem("budget", "must cover at least one coupon", str(rules.budget)))
    if rules.valid_to < rules.valid_from:
        out.append(FieldProblem("valid_to", "must not be before valid_from", str(rules.valid_to)))
    elif (rules.valid_to - rules.valid_from).days >= MAX_COUPON_DAYS:
        out.append(FieldProblem("valid_to", f"a coupon is valid at most {MAX_COUPON_DAYS} days"))
    return out + _who_problems(rules)


def _who_problems(rules: CouponRules) -> list[FieldProblem]:
    out: list[FieldProblem] = []
    limit: object = rules.per_borrower_limit
    if type(limit) is not int or not 1 <= limit <= MAX_PER_BORROWER:
        out.append(
            FieldProblem("per_borrower_limit", f"must be from 1 to {MAX_PER_BORROWER}", limit)
        )
    funder: object = rules.funded_by
    if not isinstance(funder, CouponFunder):
        out.append(FieldProblem("funded_by", "must be merchant or lender", funder))
    elif funder is CouponFunder.MERCHANT and not rules.merchant_ids:
        out.append(
            FieldProblem("merchant_ids", "a merchant-funded coupon names the merchants funding it")
        )
    if len(set(rules.merchant_ids)) != len(rules.merchant_ids):
        out.append(FieldProblem("merchant_ids", "each merchant may be named once"))
    return out


@dataclass(frozen=True, slots=True)
class CouponRules:
    """A coupon as staff define it (validated on construction). ``merchant_ids`` empty: usable
    at every merchant (lender-funded only)."""

    name: str
    amount_off: Money
    threshold: Money
    valid_from: date
    valid_to: date
    per_borrower_limit: int
    budget: Money
    funded_by: CouponFunder
    merchant_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            single = len(problems) == 1
            raise InvalidCouponError(
                problems[0].message
                if single
                else "the coupon is not valid: "
                + "; ".join(f"{p.field}: {p.message}" for p in problems),
                field=problems[0].field if single else None,
                value=problems[0].value if single else None,
                problems=problems,
            )

    @property
    def coupon(self) -> Coupon:
        """What one redemption takes off, and who bears it (for ``purchase_money``)."""
        return Coupon(self.amount_off, self.funded_by)

    def is_valid_on(self, on: date) -> bool:
        return self.valid_from <= on <= self.valid_to

    def refusal(self, order_amount: Money, merchant_id: str | None, on: date) -> str | None:
        """Why this coupon cannot be used on the order, or None when it can."""
        if not self.is_valid_on(on):
            return f"the coupon is valid from {self.valid_from} to {self.valid_to}"
        if order_amount < self.threshold:
            return f"the coupon needs an order of at least {self.threshold}"
        if self.merchant_ids and merchant_id not in self.merchant_ids:
            return "the coupon is not accepted by this merchant"
        return None


def status_after_return(rules: CouponRules, on: date) -> BorrowerCouponStatus:
    """The status of a coupon its cancelled or fully refunded order gives back on ``on``:
    usable again inside its window, void once it has expired (never revived)."""
    if on <= rules.valid_to:
        return BorrowerCouponStatus.ISSUED
    return BorrowerCouponStatus.VOID
