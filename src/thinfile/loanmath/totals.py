"""What a schedule adds up to, without its rows: for a search that tries many prices and keeps
one schedule (the risk-based price search, ``decisioning.risk_pricing``).

:func:`schedule_totals` is ``ScheduleTotals.of(build_schedule(terms))``; for a loan without
grace, interest relief or a single bullet payment it runs the schedule's own loop (each
period's interest rounded to the fen in the terms' mode, the last installment absorbing the
residual) and keeps sums instead of rows. :func:`monthly_totals` is the same for the monthly
terms a product is priced on, without building and validating :class:`LoanTerms` for each
price tried.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from thinfile.loanmath.calendar import due_dates
from thinfile.loanmath.schedule import (
    PrincipalRule,
    Schedule,
    build_schedule,
    period_rates,
    principal_plan,
)
from thinfile.loanmath.terms import LoanTerms, RepaymentMethod
from thinfile.money import Money, Rounding, round_fen

__all__ = ["ScheduleTotals", "monthly_totals", "schedule_totals"]

_ONE = Decimal(1)
_MONTHS = 12


@dataclass(frozen=True, slots=True)
class ScheduleTotals:
    """What :func:`~thinfile.loanmath.build_schedule`'s schedule adds up to, in fen."""

    interest: int
    fees: int
    """Per-installment fees plus the upfront fee (:attr:`Schedule.total_fees`)."""
    opening_balances: int
    """Each period's opening principal, summed (fen-periods)."""
    peak: int
    """The largest installment."""

    @classmethod
    def of(cls, schedule: Schedule) -> ScheduleTotals:
        rows = schedule.installments
        opening = schedule.terms.principal.fen + sum(i.balance for i in rows[:-1])
        return cls(
            schedule.total_interest,
            schedule.total_fees,
            opening,
            max(i.total for i in rows),
        )


def schedule_totals(terms: LoanTerms) -> ScheduleTotals:
    """``ScheduleTotals.of(build_schedule(terms))``, without building the rows when it can."""
    if terms.grace_interest or terms.grace_principal or terms.charge_relief:
        return ScheduleTotals.of(build_schedule(terms))
    dates = due_dates(terms.start, terms.periods, terms.frequency, terms.first_due)
    rates = period_rates(terms, dates)
    plan = principal_plan(
        terms.method,
        terms.principal.fen,
        rates,
        multiple_of=terms.multiple_of,
        rounding=terms.level_rounding,
    )
    if plan is None:
        return ScheduleTotals.of(build_schedule(terms))
    fee = round_fen(terms.principal.fen * terms.monthly_fee_rate, terms.rounding)
    return _summed(terms.principal.fen, rates, fee, terms.upfront_fee.fen, terms.rounding, *plan)


def monthly_totals(
    method: RepaymentMethod,
    principal: int,
    annual_rate: Decimal,
    periods: int,
    *,
    monthly_fee_rate: Decimal,
    upfront_fee: int,
    start: date,
) -> ScheduleTotals:
    """``schedule_totals`` of ``LoanTerms(Money(principal), annual_rate, periods, method,
    start, monthly_fee_rate=…, upfront_fee=Money(upfront_fee))``: monthly, every other term
    at its default (no grace, no first-period stub, half-even to the fen). The terms are not
    validated here; the schedule built from the price found validates them."""
    rates = [annual_rate / _MONTHS] * periods
    plan = principal_plan(method, principal, rates, rounding=Rounding.HALF_EVEN)
    if plan is None:
        terms = LoanTerms(
            Money(principal),
            annual_rate,
            periods,
            method,
            start,
            monthly_fee_rate=monthly_fee_rate,
            upfront_fee=Money(upfront_fee),
        )
        return ScheduleTotals.of(build_schedule(terms))
    fee = round_fen(principal * monthly_fee_rate, Rounding.HALF_EVEN)
    return _summed(principal, rates, fee, upfront_fee, Rounding.HALF_EVEN, *plan)


def _summed(
    principal: int,
    rates: Sequence[Decimal],
    fee: int,
    upfront: int,
    mode: Rounding,
    principal_part: PrincipalRule,
    interest_on_original: bool,
) -> ScheduleTotals:
    """The loop of ``schedule._amortize_regular``, summing instead of keeping rows."""
    balance = principal
    decimal_mode, last = mode.decimal_mode, len(rates) - 1
    interest_total = opening = peak = 0
    for k, rate in enumerate(rates):
        owed = (principal if interest_on_original else balance) * rate
        interest = int(owed.quantize(_ONE, rounding=decimal_mode))
        opening += balance
        if k == last:
            part = balance
        else:
            part = principal_part(k, interest)
            part = balance if part > balance else (part if part > 0 else 0)
        balance -= part
        interest_total += interest
        total = part + interest + fee
        peak = total if total > peak else peak
    return ScheduleTotals(interest_total, fee * len(rates) + upfront, opening, peak)
