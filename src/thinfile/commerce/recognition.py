"""Recognising the merchant subsidy as income by the effective-interest method.

Under CAS 22 / IFRS 9 a merchant subsidy that pays for a below-market rate is part of the
loan's effective interest rate (DOMAIN §6.2, §11): the lender defers it and recognises it over
the loan. The periodic effective rate ``r`` is the rate at which the borrower's installments,
discounted, equal the lender's net investment (financed − subsidy)::

    net investment = Σ_k installment_k / (1 + r)^k

Each period recognises ``r × carrying amount at the start of the period`` rounded to the fen,
the carrying amount then growing by that income and falling by the installment. The last
period recognises whatever is still deferred, so the recognitions sum exactly to the deferred
income (the subsidy, plus any fee the borrower pays) and the deferred balance ends at zero. No
period recognises more than is still deferred, so the balance is never negative.

Worked example (DOMAIN §11): 12 × 1,000.00 on a net investment of 11,100.00 gives r =
1.2203% a month; 135.45, 124.90, 114.22 … 12.06; 525.43 still deferred after month 3.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from thinfile.errors import InvalidInputError
from thinfile.loanmath import Schedule, effective_interest_income
from thinfile.money import Money, Rounding

__all__ = ["IncomeRecognition", "RecognitionPeriod", "recognise_income"]


@dataclass(frozen=True, slots=True)
class RecognitionPeriod:
    """One period's recognised income. Amounts are integer fen."""

    n: int
    due_date: date
    opening: int
    """Carrying amount (net investment outstanding) at the start of the period."""
    income: int
    installment: int
    closing: int
    deferred_after: int
    """Deferred income not yet recognised after this period."""


@dataclass(frozen=True, slots=True)
class IncomeRecognition:
    """The effective rate and the period-by-period recognition of a loan's deferred income."""

    effective_rate: Decimal
    """The periodic (monthly) effective interest rate r."""
    net_investment: Money
    deferred_income: Money
    """Everything to be recognised: total repaid − net investment (subsidy + fees)."""
    periods: tuple[RecognitionPeriod, ...]

    @property
    def total_recognised(self) -> int:
        return sum(p.income for p in self.periods)


def recognise_income(
    schedule: Schedule, net_investment: Money, *, rounding: Rounding = Rounding.HALF_UP
) -> IncomeRecognition:
    """Recognise ``schedule``'s income by the effective-interest method on ``net_investment``.

    The schedule's periods must be regular (no broken first period): the rate is per period.
    """
    if schedule.terms.first_due is not None:
        raise InvalidInputError(
            "income is recognised per regular period; this schedule has a broken first period",
            field="first_due",
            value=schedule.terms.first_due.isoformat(),
        )
    totals = [i.total for i in schedule.installments]
    deferred = sum(totals) - net_investment.fen
    if net_investment.fen <= 0 or deferred < 0:
        raise InvalidInputError(
            "the net investment must be positive and at most what the borrower repays",
            field="net_investment",
            value=str(net_investment),
        )
    earned = effective_interest_income(net_investment.fen, totals, rounding=rounding)
    rows: list[RecognitionPeriod] = []
    carrying, remaining = net_investment.fen, deferred
    for inst, income in zip(schedule.installments, earned.incomes, strict=True):
        remaining -= income
        closing = carrying + income - inst.total
        rows.append(
            RecognitionPeriod(
                inst.n, inst.due_date, carrying, income, inst.total, closing, remaining
            )
        )
        carrying = closing
    return IncomeRecognition(
        effective_rate=earned.rate,
        net_investment=net_investment,
        deferred_income=Money(deferred, net_investment.currency),
        periods=tuple(rows),
    )
