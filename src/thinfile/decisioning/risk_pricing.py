"""One offer priced by the build-up (:mod:`thinfile.decisioning.buildup`), affordably, under
the cap, with any preferential programme (:mod:`thinfile.decisioning.programmes`).

The amount starts from the request (within the limit and the product's range); the lowest
price meeting the target return is solved on its schedule; if the peak installment is not
affordable the amount shrinks to fit and the price is solved again (a smaller loan carries its
per-loan cost on fewer yuan, so it may cost more), a few rounds at most. A price whose
annualized cost (on the policy's cap basis) is above the cap is never offered: the product is
priced out (:class:`PricedOut`), the decline reason ``NO_PRICE_UNDER_CAP``. A programme then
takes its discount off the solved price and may waive the upfront fee; the offer records the
price and annualized rate before and after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from thinfile.decisioning.application import Application
from thinfile.decisioning.buildup import (
    BuildUp,
    Part,
    PricingParameters,
    balance_years,
    build_up,
    lowest_price,
    required_of,
    revenue,
)
from thinfile.decisioning.policy import LineLimit, PolicySettings
from thinfile.decisioning.price_estimate import estimate_price
from thinfile.decisioning.pricing import (
    Disclosure,
    Offer,
    Price,
    ProductRule,
    is_fee_based,
    loan_terms,
    upfront_fee,
)
from thinfile.decisioning.programmes import ProgrammeUse, programme_for
from thinfile.loanmath import (
    AnnualizedRate,
    LoanTerms,
    Schedule,
    annualized_rate,
    build_schedule,
    cap_measure,
    monthly_totals,
)

__all__ = ["PricedOut", "price_by_build_up"]

_AFFORDABILITY_ROUNDS = 6
_MONTHS = 12


@dataclass(frozen=True, slots=True)
class PricedOut:
    """A product no price under the cap makes pay: its build-up at the highest price tried."""

    product: str
    build_up: BuildUp


@dataclass(frozen=True, slots=True)
class _Pricing:
    """What one product's price is solved from."""

    rule: ProductRule
    params: PricingParameters
    settings: PolicySettings
    pd: Decimal
    term: int
    start: date
    fee_based: bool = field(init=False)
    """Whether the price is a monthly fee rate (:func:`is_fee_based`), not an annual rate."""
    step: Decimal = field(init=False)
    """The price grid's step."""
    ceiling: Decimal = field(init=False)
    """No price above this can be under the cap: the cap itself as an annual rate, as a
    monthly fee on the original principal the cap over twelve."""

    def __post_init__(self) -> None:
        # Asked for at every price tried: worked out once.
        fee_based = is_fee_based(self.rule.method)
        cap = self.settings.cap
        object.__setattr__(self, "fee_based", fee_based)
        object.__setattr__(
            self, "step", self.params.fee_step if fee_based else self.params.rate_step
        )
        object.__setattr__(self, "ceiling", cap / _MONTHS if fee_based else cap)

    @property
    def price_kind(self) -> str:
        return "monthly_fee_rate" if self.fee_based else "annual_rate"

    def terms(self, amount: int, price: Decimal, *, waive_fee: bool = False) -> LoanTerms:
        fee_rate = Decimal(0) if waive_fee else self.rule.upfront_fee_rate
        as_price = (
            Price(Decimal(0), price, fee_rate)
            if self.fee_based
            else Price(price, Decimal(0), fee_rate)
        )
        return loan_terms(self.rule, amount, self.term, as_price, self.start)

    def schedule(self, amount: int, price: Decimal, *, waive_fee: bool = False) -> Schedule:
        return build_schedule(self.terms(amount, price, waive_fee=waive_fee))

    def earns(self, amount: int, price: Decimal, upfront: int) -> bool:
        """Whether the schedule at ``price`` earns its parts (``revenue ≥ required``), from
        its totals (:func:`~thinfile.loanmath.monthly_totals`) without building it;
        ``upfront`` is the amount's upfront fee (:func:`upfront_fee`)."""
        fee_based = self.fee_based
        totals = monthly_totals(  # the totals of self.schedule(amount, price)
            self.rule.method,
            amount,
            Decimal(0) if fee_based else price,
            self.term,
            monthly_fee_rate=price if fee_based else Decimal(0),
            upfront_fee=upfront,
            start=self.start,
        )
        years = Decimal(totals.opening_balances) / _MONTHS
        needed = required_of(years, self.params, pd=self.pd, adjustment=self.rule.rate_adjustment)
        return totals.interest + totals.fees >= needed

    def schedule_earns(self, schedule: Schedule) -> bool:
        """Whether ``schedule`` earns its parts (``revenue ≥ required``, as :meth:`earns`)."""
        years = balance_years(schedule)
        needed = required_of(years, self.params, pd=self.pd, adjustment=self.rule.rate_adjustment)
        return revenue(schedule) >= needed

    def parts(self, schedule: Schedule, *, years: Decimal | None = None) -> tuple[Part, ...]:
        """The parts ``schedule`` must earn (``years``: its balance-years, when known)."""
        return build_up(
            schedule, self.params, pd=self.pd, adjustment=self.rule.rate_adjustment, years=years
        )

    def yearly(self) -> Decimal:
        """The parts' rates a year on the balance (all but the per-loan cost)."""
        p = self.params
        annual = p.cost_of_funds + self.pd * p.lgd + p.operating_cost_rate + p.capital_charge
        return annual + p.target_margin + self.rule.rate_adjustment

    def hint(self) -> Decimal:
        annual = self.yearly()
        return min(self.ceiling, annual / 2 / _MONTHS if self.fee_based else annual)

    def estimate(self, amount: int) -> Decimal | None:
        """Where the exact search starts (:mod:`thinfile.decisioning.price_estimate`), for
        the terms :func:`loan_terms` makes: monthly, a level rate, no grace."""
        return estimate_price(
            self.rule.method,
            principal=amount,
            periods=self.term,
            per_year=_MONTHS,
            upfront_fee=upfront_fee(amount, self.rule.upfront_fee_rate),
            fee_based=self.fee_based,
            yearly=self.yearly(),
            per_loan=self.params.operating_cost_per_loan,
            ceiling=self.ceiling,
            tolerance=self.step / 100,  # not money: a hundredth of the price grid
        )

    def record(
        self, schedule: Schedule, solved: Decimal | None, offered: Decimal | None
    ) -> BuildUp:
        years = balance_years(schedule)
        return BuildUp(
            product=self.rule.code,
            pd=self.pd,
            lgd=self.params.lgd,
            years=years,
            parts=self.parts(schedule, years=years),
            price_kind=self.price_kind,
            step=self.step,
            solved=solved,
            offered=offered,
            revenue=revenue(schedule),
        )

    def is_under_cap(self, rate: AnnualizedRate) -> bool:
        return cap_measure(rate, self.settings.cap_basis) <= self.settings.cap


