"""Every verified vector in ../shared/vectors/loan-vectors.json, reproduced by thinfile."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tests.support.environment import shared_path
from thinfile.loanmath import (
    DayCount,
    Frequency,
    InterestBasis,
    LoanTerms,
    RepaymentMethod,
    annualize_daily_rate,
    annualized_rate,
    annuity_payment,
    annuity_split,
    build_schedule,
    level_installment,
    period_rates,
    periodic_irr,
    xirr,
)
from thinfile.loanmath.calendar import due_dates
from thinfile.money import Money, Rounding, round_fen

D = Decimal
START = date(2024, 1, 1)


@pytest.fixture(scope="module")
def vectors() -> dict[str, dict[str, Any]]:
    data = json.loads(shared_path("vectors", "loan-vectors.json").read_text())
    return {v["id"].split("-")[0]: v for v in data}


def yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100


def loan(principal, rate, periods, method=RepaymentMethod.EQUAL_INSTALLMENT, **kw) -> LoanTerms:
    return LoanTerms(Money.of(str(principal)), D(str(rate)), periods, method, START, **kw)


def test_every_verified_vector_is_covered_here(vectors):
    covered = {
        "V01",
        "V02",
        "V03",
        "V05",
        "V07",
        "V08",
        "V10",
        "V12",
        "V13",
        "V14",
        "V16",
        "V18",
        "V19",
        "V22",
        "V25",
        "V26",
        "V28",
        "V30",
    }
    verified = {k for k, v in vectors.items() if v["verified"]}
    assert verified <= covered, f"uncovered verified vectors: {verified - covered}"
    assert not vectors["V06"]["verified"]


def test_v01_annuity_payment(vectors):
    v = vectors["V01"]
    payment = annuity_payment(v["inputs"]["principal"], D("0.08") / 12, 60)
    assert abs(payment - D(str(-v["expected"]["payment"]))) < D("1e-6")


def test_v02_interest_and_principal_split(vectors):
    v = vectors["V02"]
    for k in range(4):
        interest, principal, _ = annuity_split(2000, D("0.1") / 12, 24, k + 1)
        assert abs(-interest - D(str(v["expected"]["interest_periods_1_to_4"][k]))) < D("1e-8")
        assert abs(-principal - D(str(v["expected"]["principal_periods_1_to_4"][k]))) < D("1e-8")
    # the fen-rounded schedule agrees with the exact split to the fen in period 1
    first = build_schedule(loan(2000, "0.1", 24)).installments[0]
    assert yuan(first.interest) == D("16.67")
    _, ppmt, _ = annuity_split(55000, D("0.1") / 12, 60, 1)
    assert round_fen(-ppmt * 100, Rounding.HALF_UP) == round(
        v["expected"]["ppmt_55000_10pct_60_period1_rounded"] * 100
    )


def test_v03_periodic_irr(vectors):
    v = vectors["V03"]
    for flows, expected in zip(v["inputs"]["cashflows"], v["recomputed"]["irr"], strict=True):
        assert abs(periodic_irr(flows) - D(str(expected))) < D("1e-9")


def test_v05_v07_v08_payments_with_timing_and_future_value(vectors):
    v5 = vectors["V05"]
    for case, expected in zip(v5["inputs"]["cases"], v5["expected"]["payments"], strict=True):
        pay = annuity_payment(
            case["pv"],
            D(str(case["annual_rate"])) / 12,
            case["months"],
            future_value=case.get("fv", 0),
            due_at_start=case["type"] == 1,
        )
        assert round_fen(pay * 100, Rounding.HALF_UP) == round(-expected * 100)
    v7 = vectors["V07"]["inputs"]
    pay7 = annuity_payment(v7["principal"], D(str(v7["annual_rate"])) / 12, v7["months"])
    assert round_fen(pay7 * 100, Rounding.HALF_UP) == 50190
    v8 = vectors["V08"]
    for case, expected in zip(v8["inputs"]["cases"], v8["expected"]["payments"], strict=True):
        rate = D("0.06") / 12 if case["rate"] == "6%/12" else D(str(case["rate"]))
        pay = annuity_payment(case["pv"], rate, case["nper"], due_at_start=case["type"] == 1)
        assert round_fen(pay * 100, Rounding.HALF_UP) == round(-expected * 100)


def test_v10_installment_half_up_with_interest_truncated(vectors):
    v = vectors["V10"]
    terms = loan(
        125000, "0.035", 360, rounding=Rounding.DOWN, installment_rounding=Rounding.HALF_UP
    )
    schedule = build_schedule(terms)
    assert yuan(schedule.installments[0].total) == D(str(v["expected"]["monthly_payment"]))
    assert yuan(schedule.total_interest) == D(str(v["expected"]["total_interest"]))
    half_up = build_schedule(loan(125000, "0.035", 360, rounding=Rounding.HALF_UP))
    assert yuan(half_up.total_interest) == D(
        str(v["recomputed"]["other_conventions"]["interest_round_half_up_each_period"])
    )


def test_v12_chinese_annuity_one_million_over_thirty_years(vectors):
    e = vectors["V12"]["expected"]
    schedule = build_schedule(loan(1000000, "0.049", 360, rounding=Rounding.HALF_UP))
    first = schedule.installments[0]
    assert yuan(first.total) == D(str(e["monthly_payment"]))
    assert yuan(first.interest) == D(str(e["period1"]["interest"]))
    # the source prints the unrounded split; thinfile's exact split matches it to the fen
    interest, principal, balance = annuity_split(1000000, D("0.049") / 12, 360, 1)
    for exact, key in (
        (interest, "interest"),
        (principal, "principal"),
        (balance, "ending_balance"),
    ):
        assert round_fen(exact * 100, Rounding.HALF_UP) == round(e["period1"][key] * 100)
    # the source's totals come from the unrounded installment × 360
    exact = annuity_payment(1000000, D("0.049") / 12, 360)
    assert round_fen(exact * 360 * 100, Rounding.HALF_UP) - 100000000 == round(
        e["total_interest"] * 100
    )
    # the binding fen-rounded schedule differs by the rounding convention alone (a few yuan
    # over 360 periods, as DOMAIN §1.7 shows for V10)
    assert abs(yuan(schedule.total_interest) - D(str(e["total_interest"]))) < 2


def test_v13_equal_principal_one_million(vectors):
    e = vectors["V13"]["expected"]
    schedule = build_schedule(
        loan(1000000, "0.049", 360, RepaymentMethod.EQUAL_PRINCIPAL, rounding=Rounding.HALF_UP)
    )
    first, last = schedule.installments[0], schedule.installments[-1]
    assert yuan(first.total) == D(str(e["first_payment"]))
    assert yuan(first.principal) == D(str(e["first_principal"]))
    assert yuan(first.interest) == D(str(e["first_interest"]))
    assert yuan(first.balance) == D(str(e["first_ending_balance"]))
    assert abs(yuan(last.total) - D(str(vectors["V13"]["recomputed"]["derived_last_payment"]))) < 1
    assert abs(yuan(schedule.total_interest) - D(str(e["total_interest"]))) < 1
    assert schedule.total_principal == 100000000


def test_v14_two_periods_both_methods(vectors):
    e = vectors["V14"]["expected"]
    annuity = build_schedule(loan(1000000, "0.049", 2, rounding=Rounding.HALF_UP)).installments
    assert yuan(annuity[0].total) == D(str(e["dengebenxi"]["payment"]))
    assert yuan(annuity[0].interest) == D(str(e["dengebenxi"]["p1"]["interest"]))
    assert yuan(annuity[0].principal) == D(str(e["dengebenxi"]["p1"]["principal"]))
    assert yuan(annuity[0].balance) == D(str(e["dengebenxi"]["p1"]["end"]))
    assert yuan(annuity[1].interest) == D(str(e["dengebenxi"]["p2"]["interest"]))
    assert yuan(annuity[1].principal) == D(str(e["dengebenxi"]["p2"]["principal"]))
    assert yuan(sum(i.interest for i in annuity)) == D(str(e["dengebenxi"]["total_interest"]))
    ep = build_schedule(
        loan(1000000, "0.049", 2, RepaymentMethod.EQUAL_PRINCIPAL, rounding=Rounding.HALF_UP)
    ).installments
    assert [yuan(i.total) for i in ep] == [
        D(str(e["dengebenjin"]["p1_payment"])),
        D(str(e["dengebenjin"]["p2_payment"])),
    ]


def test_v16_lump_sum_and_three_month_annuity(vectors):
    e = vectors["V16"]["expected"]
    for rate, expected in (("0.1", e["lump_sum_interest"][0]), ("1.2", e["lump_sum_interest"][1])):
        bullet = build_schedule(loan(100000, rate, 3, RepaymentMethod.BULLET)).installments
        assert len(bullet) == 1
        assert yuan(bullet[0].interest) == expected
    for rate, key in (("0.1", "annuity_annual10"), ("1.2", "annuity_monthly10")):
        rows = build_schedule(loan(100000, rate, 3, rounding=Rounding.HALF_UP)).installments
        assert yuan(rows[0].total) == D(str(e[key]["monthly"]))
        assert yuan(sum(r.interest for r in rows)) == D(str(e[key]["interest"]))
        assert yuan(sum(r.total for r in rows)) == D(str(e[key]["total"]))


def test_v18_fee_installment_annualized_rate(vectors):
    r = vectors["V18"]["recomputed"]
    terms = loan(10000, 0, 12, RepaymentMethod.FEE_INSTALLMENT, monthly_fee_rate=D("0.006"))
    schedule = build_schedule(terms)
    assert [yuan(i.principal) for i in schedule.installments[-2:]] == [D("833.33"), D("833.37")]
    rate = annualized_rate(schedule)
    exact = r["with_fen_rounding_833.33x11_833.37_last"]
    assert abs(rate.nominal - D(str(exact["irr_x12"]))) < D("1e-9")
    assert abs(rate.effective - D(str(exact["effective_annual"]))) < D("1e-9")
    unrounded = [-10000] + [D(10000) / 12 + 60] * 12
    assert abs(periodic_irr(unrounded) - D(str(r["monthly_irr"]))) < D("1e-9")


def test_v19_upfront_fee_is_netted_from_the_disbursement(vectors):
    r = vectors["V19"]["recomputed"]
    monthly = periodic_irr([-99000] + [D("8833.3")] * 12)
    assert abs(monthly - D(str(r["monthly_irr"]))) < D("1e-9")
    assert abs(monthly * 12 - D(str(r["irr_x12"]))) < D("1e-9")
    assert abs((1 + monthly) ** 12 - 1 - D(str(r["effective_annual"]))) < D("1e-9")


def test_v22_xirr(vectors):
    flows = [(date.fromisoformat(d), a) for a, d in vectors["V22"]["inputs"]["flows"]]
    expected = D(str(vectors["V22"]["recomputed"]["xirr"]))
    assert abs(xirr(flows) - expected) < D("1e-9")
    # a guess only shortens the search; a wild one falls back to bracketing
    for guess in (D("0.37"), D("-0.99"), D("500")):
        assert abs(xirr(flows, guess=guess) - expected) < D("1e-9")


def test_v25_level_installment_over_actual_day_periods(vectors):
    v = vectors["V25"]
    terms = loan(
        100, "0.094822", 6, day_count=DayCount.ACTUAL_365, interest_basis=InterestBasis.DAILY
    )
    rates = period_rates(terms, due_dates(START, 6, Frequency.MONTHLY, None))
    for got, expected in zip(rates, v["expected"]["rate_factors_minus_1"], strict=True):
        assert abs(got - D(str(expected))) < D("1e-11")
    assert abs(level_installment(100, rates) - D(str(v["recomputed"]["emi"]))) < D("1e-10")


def test_v26_fineract_schedule_30_360_half_even(vectors):
    rows = vectors["V26"]["expected"]["rows"]
    schedule = build_schedule(loan(100, "0.094822", 6, rounding=Rounding.HALF_EVEN))
    for got, expected in zip(schedule.installments, rows, strict=True):
        assert yuan(got.interest) == D(str(expected["interest"]))
        assert yuan(got.principal) == D(str(expected["principal"]))
        assert yuan(got.balance) == D(str(expected["balance"]))
    assert {i.total for i in schedule.installments} == {1713}


def test_v28_weekly_biweekly_fifteen_day_and_down_payment(vectors):
    expected = vectors["V28"]["expected"]["emi"]
    cases = [
        (100, Frequency.WEEKLY, DayCount.ACTUAL_364, 6),
        (100, Frequency.BIWEEKLY, DayCount.ACTUAL_360, 6),
        (100, Frequency.EVERY_15_DAYS, DayCount.ACTUAL_360, 6),
        (75, Frequency.MONTHLY, DayCount.THIRTY_360, 5),
    ]
    for (principal, frequency, count, periods), emi in zip(cases, expected, strict=True):
        terms = loan(principal, "0.094822", periods, frequency=frequency, day_count=count)
        assert yuan(build_schedule(terms).installments[0].total) == D(str(emi))


def test_v30_daily_rate_annualization_states_its_divisor(vectors):
    daily = D(str(vectors["V30"]["inputs"]["daily_rate"]))
    assert annualize_daily_rate(daily) * 100 == D(str(vectors["V30"]["recomputed"]["x365"]))
    assert annualize_daily_rate(daily, days_in_year=360) * 100 == D("18.00")
