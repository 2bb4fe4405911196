from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.schedules import built
from thinfile.errors import InvalidInputError, RateCapExceededError
from thinfile.loanmath import (
    CapBasis,
    DayCount,
    DefaultTerms,
    Frequency,
    InterestBasis,
    LoanTerms,
    RepaymentMethod,
    annualized_rate,
    build_schedule,
    check_cap,
    cost_statement,
    due_dates,
)
from thinfile.money import Money, Rounding

D = Decimal


def terms(
    method=RepaymentMethod.EQUAL_INSTALLMENT, principal="10000", rate="0.12", periods=12, **kw
) -> LoanTerms:
    return LoanTerms(Money.of(principal), D(rate), periods, method, date(2024, 1, 1), **kw)


def test_monthly_due_dates_clamp_to_month_end_and_come_back():
    dates = due_dates(date(2022, 12, 30), 14, Frequency.MONTHLY, date(2023, 1, 31))
    assert [d.isoformat() for d in dates[:4]] == [
        "2023-01-31",
        "2023-02-28",
        "2023-03-31",
        "2023-04-30",
    ]
    assert dates[-1] == date(2024, 2, 29)
    from30 = due_dates(date(2022, 12, 30), 14, Frequency.MONTHLY, date(2023, 1, 30))
    assert from30[1] == date(2023, 2, 28) and from30[2] == date(2023, 3, 30)


def test_a_loan_disbursed_on_the_31st_falls_due_on_the_last_day_of_short_months():
    dates = due_dates(date(2024, 1, 31), 3, Frequency.MONTHLY, None)
    assert dates == [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]


def test_equal_principal_installments_fall_by_the_same_interest_step():
    rows = build_schedule(terms(RepaymentMethod.EQUAL_PRINCIPAL)).installments
    steps = {rows[k].interest - rows[k + 1].interest for k in range(10)}
    assert steps <= {833, 834}
    assert rows[0].principal == 83333 and rows[-1].balance == 0


def test_interest_only_repays_all_principal_at_the_end():
    rows = build_schedule(terms(RepaymentMethod.INTEREST_ONLY)).installments
    assert all(r.principal == 0 for r in rows[:-1])
    assert rows[-1].principal == 1000000
    assert {r.interest for r in rows} == {10000}


def test_flat_rate_charges_interest_on_the_original_principal_every_period():
    rows = build_schedule(terms(RepaymentMethod.FLAT)).installments
    assert {r.interest for r in rows} == {10000}
    assert annualized_rate(build_schedule(terms(RepaymentMethod.FLAT))).nominal > D("0.21")


def test_zero_interest_plan_costs_the_borrower_nothing():
    schedule = build_schedule(terms(RepaymentMethod.ZERO_INTEREST, rate="0"))
    assert schedule.total_repaid == 1000000
    assert annualized_rate(schedule).nominal == 0


def test_zero_interest_plan_refuses_an_interest_rate():
    with pytest.raises(InvalidInputError):
        terms(RepaymentMethod.ZERO_INTEREST, rate="0.1")


def test_upfront_fee_raises_the_annualized_rate_above_the_contract_rate():
    plain = annualized_rate(build_schedule(terms()))
    with_fee = annualized_rate(build_schedule(terms(upfront_fee=Money.of("300"))))
    assert with_fee.nominal > plain.nominal + D("0.05")
    statement = cost_statement(
        build_schedule(terms(upfront_fee=Money.of("300"))), default_terms=DefaultTerms()
    )
    assert [i.name for i in statement.items] == ["interest", "service fee"]
    assert statement.net_disbursed == 970000


def test_grace_on_principal_pays_interest_only_then_amortizes():
    rows = build_schedule(terms(grace_principal=3)).installments
    assert [r.principal for r in rows[:3]] == [0, 0, 0]
    assert len({r.total for r in rows[3:-1]}) == 1
    assert rows[-1].balance == 0


def test_grace_on_interest_defers_it_to_the_first_installment_after_grace():
    rows = build_schedule(terms(grace_interest=2)).installments
    normal = build_schedule(terms()).installments
    assert rows[0].interest == rows[1].interest == 0
    assert rows[2].interest == sum(r.interest for r in normal[:3])


