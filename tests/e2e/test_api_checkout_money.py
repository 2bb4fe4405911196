"""The money of a financed purchase through months of close of business (DOMAIN §11's
example): 12 × 1,000 interest-free with a 7.5% merchant subsidy; three installments paid;
a partial refund of 2,400 cuts the schedule from the last installment backwards and returns
its share of the unearned subsidy to the merchant; a full refund of the rest closes the loan,
gives the borrower back the 3,000 they paid and unwinds the whole deferred subsidy. Every
amount is checked against arithmetic written in the tests (effective-interest recognition,
solved by bisection in the oracle of tests.integration.test_subsidy_recognition), and the
ledger verified after each step."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tests.e2e.api_harness import TestClient, World, context_of, make_staff
from tests.e2e.test_api_checkout import authorized, key, ledger_ok, post, shop, yuan
from tests.integration.test_subsidy_recognition import oracle_months
from thinfile.security.roles import Role
from thinfile.services.ledger import verify_ledger

SUBSIDY = 90_000  # 7.5% of 12,000.00, in fen


def run_cob(api: TestClient, agent: Any, through: date) -> None:
    reply = api.post("/v1/staff/cob", headers=agent.headers, json={"through": through.isoformat()})
    assert reply.status_code == 200, reply.text


def loan_of(api: TestClient, world: World, loan_id: int) -> dict[str, Any]:
    reply = api.get(f"/v1/loans/{loan_id}", headers=world.alice.headers)
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def deferred_balance(api: TestClient) -> int:
    balances = verify_ledger(context_of(api).engine).balances
    return -balances.get(("deferred_subsidy_income", "CNY"), 0)


def recognised_by_period(periods: int) -> int:
    """Effective-interest recognition of the subsidy over the first ``periods`` whole periods:
    the net investment (12,000 − 900) earns one monthly rate against the twelve 1,000s."""
    return sum(oracle_months(1_200_000 - SUBSIDY, [100_000] * 12)[:periods])


def half_up(numerator: int, denominator: int) -> int:
    return int((Decimal(numerator) / denominator).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_a_purchase_paid_three_months_then_refunded_in_part_and_in_full(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    agent = make_staff(api, Role.SERVICING_AGENT)
    session_id = authorized(api, world, merchant)
    captured = post(api, merchant, session_id, "captures", amount="12000.00")
    assert captured.status_code == 201, captured.text
    loan_id = captured.json()["captures"][0]["loan_id"]
    loan = loan_of(api, world, loan_id)
    dues = [date.fromisoformat(i["due_date"]) for i in loan["installments"]]
    assert [i["due"]["total"] for i in loan["installments"]] == ["1000.00"] * 12
    assert deferred_balance(api) == SUBSIDY
    ledger_ok(api)

    for due in dues[:3]:
        run_cob(api, agent, due - timedelta(days=1))
        paid = api.post(
            f"/v1/loans/{loan_id}/payments",
            headers={**world.alice.headers, **key()},
            json={"amount": "1000.00"},
        )
        assert paid.status_code == 201 and paid.json()["on"] == due.isoformat(), paid.text
    run_cob(api, agent, dues[2])
    recognised = recognised_by_period(3)
    assert recognised == 13_545 + 12_490 + 11_422  # DOMAIN §11's first three months
    assert deferred_balance(api) == SUBSIDY - recognised
    ledger_ok(api)

    # a partial refund of 2,400 on 9,000 outstanding: its share of what is still deferred
    share = half_up((SUBSIDY - recognised) * 240_000, 900_000)
    part = post(api, merchant, session_id, "refunds", amount="2400.00", reference="RMA-1")
    assert part.status_code == 201, part.text
    refund = part.json()["refunds"][0]
    assert refund["reference"] == "RMA-1"
    assert refund["parts"] == [
        {
            "loan_id": loan_id,
            "amount": "2400.00",
            "subsidy_unwound": yuan(share),
            "merchant_unwound": yuan(share),  # no campaign: the merchant paid all of it
            "returned_to_borrower": "0.00",
        }
    ]
    assert deferred_balance(api) == SUBSIDY - recognised - share
    after = loan_of(api, world, loan_id)
    owed = [
        Decimal(i["due"]["principal"]) - Decimal(i["paid"]["principal"])
        for i in after["installments"]
    ]
    assert [o for o in owed if o] == [Decimal(1000)] * 6 + [Decimal(600)]  # 11 and 12 gone
    assert sum(owed) == 6600 and after["status"] == "active"
    ledger_ok(api)

    # the rest: 9,600 refunded on 6,600 owed — the 3,000 the borrower paid goes back to them
    rest = post(api, merchant, session_id, "refunds", amount="9600.00")
    assert rest.status_code == 201, rest.text
    last = rest.json()["refunds"][1]["parts"][0]
    assert last["returned_to_borrower"] == "3000.00"
    assert last["subsidy_unwound"] == yuan(SUBSIDY - recognised - share)
    assert deferred_balance(api) == 0
    closed = loan_of(api, world, loan_id)
    assert closed["status"] == "closed" and closed["held_overpayment"] == "0.00"
    kinds = [t["kind"] for t in closed["transactions"]]
    assert kinds.count("merchant-refund") == 2 and kinds.count("overpayment-refund") == 1
    assert rest.json()["refunded"] == rest.json()["captured"] == "12000.00"
    ledger_ok(api)
