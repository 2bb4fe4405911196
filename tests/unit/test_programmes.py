"""Preferential programmes (让利, #25): a discount for a target group within a window, recorded
on the offer with the price before and after."""

from __future__ import annotations

import json
import shutil
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tests.support.decisioning import ChosenPD, application
from thinfile.decisioning import decide, load_policy, parse_application
from thinfile.decisioning.policy import DEFAULT_POLICY_DIR
from thinfile.errors import InvalidInputError

IN_WINDOW = date(2026, 11, 25)


def _decide(on: date = IN_WINDOW, policy=None, pd: float = 0.04, **fields: object):
    return decide(
        parse_application(application(**fields)),
        policy=policy or load_policy(),
        model=ChosenPD(pd),
        on=on,
    )


def _programmes(d) -> dict[str, str | None]:
    return {o.product: o.programme.programme.code if o.programme else None for o in d.offers}


def test_a_new_citizens_first_loan_takes_100_basis_points_off_the_solved_rate():
    d = _decide(bureau_history_months=0, months_in_city=24)
    consumer = next(o for o in d.offers if o.product == "consumer_installment")
    use = consumer.programme
    assert use is not None and use.programme.code == "NEW_CITIZEN_FIRST_LOAN"
    assert use.price_after == use.price_before - Decimal("0.0100")
    assert consumer.schedule.terms.annual_rate == use.price_after
    assert consumer.build_up is not None and consumer.build_up.solved == use.price_before
    assert use.rate_before.nominal > use.rate_after.nominal == consumer.annualized.nominal
    offers: list[dict[str, Any]] = d.as_dict()["offers"]
    stored = next(o for o in offers if o["product"] == "consumer_installment")
    assert stored["programme"]["code"] == "NEW_CITIZEN_FIRST_LOAN"
    assert stored["programme"]["price_before"] == str(use.price_before)
    assert stored["programme"]["price_after"] == stored["annual_rate"]
    assert Decimal(stored["programme"]["annualized_before"]["nominal"]) > Decimal(
        stored["annualized_rate"]["nominal"]
    )
    # the same applicant without the discount pays the solved price
    before = _decide(on=date(2025, 6, 30), bureau_history_months=0, months_in_city=24)
    plain = next(o for o in before.offers if o.product == "consumer_installment")
    assert plain.programme is None
    assert plain.schedule.terms.annual_rate == use.price_before


def test_a_fee_based_plan_takes_the_discount_spread_over_twelve_months_rounded_down():
    d = _decide(bureau_history_months=0, months_in_city=24)
    pos = next(o for o in d.offers if o.product == "pos_installment")
    use = pos.programme
    assert use is not None and use.price_kind == "monthly_fee_rate"
    # 100 bp a year is 0.000833… a month: 0.0008 on the 0.0001 grid, never more
    assert use.price_before - use.price_after == Decimal("0.0008")
    assert pos.schedule.terms.monthly_fee_rate == use.price_after


@pytest.mark.parametrize(
    ("fields", "on"),
    [
        ({"bureau_history_months": 30, "months_in_city": 24}, IN_WINDOW),  # not a first loan
        ({"bureau_history_months": 0, "months_in_city": 37}, IN_WINDOW),  # settled 3+ years
        ({"bureau_history_months": 0, "months_in_city": 24}, date(2025, 6, 30)),  # before
        ({"bureau_history_months": 0, "months_in_city": 24}, date(2027, 7, 1)),  # after
    ],
)
def test_no_discount_outside_the_target_group_or_the_window(fields, on):
    d = _decide(on=on, **fields)
    assert d.offers and set(_programmes(d).values()) == {None}
    assert not any(f.code == "PROGRAMME" for f in d.findings)


def test_the_window_includes_its_first_and_last_day():
    for on in (date(2025, 7, 1), date(2027, 6, 30)):
        d = _decide(on=on, bureau_history_months=0, months_in_city=24)
        assert set(_programmes(d).values()) == {"NEW_CITIZEN_FIRST_LOAN"}