def test_installment_rounded_up_to_whole_yuan_with_the_last_absorbing_the_rest():
    rows = build_schedule(terms(multiple_of=100)).installments
    assert {r.total % 100 for r in rows[:-1]} == {0}
    assert rows[-1].total < rows[0].total and rows[-1].balance == 0


def test_broken_first_period_charges_interest_for_the_days_actually_used():
    long_first = build_schedule(
        terms(first_due=date(2024, 2, 20), day_count=DayCount.ACTUAL_360)
    ).installments
    regular = build_schedule(terms()).installments
    assert long_first[0].interest > regular[0].interest
    assert long_first[0].due_date == date(2024, 2, 20) and long_first[1].due_date == date(
        2024, 3, 20
    )


def test_daily_interest_follows_the_days_in_each_month():
    rows = build_schedule(
        terms(
            RepaymentMethod.INTEREST_ONLY,
            interest_basis=InterestBasis.DAILY,
            day_count=DayCount.ACTUAL_365,
        )
    ).installments
    assert rows[0].interest > rows[1].interest  # 31 days in January, 29 in February 2024


def test_actual_actual_splits_a_period_across_the_year_end():
    t = LoanTerms(
        Money.of("10000"),
        D("0.12"),
        1,
        RepaymentMethod.BULLET,
        date(2023, 12, 12),
        interest_basis=InterestBasis.DAILY,
        day_count=DayCount.ACTUAL_ACTUAL,
    )
    row = build_schedule(t).installments[0]
    expected = D(1000000) * D("0.12") * (D(19) / 365 + D(12) / 366)
    assert abs(row.interest - expected) <= 1


def test_interest_larger_than_the_installment_never_makes_principal_negative():
    rows = build_schedule(terms(first_due=date(2024, 12, 1), rate="0.24")).installments
    assert all(r.principal >= 0 for r in rows)
    assert sum(r.principal for r in rows) == 1000000


def test_weekly_and_biweekly_schedules_step_by_days():
    weekly = build_schedule(terms(frequency=Frequency.WEEKLY, periods=4)).installments
    assert [r.due_date.day for r in weekly] == [8, 15, 22, 29]


def test_cap_refuses_a_cost_above_it_and_names_rate_and_cap():
    rate = annualized_rate(build_schedule(terms(rate="0.23")))
    check_cap(rate, D("0.24"), basis=CapBasis.NOMINAL)
    with pytest.raises(RateCapExceededError) as err:
        check_cap(rate, D("0.24"))
    assert "25.59%" in err.value.message and "24.00%" in err.value.message


def test_bad_terms_list_every_problem():
    with pytest.raises(InvalidInputError) as err:
        LoanTerms(
            Money.of("-1"),
            D("-0.1"),
            12,
            RepaymentMethod.BULLET,
            date(2024, 1, 1),
            first_due=date(2023, 1, 1),
        )
    assert {p.field for p in err.value.problems} == {"principal", "annual_rate", "first_due"}


methods = st.sampled_from(list(RepaymentMethod))


@st.composite
def any_terms(draw) -> LoanTerms:
    method = draw(methods)
    periods = draw(st.integers(1, 72))
    rate = (
        "0"
        if method is RepaymentMethod.ZERO_INTEREST
        else draw(st.sampled_from(["0", "0.036", "0.0899", "0.12", "0.18", "0.2399"]))
    )
    grace = draw(st.integers(0, max(0, periods - 1))) if periods > 1 else 0
    return LoanTerms(
        Money(draw(st.integers(100, 50_000_000))),
        D(rate),
        periods,
        method,
        draw(st.dates(date(2020, 1, 1), date(2030, 12, 31))),
        frequency=draw(st.sampled_from(list(Frequency))),
        day_count=draw(st.sampled_from(list(DayCount))),
        interest_basis=draw(st.sampled_from(list(InterestBasis))),
        grace_principal=grace,
        rounding=draw(st.sampled_from([Rounding.HALF_EVEN, Rounding.HALF_UP, Rounding.DOWN])),
        multiple_of=draw(st.sampled_from([1, 1, 100])),
        monthly_fee_rate=D(draw(st.sampled_from(["0", "0.003", "0.006"]))),
    )


