"""Where the price search starts (``price_estimate``): never another price, fewer schedules.

The price found with the estimate is checked against the definition written here — the
lowest grid point whose own hand-built loan (``test_price_build_up``'s oracle) earns its
parts, one step less falling short — and against the search started the old way.
"""

from __future__ import annotations

import random
from decimal import ROUND_CEILING, Decimal

import pytest

from tests.support.decisioning import DECIDED_ON
from tests.unit.test_price_build_up import (
    PARAMS,
    STEP,
    OracleLoan,
    _rule,
    oracle_annuity,
    oracle_fee_plan,
    oracle_parts,
)
from thinfile.decisioning.buildup import (
    balance_years,
    build_up,
    lowest_price,
    required,
    required_of,
)
from thinfile.decisioning.price_estimate import estimate_price
from thinfile.decisioning.pricing import Price, loan_terms
from thinfile.loanmath import RepaymentMethod, Schedule, build_schedule, schedule_totals

CAP = Decimal("0.24")


def _search(
    method: RepaymentMethod,
    amount: int,
    n: int,
    pd: Decimal,
    *,
    estimated: bool,
    from_totals: bool = False,
    on_schedule: bool = False,
):
    fee_based = method is RepaymentMethod.FEE_INSTALLMENT
    rule = _rule(method)
    built: list[Schedule] = []

    def schedule_at(price: Decimal) -> Schedule:
        p = (
            Price(Decimal(0), price, Decimal(0))
            if fee_based
            else Price(price, Decimal(0), Decimal(0))
        )
        built.append(build_schedule(loan_terms(rule, amount, n, p, DECIDED_ON)))
        return built[-1]

    ceiling = CAP / 12 if fee_based else CAP
    yearly = (
        PARAMS.cost_of_funds
        + pd * PARAMS.lgd
        + PARAMS.operating_cost_rate
        + PARAMS.capital_charge
        + PARAMS.target_margin
    )
    estimate = (
        estimate_price(
            method,
            principal=amount,
            periods=n,
            per_year=12,
            upfront_fee=0,
            fee_based=fee_based,
            yearly=yearly,
            per_loan=PARAMS.operating_cost_per_loan,
            ceiling=ceiling,
            tolerance=STEP / 100,
        )
        if estimated
        else None
    )

    def earns_at(price: Decimal) -> bool:
        p = (
            Price(Decimal(0), price, Decimal(0))
            if fee_based
            else Price(price, Decimal(0), Decimal(0))
        )
        totals = schedule_totals(loan_terms(rule, amount, n, p, DECIDED_ON))
        years = Decimal(totals.opening_balances) / 12
        needed = required_of(years, PARAMS, pd=pd, adjustment=Decimal(0))
        return totals.interest + totals.fees >= needed

    def schedule_earns(schedule: Schedule) -> bool:
        needed = required_of(balance_years(schedule), PARAMS, pd=pd, adjustment=Decimal(0))
        return schedule.total_interest + schedule.total_fees >= needed

    found = lowest_price(
        schedule_at,
        lambda s: build_up(s, PARAMS, pd=pd, adjustment=Decimal(0)),
        step=STEP,
        ceiling=ceiling,
        hint=Decimal("0.1") / (12 if fee_based else 1),
        estimate=estimate,
        earns_at=earns_at if from_totals else None,
        schedule_earns=schedule_earns if on_schedule else None,
    )
    return found, len(built), estimate


def _oracle(method: RepaymentMethod, amount: int, n: int):
    if method is RepaymentMethod.FEE_INSTALLMENT:
        return lambda price: oracle_fee_plan(amount, price, n)
    return lambda price: oracle_annuity(amount, price, n)


def _earns(loan: OracleLoan, pd: Decimal) -> bool:
    return loan.revenue >= sum(oracle_parts(loan, pd).values())


CASES = [
    (method, rng.randrange(100_000, 5_000_000, 100), rng.choice((3, 6, 12, 24, 36)), pd)
    for rng in [random.Random(20261204)]
    for method in (RepaymentMethod.EQUAL_INSTALLMENT, RepaymentMethod.FEE_INSTALLMENT)
    for pd in (Decimal(f"0.{rng.randrange(2, 300):03d}") for _ in range(20))
]


