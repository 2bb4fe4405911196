"""The offers of a stored decision are read into one typed shape, in one place."""

from __future__ import annotations

import json

from thinfile.decisioning import ModelStatus, PolicyStatus
from thinfile.services.applications_records import offers_of


def test_a_stored_decision_gives_its_offers_as_stored_offers() -> None:
    decision = json.loads(
        json.dumps(
            {
                "offers": [
                    {
                        "product": "consumer_installment",
                        "annualized_rate": {"nominal": "0.18", "effective": "0.1956"},
                        "statement": {"items": []},
                        "capped_to_legal_limit": False,
                    }
                ]
            }
        )
    )
    (offer,) = offers_of(decision)
    assert offer["product"] == "consumer_installment"
    assert offer["annualized_rate"]["effective"] == "0.1956"
    assert offer.get("before_cap") is None


def test_a_decision_without_offers_has_none() -> None:
    assert offers_of({"outcome": "decline"}) == ()
    assert offers_of({"offers": None}) == ()


def test_policy_and_model_statuses_are_stored_as_their_values() -> None:
    assert [s.value for s in PolicyStatus] == ["active", "candidate", "challenger", "retired"]
    assert [s.value for s in ModelStatus] == ["active", "candidate", "retired"]
    assert PolicyStatus("challenger") is PolicyStatus.CHALLENGER
