"""Reversing a checkout refund (merchant error) over the API, on SQLite and PostgreSQL.

The oracle is a second, identical purchase that is never refunded: after a refund and its
reversal, the first purchase's loan (schedule, balances, subsidy plan and what is recognised)
and its ledger (the sum of each account over the loan's journal) equal the second's. The
refusals are typed (field, 404/409/422), the repeat of a request replays it, the merchant is
told, and ``ledger verify`` stays clean.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from tests.e2e.api_harness import Party, TestClient, World, context_of, make_staff
from tests.e2e.test_api_checkout import (
    confirm,
    create,
    key,
    ledger_ok,
    merchant_id_of,
    post,
    read_for,
    shop,
)
from tests.e2e.test_merchant_settlement import _bought_with_coupon
from thinfile.commerce.settlement import settlement_csv
from thinfile.security.roles import Role
from thinfile.services import loans, payments
from thinfile.services.business_date import current_business_date
from thinfile.services.cob import run_cob
from thinfile.services.settlements import settle_merchants
from thinfile.servicing import LoanAccount


def _captured(api: TestClient, borrower: Party, merchant: Party, amount: str) -> tuple[str, int]:
    """A session confirmed by ``borrower`` on 12 months and ``amount`` captured: its id and
    the loan."""
    session = create(api, merchant).json()["id"]
    assert api.get(f"/v1/me/checkout/{session}/plans", headers=borrower.headers).is_success
    read_for(api, session)
    done = confirm(api, borrower, session, periods=12)
    assert done.status_code == 200 and done.json()["status"] == "authorized", done.text
    captured = post(api, merchant, session, "captures", amount=amount)
    assert captured.status_code == 201, captured.text
    return session, int(captured.json()["captures"][-1]["loan_id"])


def _reverse(
    api: TestClient, party: Party, session: str, n: int, headers: dict[str, str] | None = None
) -> Any:
    return api.post(
        f"/v1/checkout/sessions/{session}/refunds/{n}/reversal",
        headers={**party.headers, **(headers or key())},
        json={"reason": "refunded the wrong order"},
    )


def _account(api: TestClient, loan_id: int) -> LoanAccount:
    return replace(
        loans.get_loan(context_of(api).engine, loan_id).account, loan_id=0, credit_line_id=None
    )


def _ledger_of(api: TestClient, loan_id: int) -> dict[str, int]:
    """Each account's balance over the loan's journal entries (zero balances left out)."""
    with context_of(api).engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT l.account, SUM(l.amount) FROM servicing_journal_lines l"
                " JOIN servicing_journal_entries e ON e.id = l.entry_id"
                " WHERE e.loan_id = :l GROUP BY l.account"
            ),
            {"l": loan_id},
        ).all()
    return {str(a): int(s) for a, s in rows if int(s)}


def _deferred_in_book(api: TestClient, *loan_ids: int) -> tuple[int, int]:
    """(the subsidy the whole journal still defers, what the loans say is unrecognised)."""
    with context_of(api).engine.connect() as conn:
        journal = -int(
            conn.execute(
                sa.text(
                    "SELECT COALESCE(SUM(amount), 0) FROM servicing_journal_lines"
                    " WHERE account = 'deferred_subsidy_income'"
                )
            ).scalar_one()
        )
    loans_say = sum(
        a.subsidy - a.subsidy_recognized for a in map(lambda i: _account(api, i), loan_ids)
    )
    return journal, loans_say


def _next_days(api: TestClient, days: int) -> None:
    engine = context_of(api).engine
    for _ in range(days):
        run_cob(engine, current_business_date(engine))


def test_a_reversed_refund_leaves_the_loan_and_ledger_of_a_purchase_never_refunded(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    session, refunded = _captured(api, world.alice, merchant, "12000.00")
    _, oracle = _captured(api, world.bob, merchant, "12000.00")
    assert _account(api, refunded) == _account(api, oracle)  # the same purchase twice
    _next_days(api, 3)
    part = post(api, merchant, session, "refunds", amount="4000.00")
    assert part.status_code == 201, part.text
    assert _account(api, refunded).merchant_refunded == 400_000
    assert _account(api, refunded).subsidy_plan != _account(api, oracle).subsidy_plan  # unwound
    ledger_ok(api)

    once = key()
    done = _reverse(api, merchant, session, 1, headers=once)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["refunded"] == "0.00" and body["captured"] == "12000.00"
    assert body["captures"][0]["refunded"] == "0.00"
    assert body["refunds"][0]["reversed_on"] == str(current_business_date(context_of(api).engine))
    again = _reverse(api, merchant, session, 1, headers=once)  # the same request: a replay
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json() == body
    assert _account(api, refunded) == _account(api, oracle)
    assert _ledger_of(api, refunded) == _ledger_of(api, oracle)
    ledger_ok(api)

    _next_days(api, 3)  # the two purchases go on alike
    assert _account(api, refunded) == _account(api, oracle)
    assert _ledger_of(api, refunded) == _ledger_of(api, oracle)
    twice = _reverse(api, merchant, session, 1)  # a new request: refused, nothing written
    assert twice.status_code == 409, twice.text
    assert twice.json()["details"]["field"] == "refund_n"
    # what was refunded can be refunded again, and the merchant was told of each change
    assert post(api, merchant, session, "refunds", amount="12000.00").status_code == 201
    with context_of(api).engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT event_type, body FROM merchant_webhook_events"
                " WHERE merchant_id = :m ORDER BY created_at, id"
            ),
            {"m": merchant_id_of(api, merchant)},
        ).all()
    events = [
        (t, json.loads(b)["data"])
        for t, b in rows
        if json.loads(b)["data"].get("session_id") == session
    ]
    kinds = [t for t, _ in events]
    assert kinds[-3:] == ["checkout.refunded", "checkout.refund_reversed", "checkout.refunded"]
    reversed_event = events[-2][1]
    assert (reversed_event["amount"], reversed_event["refunded"]) == ("4000.00", "0.00")
    assert reversed_event["refund_n"] == 1
    ledger_ok(api)


def test_a_full_refund_reversed_reopens_the_loan_as_if_never_refunded(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    session, refunded = _captured(api, world.alice, merchant, "6000.00")
    _, oracle = _captured(api, world.bob, merchant, "6000.00")
    _next_days(api, 2)
    assert post(api, merchant, session, "refunds", amount="1000.00").status_code == 201
    assert post(api, merchant, session, "refunds", amount="5000.00").status_code == 201
    assert _account(api, refunded).status.value == "closed"
    _next_days(api, 2)  # close of business recognises on what the refunds left meanwhile
    older = _reverse(api, merchant, session, 1)
    assert older.status_code == 409 and older.json()["details"]["field"] == "refund_n", older.text
    assert "reverse refund 2 first" in older.text
    for n in (2, 1):
        done = _reverse(api, merchant, session, n)
        assert done.status_code == 200, done.text
    assert done.json()["status"] == "partially-captured" and done.json()["refunded"] == "0.00"
    assert _account(api, refunded) == _account(api, oracle)
    # close of business books recognition for the whole book (no loan): the replay's
    # adjustment entry corrects what it recognised on the refunded plan
    journal, loans_say = _deferred_in_book(api, refunded, oracle)
    assert (
        journal
        == loans_say
        == 2 * (_account(api, oracle).subsidy - _account(api, oracle).subsidy_recognized)
    )
    ledger_ok(api)


def test_a_reversal_is_refused_where_it_would_not_be_honest(api: TestClient, world: World) -> None:
    merchant, other = shop(api, world.admin), shop(api, world.admin)
    session, loan_id = _captured(api, world.alice, merchant, "12000.00")
    missing = _reverse(api, merchant, session, 1)  # no refund yet
    assert missing.status_code == 404 and missing.json()["details"]["field"] == "refund_n", (
        missing.text
    )
    engine = context_of(api).engine
    on = current_business_date(engine)
    payments.prepay_loan(engine, loan_id, loans.quote_payoff(engine, loan_id, on), on)
    paid_back = post(api, merchant, session, "refunds", amount="2000.00")
    assert paid_back.status_code == 201, paid_back.text
    assert paid_back.json()["refunds"][0]["parts"][0]["returned_to_borrower"] != "0.00"
    before = _account(api, loan_id), _ledger_of(api, loan_id)
    refused = _reverse(api, merchant, session, 1)  # the money left the lender
    assert refused.status_code == 409 and refused.json()["details"]["field"] == "refund_n", (
        refused.text
    )
    assert "paid" in refused.json()["message"] and refused.json()["details"]["remedy"]
    assert not_mine(api, other, session)
    borrower = _reverse(api, world.alice, session, 1)
    assert borrower.status_code == 403, borrower.text
    bad = api.post(
        f"/v1/checkout/sessions/{session}/refunds/1/reversal",
        headers={**merchant.headers, **key()},
        json={"reason": ""},
    )
    assert bad.status_code == 422, bad.text
    assert (_account(api, loan_id), _ledger_of(api, loan_id)) == before  # nothing written
    ledger_ok(api)


def not_mine(api: TestClient, other: Party, session: str) -> bool:
    """Another merchant's session looks like none."""
    reply = _reverse(api, other, session, 1)
    return reply.status_code == 404 and bool(reply.json()["details"]["field"] == "session_id")


