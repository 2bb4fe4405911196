"""Affordability, limits and risk-based prices under the cap, turned into priced offers.

Each offer's schedule, annualized rate and all-in cost statement come from
``thinfile.loanmath``; an offer whose annualized cost would exceed the policy cap is re-priced
down to the cap (the largest price that fits) and never made above it. Such an offer keeps the
annualized rate it had before re-pricing, with the cap and the basis it was checked on.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from thinfile.decisioning.application import Application
from thinfile.decisioning.buildup import BuildUp
from thinfile.decisioning.policy import GraphMoney, PolicySettings
from thinfile.decisioning.programmes import ProgrammeUse
from thinfile.loanmath import (
    AnnualizedRate,
    CapBasis,
    CostStatement,
    DefaultTerms,
    LoanTerms,
    RepaymentMethod,
    Schedule,
    annualized_rate,
    build_schedule,
    cap_measure,
    cost_statement,
    standard_default_terms,
)
from thinfile.money import Money, Rounding, round_fen

__all__ = [
    "Affordability",
    "Disclosure",
    "Offer",
    "Price",
    "ProductRule",
    "RateBeforeCap",
    "assess_affordability",
    "is_fee_based",
    "loan_terms",
    "price_offer",
    "upfront_fee",
]

_CAP_SEARCH_STEPS = 8
_CAP_TOLERANCE = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class Disclosure:
    """What an offer's cost statement needs beyond its schedule and rate."""

    lender: str
    default_terms: DefaultTerms

    @classmethod
    def standard(cls, method: RepaymentMethod, lender: str) -> Disclosure:
        """The lender's statement under the standard default terms of ``method`` (one value
        per method and lender: both parts are frozen)."""
        return _standard_disclosure(method, lender)


@functools.lru_cache(maxsize=64)
def _standard_disclosure(method: RepaymentMethod, lender: str) -> Disclosure:
    return Disclosure(lender, standard_default_terms(method))


@dataclass(frozen=True, slots=True)
class Affordability:
    """Estimated monthly income and the room left for a new installment (fen)."""

    income: int
    existing_debt: int
    max_dsr: Decimal
    max_installment: int
    source: str

    def as_dict(self) -> dict[str, object]:
        return {
            "income": self.income,
            "existing_debt": self.existing_debt,
            "max_dsr": str(self.max_dsr),
            "max_installment": self.max_installment,
            "source": self.source,
        }


def _estimated_income(app: Application, settings: PolicySettings) -> tuple[int, str]:
    """Monthly income in fen after haircuts, and where it came from: at least three months of
    observed platform income, else the income the applicant declared, else none."""
    observed = app.income_monthly_mean or 0
    if observed and (app.income_months_observed or 0) >= 3:
        cv = Decimal(str(app.income_monthly_cv or 0.0))
        keep = 1 - settings.income_haircut - settings.volatility_haircut * cv
        source = "verified" if app.income_verified else "alternative data"
        return max(0, round_fen(observed * keep, Rounding.DOWN)), source
    declared = app.declared_monthly_income or 0
    if declared:
        keep = 1 - settings.declared_income_haircut
        return round_fen(declared * keep, Rounding.DOWN), "declared"
    return 0, "none"


def assess_affordability(
    app: Application, settings: PolicySettings, max_dsr: Decimal
) -> Affordability:
    income, source = _estimated_income(app, settings)
    debt = app.existing_debt_payment_monthly or 0
    room = round_fen(income * max_dsr, Rounding.DOWN) - debt
    return Affordability(income, debt, max_dsr, max(0, room), source)


@dataclass(frozen=True, slots=True)
class ProductRule:
    """One eligible product as the policy's product table returned it."""

    code: str
    method: RepaymentMethod
    min_amount: int
    max_amount: int
    min_term: int
    max_term: int
    fit: int
    rate_adjustment: Decimal
    upfront_fee_rate: Decimal

    @classmethod
    def from_policy(cls, row: Mapping[str, Any], money: GraphMoney) -> ProductRule:
        """The rule as a row of the policy's product table gave it (amounts in fen)."""
        return cls(
            code=str(row["code"]),
            method=RepaymentMethod(str(row["method"])),
            min_amount=money.from_graph(row, "min_amount"),
            max_amount=money.from_graph(row, "max_amount"),
            min_term=int(row["min_term"]),
            max_term=int(row["max_term"]),
            fit=int(row["fit"]),
            rate_adjustment=Decimal(str(row.get("rate_adjustment", "0"))),
            upfront_fee_rate=Decimal(str(row.get("upfront_fee_rate", "0"))),
        )


