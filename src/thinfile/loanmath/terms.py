"""Loan terms: everything a product fixes about how a loan is repaid, validated once."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from thinfile.errors import FieldProblem, InvalidInputError
from thinfile.loanmath.calendar import Frequency
from thinfile.loanmath.daycount import DayCount
from thinfile.money import Money, Rounding, round_fen

__all__ = [
    "COUPON_ROUNDING",
    "ChargeCoupon",
    "CouponRule",
    "InterestBasis",
    "LoanTerms",
    "RepaymentMethod",
]

MAX_PERIODS = 600
LAST_START_YEAR = date.max.year - MAX_PERIODS // 12 - 1
"""No schedule starts after this year: its longest run of monthly due dates (``MAX_PERIODS``)
must end by 9999-12-31, the last day the calendar holds."""


class RepaymentMethod(enum.StrEnum):
    EQUAL_INSTALLMENT = "equal-installment"
    """等额本息: a level installment on the declining balance (annuity)."""
    EQUAL_PRINCIPAL = "equal-principal"
    """等额本金: the same principal each period, interest on the declining balance."""
    INTEREST_ONLY = "interest-only"
    """先息后本: interest each period, all principal with the last installment."""
    BULLET = "bullet"
    """一次性还本付息 (利随本清): principal and all interest in one payment at maturity."""
    FLAT = "flat"
    """Flat rate: interest each period on the original principal, equal principal parts."""
    FEE_INSTALLMENT = "fee-installment"
    """分期手续费: equal principal parts plus a fee per period on the original principal."""
    ZERO_INTEREST = "zero-interest"
    """免息: equal principal parts, no interest (a merchant or promotion bears the cost)."""


class InterestBasis(enum.StrEnum):
    PER_PERIOD = "per-period"
    """Regular periods use annual rate / periods per year (月利率 = 年利率/12)."""
    DAILY = "daily"
    """Every period uses annual rate × days / basis under the day count."""


COUPON_ROUNDING = Rounding.HALF_UP
"""How a rate-discount coupon's ``charge × factor`` becomes whole fen (四舍五入), at opening
(``decisioning.interest_coupons.coupon_cuts``) and whenever servicing re-computes its cut."""


class CouponRule(enum.StrEnum):
    """The kind of an interest coupon, as a loan's terms keep it (the values of
    ``decisioning.interest_coupons.CouponKind``)."""

    FREE_DAYS = "free_days"
    """the interest and fee of the first ``days`` days after disbursement"""
    RATE_DISCOUNT = "rate_discount"
    """the interest and fee of the first ``periods`` installments × ``factor``"""
    INTEREST_OFF = "interest_off"
    """``amount_off`` fen off the interest and fee, from the first installments on"""


@dataclass(frozen=True, slots=True)
class ChargeCoupon:
    """An interest coupon's own terms, kept on the loan beside the cuts it made at opening
    (``LoanTerms.charge_relief``): servicing re-computes the cut from them whenever interest
    is charged for fewer days or on another balance (a payoff, a prepayment, a re-plan), so
    the borrower gets what the coupon promises — a factor of what is charged, the interest
    of the free days, what is left of the amount — not a fixed sum in fen."""

    rule: CouponRule
    days: int = 0
    factor: Decimal = Decimal(1)
    periods: int = 0
    amount_off: int = 0
    """fen, for ``interest_off``."""

    def covers(self, n: int) -> bool:
        """Whether a rate discount applies to installment ``n`` (numbered from 1)."""
        return self.rule is CouponRule.RATE_DISCOUNT and 0 < n <= self.periods

    def rate_cut(self, charge: int) -> int:
        """What a rate discount takes off ``charge`` fen: ``charge`` less ``charge ×
        factor`` rounded by :data:`COUPON_ROUNDING`."""
        return charge - round_fen(charge * self.factor, COUPON_ROUNDING)

    def kept(self, charge: int) -> int:
        """What a rate discount leaves of ``charge`` fen (``charge × factor``, rounded)."""
        return charge - self.rate_cut(charge)


@dataclass(frozen=True, slots=True)
class LoanTerms:
    """The contract terms a schedule is built from.

    ``monthly_fee_rate`` is the fee per period on the original principal (分期手续费率);
    ``upfront_fee`` is deducted from the disbursement and counts in the annualized rate.
    ``multiple_of`` is in fen: 100 lifts the level installment to whole yuan.
    ``installment_rounding`` (default: ``rounding``) rounds the level installment;
    ``rounding`` rounds each period's interest and fee.
    """

    principal: Money
    annual_rate: Decimal
    periods: int
    method: RepaymentMethod
    start: date
    first_due: date | None = None
    frequency: Frequency = Frequency.MONTHLY
    day_count: DayCount = DayCount.THIRTY_360
    interest_basis: InterestBasis = InterestBasis.PER_PERIOD
    grace_principal: int = 0
    grace_interest: int = 0
    multiple_of: int = 1
    rounding: Rounding = Rounding.HALF_EVEN
    installment_rounding: Rounding | None = None
    monthly_fee_rate: Decimal = Decimal(0)
    upfront_fee: Money = field(default_factory=Money.zero)
    charge_relief: tuple[int, ...] = ()
    """fen taken off each installment's interest, then its fee, in order (an interest coupon,
    ``decisioning.interest_coupons``); never more than the installment charges. Empty: none."""
    charge_coupon: ChargeCoupon | None = None
    """The coupon that made ``charge_relief`` (its kind and figures), for servicing to
    re-compute its cut on what is actually charged; None for loans opened before it was kept
    (their cuts stay the fixed fen of ``charge_relief``). The schedule ignores it."""

    def __post_init__(self) -> None:
        problems = list(_problems(self))
        if problems:
            raise InvalidInputError(
                "the loan terms are not valid: "
                + "; ".join(f"{p.field}: {p.message}" for p in problems),
                field=problems[0].field if len(problems) == 1 else None,
                value=problems[0].value if len(problems) == 1 else None,
                problems=problems,
            )

    @property
    def level_rounding(self) -> Rounding:
        return self.installment_rounding or self.rounding


def _problems(t: LoanTerms) -> list[FieldProblem]:
    if t.principal.fen <= 0:
        principal_problems = [FieldProblem("principal", "must be positive", str(t.principal))]
    else:
        principal_problems = []
    if not isinstance(t.periods, int) or not 1 <= t.periods <= MAX_PERIODS:
        return [
            *principal_problems,
            FieldProblem("periods", f"must be a whole number from 1 to {MAX_PERIODS}", t.periods),
        ]
    return (
        principal_problems
        + _rate_problems(t)
        + _schedule_problems(t)
        + _fee_problems(t)
        + _relief_problems(t)
    )


def _relief_problems(t: LoanTerms) -> list[FieldProblem]:
    relief = t.charge_relief
    if not relief:
        return []
    whole = all(isinstance(f, int) and not isinstance(f, bool) and f >= 0 for f in relief)
    if len(relief) != t.periods or not whole:
        return [
            FieldProblem(
                "charge_relief", "must be one amount of 0 fen or more per period", len(relief)
            )
        ]
    return []


def _rate_problems(t: LoanTerms) -> list[FieldProblem]:
    out = []
    for name in ("annual_rate", "monthly_fee_rate"):
        value = getattr(t, name)
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
            out.append(FieldProblem(name, "must be a non-negative Decimal", value))
    if t.method is RepaymentMethod.ZERO_INTEREST and t.annual_rate != 0:
        out.append(
            FieldProblem(
                "annual_rate", "a zero-interest plan has no interest rate", str(t.annual_rate)
            )
        )
    return out


def _schedule_problems(t: LoanTerms) -> list[FieldProblem]:
    out = []
    if t.first_due is not None and t.first_due <= t.start:
        out.append(
            FieldProblem("first_due", "must be after the start date", t.first_due.isoformat())
        )
    grace = t.grace_principal, t.grace_interest
    if min(grace) < 0 or max(grace) >= t.periods:
        out.append(
            FieldProblem(
                "grace_principal" if t.grace_principal else "grace_interest",
                "grace must be at least 0 and fewer than the periods",
                max(grace),
            )
        )
    if t.multiple_of < 1:
        out.append(FieldProblem("multiple_of", "must be at least 1 fen", t.multiple_of))
    anchor = t.first_due or t.start
    if anchor.year > LAST_START_YEAR:
        out.append(
            FieldProblem(
                "first_due" if t.first_due else "start",
                f"must be in {LAST_START_YEAR} or before: every due date must fit the calendar",
                anchor.isoformat(),
            )
        )
    return out


def _fee_problems(t: LoanTerms) -> list[FieldProblem]:
    out = []
    if t.upfront_fee.fen < 0 or t.upfront_fee.fen >= t.principal.fen > 0:
        out.append(
            FieldProblem(
                "upfront_fee", "must be at least 0 and less than the principal", str(t.upfront_fee)
            )
        )
    if t.upfront_fee.currency != t.principal.currency:
        out.append(
            FieldProblem(
                "upfront_fee", "must be in the principal's currency", t.upfront_fee.currency
            )
        )
    return out