def test_a_later_business_date_is_the_reversals_own(api: TestClient, world: World) -> None:
    """The reversal is booked on the business date it is made (not the refund's)."""
    merchant = shop(api, world.admin)
    session, _ = _captured(api, world.alice, merchant, "3000.00")
    assert post(api, merchant, session, "refunds", amount="300.00").status_code == 201
    refunded_on = current_business_date(context_of(api).engine)
    _next_days(api, 1)
    done = _reverse(api, merchant, session, 1)
    assert done.status_code == 200, done.text
    refund = done.json()["refunds"][0]
    assert refund["refunded_on"] == str(refunded_on)
    assert refund["reversed_on"] == str(refunded_on + timedelta(days=1))


def _cash_by_loan(api: TestClient, loan_id: int) -> int:
    """What the ledger moved through cash for the loan's purchase, refunds and their
    reversals (debit positive)."""
    with context_of(api).engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT SUM(l.amount) FROM servicing_journal_lines l"
                    " JOIN servicing_journal_entries e ON e.id = l.entry_id"
                    " WHERE l.account = 'cash' AND e.loan_id = :l AND e.kind IN ('disbursement',"
                    " 'merchant-refund', 'subsidy-unwind', 'reversal', 'replay-adjustment')"
                ),
                {"l": loan_id},
            ).scalar_one()
        )


