import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.support.decisioning import (
    DECIDED_ON,
    ChosenPD,
    application,
    id_number,
    table_priced_policy,
)
from thinfile.decisioning import (
    Arm,
    History,
    Outcome,
    PolicyBook,
    assign_arm,
    decide,
    load_policy,
    parse_application,
    replay,
    same_as_stored,
)
from thinfile.decisioning.policy import DEFAULT_POLICY_DIR
from thinfile.errors import ConflictError, InvalidInputError
from thinfile.loanmath import cap_measure


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def run(policy, history=History(), pd=0.01, **fields):
    return decide(
        parse_application(application(**fields)),
        policy=policy,
        model=ChosenPD(pd),
        on=DECIDED_ON,
        history=history,
    )


def test_a_good_thin_file_rider_is_approved_with_up_to_three_priced_offers(policy):
    d = run(policy)
    assert d.outcome is Outcome.APPROVE
    assert 1 <= len(d.offers) <= 3
    assert d.offers[0].product == "pos_installment"  # fits "phone purchase" best
    for offer in d.offers:
        assert offer.amount == 600000
        assert offer.statement.annualized == offer.annualized
        assert cap_measure(offer.annualized, policy.settings.cap_basis) <= Decimal("0.24")


@pytest.mark.parametrize(
    ("fields", "history", "code"),
    [
        ({"birth_date": "2010-01-01", "id_number": id_number("20100101")}, History(), "KO_AGE_MIN"),
        ({"birth_date": "1960-01-01", "id_number": id_number("19600101")}, History(), "KO_AGE_MAX"),
        (
            {"id_number": id_number()[:17] + ("0" if id_number()[17] != "0" else "1")},
            History(),
            "KO_ID_INVALID",
        ),
        ({"birth_date": "1990-03-08"}, History(), "KO_ID_BIRTH_MISMATCH"),
        ({"phone": "12345"}, History(), "KO_PHONE_INVALID"),
        ({"phone": "12345678901"}, History(), "KO_PHONE_INVALID"),  # no mainland 12x prefix
        ({}, History(deny_listed=True), "KO_DENY_LIST"),
        ({}, History(applications_by_id_30d=4), "KO_VELOCITY_ID"),
        ({}, History(applications_by_phone_30d=4), "KO_VELOCITY_PHONE"),
        ({}, History(applications_by_device_1d=3), "KO_VELOCITY_DEVICE"),
        ({"consent_credit": False}, History(), "KO_NO_CONSENT"),
    ],
)
def test_each_knockout_declines_with_its_reason_code(policy, fields, history, code):
    d = run(policy, history, **fields)
    assert d.outcome is Outcome.DECLINE
    assert code in d.reason_codes
    assert d.offers == ()
    assert d.borrower_reasons("zh")[0]["text"]


def test_velocity_just_under_the_threshold_passes(policy):
    assert run(policy, History(applications_by_id_30d=3)).outcome is Outcome.APPROVE


def test_a_pd_above_every_grade_declines_with_model_reasons(policy):
    d = run(policy, pd=0.5)
    assert d.outcome is Outcome.DECLINE
    assert d.reason_codes[:2] == ("RISK_GRADE", "R_INCOME")


def test_no_income_evidence_means_no_room_and_a_decline(policy):
    d = run(policy, income_monthly_mean=None, income_months_observed=None)
    assert d.outcome is Outcome.DECLINE and d.reason_codes == ("AFFORDABILITY",)


def test_existing_debt_that_fills_the_debt_service_limit_declines(policy):
    # income 8000 × (1 − 0.10 − 0.5 × 0.3) = 6000; grade A allows 50% = 3000 a month
    assert run(policy, existing_debt_payment_monthly="3000.00").outcome is Outcome.DECLINE
    assert run(policy, existing_debt_payment_monthly="2900.00").outcome is Outcome.APPROVE


