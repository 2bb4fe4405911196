"""Staff read a loan's journal over the API: every entry posted for the loan, balanced, with
its lines by account; on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

from tests.e2e.api_harness import accept, apply, make_staff
from thinfile.security.roles import Role


def _fen(text: str) -> int:
    return int(Decimal(text) * 100)


def test_staff_read_a_loans_journal_entry_by_entry(api, world):
    alice = world.alice
    application = apply(api, alice).json()
    loan_id = accept(api, alice, application["id"], 0).json()["loan_id"]
    principal = _fen(application["offers"][0]["amount"])
    paid = api.post(
        f"/v1/loans/{loan_id}/payments",
        headers={**alice.headers, "Idempotency-Key": "journal-pay-01"},
        json={"amount": "123.45"},
    )
    assert paid.status_code == 201, paid.text

    agent = make_staff(api, Role.SERVICING_AGENT)
    reply = api.get(f"/v1/staff/loans/{loan_id}/journal", headers=agent.headers)
    assert reply.status_code == 200, reply.text
    journal = reply.json()
    assert [e["id"] for e in journal] == sorted(e["id"] for e in journal)
    for entry in journal:
        assert entry["balanced"] is True
        assert sum(_fen(line["amount"]) for line in entry["lines"]) == 0  # debits = credits
    first = journal[0]
    assert first["kind"] == "disbursement"
    lent = {line["account"]: _fen(line["amount"]) for line in first["lines"]}
    assert lent["loans_receivable"] == principal
    payment = [e for e in journal if e["txn_id"] == paid.json()["txn_id"]]
    cash_in = sum(_fen(x["amount"]) for e in payment for x in e["lines"] if x["account"] == "cash")
    assert cash_in == 12_345


def test_the_journal_is_for_staff_and_of_a_loan_that_exists(api, world):
    alice = world.alice
    application = apply(api, alice).json()
    loan_id = accept(api, alice, application["id"], 0).json()["loan_id"]
    mine = api.get(f"/v1/staff/loans/{loan_id}/journal", headers=alice.headers)
    assert mine.status_code == 403
    assert set(mine.json()["details"]["allowed_roles"]) == {
        "admin",
        "servicing_agent",
        "underwriter",
    }
    missing = api.get("/v1/staff/loans/999999/journal", headers=world.admin.headers)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert api.get("/v1/staff/loans/0/journal", headers=world.admin.headers).status_code == 422
