"""Disputes of financed purchases over the HTTP API, on each backend: while a dispute is open
close of business charges no penalty, moves no bucket and does not age the arrears; after a
rejection ageing resumes where it paused (penalty for the disputed days is never charged); a refund
resolution refunds the captured remainder and closes the loan. Only the purchase's borrower
can dispute it, once. Penalty amounts come from the oracle here: 18 %/yr on a 360-day year
on overdue principal, a day of it rounded half-up, from the fourth day after the due date."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from tests.e2e.api_harness import TestClient, World, context_of, make_staff
from tests.e2e.test_api_checkout import authorized, key, ledger_ok, post, shop, yuan
from tests.e2e.test_api_checkout_money import loan_of, run_cob
from thinfile.security.roles import Role
from thinfile.store.servicing_codec import from_day

GRACE = 3


def day_penalty(principal_fen: int) -> int:
    """A day of penalty on ``principal_fen`` overdue: principal × 0.18 / 360, half-up."""
    exact = Decimal(principal_fen) * Decimal("0.18") / 360
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def oracle_penalty(due: date, through: date, disputed: tuple[date, date] | None) -> int:
    """Penalty on a 1,000.00 installment due ``due``, closed day by day to ``through``:
    charged on a day past the grace days, counting as past due only the days from ``due`` that
    are not in ``disputed`` (first, last), and nothing on those days."""

    def held(day: date) -> bool:
        return disputed is not None and disputed[0] <= day <= disputed[1]

    total, x = 0, due + timedelta(days=1)
    while x <= through:
        aged = sum(1 for k in range((x - due).days) if not held(due + timedelta(days=k)))
        if not held(x) and aged > GRACE:
            total += day_penalty(100_000)
        x += timedelta(days=1)
    return total


def purchase(api: TestClient, world: World) -> tuple[Any, Any, str, int, list[date]]:
    merchant = shop(api, world.admin)
    agent = make_staff(api, Role.SERVICING_AGENT)
    session_id = authorized(api, world, merchant)
    captured = post(api, merchant, session_id, "captures", amount="12000.00")
    assert captured.status_code == 201, captured.text
    loan_id = captured.json()["captures"][0]["loan_id"]
    dues = [date.fromisoformat(i["due_date"]) for i in loan_of(api, world, loan_id)["installments"]]
    return merchant, agent, session_id, loan_id, dues


def dispute(api: TestClient, borrower: Any, session_id: str, headers=None, reason="never came"):
    return api.post(
        f"/v1/me/checkout/{session_id}/disputes",
        headers={**borrower.headers, **(headers or key())},
        json={"reason": reason},
    )


def resolve(api: TestClient, agent: Any, dispute_id: str, outcome: str, headers=None):
    return api.post(
        f"/v1/staff/disputes/{dispute_id}/resolution",
        headers={**agent.headers, **(headers or key())},
        json={"outcome": outcome, "reason": "checked with the merchant"},
    )


def penalties(api: TestClient, world: World, loan_id: int) -> list[int]:
    loan = loan_of(api, world, loan_id)
    return [int(Decimal(i["due"]["penalty"]) * 100) for i in loan["installments"]]


def rows(api: TestClient, sql: str) -> list[Any]:
    with context_of(api).engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.text(sql))]


def notices(api: TestClient, loan_id: int) -> list[tuple[str, date]]:
    """The reminders and notices close of business wrote for the loan: kind, night closed."""
    with context_of(api).engine.connect() as conn:
        found = conn.execute(
            sa.text(
                "SELECT kind, cob_day FROM notifications WHERE loan_id = :l"
                " AND (kind LIKE 'overdue%' OR kind LIKE 'due%') ORDER BY cob_day, id"
            ),
            {"l": loan_id},
        ).all()
    return [(str(k), from_day(int(d))) for k, d in found]


def test_a_disputed_loan_is_not_penalised_nor_aged_and_resumes_as_old_as_it_was_if_rejected(
    api: TestClient, world: World
) -> None:
    _, agent, session_id, loan_id, dues = purchase(api, world)
    first = dues[0]
    run_cob(api, agent, first + timedelta(days=5))
    before = loan_of(api, world, loan_id)
    assert before["bucket"] == "M1" and before["overdue_since"] == first.isoformat()
    assert penalties(api, world, loan_id)[0] == oracle_penalty(first, first + timedelta(5), None)
    assert penalties(api, world, loan_id)[0] == 100  # two days of 0.50

    once = key()
    opened = dispute(api, world.alice, session_id, headers=once)
    assert opened.status_code == 201, opened.text
    body = opened.json()
    assert body["status"] == "open" and body["loan_ids"] == [loan_id]
    assert body["opened_on"] == (first + timedelta(days=6)).isoformat()
    replay = dispute(api, world.alice, session_id, headers=once)
    assert replay.status_code == 201 and replay.json() == body
    assert replay.headers["Idempotent-Replayed"] == "true"
    again = dispute(api, world.alice, session_id)
    assert again.status_code == 409, again.text

    # 35 more days: 41 days past due would be M2, the second installment falls due too; the
    # arrears do not age: the day they count from moves with each disputed date
    held_through = first + timedelta(days=40)
    run_cob(api, agent, held_through)
    during = loan_of(api, world, loan_id)
    paused = first + timedelta(days=35)  # 6 days past due on the day after held_through
    assert during["bucket"] == "M1" and during["overdue_since"] == paused.isoformat()
    # no reminder or overdue notice while it is open (the second installment fell due then,
    # the first reached 7, 15 and 30 days past due): only those written before it opened
    assert notices(api, loan_id) == [
        ("due_soon", first - timedelta(days=4)),
        ("due_today", first - timedelta(days=1)),
        ("overdue_1", first),
    ]
    assert penalties(api, world, loan_id)[:2] == [100, 0]
    assert during["last_closed_date"] == held_through.isoformat()
    listed = api.get("/v1/staff/disputes?status=open", headers=agent.headers)
    assert listed.status_code == 200 and [d["id"] for d in listed.json()["items"]] == [body["id"]]

    done = resolve(api, agent, body["id"], "reject")
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "resolved-rejected"
    assert done.json()["staff_reason"] == "checked with the merchant"
    assert resolve(api, agent, body["id"], "refund").status_code == 409

    # ageing resumes where it paused: 6 days past due (M1, not M2 at once), a day of penalty
    # on the first installment (past its grace days before the dispute), none yet on the
    # second: it fell due inside the dispute, and its grace days run after it
    end = first + timedelta(days=41)
    run_cob(api, agent, end)
    after = loan_of(api, world, loan_id)
    assert after["bucket"] == "M1" and after["overdue_since"] == paused.isoformat()
    assert (end - paused).days == 6
    disputed = (first + timedelta(days=6), held_through)
    assert penalties(api, world, loan_id)[:2] == [
        oracle_penalty(first, end, disputed),
        oracle_penalty(dues[1], end, disputed),
    ]
    assert penalties(api, world, loan_id)[:2] == [150, 0]
    later = end + timedelta(days=GRACE + 1)
    run_cob(api, agent, later)
    assert penalties(api, world, loan_id)[:2] == [
        oracle_penalty(first, later, disputed),
        oracle_penalty(dues[1], later, disputed),
    ]
    assert penalties(api, world, loan_id)[1] == 50  # its first day past its grace days
    assert dispute(api, world.alice, session_id).status_code == 409  # once per purchase
    ledger_ok(api)

    events = rows(api, "SELECT event_type FROM merchant_webhook_events ORDER BY created_at")
    assert events.count("dispute.opened") == 1 and events.count("dispute.resolved") == 1
    actions = rows(api, f"SELECT action FROM audit_log WHERE subject = 'dispute:{body['id']}'")
    assert sorted(actions) == ["dispute.open", "dispute.resolve"]


def test_a_refund_resolution_refunds_the_remainder_and_closes_the_loan(
    api: TestClient, world: World
) -> None:
    merchant, agent, session_id, loan_id, dues = purchase(api, world)
    run_cob(api, agent, dues[0] - timedelta(days=1))
    paid = api.post(
        f"/v1/loans/{loan_id}/payments",
        headers={**world.alice.headers, **key()},
        json={"amount": "1000.00"},
    )
    assert paid.status_code == 201, paid.text
    part = post(api, merchant, session_id, "refunds", amount="2000.00")
    assert part.status_code == 201, part.text

    opened = dispute(api, world.alice, session_id, reason="  broken on arrival  ")
    assert opened.status_code == 201, opened.text
    assert opened.json()["reason"] == "broken on arrival"
    once = key()
    done = resolve(api, agent, opened.json()["id"], "refund", headers=once)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "resolved-refunded"
    assert done.json()["refunded"] == yuan(1_200_000 - 200_000)
    replay = resolve(api, agent, opened.json()["id"], "refund", headers=once)
    assert replay.json() == done.json() and replay.headers["Idempotent-Replayed"] == "true"

    loan = loan_of(api, world, loan_id)
    assert loan["status"] == "closed" and loan["held_overpayment"] == "0.00"
    kinds = [t["kind"] for t in loan["transactions"]]
    assert kinds.count("merchant-refund") == 2 and kinds.count("overpayment-refund") == 1
    session = api.get(f"/v1/checkout/sessions/{session_id}", headers=merchant.headers).json()
    assert session["refunded"] == session["captured"] == "12000.00"
    assert session["refunds"][-1]["reference"] == f"dispute:{opened.json()['id']}"
    actions = rows(api, "SELECT action FROM audit_log WHERE action LIKE 'dispute.%'")
    assert sorted(actions) == ["dispute.open", "dispute.resolve"]
    ledger_ok(api)


def test_a_purchase_refunded_on_its_dispute_ends_and_takes_no_more_captures(
    api: TestClient, world: World
) -> None:
    """Half of an order captured, disputed and refunded by staff: the purchase is over — the
    uncaptured half is voided, and a later capture is refused instead of booking the borrower
    a new loan for the disputed goods."""
    merchant = shop(api, world.admin)
    agent = make_staff(api, Role.SERVICING_AGENT)
    session_id = authorized(api, world, merchant)
    captured = post(api, merchant, session_id, "captures", amount="6000.00")
    assert captured.status_code == 201, captured.text
    opened = dispute(api, world.alice, session_id)
    assert opened.status_code == 201, opened.text
    done = resolve(api, agent, opened.json()["id"], "refund")
    assert done.status_code == 200 and done.json()["refunded"] == "6000.00", done.text
    session = api.get(f"/v1/checkout/sessions/{session_id}", headers=merchant.headers).json()
    assert session["status"] == "closed" and session["voided"] == "6000.00"
    loans_before = rows(api, "SELECT id FROM servicing_loans")
    again = post(api, merchant, session_id, "captures", amount="3000.00")
    assert again.status_code == 409 and again.json()["code"] == "checkout_state", again.text
    assert rows(api, "SELECT id FROM servicing_loans") == loans_before
    ledger_ok(api)


def test_an_open_dispute_refuses_a_capture_but_not_a_refund_or_a_void(
    api: TestClient, world: World
) -> None:
    """Half of an order captured, then disputed: the merchant's capture of the rest is
    refused, naming the session, instead of booking the borrower a new loan for goods they
    say never came; the merchant may still refund and void. Once the dispute is rejected
    the merchant could capture again (here nothing is left: it voided)."""
    merchant = shop(api, world.admin)
    agent = make_staff(api, Role.SERVICING_AGENT)
    session_id = authorized(api, world, merchant)
    assert post(api, merchant, session_id, "captures", amount="6000.00").status_code == 201
    opened = dispute(api, world.alice, session_id)
    assert opened.status_code == 201, opened.text
    loans_before = rows(api, "SELECT id FROM servicing_loans")

    refused = post(api, merchant, session_id, "captures", amount="3000.00")
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["code"] == "conflict" and body["details"]["field"] == "session_id"
    assert body["details"]["value"] == session_id and "dispute" in body["details"]["remedy"]
    assert rows(api, "SELECT id FROM servicing_loans") == loans_before

    assert post(api, merchant, session_id, "refunds", amount="1000.00").status_code == 201
    voided = post(api, merchant, session_id, "void")
    assert voided.status_code == 200 and voided.json()["voided"] == "6000.00", voided.text
    assert resolve(api, agent, opened.json()["id"], "reject").status_code == 200
    ledger_ok(api)


def test_only_the_purchases_borrower_can_dispute_it_and_bad_input_is_refused(
    api: TestClient, world: World
) -> None:
    merchant, agent, session_id, _, _ = purchase(api, world)
    assert dispute(api, world.bob, session_id).status_code == 404
    assert dispute(api, world.alice, "0" * 32).status_code == 404
    assert dispute(api, world.alice, session_id, reason=" x ").status_code == 422
    assert dispute(api, world.alice, session_id, reason="长" * 1001).status_code == 422
    assert rows(api, "SELECT id FROM checkout_disputes") == []

    uncaptured = authorized(api, world, merchant)
    refused = dispute(api, world.alice, uncaptured)
    assert refused.status_code == 409 and refused.json()["code"] == "checkout_state"

    opened = dispute(api, world.alice, session_id)
    assert opened.status_code == 201, opened.text
    dispute_id = opened.json()["id"]
    assert resolve(api, agent, dispute_id, "maybe").status_code == 422
    assert resolve(api, agent, "f" * 32, "reject").status_code == 404
    assert resolve(api, world.alice, dispute_id, "refund").status_code == 403
    assert api.get("/v1/staff/disputes", headers=world.alice.headers).status_code == 403
    assert rows(api, "SELECT status FROM checkout_disputes") == ["open"]