def test_the_offered_amount_shrinks_until_the_installment_is_affordable(policy):
    d = run(policy, requested_amount="30000.00", existing_debt_payment_monthly="2500.00")
    room = d.affordability.max_installment
    assert room == 50000
    for offer in d.offers:
        assert max(i.total for i in offer.schedule.installments) <= room
        assert offer.amount < 3000000 and offer.amount % 10000 == 0


def test_declared_income_counts_after_a_heavier_haircut(policy):
    d = run(
        policy,
        income_monthly_mean=None,
        income_months_observed=None,
        declared_monthly_income="5000.00",
    )
    assert d.affordability.income == 300000 and d.affordability.source == "declared"


@pytest.fixture(scope="module")
def greedy(tmp_path_factory):
    """The shipped policy priced from a grade table (as before the build-up) with every
    grade at 36% a year and 3% a month."""
    folder = tmp_path_factory.mktemp("policies") / "greedy"
    return load_policy(table_priced_policy(folder, rate="0.36", fee="0.03"))


def test_no_offer_is_ever_made_above_the_cap_even_when_the_table_asks_for_more(greedy):
    d = run(greedy, pd=0.01, requested_amount="3000.00")
    assert d.outcome is Outcome.APPROVE and d.offers
    for offer in d.offers:
        assert cap_measure(offer.annualized, greedy.settings.cap_basis) <= Decimal("0.24")
        assert cap_measure(offer.annualized, greedy.settings.cap_basis) > Decimal("0.235")
        assert offer.capped
    assert "PRICE_CAPPED" in {f.code for f in d.findings}


def test_a_re_priced_offer_keeps_the_rate_it_had_above_the_cap(greedy):
    d = run(greedy, pd=0.01, requested_amount="3000.00")
    for offer, stored in zip(d.offers, d.as_dict()["offers"], strict=True):
        before = offer.before_cap
        assert before is not None
        assert before.cap == Decimal("0.24") and before.basis is greedy.settings.cap_basis
        assert cap_measure(before.rate, before.basis) > before.cap
        assert before.rate.nominal > offer.annualized.nominal
        assert before.rate.effective > offer.annualized.effective
        assert stored["before_cap"] == {
            "nominal": str(before.rate.nominal),
            "effective": str(before.rate.effective),
            "cap": "0.24",
            "cap_basis": "stricter",
        }


def test_an_offer_priced_under_the_cap_stores_no_rate_before_the_cap(policy):
    d = run(policy, pd=0.01)
    assert d.offers and not any(o.capped for o in d.offers)
    assert all("before_cap" not in o for o in d.as_dict()["offers"])


def test_a_decision_stored_without_the_rate_before_the_cap_still_replays(greedy):
    """Decisions stored before offers kept ``before_cap`` load and replay; the replay gives
    the figure they lack and nothing else differs."""
    model = ChosenPD(0.01)
    d = decide(
        parse_application(application(requested_amount="3000.00")),
        policy=greedy,
        model=model,
        on=DECIDED_ON,
    )
    stored = json.loads(json.dumps(d.as_dict()))
    for offer in stored["offers"]:
        del offer["before_cap"]
    again: dict[str, Any] = replay(stored, policy=greedy, model=model).as_dict()
    assert again == d.as_dict()
    assert same_as_stored(again, stored)  # the key the stored form lacks is no difference
    assert not same_as_stored(again, {**stored, "score": int(stored["score"]) + 1})
    changed = json.loads(json.dumps(stored))
    changed["offers"][0]["annual_rate"] = "0.01"
    assert not same_as_stored(again, changed)
    for offer in again["offers"]:
        del offer["before_cap"]
    assert again == stored


def test_grade_e_with_a_large_amount_is_referred_with_offers_ready(policy):
    d = run(policy, pd=0.10)
    assert d.outcome is Outcome.REFER
    assert "REF_HIGH_RISK_LARGE" in d.reason_codes and d.offers


