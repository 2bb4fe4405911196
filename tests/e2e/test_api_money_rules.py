"""Borrowers' money over HTTP: the payoff quote paid through the ordinary payment closes the
loan, a payment above the payoff is refused naming it, a preview shows what a payment will
do, and the offer's default terms are the ones the loan is serviced under. On SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from tests.e2e.api_harness import Party, TestClient, accept, apply, make_staff
from thinfile.security.roles import Role


def _a_loan_ten_days_in(api: TestClient, world: Any) -> tuple[Party, Party, int, dict[str, Any]]:
    alice = world.alice
    decision = apply(api, alice).json()
    loan_id = accept(api, alice, decision["id"], 0).json()["loan_id"]
    agent = make_staff(api, Role.SERVICING_AGENT)
    loan = api.get(f"/v1/loans/{loan_id}", headers=agent.headers).json()
    through = date.fromisoformat(loan["disbursed_on"]) + timedelta(days=9)
    reply = api.post("/v1/staff/cob", headers=agent.headers, json={"through": str(through)})
    assert reply.status_code == 200, reply.text
    return alice, agent, loan_id, decision["offers"][0]


def _pay(api: TestClient, party: Party, loan_id: int, amount: str, key: str) -> Any:
    return api.post(
        f"/v1/loans/{loan_id}/payments",
        json={"amount": amount},
        headers={**party.headers, "Idempotency-Key": key},
    )


def test_the_payoff_quote_paid_as_an_ordinary_payment_closes_the_loan(api, world):
    alice, agent, loan_id, _offer = _a_loan_ten_days_in(api, world)
    quote = api.get(f"/v1/loans/{loan_id}/payoff", headers=alice.headers).json()["amount"]
    preview = api.get(
        f"/v1/loans/{loan_id}/payment-preview", params={"amount": quote}, headers=alice.headers
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["closes_loan"] is True and preview.json()["payoff_after"] == "0.00"
    paid = _pay(api, alice, loan_id, quote, "payoff-by-payment")
    assert paid.status_code == 201, paid.text
    assert paid.json()["loan_status"] == "closed" and paid.json()["overpayment"] == "0.00"
    loan = api.get(f"/v1/loans/{loan_id}", headers=agent.headers).json()
    assert loan["status"] == "closed" and loan["held_overpayment"] == "0.00"
    assert loan["balances"]["total"] == "0.00"


def test_a_payment_above_the_payoff_is_refused_naming_the_payoff(api, world):
    alice, _agent, loan_id, _offer = _a_loan_ten_days_in(api, world)
    quote = api.get(f"/v1/loans/{loan_id}/payoff", headers=alice.headers).json()["amount"]
    for amount in (str(Decimal(quote) + Decimal("0.01")), "99999999"):
        reply = _pay(api, alice, loan_id, amount, f"too-much-{amount}")
        assert reply.status_code == 422, reply.text
        body = reply.json()
        assert body["details"]["field"] == "amount" and quote in body["message"]
    for amount in ("1e12", "NaN", "Infinity"):
        assert _pay(api, alice, loan_id, amount, f"bad-{amount}").status_code == 422
    loan = api.get(f"/v1/loans/{loan_id}", headers=alice.headers).json()
    assert [t["kind"] for t in loan["transactions"]] == ["disbursement"]


def test_a_preview_of_part_of_the_loan_shows_principal_cut_and_a_smaller_next_installment(
    api, world
):
    alice, _agent, loan_id, _offer = _a_loan_ten_days_in(api, world)
    loan = api.get(f"/v1/loans/{loan_id}", headers=alice.headers).json()
    scheduled = Decimal(loan["installments"][0]["due"]["total"])
    preview = api.get(
        f"/v1/loans/{loan_id}/payment-preview", params={"amount": "1000.00"}, headers=alice.headers
    ).json()
    assert Decimal(preview["paid"]["principal"]) > 0 and preview["closes_loan"] is False
    assert Decimal(preview["paid"]["total"]) == Decimal("1000.00")
    assert Decimal(preview["next_amount"]) < scheduled
    refused = api.get(
        f"/v1/loans/{loan_id}/payment-preview", params={"amount": "1e12"}, headers=alice.headers
    )
    assert refused.status_code == 422


def test_the_offer_discloses_the_default_terms_the_loan_is_serviced_under(api, world):
    _alice, _agent, _loan_id, offer = _a_loan_ten_days_in(api, world)
    statement = offer["statement"]
    terms = statement["default_terms"]
    assert Decimal(terms["penalty_rate_cap"]) <= Decimal("0.24")
    penalty = statement["default_costs"][0]["standard"]
    assert f"after {terms['grace_days']} grace days" in penalty or penalty == "none"
    rate = Decimal(penalty.split("%")[0]) / 100 if penalty != "none" else Decimal(0)
    assert rate <= Decimal("0.24")
    assert [e["days_late"] for e in statement["default_examples"]] == [1, 10, 100]


def test_extra_money_with_an_installment_cuts_principal_and_the_next_installment(api, world):
    alice, agent, loan_id, _offer = _a_loan_ten_days_in(api, world)
    loan = api.get(f"/v1/loans/{loan_id}", headers=agent.headers).json()
    first, second = loan["installments"][0], loan["installments"][1]
    reply = api.post(
        "/v1/staff/cob",
        headers=agent.headers,
        json={"through": str(date.fromisoformat(first["due_date"]) - timedelta(days=1))},
    )
    assert reply.status_code == 200, reply.text
    extra = Decimal("1000.00")
    amount = Decimal(first["due"]["total"]) + extra
    paid = _pay(api, alice, loan_id, str(amount), "installment-and-extra")
    assert paid.status_code == 201, paid.text
    assert paid.json()["overpayment"] == "0.00"  # nothing held: the extra repaid principal
    assert Decimal(paid.json()["paid"]["principal"]) == Decimal(first["due"]["principal"]) + extra
    after = api.get(f"/v1/loans/{loan_id}", headers=agent.headers).json()
    assert after["held_overpayment"] == "0.00"
    owed_next = Decimal(after["installments"][1]["due"]["total"]) - Decimal(
        after["installments"][1]["paid"]["total"]
    )
    assert owed_next < Decimal(second["due"]["total"])
