"""The borrower's installment plan (分期方案) for a financed purchase, built by loanmath.

An interest-free plan (免息) is :data:`RepaymentMethod.ZERO_INTEREST`; a plan whose borrower
pays a fee is :data:`RepaymentMethod.FEE_INSTALLMENT`. Either way the financed amount is split
into equal principal parts rounded to the fen with the contract's mode, the last installment
absorbing the remainder (DOMAIN §1.5, §1.7: 10,000 in 3 is 3,333.33 + 3,333.33 + 3,333.34),
and a fee-based plan adds ``monthly fee rate × financed`` to every installment. The annualized
rate and the all-in cost statement come from :mod:`thinfile.loanmath` on the same schedule:
0.00% when the borrower pays no fee, whatever the merchant's subsidy (the borrower does not
pay it, DOMAIN §11).

An order captured in parts books a loan per part (:func:`part_rounding`): each part's fee is
rounded so that the parts' fees never come to more a period than the plan's fee on all that
was captured — splitting a capture never makes the borrower pay more than the plan confirmed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from thinfile.commerce.contract import TermPricing
from thinfile.loanmath import (
    AnnualizedRate,
    CostStatement,
    LoanTerms,
    RepaymentMethod,
    Schedule,
    annualized_rate,
    build_schedule,
    check_cap,
    cost_statement,
    standard_default_terms,
)
from thinfile.money import Money, Rounding, round_fen

__all__ = ["BorrowerPlan", "borrower_plan", "part_rounding"]


@dataclass(frozen=True, slots=True)
class BorrowerPlan:
    """What the borrower repays, its annualized rate and the statement shown before signing."""

    schedule: Schedule
    annualized: AnnualizedRate
    statement: CostStatement

    @property
    def is_interest_free(self) -> bool:
        return self.schedule.terms.method is RepaymentMethod.ZERO_INTEREST


def borrower_plan(
    financed: Money,
    pricing: TermPricing,
    *,
    start: date,
    rounding: Rounding = Rounding.HALF_UP,
    lender: str = "thinfile demo lender",
) -> BorrowerPlan:
    """The monthly plan for ``financed`` on ``pricing``, the first installment one month after
    ``start`` (the purchase date)."""
    method = (
        RepaymentMethod.ZERO_INTEREST
        if pricing.is_interest_free
        else RepaymentMethod.FEE_INSTALLMENT
    )
    terms = LoanTerms(
        principal=financed,
        annual_rate=Decimal(0),
        periods=pricing.periods,
        method=method,
        start=start,
        rounding=rounding,
        monthly_fee_rate=pricing.monthly_fee_rate,
    )
    schedule = build_schedule(terms)
    rate = annualized_rate(schedule)
    check_cap(  # a contract's fee rate is checked at a reference amount; the fen rounds here
        rate,
        field="amount",
        value=str(financed),
        remedy="choose an interest-free plan, another number of periods or a larger amount",
    )
    statement = cost_statement(
        schedule, annualized=rate, default_terms=standard_default_terms(method), lender=lender
    )
    return BorrowerPlan(schedule, rate, statement)


def part_rounding(
    before: Sequence[int], amount: int, pricing: TermPricing, rounding: Rounding
) -> Rounding:
    """The rounding of the plan of a part of ``amount`` fen captured after the parts
    ``before`` (fen, in the order captured) of one order: the contract's ``rounding``, unless
    the parts' fees a period would then come to more than the fee of all captured so far —
    rounded the contract's way, or half-up when that is more — then down.

    Down always fits: by the same rule the earlier parts' fees are at most that bound on what
    they came to, which is below their exact fee plus one fen when the bound rounds up and
    at most their exact fee plus half a fen when it rounds half-up; a part rounded down adds
    at most its own exact fee, so the sum stays below the whole's exact fee plus one fen (or
    at most it plus half a fen), and being whole fen it is at most the bound. An order
    captured at once keeps the contract's rounding: the plan the borrower confirmed. An
    interest-free plan has no fee and keeps the contract's rounding."""
    rate = pricing.monthly_fee_rate
    if rate == 0:
        return rounding
    charged, total, mode = 0, 0, rounding
    for part in (*before, amount):
        total += part
        exact = Decimal(total) * rate
        bound = max(round_fen(exact, rounding), round_fen(exact, Rounding.HALF_UP))
        fits = charged + round_fen(Decimal(part) * rate, rounding) <= bound
        mode = rounding if fits else Rounding.DOWN
        charged += round_fen(Decimal(part) * rate, mode)
    return mode