@dataclass(frozen=True, slots=True)
class RateBeforeCap:
    """The annualized rate an offer had before it was re-priced down to the cap (利率上限).

    ``cap`` and ``basis`` are the policy's at decision time: the cap was checked on the
    nominal rate, the compounded one, or the stricter (higher) of the two (DOMAIN.md §2.2).
    """

    rate: AnnualizedRate
    cap: Decimal
    basis: CapBasis

    def as_dict(self) -> dict[str, str]:
        return {
            "nominal": str(self.rate.nominal),
            "effective": str(self.rate.effective),
            "cap": str(self.cap),
            "cap_basis": self.basis.value,
        }


@dataclass(frozen=True, slots=True)
class Offer:
    product: str
    fit: int
    schedule: Schedule
    annualized: AnnualizedRate
    disclosure: Disclosure
    """Who lends and the default terms: the cost statement is drawn from these on demand."""
    credit_limit: int | None
    before_cap: RateBeforeCap | None
    """The rate before re-pricing to the cap; None when the offer was priced under it."""
    build_up: BuildUp | None = None
    """How the price was built (a policy with ``pricing``); stored with the decision for
    staff (``price_build_up``), never on the offer the borrower sees."""
    programme: ProgrammeUse | None = None
    """The preferential programme the offer took, with its price before and after."""

    @property
    def statement(self) -> CostStatement:
        """The all-in cost statement of the offer's schedule, built when asked for: a
        decision stores it, a simulation that only counts offers never needs it."""
        return cost_statement(
            self.schedule,
            lender=self.disclosure.lender,
            annualized=self.annualized,
            default_terms=self.disclosure.default_terms,
        )

    @property
    def capped(self) -> bool:
        """Whether the offer was re-priced down to the cap."""
        return self.before_cap is not None

    @property
    def amount(self) -> int:
        return self.schedule.terms.principal.fen

    @property
    def total_cost(self) -> int:
        return self.schedule.total_repaid + self.schedule.terms.upfront_fee.fen - self.amount

    def as_dict(self) -> dict[str, object]:
        """The offer as stored with the decision.

        ``before_cap`` (nominal and compounded rates before re-pricing, the cap and its basis)
        is present only for an offer re-priced to the cap: a decision stored before the key
        existed, none of whose offers was re-priced, replays to exactly what was stored.
        """
        t, s = self.schedule.terms, self.schedule
        stored: dict[str, object] = {
            "product": self.product,
            "method": t.method.value,
            "amount": str(t.principal),
            "term_months": t.periods,
            "annual_rate": str(t.annual_rate),
            "monthly_fee_rate": str(t.monthly_fee_rate),
            "upfront_fee": str(t.upfront_fee),
            "first_installment": str(Money(s.installments[0].total)),
            "total_repaid": str(Money(s.total_repaid)),
            "total_cost": str(Money(self.total_cost)),
            "annualized_rate": self.annualized.as_dict(),
            "credit_limit": None if self.credit_limit is None else str(Money(self.credit_limit)),
            "capped_to_legal_limit": self.capped,
            "start": t.start.isoformat(),
            "statement": self.statement.as_dict(),
        }
        if self.before_cap is not None:
            stored["before_cap"] = self.before_cap.as_dict()
        if self.programme is not None:
            stored["programme"] = self.programme.as_dict()
        return stored


@dataclass(frozen=True, slots=True)
class Price:
    annual_rate: Decimal
    monthly_fee_rate: Decimal
    upfront_fee_rate: Decimal

    def scaled(self, factor: Decimal) -> Price:
        q = Decimal("0.000001")
        return Price(
            (self.annual_rate * factor).quantize(q),
            (self.monthly_fee_rate * factor).quantize(q),
            (self.upfront_fee_rate * factor).quantize(q),
        )


