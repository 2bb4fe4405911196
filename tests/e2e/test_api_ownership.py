"""A borrower can never see or act on another borrower's data — proved for every route.

The test walks the app's OpenAPI document, so a route added later is covered the day it is
added: Bob (a borrower) calls every operation with Alice's ids in the path (and in any body
field named like an owned resource). Routes with ids in the path must refuse him (403/404);
routes without must not show him any of Alice's data. A new kind of id in a path fails the
test until it is added to ``alice_ids`` below (and to the table
``thinfile.http.OWNED_RESOURCES`` if borrowers own it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.api_harness import TestClient, accept, apply, context_of, make_staff, quick_settings
from tests.e2e.test_api_checkout import create, shop
from tests.e2e.test_api_merchants import merchant_user, onboard
from tests.e2e.test_api_notifications import _deliver
from tests.support.gateway import GATEWAY_KEY, card_with_prefix, start_sandbox, stop
from thinfile.commerce.webhooks import WebhookEventType
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services.business_date import business_date_in
from thinfile.services.uow import UnitOfWork
from thinfile.services.webhooks import enqueue_merchant_event_in_unit
from thinfile.services.working_capital import open_working_capital_line
from thinfile.settings import Settings
from thinfile.store.servicing_codec import to_day

PUBLIC = {
    ("POST", "/v1/auth/sign-up"),
    ("POST", "/v1/auth/sign-in"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
}
ENDS_THE_SESSION = {("POST", "/v1/auth/sign-out")}
"""Operations that revoke the caller's own tokens: walked last, so the calls after them are
still the caller's."""
STAFF_ONLY_PARAMS = {
    "key_id",
    "txn_id",
    "version",
    "request_id",
    "merchant_id",
    "webhook_event_id",
    "campaign_id",
    "coupon_id",
    "batch_id",
}
LINE_OFFER = 2
OTHER_ROLES = ("/v1/staff", "/v1/checkout/", "/v1/merchant/")
"""Routes of staff and of merchants (a checkout session's merchant side, a merchant's
products): not Alice's."""


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process, url = start_sandbox(tmp_path_factory.mktemp("gateway"))
    yield url
    stop(process)


@pytest.fixture
def api_settings(database_url: str, gateway_url: str) -> Settings:
    return quick_settings(
        database_url, payment_gateway_url=gateway_url, payment_gateway_key=GATEWAY_KEY.decode()
    )


def _bound_card(api: TestClient, party: Any) -> str:
    started = api.post(
        "/v1/me/cards",
        headers=party.headers,
        json={"card_number": card_with_prefix("622588"), "phone": party.phone},
    ).json()
    confirmed = api.post(
        f"/v1/me/cards/{started['card_id']}/confirm",
        headers=party.headers,
        json={"sms_code": started["sandbox_sms_code"]},
    )
    assert confirmed.status_code == 200, confirmed.text
    return str(started["card_id"])


def _alice_session(api: TestClient, alice: Any) -> str:
    """A merchant's checkout session whose plans Alice opened (so it is hers)."""
    merchant = shop(api, make_staff(api, Role.ADMIN))
    session = create(api, merchant).json()
    plans = api.get(f"/v1/me/checkout/{session['id']}/plans", headers=alice.headers)
    assert plans.status_code == 200, plans.text
    return str(session["id"])


def _alice_ids(api: TestClient, alice: Any) -> dict[str, str]:
    """Alice's ids of every kind: profile, consent, an application with a loan and a line,
    a bound card, a payment from it (pending: this sandbox sends no notification), a checkout
    session."""
    application = apply(api, alice).json()
    accepted = accept(api, alice, application["id"], LINE_OFFER).json()
    card_id = _bound_card(api, alice)
    intent = api.post(
        f"/v1/me/loans/{accepted['loan_id']}/payment-intents",
        headers={**alice.headers, "Idempotency-Key": "ownership-intent-1"},
        json={"kind": "payment", "amount": "100.00"},
    )
    assert intent.status_code == 201, intent.text
    sales = api.post(  # so her own sales upload reaches the feed's rules, not the consent check
        f"/v1/applicants/{alice.applicant_id}/consents",
        headers=alice.headers,
        json={
            "data_category": "merchant_sales",
            "purpose": "credit_assessment",
            "notice_version": "v1",
        },
    )
    assert sales.status_code in (200, 201), sales.text
    return {
        "session_id": _alice_session(api, alice),
        "card_id": card_id,
        "intent_id": intent.json()["id"],
        "applicant_id": alice.applicant_id,
        "consent_id": alice.consent_id,
        "application_id": application["id"],
        "loan_id": str(accepted["loan_id"]),
        "line_id": str(accepted["credit_line_id"]),
        "offer": _limit_offer(api, int(accepted["credit_line_id"])),
        "wc_line_id": str(_working_capital_line(api, alice)),
        "month": "2028-01",  # a statement's month: the line it names is the owned id
        "message_id": _first_message(api, alice),
    }