def test_the_merchant_is_paid_a_reversed_refund_back_on_the_reversals_settlement(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    merchant_id = merchant_id_of(api, merchant)
    engine = context_of(api).engine
    session, loan_id = _captured(api, world.alice, merchant, "12000.00")
    booked = current_business_date(engine)
    assert post(api, merchant, session, "refunds", amount="3000.00").status_code == 201
    _next_days(api, 1)
    assert _reverse(api, merchant, session, 1).status_code == 200
    _next_days(api, 1)
    first = settle_merchants(engine, booked + timedelta(days=1))
    second = settle_merchants(engine, booked + timedelta(days=2))
    [paid] = [r.settlement for r in first if r.settlement.merchant_id == merchant_id]
    [back] = [r.settlement for r in second if r.settlement.merchant_id == merchant_id]
    # 7.5% of 12,000 is the subsidy; a quarter of it (nothing recognised the day of the
    # purchase) came back with the refund of 3,000 and is owed again with its reversal
    subsidy, returned = 90_000, 90_000 * 300_000 // 1_200_000
    assert [x.kind.value for x in paid.lines] == ["capture", "refund"]
    assert (paid.captured.fen, paid.refunded.fen, paid.subsidy.fen) == (1_200_000, 300_000, subsidy)
    assert paid.subsidy_returned.fen == returned
    assert paid.net.fen == 1_200_000 - 300_000 - subsidy + returned
    assert [x.kind.value for x in back.lines] == ["refund-reversal"]
    [line] = back.lines
    assert (line.business_date, line.loan_id) == (booked + timedelta(days=1), loan_id)
    assert (line.amount.fen, line.subsidy.fen, line.net.fen) == (
        300_000,
        returned,
        300_000 - returned,
    )
    assert (back.refunded.fen, back.subsidy_returned.fen) == (-300_000, -returned)
    assert back.net.fen == 300_000 - returned
    # over both days the merchant is paid what a purchase never refunded pays, and the lines
    # are what the ledger moved through cash for the loan, seen from the merchant
    assert paid.net.fen + back.net.fen == 1_200_000 - subsidy
    assert sum(x.net.fen for x in (*paid.lines, *back.lines)) == -_cash_by_loan(api, loan_id)
    csv_total = settlement_csv(back).splitlines()[-1].split(",")
    assert csv_total[5:8] == [
        "3000.00",
        f"{returned / 100:.2f}",
        f"{(300_000 - returned) / 100:.2f}",
    ]
    ledger_ok(api)


def test_a_full_refund_that_gave_the_coupon_back_is_not_reversed(
    api: TestClient, world: World
) -> None:
    """A partial refund keeps the coupon and reverses; the full refund gave the coupon back
    to the borrower (and the lender its marketing money), so its reversal is refused naming
    the coupon, and nothing is written."""
    merchant = shop(api, world.admin)
    session = _bought_with_coupon(api, world, merchant)
    assert post(api, merchant, session, "refunds", amount="1900.00").status_code == 201
    done = _reverse(api, merchant, session, 1)
    assert done.status_code == 200 and done.json()["refunded"] == "0.00", done.text
    assert post(api, merchant, session, "refunds", amount="11900.00").status_code == 201
    loan_id = int(done.json()["captures"][0]["loan_id"])
    before = _account(api, loan_id), _ledger_of(api, loan_id)
    refused = _reverse(api, merchant, session, 2)
    assert refused.status_code == 409, refused.text
    assert refused.json()["details"]["field"] == "coupon" and refused.json()["details"]["remedy"]
    assert (_account(api, loan_id), _ledger_of(api, loan_id)) == before
    read = api.get(f"/v1/checkout/sessions/{session}", headers=merchant.headers).json()
    assert read["refunded"] == "11900.00" and read["refunds"][1]["reversed_on"] is None
    ledger_ok(api)


def test_staff_reverse_any_merchants_refund_and_each_reversal_is_audited(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    session, _ = _captured(api, world.alice, merchant, "3000.00")
    assert post(api, merchant, session, "refunds", amount="500.00").status_code == 201
    agent = make_staff(api, Role.SERVICING_AGENT)
    path = f"/v1/staff/checkout/sessions/{session}/refunds/1/reversal"
    body = {"reason": "merchant asked: wrong order"}
    alice = api.post(path, headers={**world.alice.headers, **key()}, json=body)
    assert alice.status_code == 403, alice.text
    done = api.post(path, headers={**agent.headers, **key()}, json=body)
    assert done.status_code == 200 and done.json()["refunded"] == "0.00", done.text
    assert post(api, merchant, session, "refunds", amount="700.00").status_code == 201
    assert _reverse(api, merchant, session, 2).status_code == 200
    with context_of(api).engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT actor, subject FROM audit_log WHERE action = 'checkout.refund_reversed'"
                " ORDER BY seq"
            )
        ).all()
    assert [r[1] for r in rows] == [f"checkout:{session}"] * 2
    assert rows[0][0] != rows[1][0]  # staff, then the merchant
    ledger_ok(api)


