"""Staff record a merchant refund only on a purchase loan booked with its merchant outside
the checkout, with a reason, on SQLite and PostgreSQL: a checkout's loan is refunded through
its checkout (whose refunds the merchant's settlement nets), a loan that financed no sale has
no merchant to send money back; a refusal posts nothing."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from tests.e2e.api_harness import TestClient, World, accept, apply, context_of, make_staff
from tests.e2e.test_api_checkout import confirm, create, post, read_for, shop
from tests.integration.servicing_helpers import terms
from thinfile.security.roles import Role
from thinfile.services import loans
from thinfile.services.business_date import current_business_date


def _refunds(api: TestClient, loan_id: int) -> int:
    with context_of(api).engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM servicing_transactions"
                    " WHERE loan_id = :l AND kind = 'merchant-refund'"
                ),
                {"l": loan_id},
            ).scalar_one()
        )


def _refund(api: TestClient, loan_id: int, body: dict[str, str], key: str) -> Any:
    agent = make_staff(api, Role.SERVICING_AGENT)
    return api.post(
        f"/v1/staff/loans/{loan_id}/merchant-refunds",
        headers={**agent.headers, "Idempotency-Key": f"staff-merchant-refund-{key}"},
        json=body,
    )


def test_a_cash_loan_gets_no_merchant_refund(api: TestClient, world: World) -> None:
    alice = world.alice
    loan_id = accept(api, alice, apply(api, alice).json()["id"], 0).json()["loan_id"]
    before = loans.get_loan(context_of(api).engine, loan_id).account.installments
    reply = _refund(api, loan_id, {"amount": "100.00", "reason": "goodwill gesture"}, "cash-1")
    assert reply.status_code == 409, reply.text
    details = reply.json()["details"]
    assert details["field"] == "loan_id" and "payment" in details["remedy"]
    assert _refunds(api, loan_id) == 0
    assert loans.get_loan(context_of(api).engine, loan_id).account.installments == before


def test_a_checkout_loan_is_refunded_through_its_checkout(api: TestClient, world: World) -> None:
    merchant = shop(api, world.admin)
    session = create(api, merchant).json()["id"]
    assert api.get(f"/v1/me/checkout/{session}/plans", headers=world.alice.headers).is_success
    read_for(api, session)
    assert confirm(api, world.alice, session, periods=6).status_code == 200
    captured = post(api, merchant, session, "captures", amount="12000.00")
    assert captured.status_code == 201, captured.text
    loan_id = int(captured.json()["captures"][0]["loan_id"])
    reply = _refund(api, loan_id, {"amount": "100.00", "reason": "one item returned"}, "co-1")
    assert reply.status_code == 409, reply.text
    details = reply.json()["details"]
    assert details["field"] == "loan_id"
    assert f"/v1/checkout/sessions/{session}/refunds" in details["remedy"]
    assert _refunds(api, loan_id) == 0


def test_a_shop_loan_is_refunded_with_a_reason_that_is_audited(api: TestClient) -> None:
    engine = context_of(api).engine
    start = current_business_date(engine)
    loan_id = loans.open_and_disburse(
        engine, terms("6000", 12, start=start), merchant="shop-1"
    ).loan_id
    missing = _refund(api, loan_id, {"amount": "100.00"}, "shop-1")
    assert missing.status_code == 422 and "reason" in missing.text
    blank = _refund(api, loan_id, {"amount": "100.00", "reason": "   "}, "shop-2")
    assert blank.status_code == 422
    assert _refunds(api, loan_id) == 0
    done = _refund(api, loan_id, {"amount": "100.00", "reason": "handset returned, RMA-7"}, "s3")
    assert done.status_code == 201, done.text
    assert _refunds(api, loan_id) == 1
    assert loans.get_loan(engine, loan_id).outstanding.principal == 600_000 - 10_000
    with engine.connect() as conn:
        details = conn.execute(
            sa.text(
                "SELECT details FROM audit_log WHERE action = 'loan.merchant_refund'"
                " AND subject = :s"
            ),
            {"s": f"loan:{loan_id}"},
        ).scalar_one()
    assert json.loads(details)["reason"] == "handset returned, RMA-7"
