"""Limit decisions: increases bounded by the ceiling and affordability, never to a line past
due; decreases and freezes on risk; deterministic arms; every decision explained."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thinfile.decisioning.limit_policy import (
    DEFAULT_LIMIT_POLICY_DIR,
    limit_policy_from_json,
    load_limit_policy,
)
from thinfile.decisioning.limit_reasons import explain_limit
from thinfile.decisioning.limits import (
    LimitAction,
    LimitArm,
    LimitInputs,
    affordable_limit,
    assign_limit_arm,
    decide_limit,
)
from thinfile.errors import InvalidInputError

POLICY = load_limit_policy()
GOOD = {
    "months_on_book": 6,
    "months_observed": 7,
    "current_dpd": 0,
    "worst_dpd_12m": 0,
    "delinquent_months_3m": 0,
    "delinquent_months_6m": 0,
    "delinquent_months_12m": 0,
    "on_time_share_bps": 10_000,
    "utilization_bps": 8_000,
    "utilization_avg_bps": 7_000,
    "payment_to_due_bps": 10_000,
    "drawn_12m": 400_000,
    "repaid_12m": 200_000,
    "prepaid_12m": 0,
    "limit_fen": 500_000,
    "balance_fen": 400_000,
}


def inputs(limit=500_000, income=1_000_000, status="active", kind="review", **behaviour):
    return LimitInputs(
        line_id=1,
        kind=kind,
        status=status,
        limit_fen=limit,
        behaviour={**GOOD, "limit_fen": limit, **behaviour},
        annual_rate=Decimal("0.18"),
        income_fen=income,
    )


def oracle_affordable(income: int, dsr: str, rate: str, months: int) -> int:
    """Exact rational arithmetic: the largest L with L·r/(1 − (1+r)^−n) ≤ income·dsr."""
    r = Fraction(rate) / 12
    payment = Fraction(income) * Fraction(dsr)
    return int(payment * (1 - (1 + r) ** -months) / r)


def test_a_good_payer_is_offered_twice_the_limit_when_income_allows():
    d = decide_limit(inputs(), POLICY)
    assert (d.action, d.grade, d.new_limit) == (LimitAction.INCREASE, "A", 1_000_000)
    assert d.reason_codes == ("INCREASE_GOOD_REPAYMENT",)
    assert d.policy_version == POLICY.version and d.reasons("zh")[0]["text"].startswith("您按时")


def test_the_increase_stops_at_what_current_income_can_repay():
    d = decide_limit(inputs(income=150_000), POLICY)
    bound = oracle_affordable(150_000, "0.45", "0.18", 12) // 10_000 * 10_000
    assert d.new_limit == bound and d.action is LimitAction.INCREASE
    assert "CAPPED_AFFORDABILITY" in d.reason_codes
    assert affordable_limit(150_000, Decimal("0.45"), Decimal("0.18"), 12) == oracle_affordable(
        150_000, "0.45", "0.18", 12
    )


def test_the_increase_stops_at_the_programme_ceiling():
    d = decide_limit(inputs(limit=2_000_000, income=10_000_000), POLICY)
    assert d.new_limit == 3_000_000 and "CAPPED_CEILING" in d.reason_codes
    at = decide_limit(inputs(limit=3_000_000, income=10_000_000), POLICY)
    assert (at.action, at.reason_codes) == (LimitAction.NONE, ("AT_CEILING",))


def test_no_increase_without_a_current_income():
    d = decide_limit(inputs(income=None), POLICY)
    assert (d.action, d.reason_codes) == (LimitAction.NONE, ("INCOME_UNKNOWN",))


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"months_on_book": 2}, "MOB_UNDER_3"),
        ({"current_dpd": 3, "worst_dpd_12m": 3}, "PAST_DUE_NOW"),
        (
            {"delinquent_months_6m": 1, "delinquent_months_12m": 1, "worst_dpd_12m": 5},
            "PAST_DUE_6M",
        ),
        ({"utilization_avg_bps": 1_000}, "UTILIZATION_LOW"),
    ],
)
def test_what_stops_an_increase_is_named(change, code):
    d = decide_limit(inputs(**change), POLICY)
    assert d.action is LimitAction.NONE and code in d.reason_codes


def test_a_closed_line_is_never_raised_whatever_its_behaviour():
    """The graph's blocker for a line not active fires (its rule once read ``not("active")``,
    which the engine never matched: a closed line that paid well was offered an increase)."""
    d = decide_limit(inputs(status="closed"), POLICY)
    assert (d.action, d.reason_codes) == (LimitAction.NONE, ("LINE_NOT_ACTIVE",))
    frozen = decide_limit(inputs(status="frozen"), POLICY)
    assert frozen.action is LimitAction.UNFREEZE  # up to date: opened again, not raised


def test_a_recent_increase_and_a_temporary_limit_stop_another():
    recent = dataclasses.replace(inputs(), days_since_increase=30)
    temporary = dataclasses.replace(inputs(), temporary=True)
    assert "RECENT_INCREASE" in decide_limit(recent, POLICY).reason_codes
    assert "TEMPORARY_LIMIT" in decide_limit(temporary, POLICY).reason_codes


def test_thirty_days_past_due_freezes_and_curing_unfreezes():
    frozen = decide_limit(inputs(current_dpd=31, worst_dpd_12m=31), POLICY)
    assert (frozen.action, frozen.reason_codes) == (LimitAction.FREEZE, ("FREEZE_PAST_DUE_30",))
    cured = decide_limit(inputs(status="frozen", worst_dpd_12m=31), POLICY)
    assert cured.action is LimitAction.UNFREEZE


def test_repeated_delinquency_lowers_the_limit_but_not_below_what_is_owed():
    d = decide_limit(
        inputs(current_dpd=5, worst_dpd_12m=20, delinquent_months_3m=2, balance_fen=312_345),
        POLICY,
    )
    assert d.action is LimitAction.DECREASE
    assert d.new_limit == 320_000  # half would be 250,000 yuan-fen; the owed 3,123.45 rounds up


def test_repeated_delinquency_at_the_limit_keeps_it_and_says_so():
    """Owing the whole limit, nothing can be lowered: the decision changes nothing and its
    reason says the limit is kept, not that it was lowered."""
    d = decide_limit(
        inputs(current_dpd=5, worst_dpd_12m=20, delinquent_months_3m=2, balance_fen=500_000),
        POLICY,
    )
    assert (d.action, d.new_limit) == (LimitAction.NONE, 500_000)
    assert d.reason_codes == ("HOLD_REPEATED_PAST_DUE",)
    words = explain_limit(d.reason_codes[0])
    assert "lowered" not in words.en and "stays" in words.en and "下调" not in words.zh


def _permissive_policy():
    """A hostile policy: no blockers at all and a step of ten."""
    graph = json.loads((DEFAULT_LIMIT_POLICY_DIR / "decision.json").read_text())
    for node in graph["nodes"]:
        if node["id"] == "blockers":
            node["content"]["rules"] = []
        if node["id"] == "grade":
            for rule in node["content"]["rules"]:
                rule["st"] = '"10"'
                rule["dsr"] = '"0.9"'
    settings_text = (DEFAULT_LIMIT_POLICY_DIR / "policy.json").read_text()
    return limit_policy_from_json(settings_text, json.dumps(graph))


@settings(max_examples=300, deadline=None)
@given(
    limit=st.integers(0, 5_000_000),
    income=st.one_of(st.none(), st.integers(0, 20_000_000)),
    dpd=st.integers(0, 200),
    balance=st.integers(0, 5_000_000),
    status=st.sampled_from(["active", "frozen"]),
    rate=st.sampled_from(["0", "0.0899", "0.18", "0.2399"]),
)
def test_no_policy_ever_raises_a_line_past_due_above_the_ceiling_or_affordability(
    limit, income, dpd, balance, status, rate
):
    for policy in (POLICY, _PERMISSIVE):
        i = LimitInputs(
            line_id=9,
            kind="review",
            status=status,
            limit_fen=limit,
            behaviour={**GOOD, "current_dpd": dpd, "balance_fen": balance, "limit_fen": limit},
            annual_rate=Decimal(rate),
            income_fen=income,
        )
        d = decide_limit(i, policy)
        assert d.reason_codes, "every decision names its reasons"
        assert all(explain_limit(c).en != c for c in d.reason_codes)
        if d.new_limit > limit:
            assert d.action is LimitAction.INCREASE and dpd == 0 and income is not None
            assert d.new_limit <= policy.settings.ceiling_fen
            most = income * Fraction("0.9") * 12  # at a zero rate: twelve installments
            if Decimal(rate):
                most = oracle_affordable(income, "0.9", rate, 12)
            assert d.new_limit <= most


_PERMISSIVE = _permissive_policy()


def test_inputs_round_trip_through_their_stored_form():
    i = inputs(current_dpd=4)
    assert LimitInputs.from_json(json.loads(json.dumps(i.as_json()))) == i


def test_arms_are_deterministic_and_the_control_group_is_about_its_share():
    arms = [assign_limit_arm(n, Decimal("0.05"), Decimal("0.10")) for n in range(1, 20_001)]
    assert arms == [assign_limit_arm(n, Decimal("0.05"), Decimal("0.10")) for n in range(1, 20_001)]
    control = arms.count(LimitArm.CONTROL) / len(arms)
    challenger = arms.count(LimitArm.CHALLENGER) / len(arms)
    assert 0.04 < control < 0.06 and 0.09 < challenger < 0.11
    # a larger control share keeps every line already in it
    wider = [assign_limit_arm(n, Decimal("0.10"), Decimal("0")) for n in range(1, 20_001)]
    assert all(w is LimitArm.CONTROL for a, w in zip(arms, wider) if a is LimitArm.CONTROL)


def test_the_version_follows_the_content_and_bad_settings_are_refused():
    settings_text = (DEFAULT_LIMIT_POLICY_DIR / "policy.json").read_text()
    graph = (DEFAULT_LIMIT_POLICY_DIR / "decision.json").read_text()
    changed = settings_text.replace("3000000", "2000000")
    assert limit_policy_from_json(changed, graph).version != POLICY.version
    assert limit_policy_from_json(settings_text, graph).version == POLICY.version
    with pytest.raises(InvalidInputError):
        limit_policy_from_json(settings_text.replace("3000000", "-1"), graph)
    with pytest.raises(InvalidInputError):
        limit_policy_from_json(settings_text.replace('"0.05"', '"1.5"'), graph)
    with pytest.raises(InvalidInputError):
        limit_policy_from_json(settings_text, '{"nodes": 3}')


@settings(max_examples=200, deadline=None)
@given(
    behaviour=st.fixed_dictionaries(
        {k: st.one_of(st.none(), st.integers(0, 12_000)) for k in GOOD}
    ),
    status=st.sampled_from(["active", "frozen"]),
    since=st.one_of(st.none(), st.integers(0, 400)),
    kind=st.sampled_from(["review", "request"]),
)
def test_the_graph_on_the_fields_it_reads_decides_as_on_the_whole_context(
    behaviour, status, since, kind
):
    context = {
        "kind": kind,
        "line": {
            "status": status,
            "limit_fen": 1,
            "days_since_increase": since,
            "temporary": False,
        },
        "behaviour": behaviour,
    }
    assert POLICY.reads is not None
    whole = POLICY._engine.evaluate("limits", context)["result"]
    narrow = POLICY.evaluate(context)
    for key in ("grade", "risk", "blockers"):
        assert narrow.get(key) == whole.get(key)
