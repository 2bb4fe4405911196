"""A purchase under dispute is not taken by its auto-debit agreement (代扣), on SQLite and
PostgreSQL, with the sandbox gateway as a real local service: the lender pauses the borrower's
payments on the disputed purchase while it investigates (DOMAIN §11). Close of business
queues no debit for it — neither on the eve of a due date nor on a retry day — and a debit
queued before the dispute opened closes unsent; once the dispute is rejected, the next eve
queues what has fallen due, read here from the installment rows (the oracle)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.e2e.api_harness import TestClient, World, context_of
from tests.e2e.test_api_checkout_money import run_cob
from tests.e2e.test_api_disputes import dispute, purchase, resolve
from tests.e2e.test_api_payment_intents import (  # the sandbox gateway and settings using it
    _bind,
    api_settings,  # noqa: F401
    gateway_url,  # noqa: F401
)
from tests.support.gateway import GATEWAY_KEY
from thinfile.adapters.sandbox_gateway_client import SandboxGatewayClient
from thinfile.services.auto_debit import send_queued_debits
from thinfile.store.servicing_codec import to_day


def gateway_of(api: TestClient) -> str:
    return context_of(api).settings.payment_gateway_url


def queued(api: TestClient, loan_id: int) -> list[dict[str, Any]]:
    with context_of(api).engine.connect() as conn:
        found = conn.execute(
            sa.text(
                "SELECT id, amount, status, idempotency_key FROM payment_intents"
                " WHERE loan_id = :l ORDER BY created_at, id"
            ),
            {"l": loan_id},
        ).mappings()
        return [dict(r) for r in found]


def unpaid_fallen_due(api: TestClient, loan_id: int, on: date) -> int:
    """The oracle: what the installment rows say has fallen due by ``on`` and is unpaid, less
    the overpayment the loan holds."""
    parts = ("principal", "interest", "fee", "penalty")
    owed = " + ".join(f"{p}_due - {p}_paid" for p in parts)
    with context_of(api).engine.connect() as conn:
        unpaid = conn.execute(
            sa.text(
                f"SELECT COALESCE(SUM({owed}), 0) FROM servicing_installments"
                " WHERE loan_id = :l AND due_day <= :d"
            ),
            {"l": loan_id, "d": to_day(on)},
        ).scalar_one()
        credit = conn.execute(
            sa.text("SELECT credit FROM servicing_loans WHERE id = :l"), {"l": loan_id}
        ).scalar_one()
    return int(unpaid) - int(credit)


def test_a_disputed_purchase_is_not_debited_and_is_retried_from_the_rejection(
    api: TestClient, world: World
) -> None:
    """No debit while the dispute is open, though the first installment falls due and passes
    every retry day (1, 3 and 7 days past due); once the dispute is rejected the retry days
    count again from the rejection, so the arrears are not left to the next due date."""
    _, agent, session_id, loan_id, dues = purchase(api, world)
    _bind(api, world.alice)
    first = dues[0]
    opened = dispute(api, world.alice, session_id)
    assert opened.status_code == 201, opened.text
    run_cob(api, agent, first + timedelta(days=8))
    assert queued(api, loan_id) == []
    assert unpaid_fallen_due(api, loan_id, first) > 0  # owed, but paused

    done = resolve(api, agent, opened.json()["id"], "reject")
    assert done.status_code == 200, done.text
    rejected = date.fromisoformat(done.json()["resolved_on"])
    assert rejected == first + timedelta(days=9)
    owed = unpaid_fallen_due(api, loan_id, rejected + timedelta(days=1))  # before its penalty
    run_cob(api, agent, rejected)  # queues the debit sent a day after the rejection
    (debit,) = queued(api, loan_id)
    assert debit["idempotency_key"] == f"auto-debit:{to_day(rejected)}:{loan_id}"
    assert int(debit["amount"]) == owed


def test_a_debit_queued_before_the_dispute_opened_is_not_taken(
    api: TestClient, world: World
) -> None:
    _, agent, session_id, loan_id, dues = purchase(api, world)
    _bind(api, world.alice)
    first = dues[0]
    run_cob(api, agent, first - timedelta(days=1))  # the eve: the debit is queued
    (debit,) = queued(api, loan_id)
    assert debit["status"] == "created" and int(debit["amount"]) > 0
    opened = dispute(api, world.alice, session_id)  # on the due date, before the sending
    assert opened.status_code == 201, opened.text
    assert opened.json()["opened_on"] == first.isoformat()

    gateway = SandboxGatewayClient(gateway_of(api), GATEWAY_KEY)
    report = send_queued_debits(context_of(api).engine, gateway, today=first)
    assert report.sent == () and report.cancelled == (debit["id"],)
    assert gateway.debit_status(str(debit["id"])) is None  # never reached the card
    (closed,) = queued(api, loan_id)
    assert closed["status"] == "failed"


def test_a_claimed_debit_the_gateway_never_had_is_not_sent_once_a_dispute_opens(
    api: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sending claims the due date's debit and stops before the gateway hears of it; the
    borrower then disputes the purchase. The next sending asks the gateway, finds nothing, and
    checks the debit again before sending it: nothing is due, so it closes unsent."""
    import thinfile.services.auto_debit as auto_debit

    _, agent, session_id, loan_id, dues = purchase(api, world)
    _bind(api, world.alice)
    first = dues[0]
    run_cob(api, agent, first - timedelta(days=1))
    (debit,) = queued(api, loan_id)
    engine, gateway = context_of(api).engine, SandboxGatewayClient(gateway_of(api), GATEWAY_KEY)

    def stopped(*args: object, **kw: object) -> None:
        raise RuntimeError("the sending stopped")

    with monkeypatch.context() as patched:
        patched.setattr(auto_debit, "send_debit", stopped)
        with pytest.raises(RuntimeError):
            send_queued_debits(engine, gateway, today=first)
    (claimed,) = queued(api, loan_id)
    assert claimed["status"] == "pending"
    assert dispute(api, world.alice, session_id).status_code == 201
    again = send_queued_debits(engine, gateway, today=first)
    assert again.sent == () and [v.id for v in again.recovered] == [debit["id"]]
    assert again.recovered[0].status.value == "failed"
    assert gateway.debit_status(str(debit["id"])) is None  # never reached the card
    (closed,) = queued(api, loan_id)
    assert closed["status"] == "failed"
