"""The working-capital decision: knockouts for collapsing sales, a limit as a share of monthly
turnover in 500-yuan steps, a daily rate by grade whose × 365 stays within the cap."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from thinfile.decisioning.working_capital import (
    GRADES,
    TurnoverFacts,
    WorkingCapitalOutcome,
    WorkingCapitalPolicy,
    decide_working_capital,
    sales_grade,
)
from thinfile.decisioning.working_capital_reasons import explain_working_capital
from thinfile.errors import InvalidInputError, RateCapExceededError
from thinfile.money import Money

HEALTHY = TurnoverFacts(
    history_days=200,
    window_days=90,
    monthly_turnover_fen=3_000_000,
    last_30_fen=3_000_000,
    prior_90_fen=9_000_000,
    prior_days=90,
    recent_to_prior_bps=10_000,
    trend_bps=0,
    volatility_bps=2_000,
    zero_sales_days=3,
    refund_bps=100,
    days_since_last_sale=1,
)


def decide(facts: TurnoverFacts = HEALTHY, **options: object):
    return decide_working_capital(facts, **options)  # type: ignore[arg-type]


def test_a_steady_shop_gets_its_monthly_turnover_at_grade_a():
    d = decide()
    assert d.outcome is WorkingCapitalOutcome.APPROVE and d.is_approved
    assert d.grade == "A"
    assert d.limit == Money.of("30000")
    assert d.daily_rate == Decimal("0.00020")
    assert d.annual_rate == Decimal("0.07300")  # 0.0002 × 365
    assert d.reason_codes == ("LIMIT_FROM_TURNOVER", "PRICE_GRADE_A")
    assert d.monthly_turnover == Money(3_000_000)


def test_the_limit_is_the_grade_share_rounded_down_to_500_yuan():
    facts = replace(HEALTHY, monthly_turnover_fen=1_234_567, volatility_bps=4_500)
    d = decide(facts)
    assert d.grade == "B"  # volatile: one grade down
    # 80% of 12,345.67 yuan is 9,876.54 yuan: down to the 500-yuan step, 9,500 yuan
    assert d.limit == Money.of("9500")
    assert d.daily_rate == Decimal("0.00025")


@pytest.mark.parametrize(
    ("change", "grade"),
    [
        ({}, "A"),
        ({"volatility_bps": 4_001}, "B"),
        ({"volatility_bps": 6_501}, "C"),
        ({"trend_bps": -1_501}, "B"),
        ({"refund_bps": 501}, "B"),
        ({"zero_sales_days": 14}, "B"),  # 14 of 90 days is above 15%
        ({"history_days": 179}, "B"),
        (
            {
                "volatility_bps": 7_000,
                "trend_bps": -2_000,
                "refund_bps": 900,
                "zero_sales_days": 20,
                "history_days": 100,
            },
            "E",
        ),
    ],
)
def test_the_sales_grade_steps_down_for_each_sign_of_strain(change, grade):
    assert sales_grade(replace(HEALTHY, **change), WorkingCapitalPolicy()) == grade


def test_the_worse_of_the_sales_grade_and_the_credit_grade_prices_the_line():
    d = decide(credit_grade="D")
    assert d.grade == "D"
    assert d.limit == Money.of("12000")  # 40% of 30,000
    assert d.daily_rate == Decimal("0.00045")
    assert decide(credit_grade="A").grade == "A"


def test_a_credit_grade_the_lender_does_not_lend_at_declines():
    d = decide(credit_grade="F")
    assert d.outcome is WorkingCapitalOutcome.DECLINE
    assert d.reason_codes == ("CREDIT_GRADE",)
    assert d.limit == Money(0) and d.daily_rate is None and d.annual_rate is None


def test_a_large_business_is_capped_at_the_highest_line():
    d = decide(replace(HEALTHY, monthly_turnover_fen=90_000_000))
    assert d.limit == Money.of("300000")
    assert "CAPPED_MAX_LIMIT" in d.reason_codes


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"recent_to_prior_bps": 4_999}, "SALES_COLLAPSING"),
        ({"recent_to_prior_bps": 0, "last_30_fen": 0}, "SALES_COLLAPSING"),
        ({"history_days": 89}, "SALES_HISTORY_SHORT"),
        ({"zero_sales_days": 28}, "SALES_GAPS"),  # 28 of 90 is more than 30%
        ({"days_since_last_sale": 15}, "SALES_STOPPED"),
        ({"days_since_last_sale": None}, "SALES_STOPPED"),
        ({"refund_bps": 1_501}, "REFUNDS_HIGH"),
        (
            {
                "monthly_turnover_fen": 300_000,
                "volatility_bps": 7_000,
                "trend_bps": -2_000,
                "refund_bps": 900,
            },
            "LIMIT_TOO_SMALL",
        ),  # grade E: 25% of 3,000 yuan is 750 yuan
    ],
)
def test_each_knockout_declines_with_its_reason(change, code):
    d = decide(replace(HEALTHY, **change))
    assert d.outcome is WorkingCapitalOutcome.DECLINE
    assert code in d.reason_codes
    assert d.limit == Money(0)


@pytest.mark.parametrize(
    "change",
    [
        {"recent_to_prior_bps": 5_000},  # exactly half is not a collapse
        {"history_days": 90},
        {"zero_sales_days": 27},  # exactly 30%
        {"days_since_last_sale": 14},
        {"refund_bps": 1_500},
        {"recent_to_prior_bps": None},  # too little history before to compare with
    ],
)
def test_the_knockouts_start_just_past_their_thresholds(change):
    assert decide(replace(HEALTHY, **change)).is_approved


def test_every_knockout_found_is_given_at_once():
    facts = replace(HEALTHY, history_days=60, recent_to_prior_bps=3_000, refund_bps=2_000)
    assert decide(facts).reason_codes == ("SALES_HISTORY_SHORT", "SALES_COLLAPSING", "REFUNDS_HIGH")


def test_no_sales_and_sales_kept_back_for_want_of_consent_say_different_things():
    empty = TurnoverFacts.from_context({})
    assert decide(empty).reason_codes == ("NO_SALES_DATA",)
    assert decide(empty, consent_withheld=True).reason_codes == ("NO_SALES_CONSENT",)


def test_every_reason_has_english_and_chinese_words():
    codes = [
        "NO_SALES_CONSENT",
        "NO_SALES_DATA",
        "SALES_HISTORY_SHORT",
        "SALES_COLLAPSING",
        "SALES_GAPS",
        "SALES_STOPPED",
        "REFUNDS_HIGH",
        "CREDIT_GRADE",
        "LIMIT_TOO_SMALL",
        "LIMIT_FROM_TURNOVER",
        "CAPPED_MAX_LIMIT",
        *(f"PRICE_GRADE_{g}" for g in GRADES[:5]),
    ]
    for code in codes:
        words = explain_working_capital(code)
        assert words.en != code and words.zh != code
        assert any("\u4e00" <= c <= "\u9fff" for c in words.zh)
    assert explain_working_capital("UNHEARD_OF").en == "UNHEARD_OF"


def _compounded(rate: Decimal) -> Decimal:
    """(1 + daily)^365 − 1, multiplied out day by day here."""
    grown = Decimal(1)
    for _ in range(365):
        grown *= 1 + rate
    return grown - 1


def test_every_default_daily_rate_stays_within_24_percent_simple_and_compounded():
    policy = WorkingCapitalPolicy()
    for grade, rate in policy.daily_rates.items():
        assert rate * 365 <= Decimal("0.24") and _compounded(rate) <= Decimal("0.24"), grade
    # the largest rate a line opened from a decision is not refused for: compounded daily,
    # 0.00058 is 23.57% a year and 0.00059 24.02% (0.24 ÷ 365 = 0.000657… simple)
    assert policy.max_daily_rate == Decimal("0.00058")
    assert _compounded(Decimal("0.00058")) < Decimal("0.24") < _compounded(Decimal("0.00059"))


def test_a_policy_with_a_daily_rate_above_the_cap_is_refused():
    """Above the cap simple (24.09% a year) or compounded (0.000657: 23.98% simple, 27.1%
    compounded — a line opened at it would be refused): both refused naming the grade."""
    for too_high in ("0.00066", "0.000657", "0.00059"):
        rates = {**WorkingCapitalPolicy().daily_rates, "E": Decimal(too_high)}
        with pytest.raises(RateCapExceededError) as caught:
            WorkingCapitalPolicy(daily_rates=rates)
        assert caught.value.field == "daily_rates.E"
    ok = {**WorkingCapitalPolicy().daily_rates, "E": Decimal("0.00058")}
    assert WorkingCapitalPolicy(daily_rates=ok).daily_rates["E"] == Decimal("0.00058")


def test_a_policy_whose_grades_disagree_is_refused():
    with pytest.raises(InvalidInputError):
        WorkingCapitalPolicy(limit_share_bps={"A": 10_000})


def test_facts_read_by_name_refuse_what_is_not_a_whole_number():
    with pytest.raises(InvalidInputError) as caught:
        TurnoverFacts.from_context({"history_days": 1.5})  # type: ignore[dict-item]
    assert caught.value.field == "history_days"
