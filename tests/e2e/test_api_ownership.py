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
from typing import Any

import pytest

from tests.e2e.api_harness import TestClient, accept, apply, quick_settings
from tests.e2e.test_api_merchants import merchant_user, onboard
from tests.support.gateway import GATEWAY_KEY, card_with_prefix, start_sandbox, stop
from thinfile.settings import Settings

PUBLIC = {
    ("POST", "/v1/auth/sign-up"),
    ("POST", "/v1/auth/sign-in"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
}
STAFF_ONLY_PARAMS = {"key_id", "txn_id", "version", "request_id", "merchant_id"}
LINE_OFFER = 2


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


def _alice_ids(api: TestClient, alice: Any) -> dict[str, str]:
    """Alice's ids of every kind: profile, consent, an application with a loan and a line,
    a bound card."""
    application = apply(api, alice).json()
    accepted = accept(api, alice, application["id"], LINE_OFFER).json()
    return {
        "card_id": _bound_card(api, alice),
        "applicant_id": alice.applicant_id,
        "consent_id": alice.consent_id,
        "application_id": application["id"],
        "loan_id": str(accepted["loan_id"]),
        "line_id": str(accepted["credit_line_id"]),
    }


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
    assert [c["active"] for c in consents.json()] == [True, True]
    loans = api.get("/v1/me/loans", headers=alice.headers).json()
    assert [loan["outstanding"] for loan in loans] == [loan["principal"] for loan in loans]


def test_the_owner_passes_the_same_check_so_the_refusals_above_are_about_ownership(api, world):
    alice = world.alice
    ids = _alice_ids(api, alice)
    operations, spec = _operations(api)
    owner_routes = 0
    for method, template, op in operations:
        params = re.findall(r"{(\w+)}", template)
        if not params or set(params) & STAFF_ONLY_PARAMS or template.startswith("/v1/staff"):
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