@pytest.mark.parametrize(("method", "amount", "n", "pd"), CASES)
def test_the_estimated_start_finds_the_lowest_earning_price(method, amount, n, pd):
    found, _, _ = _search(method, amount, n, pd, estimated=True)
    old, _, _ = _search(method, amount, n, pd, estimated=False)
    loan = _oracle(method, amount, n)
    if found is None:
        assert old is None
        assert not _earns(loan(CAP / 12 if method is RepaymentMethod.FEE_INSTALLMENT else CAP), pd)
        return
    assert old is not None and found[0] == old[0]
    price, schedule = found
    assert _earns(loan(price), pd)
    assert price == 0 or not _earns(loan(price - STEP), pd)
    assert schedule.total_interest + schedule.total_fees == loan(price).revenue


@pytest.mark.parametrize(("method", "amount", "n", "pd"), CASES)
def test_a_search_on_totals_finds_the_same_price_and_schedule_building_one(method, amount, n, pd):
    found, built, _ = _search(method, amount, n, pd, estimated=True, from_totals=True)
    old, _, _ = _search(method, amount, n, pd, estimated=True)
    assert found == old
    assert built == (0 if found is None else 1)


@pytest.mark.parametrize(("method", "amount", "n", "pd"), CASES)
def test_the_estimated_point_tested_on_its_schedule_finds_the_same_price(method, amount, n, pd):
    found, built, estimate = _search(
        method, amount, n, pd, estimated=True, from_totals=True, on_schedule=True
    )
    old, _, _ = _search(method, amount, n, pd, estimated=True)
    assert found == old
    assert estimate is not None
    at_estimate = (estimate / STEP).to_integral_value(rounding=ROUND_CEILING) * STEP
    # the estimated point's schedule is built for its test: the only one when it is found
    assert built == (1 if found is None or found[0] == at_estimate else 2)


@pytest.mark.parametrize(("method", "amount", "n", "pd"), CASES)
def test_the_required_return_from_balance_years_is_the_sum_of_the_parts(method, amount, n, pd):
    for price in (Decimal("0.0123"), Decimal("0.2"), Decimal("0.0041")):
        p = Price(price, Decimal(0), Decimal(0))
        schedule = build_schedule(loan_terms(_rule(method), amount, n, p, DECIDED_ON))
        adjustment = Decimal("0.0125")
        parts = build_up(schedule, PARAMS, pd=pd, adjustment=adjustment)
        expected = required(parts)
        got = required_of(balance_years(schedule), PARAMS, pd=pd, adjustment=adjustment)
        assert str(got) == str(expected)


def test_the_estimate_saves_schedules_and_lands_within_a_step():
    with_estimate = without = 0
    for method, amount, n, pd in CASES:
        found, built, estimate = _search(method, amount, n, pd, estimated=True)
        with_estimate += built
        without += _search(method, amount, n, pd, estimated=False)[1]
        if found is not None and estimate is not None:
            assert abs(estimate - found[0]) <= STEP, (method, amount, n, pd)
    assert with_estimate <= 2.2 * len(CASES) < without


def _estimate(method: RepaymentMethod, *, upfront_fee: int, yearly: str) -> Decimal | None:
    return estimate_price(
        method,
        principal=100_000,
        periods=3,
        per_year=12,
        upfront_fee=upfront_fee,
        fee_based=False,
        yearly=Decimal(yearly),
        per_loan=1500,
        ceiling=CAP,
        tolerance=STEP,
    )


def test_a_price_the_cap_cannot_reach_and_a_price_of_nothing():
    # 15 yuan a loan and 90% a year on a 1,000-yuan, three-month loan: more than 24% can pay
    assert _estimate(RepaymentMethod.EQUAL_INSTALLMENT, upfront_fee=0, yearly="0.9") == CAP
    # an upfront fee that already pays for everything: price nothing
    assert _estimate(RepaymentMethod.EQUAL_INSTALLMENT, upfront_fee=50_000, yearly="0.1") == 0
    assert _estimate(RepaymentMethod.BULLET, upfront_fee=0, yearly="0.1") is None
