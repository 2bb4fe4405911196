"""Merchant checkout over the API, on SQLite and PostgreSQL: a merchant's session, the
borrower's plans and confirmation, captures, voids and refunds — each money call idempotent,
never beyond what was authorized or captured, the ledger balanced after every step, and the
money checked against arithmetic written here."""

from __future__ import annotations

import itertools
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from tests.e2e.api_harness import FORM, Party, TestClient, World, context_of
from tests.e2e.test_api_merchants import merchant_user, onboard
from thinfile.services.ledger import verify_ledger

_serial = itertools.count(1)
CONTRACT: dict[str, Any] = {
    "terms": [
        {"periods": 3, "subsidy_rate": "2%"},
        {"periods": 6, "subsidy_rate": "0", "monthly_fee_rate": "0.5%"},
        {"periods": 12, "subsidy_rate": "7.5%"},
    ],
    "unearned_subsidy": "return-to-merchant",
    "settlement_days": 1,
    "effective_from": "2026-01-01",
}
PURCHASE_FORM = {k: v for k, v in FORM.items() if not k.startswith("requested") and k != "purpose"}


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"checkout-test-{next(_serial):06d}"}


def shop(api: TestClient, admin: Party, contract: dict[str, Any] | None = None) -> Party:
    """An active merchant with ``contract`` and an API key: the party acting for it."""
    merchant = onboard(api, admin).json()
    base = f"/v1/staff/merchants/{merchant['id']}"
    put = api.put(base + "/contract", headers={**admin.headers, **key()}, json=contract or CONTRACT)
    assert put.status_code == 200, put.text
    assert api.post(base + "/activation", headers={**admin.headers, **key()}).is_success
    user = merchant_user(api, admin, merchant["id"])
    issued = api.post(
        base + "/api-keys",
        headers=admin.headers,
        json={"user_id": user.user_id, "name": "shop checkout"},
    )
    assert issued.status_code == 201, issued.text
    return Party(user.user_id, user.email, {"X-API-Key": issued.json()["key"]})


def order(total: str = "12000.00", **overrides: Any) -> dict[str, Any]:
    body = {
        "merchant_order_id": f"SO-{next(_serial):06d}",
        "lines": [
            {"name": "电动车 48V", "sku": "EB-48V", "quantity": 2, "unit_price": "5000.00"},
            {"name": "头盔", "sku": "HELMET-1", "quantity": 4, "unit_price": "500"},
        ],
        "total": total,
        "success_url": "https://shop.example/orders/1/done",
        "cancel_url": "https://shop.example/orders/1",
    }
    body.update(overrides)
    return body


def create(api: TestClient, merchant: Party, **overrides: Any) -> Any:
    return api.post(
        "/v1/checkout/sessions", headers={**merchant.headers, **key()}, json=order(**overrides)
    )


def read_for(api: TestClient, session_id: str, *, seconds_ago: int = 60) -> None:
    """Move the moment the plans were shown ``seconds_ago`` into the past (the reading pause
    is measured from it; tests do not wait)."""
    shown = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    with context_of(api).engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE checkout_sessions SET plans_shown_at = :t WHERE id = :i"),
            {"t": shown, "i": session_id},
        )


def confirm(
    api: TestClient,
    borrower: Party,
    session_id: str,
    periods: int = 12,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Any:
    form = {**PURCHASE_FORM, "birth_date": f"1995-03-{borrower.id_number[12:14]}"}
    body = {"periods": periods, "confirm": True, "seconds_read": 30, "application": form}
    body.update(extra)
    if isinstance(body["application"], dict):
        body["application"] = {**body["application"], "birth_date": form["birth_date"]}
    return api.post(
        f"/v1/me/checkout/{session_id}/confirmation",
        headers={**borrower.headers, **(headers or key())},
        json=body,
    )


def authorized(api: TestClient, world: World, merchant: Party, **overrides: Any) -> str:
    """A session created, its plans read by alice and confirmed: authorized."""
    session = create(api, merchant, **overrides).json()
    assert api.get(f"/v1/me/checkout/{session['id']}/plans", headers=world.alice.headers).is_success
    read_for(api, session["id"])
    once = key()
    done = confirm(api, world.alice, session["id"], headers=once)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "authorized", done.json()["decline_reasons"]
    replay = confirm(api, world.alice, session["id"], headers=once)
    assert replay.json() == done.json() and replay.headers["Idempotent-Replayed"] == "true"
    return str(session["id"])


def post(api: TestClient, merchant: Party, session_id: str, what: str, headers=None, **body):
    return api.post(
        f"/v1/checkout/sessions/{session_id}/{what}",
        headers={**merchant.headers, **(headers or key())},
        json=body or None,
    )


def ledger_ok(api: TestClient) -> None:
    report = verify_ledger(context_of(api).engine)
    assert report.ok, report.problems


def transactions(api: TestClient, loan_id: int) -> list[str]:
    with context_of(api).engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT kind FROM servicing_transactions WHERE loan_id = :l ORDER BY id"),
            {"l": loan_id},
        )
        return [str(r[0]) for r in rows]


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