def test_a_stored_decision_replays_exactly(policy):
    model = ChosenPD(0.04)
    d = decide(
        parse_application(application()),
        policy=policy,
        model=model,
        on=DECIDED_ON,
        history=History(applications_by_id_30d=2),
    )
    stored = json.loads(json.dumps(d.as_dict()))
    assert replay(stored, policy=policy, model=model).as_dict() == d.as_dict()
    with pytest.raises(ConflictError):
        replay(stored, policy=policy, model=ChosenPD(0.04, version="other"))


def test_challenger_assignment_is_stable_monotone_and_near_the_share():
    keys = [f"id-{k}" for k in range(20000)]
    at10 = {k for k in keys if assign_arm(k, Decimal("0.1")) is Arm.CHALLENGER}
    at20 = {k for k in keys if assign_arm(k, Decimal("0.2")) is Arm.CHALLENGER}
    assert at10 <= at20
    assert abs(len(at10) / len(keys) - 0.1) < 0.01
    assert {k for k in keys if assign_arm(k, Decimal(0)) is Arm.CHALLENGER} == set()
    assert all(assign_arm(k, Decimal(1)) is Arm.CHALLENGER for k in keys[:100])
    assert [assign_arm(k, Decimal("0.3")) for k in keys[:50]] == [
        assign_arm(k, Decimal("0.3")) for k in keys[:50]
    ]


def test_policy_book_records_both_arms(policy, tmp_path):
    folder = tmp_path / "strict"
    shutil.copytree(DEFAULT_POLICY_DIR, folder)
    settings = json.loads((folder / "policy.json").read_text())
    settings["max_offers"] = 1
    (folder / "policy.json").write_text(json.dumps(settings))
    book = PolicyBook(policy, load_policy(folder), Decimal(1))
    result = book.decide(parse_application(application()), model=ChosenPD(), on=DECIDED_ON)
    assert result.arm is Arm.CHALLENGER
    assert result.shadow is not None
    assert len(result.decision.offers) == 1 and len(result.shadow.offers) > 1
    assert result.shadow.as_dict()["policy_version"] == policy.version


def test_policy_version_is_a_content_hash(policy, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(DEFAULT_POLICY_DIR, folder)
    assert load_policy(folder).version == policy.version
    settings = json.loads((folder / "policy.json").read_text())
    settings["cap"] = "0.20"
    (folder / "policy.json").write_text(json.dumps(settings))
    assert load_policy(folder).version != policy.version


def test_a_broken_policy_folder_is_a_typed_error(tmp_path):
    with pytest.raises(InvalidInputError) as err:
        load_policy(tmp_path)
    assert err.value.field == "policy.json"
    shutil.copytree(DEFAULT_POLICY_DIR, tmp_path / "p")
    (tmp_path / "p" / "decision.json").write_text("{not json")
    with pytest.raises(InvalidInputError):
        load_policy(tmp_path / "p")


def test_every_bad_application_field_is_listed_at_once():
    raw = application(
        requested_amount=12.5,
        requested_term_months="twelve",
        segment="pilot",
        income_monthly_cv=-1,
        surprise=1,
    )
    del raw["phone"]
    with pytest.raises(InvalidInputError) as err:
        parse_application(raw)
    fields = {p.field for p in err.value.problems}
    assert fields == {
        "phone",
        "requested_amount",
        "requested_term_months",
        "segment",
        "income_monthly_cv",
        "surprise",
    }


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("requested_amount", "0", "must be from 0.01 to 1,000,000 yuan"),
        ("requested_amount", "-100", "must be from 0.01 to 1,000,000 yuan"),
        ("requested_amount", "1000000.01", "must be from 0.01 to 1,000,000 yuan"),
        ("requested_amount", 10**12, "must be from 0.01 to 1,000,000 yuan"),
        ("requested_amount", "1e12", "written with an exponent"),
        ("requested_amount", "１２３", "digits other than 0-9"),
        ("requested_amount", "NaN", "not a finite number"),
        ("income_monthly_mean", "1e12", "written with an exponent"),
        ("income_monthly_mean", "10000000.01", "must be from 0 to 10,000,000 yuan"),
        ("declared_monthly_income", 10**12, "must be from 0 to 10,000,000 yuan"),
        ("ecommerce_monthly_spend", "Infinity", "not a finite number"),
        ("existing_debt_payment_monthly", "-1", "must be from 0 to 10,000,000 yuan"),
        ("existing_debt_payment_monthly", "1_000", "underscores"),
    ],
)
def test_money_fields_outside_their_range_are_refused_naming_the_field_and_range(
    field, value, expected
):
    with pytest.raises(InvalidInputError) as err:
        parse_application(application(**{field: value}))
    [problem] = err.value.problems
    assert problem.field == field and expected in problem.message