_Solved = tuple[Decimal, Schedule, AnnualizedRate]


def _solve(pricing: _Pricing, amount: int) -> _Solved | PricedOut:
    upfront = upfront_fee(amount, pricing.rule.upfront_fee_rate)
    found = lowest_price(
        lambda price: pricing.schedule(amount, price),
        pricing.parts,
        step=pricing.step,
        ceiling=pricing.ceiling,
        hint=pricing.hint(),
        estimate=pricing.estimate(amount),
        earns_at=lambda price: pricing.earns(amount, price, upfront),
        schedule_earns=pricing.schedule_earns,
    )
    if found is None:
        at_ceiling = pricing.schedule(amount, pricing.ceiling)
        return PricedOut(pricing.rule.code, pricing.record(at_ceiling, None, None))
    price, schedule = found
    rate = annualized_rate(schedule)
    if not pricing.is_under_cap(rate):
        return PricedOut(pricing.rule.code, pricing.record(schedule, None, None))
    return price, schedule, rate


def _affordable(pricing: _Pricing, amount: int, room: int, step: int) -> _Solved | PricedOut | None:
    """The solved price at the largest affordable amount from ``amount`` down (None: none)."""
    for _ in range(_AFFORDABILITY_ROUNDS):
        solved = _solve(pricing, amount)
        if isinstance(solved, PricedOut):
            return solved
        peak = max(i.total for i in solved[1].installments)
        if peak <= room:
            return solved
        amount = (amount * room // peak) // step * step
        if amount < pricing.rule.min_amount:
            return None
    return None


def _discounted(pricing: _Pricing, price: Decimal, bps_a_year: Decimal) -> Decimal:
    """``price`` less the programme's discount: off the annual rate, or spread over twelve
    months off a monthly fee rate, rounded down to the step (never more than promised)."""
    cut = bps_a_year / _MONTHS if pricing.fee_based else bps_a_year
    cut = (cut / pricing.step).to_integral_value(rounding=ROUND_FLOOR) * pricing.step
    return max(Decimal(0), price - cut)


def price_by_build_up(
    rule: ProductRule,
    app: Application,
    *,
    pd: float,
    limit: int,
    room: int,
    settings: PolicySettings,
    start: date,
    lender: str,
) -> Offer | PricedOut | None:
    """The offer of ``rule`` for ``app`` at the lowest price meeting the target return, or
    the product priced out, or None when no amount is affordable."""
    params = settings.pricing
    assert params is not None, "price_by_build_up needs a policy with pricing"
    step = settings.amount_step
    amount = min(app.requested_amount, limit, rule.max_amount) // step * step
    if amount < rule.min_amount:
        return None
    term = min(max(app.requested_term_months, rule.min_term), rule.max_term)
    pricing = _Pricing(rule, params, settings, Decimal(str(round(pd, 6))), term, start)
    solved = _affordable(pricing, amount, room, step)
    if solved is None or isinstance(solved, PricedOut):
        return solved
    price, schedule, rate = solved
    offered, use = price, None
    programme = programme_for(settings.programmes, app, rule.code, start)
    if programme is not None:
        offered = _discounted(pricing, price, programme.annual_discount)
        amount = schedule.terms.principal.fen
        before, before_rate = schedule, rate
        schedule = pricing.schedule(amount, offered, waive_fee=programme.fee_waiver)
        rate = annualized_rate(schedule)
        waived = before.terms.upfront_fee.fen - schedule.terms.upfront_fee.fen
        use = ProgrammeUse(programme, pricing.price_kind, price, offered, before_rate, rate, waived)
    line = None
    if rule.code == "revolving_line":
        line = limit
        if settings.line_limit is LineLimit.AFFORDABLE:
            waived = use is not None and use.programme.fee_waiver
            line = _affordable_line(pricing, schedule, offered, limit, room, step, waived)
    return Offer(
        rule.code,
        rule.fit,
        schedule,
        rate,
        Disclosure.standard(rule.method, lender),
        line,
        None,
        build_up=pricing.record(schedule, price, offered),
        programme=use,
    )


def _affordable_line(
    pricing: _Pricing,
    offered: Schedule,
    price: Decimal,
    limit: int,
    room: int,
    step: int,
    waived: bool,
) -> int:
    """A revolving line's limit under :attr:`LineLimit.AFFORDABLE`: the grade's ``limit``, at
    most the product's maximum and the principal (a multiple of ``step``) whose largest
    installment over the offer's term at the offered ``price`` (its upfront fee ``waived`` as
    the offer's was) fits ``room``; never below the amount offered, which already fits.
    Installments grow with the principal nearly in proportion, so the search starts from the
    offered schedule's ratio and each round is checked on its schedule."""
    drawn = offered.terms.principal.fen
    top = min(limit, pricing.rule.max_amount) // step * step
    peak = max(i.total for i in offered.installments)
    top = min(top, drawn * room // peak // step * step) if peak > 0 else top
    for _ in range(_AFFORDABILITY_ROUNDS):
        if top <= drawn:
            return drawn
        at_top = pricing.schedule(top, price, waive_fee=waived)
        peak = max(i.total for i in at_top.installments)
        if peak <= room:
            return top
        top = min(top - step, top * room // peak // step * step)
    return drawn
