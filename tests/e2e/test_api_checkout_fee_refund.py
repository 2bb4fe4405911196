"""A purchase on the borrower-pays fee plan (6 periods at 0.5 % a month on the amount
financed) refunded in part through the merchant's API: the fees the borrower paid on the
refunded third come back to them with the refund, the installments left carry the fee on what
stays financed, and the loan runs to its end with the ledger verified. Every amount is worked
out here (fee = 0.5 % × financed; a third of it given back for each period paid)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from tests.e2e.api_harness import TestClient, World, make_staff
from tests.e2e.test_api_checkout import confirm, create, key, ledger_ok, post, read_for, shop
from tests.e2e.test_api_checkout_money import loan_of, run_cob
from thinfile.security.roles import Role

FINANCED = 1_200_000  # fen: 12,000 yuan
FEE = FINANCED * 5 // 1000  # 60 yuan a period
PART = FINANCED // 6  # 2,000 yuan of principal a period


def _pay(api: TestClient, world: World, loan_id: int, fen: int, due: date) -> None:
    paid = api.post(
        f"/v1/loans/{loan_id}/payments",
        headers={**world.alice.headers, **key()},
        json={"amount": f"{fen / 100:.2f}"},
    )
    assert paid.status_code == 201 and paid.json()["on"] == due.isoformat(), paid.text


def test_a_third_of_a_fee_plan_purchase_refunded_gives_back_a_third_of_the_fees_paid(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    agent = make_staff(api, Role.SERVICING_AGENT)
    session_id = create(api, merchant).json()["id"]
    assert api.get(f"/v1/me/checkout/{session_id}/plans", headers=world.alice.headers).is_success
    read_for(api, session_id)
    done = confirm(api, world.alice, session_id, periods=6)
    assert done.json()["status"] == "authorized", done.text
    captured = post(api, merchant, session_id, "captures", amount="12000.00")
    assert captured.status_code == 201, captured.text
    loan_id = captured.json()["captures"][0]["loan_id"]
    dues = [date.fromisoformat(i["due_date"]) for i in loan_of(api, world, loan_id)["installments"]]
    assert len(dues) == 6
    for due in dues[:2]:
        run_cob(api, agent, due - timedelta(days=1))
        _pay(api, world, loan_id, PART + FEE, due)
    run_cob(api, agent, dues[1] + timedelta(days=4))

    refund = post(api, merchant, session_id, "refunds", amount="4000.00")  # a third
    assert refund.status_code == 201, refund.text
    part = refund.json()["refunds"][0]["parts"][0]
    # the two fees of 60 paid on 12,000: 20 of each was on the 4,000 refunded
    assert part["returned_to_borrower"] == "40.00"
    loan = loan_of(api, world, loan_id)
    assert loan["held_overpayment"] == "0.00"
    new_fee = FEE - FEE // 3  # 40 yuan: 0.5 % of the 8,000 still financed
    fees = [i["due"]["fee"] for i in loan["installments"]]
    assert fees == [f"{new_fee / 100:.2f}"] * 4  # paid ones included; the last two cut off
    owed = [
        Decimal(i["due"]["principal"]) - Decimal(i["paid"]["principal"])
        for i in loan["installments"]
    ]
    assert owed == [0, 0, 2000, 2000]  # 8,000 outstanding − 4,000 refunded
    ledger_ok(api)

    for due in dues[2:4]:
        run_cob(api, agent, due - timedelta(days=1))
        _pay(api, world, loan_id, PART + new_fee, due)
    loan = loan_of(api, world, loan_id)
    assert loan["status"] == "closed"
    ledger_ok(api)