def test_a_graduate_in_a_first_job_takes_the_larger_of_two_discounts():
    grad: dict[str, Any] = {"segment": "new_graduate", "social_insurance_months": 6}
    only = _decide(bureau_history_months=30, months_in_city=24, **grad)
    assert set(_programmes(only).values()) == {"GRADUATE_FIRST_JOB"}
    both = _decide(bureau_history_months=0, months_in_city=24, **grad)
    assert set(_programmes(both).values()) == {"GRADUATE_FIRST_JOB"}  # 150 bp over 100
    second_year = _decide(
        bureau_history_months=30,
        months_in_city=24,
        segment="new_graduate",
        social_insurance_months=13,
    )
    assert set(_programmes(second_year).values()) == {None}


def _shop(on: date, policy=None):
    return _decide(
        on=on,
        policy=policy,
        segment="micro_shop_owner",
        purpose="business_working_capital",
        requested_amount="20000.00",
        income_monthly_mean="15000.00",
        months_in_city=60,
        bureau_history_months=30,
    )


def test_micro_shop_relief_covers_the_business_loan_in_its_period_only():
    d = _shop(date(2026, 6, 1))
    assert _programmes(d) == {"micro_business": "MICRO_SHOP_RELIEF", "revolving_line": None}
    assert _programmes(_shop(date(2027, 1, 4)))["micro_business"] is None


def test_a_fee_waiver_waives_the_upfront_fee_and_records_it(tmp_path):
    folder = tmp_path / "fee"
    shutil.copytree(DEFAULT_POLICY_DIR, folder)
    graph = json.loads((folder / "decision.json").read_text())
    products = next(n for n in graph["nodes"] if n["id"] == "products")
    for rule in products["content"]["rules"]:
        rule["fee"] = '"0.01"'
    (folder / "decision.json").write_text(json.dumps(graph))
    policy = load_policy(folder)
    relief = next(
        o for o in _shop(date(2026, 6, 1), policy).offers if o.product == "micro_business"
    )
    assert relief.programme is not None and relief.programme.programme.fee_waiver
    assert relief.schedule.terms.upfront_fee.fen == 0
    assert relief.programme.fee_waived == relief.amount // 100  # 1% of the amount
    other = next(o for o in _shop(date(2026, 6, 1), policy).offers if o.product == "revolving_line")
    assert other.schedule.terms.upfront_fee.fen == other.amount // 100  # not waived


def _with_programmes(tmp_path, programmes: object, *, pricing: bool = True):
    folder = tmp_path / "p"
    shutil.copytree(DEFAULT_POLICY_DIR, folder)
    settings = json.loads((folder / "policy.json").read_text())
    settings["programmes"] = programmes
    if not pricing:
        del settings["pricing"]
    (folder / "policy.json").write_text(json.dumps(settings))
    return folder


def _programme(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "code": "X",
        "name_en": "X",
        "name_zh": "X",
        "discount_bps": 50,
        "fee_waiver": False,
        "starts": "2026-01-01",
        "ends": "2026-12-31",
        "group": {},
    }
    return base | changes


@pytest.mark.parametrize(
    ("programmes", "field"),
    [
        ([_programme(ends="2025-12-31")], "programmes[0].ends"),
        ([_programme(discount_bps=-5)], "programmes[0].discount_bps"),
        ([_programme(discount_bps=1.5)], "programmes[0].discount_bps"),
        ([_programme(starts="2026-13-01")], "programmes[0].starts"),
        ([_programme(group={"max_age": 30})], "programmes[0].group"),
        ([_programme(group={"segments": ["pilot"]})], "programmes[0].group.segments"),
        ([_programme(), _programme()], "programmes"),
        ({"code": "X"}, "programmes"),
    ],
)
def test_a_bad_programme_is_refused_naming_the_field(tmp_path, programmes, field):
    with pytest.raises(InvalidInputError) as error:
        load_policy(_with_programmes(tmp_path, programmes))
    assert error.value.field == field


def test_programmes_need_a_price_build_up_to_discount(tmp_path):
    with pytest.raises(InvalidInputError) as error:
        load_policy(_with_programmes(tmp_path, [_programme()], pricing=False))
    assert error.value.field == "programmes"