def test_a_refund_that_resolved_a_dispute_is_not_the_merchants_to_reverse(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    session, _ = _captured(api, world.alice, merchant, "3000.00")
    assert post(api, merchant, session, "refunds", amount="500.00").status_code == 201
    with context_of(api).engine.begin() as conn:  # as disputes.resolve_in_unit stores it
        conn.execute(
            sa.text("UPDATE checkout_refunds SET reference = 'dispute:d1' WHERE session_id = :s"),
            {"s": session},
        )
    refused = _reverse(api, merchant, session, 1)
    assert refused.status_code == 403, refused.text
    assert refused.json()["details"]["field"] == "refund_n"
    agent = make_staff(api, Role.SERVICING_AGENT)
    done = api.post(
        f"/v1/staff/checkout/sessions/{session}/refunds/1/reversal",
        headers={**agent.headers, **key()},
        json={"reason": "dispute reopened: merchant shipped"},
    )
    assert done.status_code == 200, done.text
    ledger_ok(api)


def test_a_merchant_refund_may_not_take_the_reference_that_marks_a_disputes_refund(
    api: TestClient, world: World
) -> None:
    """``dispute:`` begins the reference of a refund that resolved a dispute (which the
    merchant may not reverse): a merchant's own refund under it is refused naming
    ``reference``, and nothing is refunded."""
    merchant = shop(api, world.admin)
    session, _ = _captured(api, world.alice, merchant, "3000.00")
    for reference in ("dispute:fake", "DISPUTE:x"):
        refused = post(api, merchant, session, "refunds", amount="500.00", reference=reference)
        assert refused.status_code == 422, refused.text
        assert refused.json()["details"]["field"] == "reference"
    read = api.get(f"/v1/checkout/sessions/{session}", headers=merchant.headers).json()
    assert read["refunded"] == "0.00" and read["refunds"] == []
    done = post(api, merchant, session, "refunds", amount="500.00", reference="RMA-dispute:1")
    assert done.status_code == 201, done.text
    assert _reverse(api, merchant, session, 1).status_code == 200
    ledger_ok(api)


def test_a_reference_of_the_wrong_length_is_measured_in_characters(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    session, _ = _captured(api, world.alice, merchant, "3000.00")
    for reference, message in (
        ("R" * 65, "String should have at most 64 characters"),
        ("", "String should have at least 1 character"),
    ):
        refused = post(api, merchant, session, "refunds", amount="1.00", reference=reference)
        assert refused.status_code == 422, refused.text
        [problem] = refused.json()["details"]["problems"]
        assert (problem["field"], problem["message"]) == ("reference", message)
