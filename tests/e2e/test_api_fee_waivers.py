"""Fee waivers over HTTP (``POST /v1/staff/loans/{loan_id}/fee-waivers``), on SQLite and
PostgreSQL: staff forgive penalty interest or fees owed, the books stay balanced, never more
than is owed, bad input names its field, and only servicing agents and admins may."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from tests.e2e.api_harness import (
    Party,
    TestClient,
    accept,
    apply,
    context_of,
    is_replay_of,
    make_staff,
)
from thinfile.security.roles import Role

FEE_OFFER, INTEREST_OFFER = 0, 1  # a fee-based installment loan, an interest-bearing one
_keys = iter(range(1, 10_000))


def _waive(
    api: TestClient, party: Party, loan_id: int, body: dict[str, Any], key: str | None = None
) -> Any:
    headers = {**party.headers, "Idempotency-Key": key or f"waiver-key-{next(_keys):04d}"}
    return api.post(f"/v1/staff/loans/{loan_id}/fee-waivers", headers=headers, json=body)


def _loan(api: TestClient, party: Party, loan_id: int) -> dict[str, Any]:
    reply = api.get(f"/v1/loans/{loan_id}", headers=party.headers)
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def _late_loan(api: TestClient, world: Any, offer: int, days_late: int) -> tuple[int, Party]:
    """A loan of ``offer`` with close of business run ``days_late`` days past its first due
    date, and the servicing agent who ran it."""
    alice = world.alice
    loan_id = accept(api, alice, apply(api, alice).json()["id"], offer).json()["loan_id"]
    agent = make_staff(api, Role.SERVICING_AGENT)
    due = date.fromisoformat(_loan(api, agent, loan_id)["installments"][0]["due_date"])
    ran = api.post(
        "/v1/staff/cob",
        headers=agent.headers,
        json={"through": (due + timedelta(days=days_late)).isoformat()},
    )
    assert ran.status_code == 200, ran.text
    return loan_id, agent


def _yuan(text: str) -> Decimal:
    return Decimal(text)


def _audit_rows(api: TestClient) -> list[Any]:
    engine = context_of(api).engine
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text(
                    "SELECT actor, subject, details FROM audit_log "
                    "WHERE action = 'loan.fee_waiver' ORDER BY seq"
                )
            ).all()
        )


def test_an_agent_waives_penalty_interest_and_the_books_stay_balanced(api, world):
    loan_id, agent = _late_loan(api, world, INTEREST_OFFER, 10)
    before = _loan(api, agent, loan_id)["balances"]
    penalty = _yuan(before["penalty"])
    assert penalty > 0

    too_much = _waive(
        api,
        agent,
        loan_id,
        {"amount": str(penalty + Decimal("0.01")), "reason": "complaint upheld", "kind": "penalty"},
    )
    assert too_much.status_code == 422 and too_much.json()["details"]["field"] == "amount"

    half = (penalty / 2).quantize(Decimal("0.01"))
    body = {"amount": str(half), "reason": "complaint upheld", "kind": "penalty"}
    done = _waive(api, agent, loan_id, body, key="waive-penalty-01")
    assert done.status_code == 201, done.text
    reply = done.json()
    assert reply["waived_penalty"] == str(half) and reply["waived_fee"] == "0.00"
    assert reply["amount"] == str(half) and reply["loan_status"] == "active"
    again = _waive(api, agent, loan_id, body, key="waive-penalty-01")
    assert is_replay_of(again, done)

    after = _loan(api, agent, loan_id)
    assert _yuan(after["balances"]["penalty"]) == penalty - half
    assert after["balances"]["principal"] == before["principal"]
    assert [t["kind"] for t in after["transactions"]].count("fee-waiver") == 1
    admin = make_staff(api, Role.ADMIN)
    assert api.get("/v1/staff/ledger/verify", headers=admin.headers).json()["ok"] is True
    [(actor, subject, details)] = _audit_rows(api)
    assert actor == f"servicing_agent:{agent.user_id}" and subject == f"loan:{loan_id}"
    assert json.loads(details) | {
        "reason": "complaint upheld",
        "target": "penalty",
        "txn": reply["txn_id"],
    } == json.loads(details)


def test_fees_accrued_are_waived_and_without_a_kind_penalty_goes_first(api, world):
    loan_id, agent = _late_loan(api, world, FEE_OFFER, 0)
    before = _loan(api, agent, loan_id)["balances"]
    fee = _yuan(before["fee"])
    assert fee > 0 and _yuan(before["penalty"]) == 0  # a fee-based loan charges no penalty
    admin = make_staff(api, Role.ADMIN)
    done = _waive(api, admin, loan_id, {"amount": str(fee), "reason": "first-time goodwill"})
    assert done.status_code == 201, done.text
    assert done.json()["waived_fee"] == str(fee)
    assert _yuan(_loan(api, agent, loan_id)["balances"]["fee"]) == 0
    nothing_left = _waive(api, admin, loan_id, {"amount": "0.01", "reason": "again", "kind": "fee"})
    assert nothing_left.status_code == 422
    assert nothing_left.json()["details"]["field"] == "amount"
    assert api.get("/v1/staff/ledger/verify", headers=admin.headers).json()["ok"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "0", "reason": "nothing"}, "amount"),
        ({"amount": "-1.00", "reason": "negative"}, "amount"),
        ({"amount": "1.001", "reason": "three decimals"}, "amount"),
        ({"amount": 1.5, "reason": "a float"}, "amount"),
        ({"amount": "1.00", "reason": "   "}, "reason"),
        ({"amount": "1.00"}, "reason"),
        ({"amount": "1.00", "reason": "why", "kind": "interest"}, "kind"),
        ({"amount": "1.00", "reason": "why", "extra": True}, "extra"),
    ],
)
def test_bad_input_is_refused_naming_the_field(api, world, body, field):
    loan_id, agent = _late_loan(api, world, FEE_OFFER, 0)
    reply = _waive(api, agent, loan_id, body)
    assert reply.status_code == 422, reply.text
    details = reply.json()["details"]
    named = {details.get("field")} | {p["field"] for p in details.get("problems", [])}
    assert field in named, details
    assert _audit_rows(api) == []


def test_only_servicing_agents_and_admins_waive_and_a_key_is_required(api, world):
    loan_id, agent = _late_loan(api, world, FEE_OFFER, 0)
    body = {"amount": "1.00", "reason": "goodwill"}
    assert _waive(api, world.alice, loan_id, body).status_code == 403
    assert _waive(api, world.underwriter, loan_id, body).status_code == 403
    no_key = api.post(f"/v1/staff/loans/{loan_id}/fee-waivers", headers=agent.headers, json=body)
    assert no_key.status_code == 422
    assert _waive(api, agent, 999_999, body).status_code == 404
    assert _audit_rows(api) == []