def _first_message(api: TestClient, alice: Any) -> str:
    """One of Alice's messages (signing the contract sent her one), delivered in-app."""
    _deliver(api)
    inbox = api.get("/v1/me/messages", headers=alice.headers)
    assert inbox.status_code == 200, inbox.text
    body = inbox.json()
    messages = body["messages"] if isinstance(body, dict) else body
    assert messages, body
    return str(messages[0]["id"])


def _working_capital_line(api: TestClient, alice: Any) -> int:
    """A working-capital line of Alice's (opened as a decision would open it)."""
    line = open_working_capital_line(
        context_of(api).engine, alice.user_id, limit=Money.of("1000"), daily_rate=Decimal("0.0004")
    )
    return line.line_id


def _limit_offer(api: TestClient, line_id: int) -> str:
    """A pending limit offer on ``line_id`` (as a review makes one): 100 yuan more."""
    with UnitOfWork(context_of(api).engine) as uow:
        limit = uow.credit_lines.get(line_id).line.limit.fen
        day = to_day(business_date_in(uow))
        common = {"line_id": line_id, "old_limit": limit, "new_limit": limit + 10_000}
        (decision,) = uow.limit_decisions.add_decisions(
            [
                {
                    **common,
                    "day": day,
                    "kind": "review",
                    "arm": "champion",
                    "policy_version": "test",
                    "model_version": "test",
                    "action": "increase",
                    "reason_codes": "INCREASE_GOOD_REPAYMENT",
                    "inputs_json": "{}",
                }
            ]
        )
        uow.limit_decisions.add_offers(
            [
                {
                    **common,
                    "decision_id": decision,
                    "offered_day": day,
                    "expires_day": day + 30,
                    "status": "pending",
                }
            ]
        )
        offer = uow.limit_decisions.offers_of(line_id)[0].id
        uow.commit()
    return str(offer)