@settings(max_examples=300, deadline=None)
@given(any_terms())
def test_principal_repaid_always_equals_principal_lent_and_balances_stay_non_negative(t):
    schedule = built(t)
    assert schedule.total_principal == t.principal.fen
    assert all(
        i.balance >= 0 and i.principal >= 0 and i.interest >= 0 for i in schedule.installments
    )
    assert schedule.installments[-1].balance == 0
    assert all(i.total == i.principal + i.interest + i.fee for i in schedule.installments)


@settings(max_examples=200, deadline=None)
@given(
    rate=st.decimals(D("0.001"), D("0.36"), places=4),
    periods=st.integers(2, 120),
    principal=st.integers(10_000_00, 1_000_000_00),
    method=st.sampled_from(
        [
            RepaymentMethod.EQUAL_INSTALLMENT,
            RepaymentMethod.EQUAL_PRINCIPAL,
            RepaymentMethod.INTEREST_ONLY,
        ]
    ),
)
def test_the_irr_of_a_fee_free_schedule_at_rate_r_is_r(rate, periods, principal, method):
    t = LoanTerms(Money(principal), rate, periods, method, date(2024, 1, 1))
    nominal = annualized_rate(build_schedule(t)).nominal
    # Only fen rounding separates the two; it moves the rate by far less than a basis point.
    assert abs(nominal - rate) < D("0.0001")


@settings(max_examples=200, deadline=None)
@given(rate=st.decimals(D("0"), D("0.5"), places=6), periods=st.integers(1, 360))
def test_the_irr_of_exact_annuity_flows_is_the_periodic_rate_to_1e_12(rate, periods):
    from thinfile.loanmath import annuity_payment, periodic_irr

    monthly = rate / 12
    payment = annuity_payment(D(10000), monthly, periods)
    assert abs(periodic_irr([D(-10000)] + [payment] * periods) - monthly) < D("1e-12")


@settings(max_examples=200, deadline=None)
@given(
    rate=st.decimals(D("0"), D("0.5"), places=4),
    periods=st.integers(1, 60),
    guess=st.decimals(D("-0.5"), D("2"), places=4),
)
def test_a_guess_changes_how_the_irr_is_found_never_the_rate(rate, periods, guess):
    """A loan's rounded flows have one root: any guess finds the rate the bracket search
    finds, to the last digit kept."""
    from thinfile.loanmath import periodic_irr

    terms = LoanTerms(
        Money(1_234_567), rate, periods, RepaymentMethod.EQUAL_INSTALLMENT, date(2024, 1, 1)
    )
    flows = build_schedule(terms).period_cash_flows()
    if not any(flows[1:]) or sum(flows) == 0:
        return
    assert periodic_irr(flows, guess=guess) == periodic_irr(flows)


def test_flows_with_several_roots_ignore_the_guess():
    """−100, +230, −132 has the roots 10% and 20%: a guess at either finds what the bracket
    search finds."""
    from thinfile.loanmath import periodic_irr

    flows = [D(-100), D(230), D(-132)]
    found = periodic_irr(flows)
    assert min(abs(found - D("0.1")), abs(found - D("0.2"))) < D("1e-20")
    assert periodic_irr(flows, guess=D("0.1")) == found == periodic_irr(flows, guess=D("0.2"))


@pytest.mark.parametrize(
    ("multiple", "refused"), [(100, False), (1_000, False), (5_000, True), (10_000, True)]
)
def test_a_multiple_that_would_leave_installments_of_nothing_is_refused(multiple, refused):
    """1,000.00 at 12 % over 12 months is about 88.85 a month: rounded up to a multiple of
    1.00 or 10.00 it is 89.00 or 90.00 and the last installment takes the rest; to 50.00 or
    100.00 (100.00 a month) the loan is repaid by installment 11 and installment 12 would
    ask nothing."""
    t = LoanTerms(
        Money(100_000), D("0.12"), 12, RepaymentMethod.EQUAL_INSTALLMENT, date(2024, 1, 1),
        multiple_of=multiple,
    )  # fmt: skip
    if not refused:
        rows = build_schedule(t).installments
        assert all(i.total % multiple == 0 for i in rows[:-1]) and rows[-1].principal > 0
        return
    with pytest.raises(InvalidInputError) as bad:
        build_schedule(t)
    assert bad.value.field == "multiple_of"
