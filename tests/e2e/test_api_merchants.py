"""Merchant onboarding over the API: staff onboard, activate, suspend, contract and key a
merchant; a merchant user sees its own merchant and no other; nothing sensitive in plain text."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa

from tests.e2e.api_harness import PASSWORD, Party, TestClient, World, context_of, make_staff
from tests.e2e.test_api_applicants import _everything_stored
from thinfile.commerce import credit_code_check_character, organisation_code_check_character
from thinfile.security.roles import Role
from thinfile.services import identity
from thinfile.settings import Settings

_serial = itertools.count(1)
ACCOUNT = "6222 0212 3456 7891 234"
ACCOUNT_DIGITS = ACCOUNT.replace(" ", "")
CONTRACT: dict[str, Any] = {
    "terms": [
        {"periods": 3, "subsidy_rate": "2%"},
        {"periods": 12, "subsidy_rate": "7.5%", "monthly_fee_rate": "0"},
    ],
    "unearned_subsidy": "return-to-merchant",
    "settlement_days": 1,
    "effective_from": "2026-01-01",
}


def credit_code(serial: int) -> str:
    """A valid unified social credit code (enterprise, Shenzhen) for ``serial``."""
    body = f"{serial:08d}"
    first17 = "91440300" + body + organisation_code_check_character(body)
    return first17 + credit_code_check_character(first17)


def _key() -> dict[str, str]:
    return {"Idempotency-Key": f"merchant-test-{next(_serial):06d}"}


def onboard(api: TestClient, staff: Party, *, code: str | None = None, **overrides: Any) -> Any:
    body = {
        "legal_name": f"骑手电动车{next(_serial)}号有限公司",
        "credit_code": code or credit_code(next(_serial)),
        "category": "e-bikes",
        "settlement_bank": "招商银行深圳分行",
        "settlement_account": ACCOUNT,
        "contact_name": "王芳",
        "contact_phone": "13812345678",
        **overrides,
    }
    return api.post("/v1/staff/merchants", headers={**staff.headers, **_key()}, json=body)


def merchant_user(api: TestClient, admin: Party, merchant_id: str) -> Party:
    """A merchant account, signed in, acting for ``merchant_id``."""
    context = context_of(api)
    email = f"merchant{next(_serial)}@shop.example"
    user = identity.create_user(
        context.engine, context.hasher, email=email, password=PASSWORD, role=Role.MERCHANT
    )
    added = api.post(
        f"/v1/staff/merchants/{merchant_id}/users",
        headers={**admin.headers, **_key()},
        json={"user_id": user.id},
    )
    assert added.status_code == 201, added.text
    signed = api.post("/v1/auth/sign-in", json={"email": email, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {signed.json()['access_token']}"}
    return Party(user.id, email, headers)


def test_staff_onboard_a_merchant_pending_with_its_account_masked(
    api: TestClient, world: World
) -> None:
    reply = onboard(api, world.underwriter, code="９１４４０３００７０８４６１１３６ｔ")
    assert reply.status_code == 201, reply.text
    merchant = reply.json()
    assert merchant["credit_code"] == "91440300708461136T"
    assert merchant["status"] == "pending" and merchant["contract_version"] == 0
    assert merchant["settlement_account"] == "6222***********1234"
    assert merchant["contact_phone"] == "138****5678"
    listed = api.get("/v1/staff/merchants", headers=world.admin.headers).json()
    assert [m["id"] for m in listed] == [merchant["id"]]


def test_a_wrong_check_character_is_refused_with_the_field_named(
    api: TestClient, world: World
) -> None:
    reply = onboard(api, world.admin, code="91440300708461136X")
    assert reply.status_code == 422
    assert reply.json()["code"] == "invalid_credit_code"
    assert reply.json()["details"]["field"] == "credit_code"
    assert api.get("/v1/staff/merchants", headers=world.admin.headers).json() == []


def test_a_second_merchant_with_the_same_credit_code_is_a_conflict(
    api: TestClient, world: World
) -> None:
    code = credit_code(424242)
    assert onboard(api, world.admin, code=code).status_code == 201
    again = onboard(api, world.admin, code=code)
    assert again.status_code == 409 and again.json()["code"] == "merchant_exists"


def test_only_staff_onboard_and_a_borrower_never_reaches_a_merchant(
    api: TestClient, world: World
) -> None:
    assert onboard(api, world.alice).status_code == 403
    merchant = onboard(api, world.admin).json()
    for method, path in (
        ("GET", "/v1/staff/merchants"),
        ("GET", f"/v1/staff/merchants/{merchant['id']}"),
        ("POST", f"/v1/staff/merchants/{merchant['id']}/activation"),
        ("GET", "/v1/merchant/me"),
    ):
        reply = api.request(method, path, headers={**world.alice.headers, **_key()})
        assert reply.status_code == 403, (method, path, reply.text)
    one = merchant_user(api, world.admin, merchant["id"])
    assert onboard(api, one).status_code == 403
    staff_view = api.get(f"/v1/staff/merchants/{merchant['id']}", headers=one.headers)
    assert staff_view.status_code == 403


def test_a_merchant_user_sees_its_own_merchant_and_never_another(
    api: TestClient, world: World
) -> None:
    first = onboard(api, world.admin).json()
    second = onboard(api, world.admin).json()
    user = merchant_user(api, world.admin, first["id"])
    other = merchant_user(api, world.admin, second["id"])
    mine = api.get("/v1/merchant/me", headers=user.headers)
    assert mine.status_code == 200, mine.text
    assert mine.json()["merchant"]["id"] == first["id"]
    assert second["id"] not in mine.text and second["credit_code"] not in mine.text
    assert (
        api.get("/v1/merchant/me", headers=other.headers).json()["merchant"]["id"] == (second["id"])
    )
    taken = api.post(
        f"/v1/staff/merchants/{second['id']}/users",
        headers={**world.admin.headers, **_key()},
        json={"user_id": user.user_id},
    )
    assert taken.status_code == 409


def test_an_api_key_of_a_merchant_user_reads_that_merchant(api: TestClient, world: World) -> None:
    merchant = onboard(api, world.admin).json()
    user = merchant_user(api, world.admin, merchant["id"])
    path = f"/v1/staff/merchants/{merchant['id']}/api-keys"
    body = {"user_id": user.user_id, "name": "shop checkout"}
    assert api.post(path, headers=world.underwriter.headers, json=body).status_code == 403
    issued = api.post(path, headers=world.admin.headers, json=body)
    assert issued.status_code == 201, issued.text
    me = api.get("/v1/merchant/me", headers={"X-API-Key": issued.json()["key"]})
    assert me.status_code == 200 and me.json()["merchant"]["id"] == merchant["id"]
    stranger = onboard(api, world.admin).json()
    elsewhere = api.post(
        f"/v1/staff/merchants/{stranger['id']}/api-keys", headers=world.admin.headers, json=body
    )
    assert elsewhere.status_code == 404


def test_activation_needs_a_contract_and_state_changes_are_idempotent(
    api: TestClient, world: World
) -> None:
    merchant = onboard(api, world.admin).json()
    base = f"/v1/staff/merchants/{merchant['id']}"
    early = api.post(base + "/activation", headers={**world.admin.headers, **_key()})
    assert early.status_code == 409 and early.json()["code"] == "merchant_status"
    put = api.put(base + "/contract", headers={**world.admin.headers, **_key()}, json=CONTRACT)
    assert put.status_code == 200, put.text
    key = {**world.admin.headers, **_key()}
    first = api.post(base + "/activation", headers=key)
    repeat = api.post(base + "/activation", headers=key)
    assert first.status_code == repeat.status_code == 200
    assert first.json() == repeat.json() and first.json()["status"] == "active"
    assert repeat.headers.get("Idempotent-Replayed") == "true"
    again = api.post(base + "/activation", headers={**world.admin.headers, **_key()})
    assert again.status_code == 200 and again.json()["status"] == "active"
    suspended = api.post(base + "/suspension", headers={**world.admin.headers, **_key()})
    assert suspended.json()["status"] == "suspended"
    log = _audit_actions(api, merchant["id"])
    assert log.count("merchant.active") == 2 and log.count("merchant.suspended") == 1


def _audit_actions(api: TestClient, merchant_id: str) -> list[str]:
    with context_of(api).engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT action FROM audit_log WHERE subject = :s ORDER BY seq"),
            {"s": f"merchant:{merchant_id}"},
        )
        return [str(r[0]) for r in rows]


def test_replacing_a_contract_makes_a_new_version_and_bad_terms_are_refused(
    api: TestClient, world: World
) -> None:
    merchant = onboard(api, world.admin).json()
    path = f"/v1/staff/merchants/{merchant['id']}/contract"
    first = api.put(path, headers={**world.admin.headers, **_key()}, json=CONTRACT)
    second_terms = {**CONTRACT, "terms": [{"periods": 6, "subsidy_rate": "0.04"}]}
    second = api.put(path, headers={**world.admin.headers, **_key()}, json=second_terms)
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    assert [t["periods"] for t in second.json()["terms"]] == [6]
    bad = {**CONTRACT, "terms": [{"periods": 5, "subsidy_rate": "2%"}]}
    refused = api.put(path, headers={**world.admin.headers, **_key()}, json=bad)
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_merchant_contract"
    shown = api.get(f"/v1/staff/merchants/{merchant['id']}", headers=world.admin.headers)
    assert shown.json()["contract_version"] == 2
    user = merchant_user(api, world.admin, merchant["id"])
    me = api.get("/v1/merchant/me", headers=user.headers).json()
    assert me["contract"]["version"] == 2 and me["contract"]["terms"][0]["subsidy_rate"] == "0.04"


def test_the_raw_database_holds_no_settlement_account_number_or_contact_phone(
    api: TestClient, world: World, api_settings: Settings
) -> None:
    merchant = onboard(api, world.admin).json()
    assert api_settings.database_url is not None
    stored = _everything_stored(api_settings.database_url)
    assert merchant["id"] in stored  # the dump really covers the merchants table
    for secret in (ACCOUNT_DIGITS, ACCOUNT_DIGITS[4:-4], "13812345678"):
        assert secret not in stored


@pytest.mark.parametrize("field", ["settlement_account", "contact_phone"])
def test_a_bad_account_or_phone_is_refused_with_the_field_named(
    api: TestClient, world: World, field: str
) -> None:
    reply = onboard(api, world.admin, **{field: "12"})
    assert reply.status_code == 422 and reply.json()["details"]["field"] == field


def test_staff_accounts_of_any_role_onboard(api: TestClient) -> None:
    agent = make_staff(api, Role.SERVICING_AGENT)
    assert onboard(api, agent).status_code == 201


def test_a_merchant_path_admits_the_merchants_own_users_and_staff_only(
    api: TestClient, world: World
) -> None:
    first = onboard(api, world.admin).json()
    second = onboard(api, world.admin).json()
    user = merchant_user(api, world.admin, first["id"])
    colleague = merchant_user(api, world.admin, first["id"])
    for caller in (user, colleague, world.underwriter):
        own = api.get(f"/v1/merchants/{first['id']}", headers=caller.headers)
        assert own.status_code == 200 and own.json()["merchant"]["id"] == first["id"]
    for caller in (user, world.alice):
        other = api.get(f"/v1/merchants/{second['id']}", headers=caller.headers)
        assert other.status_code == 404 and second["credit_code"] not in other.text
    unknown = api.get("/v1/merchants/" + "0" * 32, headers=user.headers)
    assert unknown.status_code == 404


def test_eight_concurrent_onboardings_of_one_credit_code_make_one_merchant(
    api: TestClient, world: World
) -> None:
    code = credit_code(777)
    start = threading.Barrier(8)

    def attempt(_: int) -> Any:
        start.wait()
        return onboard(api, world.admin, code=code)

    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(attempt, range(8)))
    codes = sorted(r.status_code for r in replies)
    assert codes == [201] + [409] * 7, [r.text for r in replies]
    assert {r.json()["code"] for r in replies if r.status_code == 409} == {"merchant_exists"}
    assert len(api.get("/v1/staff/merchants", headers=world.admin.headers).json()) == 1
