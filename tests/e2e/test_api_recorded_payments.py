"""Money recorded as received without the card gateway, over HTTP, on a server that does not
record borrowers' own payments (production's default): the borrower is refused and pointed
to card payments, nothing is posted; a servicing agent records a bank transfer that arrived.
On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.e2e.api_harness import TestClient, accept, apply, make_staff, quick_settings
from thinfile.security.roles import Role
from thinfile.settings import Settings


@pytest.fixture
def api_settings(database_url: str) -> Settings:
    return quick_settings(database_url, record_borrower_payments=False)


def test_a_borrower_cannot_record_a_payment_a_servicing_agent_records_a_transfer(
    api: TestClient, world
):
    alice = world.alice
    decision = apply(api, alice).json()
    loan_id = accept(api, alice, decision["id"], 0).json()["loan_id"]
    payoff = api.get(f"/v1/loans/{loan_id}/payoff", headers=alice.headers).json()["amount"]
    for route, body in (("payments", {"amount": "100.00"}), ("prepayments", {"amount": payoff})):
        refused = api.post(
            f"/v1/loans/{loan_id}/{route}",
            json=body,
            headers={**alice.headers, "Idempotency-Key": f"self-{route}"},
        )
        assert refused.status_code == 403, refused.text
        details = refused.json()["details"]
        assert details["field"] == "card" and "payment-intents" in details["remedy"]
    loan = api.get(f"/v1/loans/{loan_id}", headers=alice.headers).json()
    assert loan["status"] == "active" and loan["balances"]["principal"] != "0.00"
    assert api.get(f"/v1/loans/{loan_id}/payoff", headers=alice.headers).json()["amount"] == payoff
    agent = make_staff(api, Role.SERVICING_AGENT)
    recorded = api.post(
        f"/v1/loans/{loan_id}/payments",
        json={"amount": "100.00"},
        headers={**agent.headers, "Idempotency-Key": "transfer-1"},
    )
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["amount"] == "100.00"
    bob = world.bob  # neither the borrower's nor staff: the loan is not found for him
    stranger = api.post(
        f"/v1/loans/{loan_id}/payments",
        json={"amount": "1.00"},
        headers={**bob.headers, "Idempotency-Key": "bob"},
    )
    assert stranger.status_code in (403, 404)
