"""Interest coupons (利息券 / 息费折扣券): what a coupon takes off a loan's schedule.

An interest coupon lowers what the borrower pays for credit — never the principal — and is
distinct from a checkout's merchant coupon (满减券, ``commerce``), which lowers the price of
the goods. The lender pays for it (marketing expense, booked when the loan is opened). Three
kinds, as Chinese consumer lenders issue them:

=====================  ===============================================================
``free_days``          N days interest-free (免息券, e.g. 7 or 30 days): each installment's
                       interest and fee lose the share of its period's days that fall in
                       the first N days after disbursement — ``charge × free days ÷ days in
                       the period``, truncated to the fen (the straight-line accrual of
                       ``servicing.daily.accrued_to``).
``rate_discount``      the interest and fee of the first K installments multiplied by a
                       factor (利率折扣券, e.g. ×0.8): each keeps ``charge × factor`` rounded
                       half-up to the fen.
``interest_off``       a fixed amount off the interest and fee (减息券), taken from the first
                       installments on, never more than they charge.
=====================  ===============================================================

Within an installment the cut comes off the interest first, then the installment fee; an
upfront fee is never cut. The schedule with the coupon keeps its due dates and principal, and
its terms carry the cuts (``LoanTerms.charge_relief``) and the coupon's own terms
(``LoanTerms.charge_coupon``, which servicing uses to re-compute the cut when interest is
charged for fewer days or on another balance: a payoff, a prepayment, a re-plan); the
annualized rate and the cost statement are computed on it, that is on what the borrower
actually pays. One offer takes at most one coupon.

Staff define a coupon once as a **batch** (券批次) — its terms, validity, how many one
borrower may hold (:data:`MAX_PER_BORROWER` at most) and the budget its redeemed coupons may
cost — and issue it to one borrower or to every borrower of a segment
(``services.interest_coupons``).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from thinfile.errors import InvalidInputError
from thinfile.loanmath import (
    COUPON_ROUNDING,
    ChargeCoupon,
    CouponRule,
    Schedule,
    build_schedule,
)
from thinfile.money import Money, format_yuan, round_fen

__all__ = [
    "MAX_PER_BORROWER",
    "CouponBatchStatus",
    "CouponCostBooking",
    "CouponKind",
    "InterestCouponStatus",
    "InterestCouponTerms",
    "coupon_cuts",
    "with_coupon",
]

MOST_FREE_DAYS = 366
MOST_PERIODS = 60
MAX_PER_BORROWER = 20
"""The most coupons of one batch a borrower may be given."""


class InterestCouponStatus(enum.StrEnum):
    """A coupon a borrower holds."""

    ISSUED = "issued"
    """usable on one offer inside its validity"""
    REDEEMED = "redeemed"
    """taken off the loan of an accepted offer"""
    VOID = "void"
    EXPIRED = "expired"
    """never used, and its validity has ended (close of business of its last day)"""


class CouponBatchStatus(enum.StrEnum):
    """A coupon batch (券批次): coupons staff define once and issue many times."""

    ACTIVE = "active"
    """issues coupons"""
    ENDED = "ended"
    """issues no more; those issued stay usable in their validity"""


class CouponCostBooking(enum.StrEnum):
    """How the lender books what a batch's redeemed coupon takes off a loan."""

    MARKETING_EXPENSE = "marketing_expense"
    """营销费用: the coupon's value is expensed when the loan opens and held by the loan as
    deferred income, recognised as interest income by the effective-interest method: the
    loan earns its contract rate, the campaign's cost shows as marketing expense."""
    REDUCED_INTEREST_INCOME = "reduced_interest_income"
    """让利 priced into the loan: nothing is booked for the coupon; the loan's contractual
    interest is what the borrower pays, so its interest income is simply lower."""


class CouponKind(enum.StrEnum):
    FREE_DAYS = "free_days"
    RATE_DISCOUNT = "rate_discount"
    INTEREST_OFF = "interest_off"


def _invalid(field: str, value: object, what: str) -> InvalidInputError:
    return InvalidInputError(
        f"{field} must be {what}",
        field=field,
        value=value,
        remedy="free_days needs days; rate_discount a factor and periods; interest_off an amount",
    )


