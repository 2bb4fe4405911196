"""The schedule of a loan without grace is built by a shorter loop, and a price search reads
totals (``schedule_totals``) without building rows: neither may change a fen.

Each is compared with the general loop (``_amortize``, the one grace goes through) on many
random loans, and the money with an oracle written here: the level payment of
numpy-financial and each period's interest as exact fractions.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import numpy_financial as npf
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.schedules import built
from thinfile.loanmath import (
    DayCount,
    Frequency,
    InterestBasis,
    LoanTerms,
    RepaymentMethod,
    ScheduleTotals,
    build_schedule,
    due_dates,
    monthly_totals,
    period_rates,
    schedule_totals,
)
from thinfile.loanmath.schedule import _amortize, _plan
from thinfile.money import Money, Rounding

START = date(2026, 11, 25)
AMORTIZING = [m for m in RepaymentMethod if m is not RepaymentMethod.BULLET]
"""A bullet loan has one row, so no relief of one amount per period."""


@st.composite
def loans(draw: st.DrawFn, *, grace: bool = False, relief: bool = False) -> LoanTerms:
    method = draw(st.sampled_from(AMORTIZING if relief else list(RepaymentMethod)))
    periods = draw(st.integers(1, 60))
    rate = Decimal(draw(st.integers(0, 360_000))) / 1_000_000
    frequency = draw(st.sampled_from(list(Frequency)))
    first_due = draw(st.one_of(st.none(), st.integers(1, 60)))
    grace_principal = draw(st.integers(0, periods - 1)) if grace else 0
    principal = draw(st.integers(1, 10**9))
    return LoanTerms(
        principal=Money(principal),
        annual_rate=Decimal(0) if method is RepaymentMethod.ZERO_INTEREST else rate,
        periods=periods,
        method=method,
        start=START,
        first_due=None if first_due is None else START + timedelta(days=first_due),
        frequency=frequency,
        day_count=draw(st.sampled_from(list(DayCount))),
        interest_basis=draw(st.sampled_from(list(InterestBasis))),
        grace_principal=grace_principal,
        grace_interest=draw(st.integers(0, periods - 1)) if grace else 0,
        multiple_of=draw(st.sampled_from([1, 1, 1, 100])),
        rounding=draw(st.sampled_from(list(Rounding))),
        installment_rounding=draw(st.one_of(st.none(), st.sampled_from(list(Rounding)))),
        monthly_fee_rate=Decimal(draw(st.integers(0, 20_000))) / 1_000_000,
        upfront_fee=Money(draw(st.integers(0, principal - 1))),
        charge_relief=(
            tuple(draw(st.lists(st.integers(0, 5_000), min_size=periods, max_size=periods)))
            if relief
            else ()
        ),
    )


def _by_the_general_loop(terms: LoanTerms) -> list[object]:
    dates = due_dates(terms.start, terms.periods, terms.frequency, terms.first_due)
    rates = period_rates(terms, dates)
    plan = _plan(terms, rates)
    assert plan is not None
    return list(_amortize(terms, dates, rates, plan[0], interest_on_original=plan[1]))


@settings(max_examples=600, deadline=None)
@given(loans())
def test_a_loan_without_grace_has_the_rows_of_the_general_loop(terms):
    if terms.method is RepaymentMethod.BULLET:
        return
    assert list(built(terms).installments) == _by_the_general_loop(terms)


@settings(max_examples=600, deadline=None)
@given(st.one_of(loans(), loans(grace=True), loans(relief=True)))
def test_the_totals_are_the_schedules_totals(terms):
    schedule = built(terms)
    totals = schedule_totals(terms)
    assert totals == ScheduleTotals.of(schedule)
    rows = schedule.installments
    opening = [terms.principal.fen, *(i.balance for i in rows[:-1])]
    assert totals.opening_balances == sum(opening)
    assert totals.interest + totals.fees == schedule.total_interest + schedule.total_fees
    assert totals.peak == max(i.total for i in rows)


@settings(max_examples=400, deadline=None)
@given(
    st.integers(100_00, 500_000_00),
    st.integers(1, 3_600),
    st.sampled_from([3, 6, 9, 12, 18, 24, 36]),
    st.sampled_from([Rounding.HALF_UP, Rounding.HALF_EVEN]),
)
def test_an_equal_installment_loan_agrees_with_an_oracle_written_here(
    principal, bps, periods, mode
):
    annual = Decimal(bps) / 10_000
    terms = LoanTerms(
        Money(principal),
        annual,
        periods,
        RepaymentMethod.EQUAL_INSTALLMENT,
        START,
        rounding=mode,
    )
    rows = build_schedule(terms).installments
    monthly = Fraction(bps, 10_000 * 12)
    pmt = -npf.pmt(float(monthly), periods, principal)  # float-ok: an oracle within a fen
    balance = Fraction(principal)
    for row in rows[:-1]:
        exact = balance * monthly  # the period's interest, unrounded
        assert abs(row.interest - exact) <= Fraction(1, 2) + Fraction(1, 10**6)
        assert abs(row.total - Fraction(pmt)) <= Fraction(1, 2) + Fraction(1, 10**6)
        assert row.principal == row.total - row.interest
        balance -= row.principal
        assert row.balance == balance
    assert sum(r.principal for r in rows) == principal
    assert rows[-1].balance == 0


def test_a_twelve_month_loan_at_a_rate_in_thirds_of_a_basis_point_rounds_ties_as_before():
    # 0.1174 / 12 is 0.00978333…; balances whose exact interest ends in .5 fen are rounded
    # after the product is cut to 28 digits, as round_fen does: the rows must not change.
    terms = LoanTerms(
        Money(590_000), Decimal("0.1174"), 12, RepaymentMethod.EQUAL_INSTALLMENT, START
    )
    assert list(build_schedule(terms).installments) == _by_the_general_loop(terms)


@settings(max_examples=600, deadline=None)
@given(
    st.sampled_from(list(RepaymentMethod)),
    st.integers(1, 10**9),
    st.integers(0, 360_000),
    st.integers(1, 60),
    st.integers(0, 20_000),
    st.integers(0, 10**6),
)
def test_the_monthly_totals_are_those_of_the_terms_a_product_is_priced_on(
    method, principal, rate, periods, fee, upfront
):
    annual = Decimal(0) if method is RepaymentMethod.ZERO_INTEREST else Decimal(rate) / 10**6
    fee_rate, upfront = Decimal(fee) / 10**6, min(upfront, principal - 1)
    terms = LoanTerms(
        Money(principal),
        annual,
        periods,
        method,
        START,
        monthly_fee_rate=fee_rate,
        upfront_fee=Money(upfront),
    )
    got = monthly_totals(
        method,
        principal,
        annual,
        periods,
        monthly_fee_rate=fee_rate,
        upfront_fee=upfront,
        start=START,
    )
    assert got == schedule_totals(terms) == ScheduleTotals.of(build_schedule(terms))