def test_money_fields_at_their_bounds_are_accepted():
    app = parse_application(
        application(
            requested_amount="1,000,000",
            income_monthly_mean="10000000",
            existing_debt_payment_monthly="0",
            declared_monthly_income=0,
        )
    )
    assert app.requested_amount == 100_000_000
    assert app.income_monthly_mean == 1_000_000_000
    assert app.as_json()["requested_amount"] == "1000000.00"
    assert parse_application(application(requested_amount="0.01")).requested_amount == 1


def test_an_application_that_is_not_an_object_is_refused():
    with pytest.raises(InvalidInputError):
        parse_application([1, 2])


def test_decisions_do_not_depend_on_the_clock(policy):
    a = run(policy).as_dict()
    b = run(policy).as_dict()
    assert a == b and a["decided_on"] == DECIDED_ON.isoformat()
    assert date.fromisoformat(a["offers"][0]["start"]) == DECIDED_ON


def test_a_micro_shop_owner_asking_for_working_capital_gets_the_business_loan(policy):
    d = run(
        policy,
        segment="micro_shop_owner",
        purpose="business_working_capital",
        requested_amount="20000.00",
        income_monthly_mean="15000.00",
    )
    assert d.offers[0].product == "micro_business"
    assert "pos_installment" not in {o.product for o in d.offers}


def test_the_default_policy_ships_as_a_gorules_graph():
    graph = json.loads((Path(DEFAULT_POLICY_DIR) / "decision.json").read_text())
    assert graph["contentType"] == "application/vnd.gorules.decision"
    assert {n["type"] for n in graph["nodes"]} >= {"inputNode", "decisionTableNode", "outputNode"}


def test_the_policy_engine_answers_as_the_graph_evaluated_on_its_own(policy):
    """The policy evaluates its graph through an engine holding the parsed graph; over a grid
    of applicants it answers exactly as zen-engine's own decision object for that graph."""
    import zen

    reference = zen.ZenEngine().create_decision(policy.graph_json)
    contexts = [
        {
            "applicant": {
                "age": age,
                "segment": segment,
                "bureau_history_months": history,
                "income_verified": verified,
                "months_in_city": 24,
            },
            "request": {"purpose": purpose, "amount_fen": amount, "term": 12},
            "checks": {
                "id_valid": True,
                "id_matches_birth_date": age > 20,
                "phone_valid": True,
                "consent_credit": True,
                "default_count": 0,
                "overdue_now": False,
                "recent_applications": history % 5,
            },
            "score": {"pd": pd, "score": 700 - int(pd * 1000)},
        }
        for age in (17, 23, 45, 70)
        for segment in ("delivery_rider", "micro_shop_owner")
        for history in (0, 14)
        for verified in (False, True)
        for purpose in ("consumption", "small_business")
        for amount in (60000, 3000001)
        for pd in (0.01, 0.08, 0.4)
    ]
    for context in contexts:
        assert policy.evaluate(context) == reference.evaluate(context)["result"]