def _operations(
    api: TestClient,
) -> tuple[list[tuple[str, str, dict[str, Any]]], dict[str, Any]]:
    spec = api.get("/openapi.json").json()
    return [
        (method.upper(), path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
    ], spec


def _example_body(op: dict[str, Any], spec: dict[str, Any], ids: dict[str, str]) -> Any:
    content = op.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    schema = content["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    examples = schema.get("examples") or [{}]
    body = dict(examples[0])
    for field in body:
        if field in ids:
            body[field] = ids[field]
    return body


def _call(api: TestClient, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    return api.request(
        method, path, headers={**headers, "Idempotency-Key": "ownership-test-1"}, json=body
    )


def _secrets_of(party: Any) -> list[str]:
    return [
        party.user_id,
        party.applicant_id,
        party.consent_id,
        party.email,
        party.name,
        party.id_number,
        party.phone,
    ]


def _walk(api: TestClient, caller: Any, ids: dict[str, str], secrets: list[str]) -> int:
    """Call every operation as ``caller`` with another party's ids: refused where the path
    names one, and no response showing any of ``secrets``; the number of calls made."""
    operations, spec = _operations(api)
    assert len(operations) >= 10
    operations.sort(key=lambda operation: operation[:2] in ENDS_THE_SESSION)
    checked = 0
    for method, template, op in operations:
        if (method, template) in PUBLIC:
            continue
        params = re.findall(r"{(\w+)}", template)
        unknown = [p for p in params if p not in ids]
        assert not unknown, f"{method} {template}: add {unknown} to the ids of this test"
        path = template.format(**{p: ids[p] for p in params})
        reply = _call(api, method, path, _example_body(op, spec, ids), caller.headers)
        label = f"{method} {template} -> {reply.status_code} {reply.text[:200]}"
        assert reply.status_code < 500, label
        if params:
            assert reply.status_code in (403, 404), label
        elif reply.status_code < 300:
            text = reply.text
            leaked = [s for s in secrets if s and s in text]
            assert not leaked, f"{label}: shows another party's {leaked}"
        checked += 1
    return checked


def _merchant_event(api: TestClient, merchant_id: str) -> str:
    with UnitOfWork(context_of(api).engine) as uow:
        event_id = enqueue_merchant_event_in_unit(
            uow, merchant_id, WebhookEventType.CHECKOUT_CAPTURED, {"order_id": "A-1"}
        )
        uow.commit()
    return event_id


def _product_of(api: TestClient, admin: Any, merchant_id: str) -> str:
    """A product on sale, added by an account of ``merchant_id``."""
    seller = merchant_user(api, admin, merchant_id)
    reply = api.post(
        "/v1/merchant/products",
        headers={**seller.headers, "Idempotency-Key": f"ownership-{seller.user_id}"},
        json={"name": "Delivery e-bike", "category": "e-bikes", "price": "3999.00"},
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


def _all_ids(api: TestClient, world: Any) -> dict[str, str]:
    alice = world.alice
    merchant = onboard(api, world.admin).json()
    return {
        **_alice_ids(api, alice),
        "user_id": alice.user_id,
        "key_id": "0" * 32,
        "txn_id": "1",
        "version": "0" * 8,
        "request_id": "1",
        "merchant_id": merchant["id"],
        "merchant_credit_code": merchant["credit_code"],
        "webhook_event_id": _merchant_event(api, merchant["id"]),
        "product_id": _product_of(api, world.admin, merchant["id"]),
        "campaign_id": "0" * 32,
        "coupon_id": "0" * 32,
        "batch_id": "0" * 32,
        "dispute_id": "0" * 32,
        "day": "2026-01-01",
        "n": "1",
        "refund_n": "1",
        "case_id": "1",
        "plan_id": "1",
        "code": "acme",
    }


def test_no_borrower_reaches_another_borrowers_data_on_any_route(api, world):
    alice, bob = world.alice, world.bob
    ids = _all_ids(api, world)
    assert _walk(api, bob, ids, [*_secrets_of(alice), ids["merchant_credit_code"]]) >= 8
    _alice_is_untouched(api, alice)


def test_no_merchant_user_reaches_a_borrower_or_another_merchant_on_any_route(api, world):
    alice = world.alice
    ids = _all_ids(api, world)
    own = onboard(api, world.admin).json()
    user = merchant_user(api, world.admin, own["id"])
    secrets = [*_secrets_of(alice), ids["merchant_id"], ids["merchant_credit_code"]]
    assert _walk(api, user, ids, secrets) >= 8
    _alice_is_untouched(api, alice)


def _alice_is_untouched(api: TestClient, alice: Any) -> None:
    consents = api.get(f"/v1/applicants/{alice.applicant_id}/consents", headers=alice.headers)
    assert consents.status_code == 200
    assert [c["active"] for c in consents.json()] == [True, True, True, True]
    loans = api.get("/v1/me/loans", headers=alice.headers).json()
    assert [loan["outstanding"] for loan in loans] == [loan["principal"] for loan in loans]


def test_the_owner_passes_the_same_check_so_the_refusals_above_are_about_ownership(api, world):
    alice = world.alice
    ids = _alice_ids(api, alice)
    operations, spec = _operations(api)
    owner_routes = 0
    for method, template, op in operations:
        params = re.findall(r"{(\w+)}", template)
        if not params or set(params) & STAFF_ONLY_PARAMS or template.startswith(OTHER_ROLES):
            continue
        path = template.format(**{p: ids[p] for p in params})
        reply = _call(api, method, path, _example_body(op, spec, ids), alice.headers)
        # Business rules may still refuse (an offer accepted twice is 409), never ownership.
        label = f"{method} {template}: {reply.status_code} {reply.text}"
        assert reply.status_code not in (401, 403, 404) and reply.status_code < 500, label
        owner_routes += 1
    assert owner_routes >= 12


def test_staff_see_applicants_masked_and_every_look_is_audited(api, world):
    alice, staff = world.alice, world.underwriter
    one = api.get(f"/v1/applicants/{alice.applicant_id}", headers=staff.headers)
    listed = api.get("/v1/applicants", headers=staff.headers)
    assert one.status_code == 200 and listed.status_code == 200
    assert one.json()["masked"] is True
    assert one.json()["id_number"] == alice.id_number[:4] + "*" * 10 + alice.id_number[-4:]
    assert alice.id_number not in listed.text and alice.phone not in listed.text
    assert alice.phone not in json.dumps(one.json())
    report = api.get("/v1/staff/audit/verify", headers=world.admin.headers).json()
    assert report["intact"] is True and report["rows_checked"] >= 6


def test_staff_cannot_grant_or_revoke_consent_on_a_borrowers_behalf(api, world):
    alice, staff = world.alice, world.admin
    grant = api.post(
        f"/v1/applicants/{alice.applicant_id}/consents",
        headers=staff.headers,
        json={"data_category": "contact", "purpose": "marketing", "notice_version": "v1"},
    )
    revoke = api.post(
        f"/v1/applicants/{alice.applicant_id}/consents/{alice.consent_id}/revoke",
        headers=staff.headers,
    )
    assert grant.status_code == 404 and revoke.status_code == 404


@pytest.mark.parametrize(("n", "bad"), list(enumerate(["²", "１", "٣", "1" * 40])))
def test_an_id_that_is_not_plain_digits_is_no_ones_resource(api, world, n, bad):
    """An owned resource's id that only looks like digits — a superscript ``²`` (which
    ``str.isdigit`` passes and ``int`` refuses), full-width or Arabic-Indic digits, a number
    past any column — is a typed 404, never a server error."""
    for method, path, body in (
        ("GET", f"/v1/loans/{bad}", None),
        ("GET", f"/v1/loans/{bad}/payoff", None),
        ("GET", f"/v1/me/loans/{bad}/payment-intents", None),
        ("POST", f"/v1/loans/{bad}/payments", {"amount": "1.00"}),
    ):
        answer = api.request(
            method,
            path,
            headers={**world.alice.headers, "Idempotency-Key": f"plain-digits-{n}"},
            json=body,
        )
        assert answer.status_code in (404, 422), (path, answer.status_code, answer.text)
        assert "Traceback" not in answer.text