# --- sessions -------------------------------------------------------------------------------


def test_a_merchant_creates_a_session_once_per_key_and_once_per_order(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    body, headers = order(), {**merchant.headers, **key()}
    first = api.post("/v1/checkout/sessions", headers=headers, json=body)
    again = api.post("/v1/checkout/sessions", headers=headers, json=body)
    assert first.status_code == again.status_code == 201, first.text
    assert first.json() == again.json() and again.headers["Idempotent-Replayed"] == "true"
    session = first.json()
    assert session["status"] == "open" and session["total"] == "12000.00"
    assert session["allowed_terms"] == [3, 6, 12]
    created = datetime.fromisoformat(session["created_at"])
    assert datetime.fromisoformat(session["expires_at"]) - created == timedelta(minutes=30)
    other_key = api.post("/v1/checkout/sessions", headers={**merchant.headers, **key()}, json=body)
    assert other_key.status_code == 409 and other_key.json()["details"]["field"] == (
        "merchant_order_id"
    )
    without_key = api.post("/v1/checkout/sessions", headers=merchant.headers, json=order())
    assert without_key.status_code == 422


def test_bad_orders_are_refused_naming_the_field(api: TestClient, world: World) -> None:
    merchant = shop(api, world.admin)
    cases = {
        "total": order(total="11999.99"),
        "allowed_terms": order(allowed_terms=[3, 24]),
        "success_url": order(success_url="javascript:alert(1)"),
        "cancel_url": order(cancel_url="http://shop.example/plain-http"),
        "lines[0].sku": order(
            lines=[{"name": "车", "sku": "EB 48", "quantity": 1, "unit_price": "100"}],
            total="100",
        ),
        "lines[0].unit_price": order(
            lines=[{"name": "车", "sku": "EB", "quantity": 1, "unit_price": "900000"}],
            total="900000",
        ),
        "merchant_order_id": order(merchant_order_id="订单１"),
    }
    for field, body in cases.items():
        reply = api.post("/v1/checkout/sessions", headers={**merchant.headers, **key()}, json=body)
        assert reply.status_code == 422, (field, reply.text)
        assert reply.json()["details"]["field"] == field, (field, reply.json())
    for hostile in ("-100.00", "１００", "1e3", "0.001"):
        body = order(total=hostile)
        reply = api.post("/v1/checkout/sessions", headers={**merchant.headers, **key()}, json=body)
        assert reply.status_code == 422, hostile
    huge = [{"name": "x", "sku": "X", "quantity": 10_000, "unit_price": "1"}]
    reply = api.post(
        "/v1/checkout/sessions",
        headers={**merchant.headers, **key()},
        json=order(lines=huge, total="10000"),
    )
    assert reply.status_code == 422
    details = reply.json()["details"]  # an item of a list is named as the services name it
    assert [p["field"] for p in details.get("problems", [details])] == ["lines[0].quantity"]
    with context_of(api).engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM checkout_sessions")).scalar() == 0


def test_only_an_active_merchant_with_a_contract_sells(api: TestClient, world: World) -> None:
    merchant = onboard(api, world.admin).json()
    user = merchant_user(api, world.admin, merchant["id"])
    reply = api.post("/v1/checkout/sessions", headers={**user.headers, **key()}, json=order())
    assert reply.status_code == 409 and reply.json()["code"] == "merchant_status"
    assert create(api, world.alice).status_code == 403  # a borrower is no merchant


# --- plans and confirmation -----------------------------------------------------------------


def test_the_plans_show_installments_rate_cost_and_who_pays(api: TestClient, world: World) -> None:
    merchant = shop(api, world.admin)
    session = create(api, merchant).json()
    reply = api.get(f"/v1/me/checkout/{session['id']}/plans", headers=world.alice.headers)
    assert reply.status_code == 200, reply.text
    plans = {p["periods"]: p for p in reply.json()["plans"]}
    free = plans[12]
    assert free["interest_free"] and free["annualized_rate"] == "0.00%"
    assert free["installments"] == ["1000.00"] * 12 and free["total_cost"] == "0.00"
    assert free["borrower_pays"] == "12000.00" and free["merchant_pays"] == "900.00"
    three = plans[3]  # 12,000 in 3: 4,000 each; the merchant pays 2% = 240
    assert three["installments"] == ["4000.00"] * 3 and three["merchant_pays"] == "240.00"
    fee = plans[6]  # 0.5% of 12,000 a month = 60 in fees each period, 2,000 principal
    assert fee["installments"] == ["2060.00"] * 6 and fee["total_cost"] == "360.00"
    assert fee["borrower_pays"] == "12360.00" and fee["merchant_pays"] == "0.00"
    assert not fee["interest_free"] and fee["annualized_rate"] != "0.00%"
    # the oracle of a fee plan's rate: monthly IRR r with 12,000 = Σ 2,060/(1+r)^k, × 12
    r = Decimal("0.01")
    for _ in range(60):  # Newton's method, in Decimal
        value = sum((Decimal(2060) / (1 + r) ** k for k in range(1, 7)), Decimal(0))
        slope = sum((-k * Decimal(2060) / (1 + r) ** (k + 1) for k in range(1, 7)), Decimal(0))
        r -= (value - 12000) / slope
    expected = (r * 12 * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert fee["annualized_rate"] == f"{expected}%"


def test_confirming_needs_the_statement_read_and_a_term_the_session_offers(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    session = create(api, merchant, allowed_terms=[12]).json()
    assert api.get(f"/v1/me/checkout/{session['id']}/plans", headers=world.alice.headers).is_success
    hasty = confirm(api, world.alice, session["id"])  # shown a moment ago: not read yet
    assert hasty.status_code == 422 and hasty.json()["details"]["field"] == "seconds_read"
    read_for(api, session["id"])
    unconfirmed = confirm(api, world.alice, session["id"], confirm=False)
    assert unconfirmed.status_code == 422 and unconfirmed.json()["details"]["field"] == "confirm"
    wrong_term = confirm(api, world.alice, session["id"], periods=3)
    assert wrong_term.status_code == 422 and wrong_term.json()["details"]["field"] == "periods"
    done = confirm(api, world.alice, session["id"])
    assert done.status_code == 200 and done.json()["status"] == "authorized", done.json()[
        "decline_reasons"
    ]
    assert done.json()["authorized"] == "12000.00" and done.json()["periods"] == 12
    twice = confirm(api, world.alice, session["id"])
    assert twice.status_code == 409 and twice.json()["code"] == "checkout_state"
    with context_of(api).engine.connect() as conn:  # one decision, one purchase line
        assert conn.execute(sa.text("SELECT COUNT(*) FROM applications")).scalar() == 1
        assert conn.execute(sa.text("SELECT COUNT(*) FROM servicing_credit_lines")).scalar() == 1


def test_a_price_between_whole_hundreds_is_approved_for_exactly_that_price(
    api: TestClient, world: World
) -> None:
    """Offers come in whole ¥100 steps, rounded down; a ¥2,999.99 phone is decided at ¥3,000
    and its purchase line is for exactly ¥2,999.99."""
    merchant = shop(api, world.admin)
    phone = [{"name": "手机", "sku": "P9", "quantity": 1, "unit_price": "2999.99"}]
    session_id = authorized(api, world, merchant, total="2999.99", lines=phone)
    with context_of(api).engine.connect() as conn:
        asked = conn.execute(sa.text("SELECT requested_amount FROM applications")).scalar()
        line = conn.execute(sa.text("SELECT limit_amount FROM servicing_credit_lines")).scalar()
    assert (asked, line) == (300_000, 299_999)
    captured = post(api, merchant, session_id, "captures", amount="2999.99")
    assert captured.status_code == 201, captured.text
    ledger_ok(api)


def test_a_borrower_with_a_line_that_has_room_draws_on_it_without_a_new_application(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    case = [{"name": "手机", "sku": "P1", "quantity": 1, "unit_price": "3000"}]
    first = authorized(api, world, merchant, total="3000.00", lines=case)

    def session(total: str) -> str:
        lines = [{"name": "贴膜", "sku": "F1", "quantity": 1, "unit_price": total}]
        made = create(api, merchant, total=total, lines=lines).json()
        api.get(f"/v1/me/checkout/{made['id']}/plans", headers=world.alice.headers)
        read_for(api, made["id"])
        done = confirm(api, world.alice, made["id"])
        assert done.status_code == 200, done.text
        statuses[made["id"]] = done.json()["status"]
        return str(made["id"])

    statuses: dict[str, str] = {}

    # the purchase line of 3,000 is held by the first session's authorization: a new application
    held = session("1000.00")
    post(api, merchant, first, "captures", amount="1200.00")
    assert post(api, merchant, first, "void").json()["status"] == "closed"
    # 1,200 drawn, nothing held any more: 1,800 available on the first line
    drawn = session("1800.00")
    too_big = session("1800.01")
    with context_of(api).engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id, credit_line_id, application_id FROM checkout_sessions")
        ).all()
        apps = conn.execute(sa.text("SELECT COUNT(*) FROM applications")).scalar()
    by_id = {r[0]: r for r in rows}
    assert by_id[drawn][1] == by_id[first][1] and by_id[drawn][2] is None
    assert by_id[held][1] != by_id[first][1] and by_id[held][2] is not None
    assert by_id[too_big][2] is not None and apps == 3
    assert statuses[held] == statuses[drawn] == "authorized"
    # 1,800.01 does not fit the first line: a new application, decided at the next whole
    # step (1,900.00) since offers come in round amounts, opens a line of exactly 1,800.01
    assert statuses[too_big] == "authorized"
    with context_of(api).engine.connect() as conn:
        line = conn.execute(
            sa.text("SELECT limit_amount FROM servicing_credit_lines WHERE id = :i"),
            {"i": by_id[too_big][1]},
        ).scalar()
    assert line == 180_001
    ledger_ok(api)


def test_a_declined_decision_declines_the_session_with_reasons(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    session = create(api, merchant).json()
    api.get(f"/v1/me/checkout/{session['id']}/plans", headers=world.alice.headers)
    read_for(api, session["id"])
    form = {**PURCHASE_FORM, "months_in_city": 1}  # the test model declines
    done = confirm(api, world.alice, session["id"], application=form)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "declined" and done.json()["decline_reasons"]
    merchant_view = api.get(f"/v1/checkout/sessions/{session['id']}", headers=merchant.headers)
    assert merchant_view.json()["status"] == "declined"
    refused = post(api, merchant, session["id"], "captures", amount="100.00")
    assert refused.status_code == 409 and refused.json()["code"] == "checkout_state"


def test_an_expired_session_cannot_be_confirmed(api: TestClient, world: World) -> None:
    merchant = shop(api, world.admin)
    session = create(api, merchant).json()
    api.get(f"/v1/me/checkout/{session['id']}/plans", headers=world.alice.headers)
    read_for(api, session["id"])
    with context_of(api).engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE checkout_sessions SET expires_at = :t WHERE id = :i"),
            {"t": datetime.now(UTC) - timedelta(seconds=1), "i": session["id"]},
        )
    late = confirm(api, world.alice, session["id"])
    assert late.status_code == 409 and late.json()["code"] == "checkout_state"
    view = api.get(f"/v1/checkout/sessions/{session['id']}", headers=merchant.headers).json()
    assert view["status"] == "expired" and view["authorized"] == "0.00"
    assert post(api, merchant, session["id"], "void").status_code == 409


# --- who sees what --------------------------------------------------------------------------


def test_a_merchant_never_sees_or_touches_another_merchants_session(
    api: TestClient, world: World
) -> None:
    mine, theirs = shop(api, world.admin), shop(api, world.admin)
    session_id = authorized(api, world, mine)
    assert api.get(f"/v1/checkout/sessions/{session_id}", headers=theirs.headers).status_code == 404
    for what, body in (
        ("captures", {"amount": "1.00"}),
        ("void", {}),
        ("refunds", {"amount": "1"}),
    ):
        reply = post(api, theirs, session_id, what, **body)
        assert reply.status_code == 404, (what, reply.text)
    view = api.get(f"/v1/checkout/sessions/{session_id}", headers=mine.headers).json()
    assert view["status"] == "authorized" and view["captured"] == "0.00"
    assert api.get(
        f"/v1/checkout/sessions/{session_id}", headers=world.alice.headers
    ).status_code == (403)


def test_a_borrower_never_sees_or_confirms_another_borrowers_session(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    session = create(api, merchant).json()
    plans = f"/v1/me/checkout/{session['id']}/plans"
    assert api.get(plans, headers=world.alice.headers).status_code == 200
    assert api.get(plans, headers=world.bob.headers).status_code == 404
    read_for(api, session["id"])
    assert confirm(api, world.bob, session["id"]).status_code == 404
    assert api.get(f"/v1/me/checkout/{session['id']}", headers=world.bob.headers).status_code == 404
    assert api.get(plans, headers=merchant.headers).status_code == 403
    assert api.get("/v1/me/checkout/nonesuch/plans", headers=world.bob.headers).status_code == 404


# --- captures, voids, refunds ---------------------------------------------------------------


def test_captures_never_exceed_the_authorization_and_each_books_a_subsidised_loan(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    session_id = authorized(api, world, merchant)
    headers = key()
    first = post(api, merchant, session_id, "captures", headers=headers, amount="7000.00")
    again = post(api, merchant, session_id, "captures", headers=headers, amount="7000.00")
    assert first.status_code == again.status_code == 201, first.text
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert first.json()["status"] == "partially-captured" and len(first.json()["captures"]) == 1
    ledger_ok(api)
    too_much = post(api, merchant, session_id, "captures", amount="5000.01")
    assert too_much.status_code == 422 and too_much.json()["details"]["field"] == "amount"
    for hostile in ("-1.00", "0", "１００"):
        assert post(api, merchant, session_id, "captures", amount=hostile).status_code == 422
    rest = post(api, merchant, session_id, "captures", amount="5000.00")
    assert rest.status_code == 201 and rest.json()["status"] == "captured"
    captures = rest.json()["captures"]
    # 7.5% of each captured amount, rounded half-up to the fen: 525.00 and 375.00
    assert [c["subsidy"] for c in captures] == ["525.00", "375.00"]
    assert post(api, merchant, session_id, "captures", amount="0.01").status_code == 409
    ledger_ok(api)
    for capture, fen in zip(captures, (700_000, 500_000), strict=True):
        loan = api.get(f"/v1/loans/{capture['loan_id']}", headers=world.alice.headers)
        assert loan.status_code == 200, loan.text
        assert loan.json()["principal"] == yuan(fen)
        assert transactions(api, capture["loan_id"]) == ["disbursement"]
        with context_of(api).engine.connect() as conn:
            row = conn.execute(
                sa.text("SELECT subsidy, merchant FROM servicing_loans WHERE id = :l"),
                {"l": capture["loan_id"]},
            ).one()
        assert row == (fen * 75 // 1000, merchant_id_of(api, merchant))
    assert (
        api.get(f"/v1/loans/{captures[0]['loan_id']}", headers=world.bob.headers).status_code == 404
    )


def test_an_order_on_a_fee_plan_captured_in_parts_costs_no_more_than_the_plan_confirmed(
    api: TestClient, world: World
) -> None:
    """1,000.00 over 6 months at 0.5% a month: 5.00 a period, 30.00 in all, as confirmed.
    Captured as 999.00 and 1.00, each part's fee rounded on its own would be 5.00 + 0.01;
    the borrower's loans charge 30.00 between them."""
    merchant = shop(api, world.admin)
    one = [{"name": "电动车", "sku": "EB-1", "quantity": 1, "unit_price": "1000.00"}]
    session = create(api, merchant, total="1000.00", lines=one).json()
    plans = api.get(f"/v1/me/checkout/{session['id']}/plans", headers=world.alice.headers)
    (six,) = [p for p in plans.json()["plans"] if p["periods"] == 6]
    assert six["total_cost"] == "30.00"
    read_for(api, session["id"])
    assert confirm(api, world.alice, session["id"], periods=6).json()["status"] == "authorized"
    for part in ("999.00", "1.00"):
        done = post(api, merchant, session["id"], "captures", amount=part)
        assert done.status_code == 201, done.text
    fees = 0
    for capture in done.json()["captures"]:
        loan = api.get(f"/v1/loans/{capture['loan_id']}", headers=world.alice.headers).json()
        fees += sum(int(Decimal(i["due"]["fee"]) * 100) for i in loan["installments"])
    assert fees == 3_000
    ledger_ok(api)


def merchant_id_of(api: TestClient, merchant: Party) -> str:
    return str(api.get("/v1/merchant/me", headers=merchant.headers).json()["merchant"]["id"])


def test_a_void_ends_the_session_and_nothing_more_is_captured(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    session_id = authorized(api, world, merchant)
    assert post(api, merchant, session_id, "captures", amount="2000.00").status_code == 201
    headers = key()
    voided = post(api, merchant, session_id, "void", headers=headers)
    replay = post(api, merchant, session_id, "void", headers=headers)
    assert voided.status_code == 200 and replay.json() == voided.json()
    assert voided.json()["status"] == "closed" and voided.json()["voided"] == "10000.00"
    refused = post(api, merchant, session_id, "captures", amount="1.00")
    assert refused.status_code == 409 and refused.json()["code"] == "checkout_state"
    assert post(api, merchant, session_id, "void").status_code == 409
    untouched = authorized(api, world, merchant)
    assert post(api, merchant, untouched, "void").json()["status"] == "voided"
    ledger_ok(api)


def test_refunds_never_exceed_what_was_captured_and_each_posts_once(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    session_id = authorized(api, world, merchant)
    nothing = post(api, merchant, session_id, "refunds", amount="1.00")  # nothing captured
    assert nothing.status_code == 409 and nothing.json()["code"] == "checkout_state", nothing.text
    post(api, merchant, session_id, "captures", amount="7000.00")
    second = post(api, merchant, session_id, "captures", amount="5000.00").json()["captures"]
    headers = key()
    first = post(api, merchant, session_id, "refunds", headers=headers, amount="6000.00")
    again = post(api, merchant, session_id, "refunds", headers=headers, amount="6000.00")
    assert first.status_code == again.status_code == 201, first.text
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    refund = first.json()["refunds"][0]
    # newest capture first: all 5,000 of the second, then 1,000 of the first
    assert [(p["loan_id"], p["amount"]) for p in refund["parts"]] == [
        (second[1]["loan_id"], "5000.00"),
        (second[0]["loan_id"], "1000.00"),
    ]
    # the whole deferred subsidy of the second loan goes back to the merchant (nothing has been
    # recognised on the day of capture); of the first, 1,000/7,000 of 525.00 = 75.00
    assert [p["subsidy_unwound"] for p in refund["parts"]] == ["375.00", "75.00"]
    assert transactions(api, second[1]["loan_id"]) == ["disbursement", "merchant-refund"]
    ledger_ok(api)
    over = post(api, merchant, session_id, "refunds", amount="6000.01")
    assert over.status_code == 422 and over.json()["details"]["field"] == "amount"
    rest = post(api, merchant, session_id, "refunds", amount="6000.00")
    assert rest.status_code == 201 and rest.json()["refunded"] == "12000.00"
    assert post(api, merchant, session_id, "refunds", amount="0.01").status_code == 422
    for capture in second:
        loan = api.get(f"/v1/loans/{capture['loan_id']}", headers=world.alice.headers).json()
        assert loan["status"] == "closed"
    ledger_ok(api)


def test_concurrent_captures_and_refunds_never_exceed_their_bounds(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    session_id = authorized(api, world, merchant)
    start = threading.Barrier(8)

    def attempt(what: str, amount: str) -> Any:
        start.wait()
        return post(api, merchant, session_id, what, amount=amount)

    with ThreadPoolExecutor(8) as pool:
        captures = list(pool.map(lambda _: attempt("captures", "2000.00"), range(8)))
    codes = sorted(r.status_code for r in captures)
    assert codes == [201] * 6 + [409] * 2, [r.text for r in captures]
    view = api.get(f"/v1/checkout/sessions/{session_id}", headers=merchant.headers).json()
    assert view["captured"] == "12000.00" and len(view["captures"]) == 6
    with ThreadPoolExecutor(8) as pool:
        refunds = list(pool.map(lambda _: attempt("refunds", "5000.00"), range(8)))
    assert sorted(r.status_code for r in refunds) == [201, 201] + [422] * 6
    view = api.get(f"/v1/checkout/sessions/{session_id}", headers=merchant.headers).json()
    assert view["refunded"] == "10000.00"
    parts = [p for r in view["refunds"] for p in r["parts"]]
    assert sum(Decimal(p["amount"]) for p in parts) == 10000
    ledger_ok(api)


def test_a_refund_of_a_purchase_the_borrower_has_repaid_is_paid_back_to_the_borrower(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    session_id = authorized(api, world, merchant)
    loan_id = post(api, merchant, session_id, "captures", amount="12000.00").json()["captures"][0][
        "loan_id"
    ]
    quote = api.get(f"/v1/loans/{loan_id}/payoff", headers=world.alice.headers).json()
    assert quote["amount"] == "12000.00"  # interest-free: the payoff is the principal
    paid = api.post(
        f"/v1/loans/{loan_id}/prepayments",
        headers={**world.alice.headers, **key()},
        json={"amount": quote["amount"]},
    )
    assert paid.status_code == 201, paid.text
    refunded = post(api, merchant, session_id, "refunds", amount="100.00")
    assert refunded.status_code == 201, refunded.text
    view = api.get(f"/v1/checkout/sessions/{session_id}", headers=merchant.headers).json()
    assert view["refunded"] == "100.00"
    loan = api.get(f"/v1/loans/{loan_id}", headers=world.alice.headers).json()
    kinds = [t["kind"] for t in loan["transactions"]]
    assert kinds[-2:] == ["merchant-refund", "overpayment-refund"], kinds
    assert loan["transactions"][-1]["amount"] == "100.00"  # the merchant's money, paid back
    ledger_ok(api)


def test_each_change_of_a_session_tells_its_merchant_with_the_amounts(
    api: TestClient, world: World
) -> None:
    """authorized, captured, refunded, voided: one event each, written with the change, its
    body the session as it then stood (decimal strings) and the action's own amount."""
    merchant = shop(api, world.admin)
    session_id = authorized(api, world, merchant)
    captured = post(api, merchant, session_id, "captures", amount="5000.00")
    assert captured.status_code == 201, captured.text
    assert post(api, merchant, session_id, "refunds", amount="1000.00").status_code == 201
    assert post(api, merchant, session_id, "void").status_code == 200
    with context_of(api).engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT event_type, body FROM merchant_webhook_events"
                " WHERE merchant_id = :m ORDER BY created_at, id"
            ),
            {"m": merchant_id_of(api, merchant)},
        ).all()
    events = [(t, json.loads(b)["data"]) for t, b in rows]
    assert [t for t, _ in events] == [
        "checkout.authorized",
        "checkout.captured",
        "checkout.refunded",
        "checkout.voided",
    ]
    by_type = dict(events)
    assert {by_type[t]["session_id"] for t in by_type} == {session_id}
    assert by_type["checkout.authorized"]["authorized"] == "12000.00"
    capture = by_type["checkout.captured"]
    assert (capture["amount"], capture["captured"]) == ("5000.00", "5000.00")
    assert capture["loan_id"] == captured.json()["captures"][0]["loan_id"]
    refund = by_type["checkout.refunded"]
    assert (refund["amount"], refund["refunded"], refund["captured"]) == (
        "1000.00",
        "1000.00",
        "5000.00",
    )
    assert by_type["checkout.voided"]["voided"] == "7000.00"