@dataclass(frozen=True, slots=True)
class InterestCouponTerms:
    """What one interest coupon takes off: its kind and the figures that kind needs."""

    kind: CouponKind
    days: int = 0
    factor: Decimal = Decimal(1)
    periods: int = 0
    amount_off: int = 0
    """fen, for ``interest_off``."""

    def __post_init__(self) -> None:
        if self.kind is CouponKind.FREE_DAYS and not 1 <= self.days <= MOST_FREE_DAYS:
            raise _invalid("days", self.days, f"a whole number of days from 1 to {MOST_FREE_DAYS}")
        if self.kind is CouponKind.RATE_DISCOUNT:
            if not Decimal(0) <= self.factor < Decimal(1):
                raise _invalid("factor", str(self.factor), "at least 0 and below 1 (e.g. 0.8)")
            if not 1 <= self.periods <= MOST_PERIODS:
                raise _invalid("periods", self.periods, f"from 1 to {MOST_PERIODS} installments")
        if self.kind is CouponKind.INTEREST_OFF and self.amount_off <= 0:
            raise _invalid("amount_off", format_yuan(self.amount_off), "an amount above 0")

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> InterestCouponTerms:
        """The terms as :meth:`as_dict` writes them (or a form sends them): typed errors
        naming the field for anything else."""
        try:
            kind = CouponKind(str(data.get("kind")))
        except ValueError:
            raise _invalid(
                "kind", data.get("kind"), "free_days, rate_discount or interest_off"
            ) from None
        if kind is CouponKind.FREE_DAYS:
            return cls(kind, days=_whole(data.get("days"), "days"))
        if kind is CouponKind.RATE_DISCOUNT:
            return cls(
                kind,
                factor=_factor(data.get("factor")),
                periods=_whole(data.get("periods"), "periods"),
            )
        amount = data.get("amount_off")
        if isinstance(amount, Money):
            return cls(kind, amount_off=amount.fen)
        try:
            return cls(kind, amount_off=Money.of(str(amount)).fen)
        except (InvalidInputError, ValueError, ArithmeticError, TypeError):
            raise _invalid("amount_off", amount, "an amount in yuan such as 50.00") from None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": self.kind.value}
        if self.kind is CouponKind.FREE_DAYS:
            out["days"] = self.days
        elif self.kind is CouponKind.RATE_DISCOUNT:
            out |= {"factor": str(self.factor), "periods": self.periods}
        else:
            out["amount_off"] = format_yuan(self.amount_off)
        return out

    def as_charge_coupon(self) -> ChargeCoupon:
        """The terms as a loan keeps them (``LoanTerms.charge_coupon``)."""
        return ChargeCoupon(
            CouponRule(self.kind.value),
            days=self.days,
            factor=self.factor,
            periods=self.periods,
            amount_off=self.amount_off,
        )

    def describe(self) -> str:
        if self.kind is CouponKind.FREE_DAYS:
            return f"{self.days} days interest-free"
        if self.kind is CouponKind.RATE_DISCOUNT:
            return f"interest ×{self.factor} on the first {self.periods} installments"
        return f"{format_yuan(self.amount_off)} off the interest"

    def describe_zh(self) -> str:
        if self.kind is CouponKind.FREE_DAYS:
            return f"{self.days}天免息"
        if self.kind is CouponKind.RATE_DISCOUNT:
            tenths = format(self.factor * 10, "f").rstrip("0").rstrip(".") or "0"
            return f"前{self.periods}期利息{tenths}折"
        return f"减息{format_yuan(self.amount_off)}元"


_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
"""A plain decimal in ASCII digits: no exponent, no full-width or other scripts' digits."""


def _whole(value: object, field: str) -> int:
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit():
            return int(text)
        raise _invalid(field, value, "a whole number in the digits 0-9")
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(field, value, "a whole number")
    return value


def _factor(value: object) -> Decimal:
    if isinstance(value, (bool, float)):
        raise _invalid("factor", value, 'a decimal written as text, such as "0.8"')
    if isinstance(value, str) and not _DECIMAL.fullmatch(value.strip()):
        raise _invalid("factor", value, "a decimal in the digits 0-9 such as 0.8")
    try:
        factor = Decimal(str(value))
    except InvalidOperation:
        raise _invalid("factor", value, "a decimal such as 0.8") from None
    if not factor.is_finite():
        raise _invalid("factor", value, "a decimal such as 0.8")
    return factor


def coupon_cuts(schedule: Schedule, coupon: InterestCouponTerms) -> tuple[int, ...]:
    """How much the coupon takes off each installment's interest and fee (fen, in order)."""
    charges = [i.interest + i.fee for i in schedule.installments]
    if coupon.kind is CouponKind.FREE_DAYS:
        start = schedule.terms.start
        starts = [start, *(i.due_date for i in schedule.installments[:-1])]
        cuts = []
        for charge, opens, inst in zip(charges, starts, schedule.installments, strict=True):
            period = (inst.due_date - opens).days
            free_until = min((start - opens).days + coupon.days, period)
            free = max(0, free_until)
            cuts.append(charge if period <= 0 or free >= period else charge * free // period)
        return tuple(cuts)
    if coupon.kind is CouponKind.RATE_DISCOUNT:
        return tuple(
            charge - round_fen(charge * coupon.factor, COUPON_ROUNDING) if k < coupon.periods else 0
            for k, charge in enumerate(charges)
        )
    left, cuts = coupon.amount_off, []
    for charge in charges:
        cut = min(charge, left)
        cuts.append(cut)
        left -= cut
    return tuple(cuts)


def with_coupon(schedule: Schedule, coupon: InterestCouponTerms) -> tuple[Schedule, int]:
    """The schedule the borrower pays with ``coupon`` — its terms carry the cuts
    (``LoanTerms.charge_relief``) and the coupon's own terms (``LoanTerms.charge_coupon``), so
    the loan's stored terms rebuild it and servicing re-computes the cut on what is actually
    charged — and what the coupon takes off in all (fen): the lender's cost."""
    terms = replace(
        schedule.terms,
        charge_relief=coupon_cuts(schedule, coupon),
        charge_coupon=coupon.as_charge_coupon(),
    )
    after = build_schedule(terms)
    return after, schedule.total_repaid - after.total_repaid