def is_fee_based(method: RepaymentMethod) -> bool:
    """Whether the product's price is a monthly fee rate (分期手续费), not an interest rate."""
    return method in (RepaymentMethod.FEE_INSTALLMENT, RepaymentMethod.ZERO_INTEREST)


def upfront_fee(amount: int, rate: Decimal) -> int:
    """The fee taken at disbursement: ``rate`` of the amount, half-up to the fen."""
    return round_fen(amount * rate, Rounding.HALF_UP)


def loan_terms(rule: ProductRule, amount: int, term: int, price: Price, start: date) -> LoanTerms:
    """The terms of ``amount`` over ``term`` months of ``rule`` at ``price``."""
    fee_based = is_fee_based(rule.method)
    return LoanTerms(
        principal=Money(amount),
        annual_rate=Decimal(0) if fee_based else price.annual_rate,
        periods=term,
        method=rule.method,
        start=start,
        monthly_fee_rate=price.monthly_fee_rate if fee_based else Decimal(0),
        upfront_fee=Money(upfront_fee(amount, price.upfront_fee_rate)),
    )


def _affordable_schedule(
    rule: ProductRule, amount: int, term: int, price: Price, start: date, room: int, step: int
) -> Schedule | None:
    schedule = build_schedule(loan_terms(rule, amount, term, price, start))
    peak = max(i.total for i in schedule.installments)
    if peak > room:
        amount = (amount * room // peak) // step * step
        if amount < rule.min_amount:
            return None
        schedule = build_schedule(loan_terms(rule, amount, term, price, start))
    return schedule


def price_offer(
    rule: ProductRule,
    app: Application,
    *,
    base: Price,
    limit: int,
    room: int,
    settings: PolicySettings,
    start: date,
    lender: str,
) -> Offer | None:
    """The best offer of ``rule`` for ``app``, affordable and under the cap; None if none fits."""
    step = settings.amount_step
    amount = min(app.requested_amount, limit, rule.max_amount) // step * step
    term = min(max(app.requested_term_months, rule.min_term), rule.max_term)
    if amount < rule.min_amount:
        return None
    price = Price(
        max(Decimal(0), base.annual_rate + rule.rate_adjustment),
        base.monthly_fee_rate,
        rule.upfront_fee_rate,
    )
    schedule = _affordable_schedule(rule, amount, term, price, start, room, step)
    if schedule is None:
        return None
    rate = annualized_rate(schedule)
    before_cap = None
    if cap_measure(rate, settings.cap_basis) > settings.cap:
        before_cap = RateBeforeCap(rate, settings.cap, settings.cap_basis)
        found = _largest_price_under_cap(rule, schedule, rate, price, settings, start)
        if found is None:
            return None
        schedule, rate = found
    return Offer(
        rule.code,
        rule.fit,
        schedule,
        rate,
        Disclosure.standard(rule.method, lender),
        limit if rule.code == "revolving_line" else None,
        before_cap,
    )


def _largest_price_under_cap(
    rule: ProductRule,
    schedule: Schedule,
    before: AnnualizedRate,
    price: Price,
    settings: PolicySettings,
    start: date,
) -> tuple[Schedule, AnnualizedRate] | None:
    """Scale every price component down until the cost sits just under the cap.

    The annualized cost is nearly proportional to the price, so each step rescales by
    cap / measured; the best price found under the cap (within 0.01%) is kept.
    """
    amount, term = schedule.terms.principal.fen, schedule.terms.periods
    measured = cap_measure(before, settings.cap_basis)
    factor, best = Decimal(1), None
    for _ in range(_CAP_SEARCH_STEPS):
        factor = factor * settings.cap / measured * Decimal("0.99999")
        candidate = build_schedule(loan_terms(rule, amount, term, price.scaled(factor), start))
        rate = annualized_rate(candidate)
        measured = cap_measure(rate, settings.cap_basis)
        if measured <= settings.cap:
            best = (candidate, rate)
            if settings.cap - measured <= _CAP_TOLERANCE:
                break
    return best
