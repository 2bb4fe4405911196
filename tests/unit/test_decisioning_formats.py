"""Money crosses the policy graph as whole fen; policies stored in yuan still decide and replay.

``policy_format_1/`` holds the shipped policy as it was before its tables moved to fen
(format 1, amounts in yuan) and decisions stored under it by the code of that time.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from tests.support.decisioning import DECIDED_ON, ChosenPD, application, id_number
from thinfile.decisioning import History, decide, load_policy, parse_application, replay
from thinfile.decisioning.policy import (
    FORMAT_VERSION,
    GraphMoney,
    policy_from_json,
)
from thinfile.decisioning.replay import same_as_stored
from thinfile.errors import InvalidInputError

FORMAT_1 = Path(__file__).parent / "policy_format_1"


@pytest.fixture(scope="module")
def in_fen():
    return load_policy()


@pytest.fixture(scope="module")
def in_fen_same_rules(in_fen):
    """The shipped fen tables with the rules and prices the yuan tables had: since then a thin
    file with verified income is no longer referred for a large amount (#16), and offers are
    priced by the build-up instead of the grade table's rates (#25)."""
    graph = json.loads(in_fen.graph_json)
    yuan = json.loads((FORMAT_1 / "decision.json").read_text())
    old_grade = next(n for n in yuan["nodes"] if n["id"] == "grade")["content"]
    priced = {r["_id"]: (r["rate"], r["fee"]) for r in old_grade["rules"]}
    old_products = next(n for n in yuan["nodes"] if n["id"] == "products")["content"]["rules"]
    adjustments = {r["_id"]: r["adj"] for r in old_products}
    for node in graph["nodes"]:
        if node["id"] == "grade":
            node["content"]["outputs"] += [
                o for o in old_grade["outputs"] if o["id"] in ("rate", "fee")
            ]
        for rule in node.get("content", {}).get("rules", []):
            if rule.get("_id") == "referrals-2":
                rule["inc"] = ""
                rule["msg"] = '"no bureau history and more than 30,000 yuan"'
            if rule.get("_id") in priced:
                rule["rate"], rule["fee"] = priced[rule["_id"]]
            if rule.get("_id") in adjustments:
                rule["adj"] = adjustments[rule["_id"]]
    settings = json.loads(in_fen.settings_json())
    del settings["pricing"], settings["programmes"]
    del settings["line_limit"], settings["no_offer_reasons"]  # set after format 1
    return policy_from_json(json.dumps(settings), json.dumps(graph))


@pytest.fixture(scope="module")
def in_yuan():
    return load_policy(FORMAT_1)


def _graph_fields(policy) -> set[str]:
    graph = json.loads(policy.graph_json)
    return {
        column["field"]
        for node in graph["nodes"]
        if node["type"] == "decisionTableNode"
        for column in node["content"]["inputs"] + node["content"]["outputs"]
    }


def test_the_shipped_policy_holds_every_amount_in_fen(in_fen):
    assert in_fen.format_version == FORMAT_VERSION == 2 and in_fen.money.in_fen
    fields = _graph_fields(in_fen)
    assert {
        "request.amount_fen",
        "grade.max_limit_fen",
        "min_amount_fen",
        "max_amount_fen",
    } <= fields
    assert not fields & {"request.amount", "grade.max_limit", "min_amount", "max_amount"}


def test_a_format_1_policy_keeps_its_yuan_tables_and_its_version(in_yuan):
    assert in_yuan.format_version == 1 and not in_yuan.money.in_fen
    assert "request.amount" in _graph_fields(in_yuan)
    stored = json.loads((FORMAT_1 / "stored_decisions.json").read_text())
    assert {d["policy_version"] for d in stored["decisions"]} == {in_yuan.version}
    again = policy_from_json(in_yuan.settings_json(), in_yuan.graph_json)
    assert again.version == in_yuan.version and again.format_version == 1


def test_decisions_stored_under_a_format_1_policy_replay_exactly(in_yuan):
    stored = json.loads((FORMAT_1 / "stored_decisions.json").read_text())
    model = ChosenPD(
        by_applicant=stored["model"]["pd_by_applicant"], version=stored["model"]["version"]
    )
    outcomes = set()
    for decision in stored["decisions"]:
        again = replay(decision, policy=in_yuan, model=model).as_dict()
        assert same_as_stored(again, decision), decision["inputs"]["application"]
        outcomes.add(decision["outcome"])
    assert outcomes == {"approve", "refer", "decline"}


def _applications(n: int):
    rng = random.Random(15)
    amounts = [
        "500.00",
        "999.99",
        "1000.00",
        "4999.99",
        "5000.00",
        "5000.01",
        "29999.99",
        "30000.00",
        "30000.01",
        "50000.00",
        "50000.01",
        "80000.00",
        "100000.00",
    ]
    for k in range(n):
        fields = dict(
            applicant_id=f"P{k}",
            id_number=id_number(seq=f"{k % 1000:03d}"),
            requested_amount=rng.choice([*amounts, f"{rng.randint(1, 150000)}.{k % 100:02d}"]),
            requested_term_months=rng.choice([3, 12, 24, 36, 48]),
            purpose=rng.choice(["consumption", "phone_purchase", "business_working_capital"]),
            segment=rng.choice(["delivery_rider", "micro_shop_owner"]),
            bureau_history_months=rng.choice([0, 36, None]),
            income_verified=rng.choice([True, False, None]),
            income_monthly_mean=rng.choice(["8000.00", "30000.00", "150000.00"]),
        )
        yield (
            parse_application(application(**fields)),
            rng.choice([0.005, 0.02, 0.04, 0.07, 0.11, 0.2]),
        )


def test_the_fen_tables_decide_exactly_as_the_yuan_tables_did(in_fen_same_rules, in_yuan):
    in_fen = in_fen_same_rules
    compared: set[str] = set()
    for app, pd in _applications(400):
        model = ChosenPD(pd)
        history = History(applications_by_id_30d=4) if app.applicant_id.endswith("7") else History()
        new: dict[str, Any] = decide(
            app, policy=in_fen, model=model, on=DECIDED_ON, history=history
        ).as_dict()
        old: dict[str, Any] = decide(
            app, policy=in_yuan, model=model, on=DECIDED_ON, history=history
        ).as_dict()
        assert new.pop("policy_version") != old.pop("policy_version")
        assert new == old
        compared.update(new["reason_codes"])
    # every referral threshold on the requested amount, and both limits, were exercised
    assert {
        "REF_HIGH_RISK_LARGE",
        "REF_THIN_FILE_LARGE",
        "REF_UNVERIFIED_INCOME",
        "RISK_GRADE",
        "KO_VELOCITY_ID",
    } <= compared


def test_a_fen_graph_gives_whole_fen_or_is_refused():
    money = GraphMoney(in_fen=True)
    assert money.key("max_limit") == "max_limit_fen"
    assert money.to_graph(500001) == 500001
    assert money.from_graph({"max_limit_fen": 8000000}, "max_limit") == 8000000
    for bad in (80000.5, 8000000.0, "8000000", True):
        with pytest.raises(InvalidInputError):
            money.from_graph({"max_limit_fen": bad}, "max_limit")


def test_a_yuan_graph_is_read_exactly_and_a_fraction_of_a_fen_is_refused():
    money = GraphMoney(in_fen=False)
    assert money.key("max_limit") == "max_limit"
    assert money.to_graph(500001) == 5000.01
    assert money.from_graph({"min_amount": 2500.5}, "min_amount") == 250050
    assert money.from_graph({"min_amount": "80000"}, "min_amount") == 8000000
    with pytest.raises(InvalidInputError):  # once truncated to 100000 fen without a word
        money.from_graph({"min_amount": "1000.005"}, "min_amount")


def test_an_unknown_policy_format_is_refused(in_fen):
    settings = json.loads(in_fen.settings_json())
    for form in (3, "2", True, None):
        settings["format_version"] = form
        with pytest.raises(InvalidInputError, match="format_version"):
            policy_from_json(json.dumps(settings), in_fen.graph_json)


def test_a_product_row_read_once_still_refuses_the_same_row_with_a_float_amount():
    from thinfile.decisioning.engine import _rule_of

    money = GraphMoney(in_fen=True)
    row = {
        "code": "consumer_installment",
        "method": "equal-installment",
        "min_amount_fen": 100000,
        "max_amount_fen": 8000000,
        "min_term": 3,
        "max_term": 36,
        "fit": 1,
        "rate_adjustment": "0",
        "upfront_fee_rate": "0",
    }
    first = _rule_of(row, money)
    assert _rule_of(dict(row), money) is first  # the same row is read once
    assert first.max_amount == 8000000 and first.min_term == 3
    with pytest.raises(InvalidInputError, match="max_amount_fen"):  # 8000000.0 == 8000000
        _rule_of({**row, "max_amount_fen": 8000000.0}, money)
    tagged = _rule_of({**row, "tags": ["rent"]}, money)  # a list: read, not remembered
    assert tagged == first
