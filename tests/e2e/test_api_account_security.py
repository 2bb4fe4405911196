"""Account security over HTTP, on SQLite and PostgreSQL: revoked tokens stop at once (signing
out revokes them too, for phone accounts as well), rate limits key on the account and the real
client, sign-up and sign-in reveal no accounts, and no e-mail account takes the phone accounts'
reserved domain."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import extract_parameters

from tests.e2e.api_harness import (
    PASSWORD,
    TestClient,
    World,
    apply,
    build_app,
    make_borrower,
    quick_settings,
)
from thinfile.adapters import SandboxSmsSender
from thinfile.errors import InvalidInputError
from thinfile.http import AppContext
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services import identity
from thinfile.services.identity_records import PHONE_ACCOUNT_DOMAIN


def _context(api: TestClient) -> AppContext:
    context: AppContext = api.app.state.context  # type: ignore[attr-defined]
    return context


def _stored_hash(api: TestClient, email: str) -> str:
    with _context(api).engine.connect() as conn:
        found = conn.execute(
            sa.text("SELECT password_hash FROM users WHERE email = :email"), {"email": email}
        ).scalar_one()
    return str(found)


# Revocation -------------------------------------------------------------------------------


def test_a_deactivated_accounts_token_is_refused_at_once(api: TestClient, world: World) -> None:
    assert api.get("/v1/auth/me", headers=world.alice.headers).status_code == 200
    done = api.post(
        f"/v1/staff/users/{world.alice.user_id}/deactivate", headers=world.admin.headers
    )
    me = api.get("/v1/auth/me", headers=world.alice.headers)
    again = api.post("/v1/auth/sign-in", json={"email": world.alice.email, "password": PASSWORD})
    assert done.status_code == 204
    assert me.status_code == 401 and me.json()["code"] == "authentication_required"
    assert again.status_code == 401
    assert api.get("/v1/auth/me", headers=world.bob.headers).status_code == 200


def test_a_token_stops_as_soon_as_its_account_is_inactive(api: TestClient, world: World) -> None:
    with _context(api).engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE users SET is_active = :no WHERE id = :id"),
            {"no": False, "id": world.alice.user_id},
        )
    me = api.get("/v1/auth/me", headers=world.alice.headers)
    mine = api.get("/v1/me/applications", headers=world.alice.headers)
    applied = apply(api, world.alice)
    with _context(api).engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM applications")).scalar_one()
    assert me.status_code == mine.status_code == applied.status_code == 401
    assert stored == 0
    assert apply(api, world.bob).status_code == 201


def test_changing_the_password_revokes_every_earlier_token(api: TestClient, world: World) -> None:
    new_password = "a brand new passphrase"
    changed = api.post(
        "/v1/auth/password",
        headers=world.alice.headers,
        json={"current_password": PASSWORD, "new_password": new_password},
    )
    fresh = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    old_password = api.post(
        "/v1/auth/sign-in", json={"email": world.alice.email, "password": PASSWORD}
    )
    assert changed.status_code == 200
    assert api.get("/v1/auth/me", headers=world.alice.headers).status_code == 401
    assert api.get("/v1/auth/me", headers=fresh).status_code == 200
    assert old_password.status_code == 401


def test_a_wrong_current_password_changes_nothing(api: TestClient, world: World) -> None:
    refused = api.post(
        "/v1/auth/password",
        headers=world.alice.headers,
        json={"current_password": "not my password", "new_password": "a brand new passphrase"},
    )
    assert refused.status_code == 401
    assert api.get("/v1/auth/me", headers=world.alice.headers).status_code == 200


def test_access_tokens_are_signed_with_hmac_sha256(api: TestClient, world: World) -> None:
    token = world.alice.headers["Authorization"].removeprefix("Bearer ")
    signature = token.rsplit(".", 1)[1]
    assert len(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))) == 32


# Signing out ------------------------------------------------------------------------------


def _bearer(reply: Any) -> dict[str, str]:
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def _by_phone(client: TestClient, phone: str) -> dict[str, str]:
    """Signed in with a code from the sandbox SMS provider."""
    assert client.post("/v1/auth/sms-codes", json={"phone": phone}).status_code == 202
    sms = _context(client).sms
    assert isinstance(sms, SandboxSmsSender)
    code = sms.inbox(phone, limit=1)[0].params["code"]
    return _bearer(client.post("/v1/auth/sms-sign-in", json={"phone": phone, "code": code}))


def test_signing_out_revokes_the_token_and_a_new_sign_in_works(
    api: TestClient, world: World
) -> None:
    out = api.post("/v1/auth/sign-out", headers=world.alice.headers)
    me = api.get("/v1/auth/me", headers=world.alice.headers)
    again = _bearer(
        api.post("/v1/auth/sign-in", json={"email": world.alice.email, "password": PASSWORD})
    )
    assert out.status_code == 204 and out.content == b""
    assert me.status_code == 401 and me.json()["code"] == "authentication_required"
    assert api.get("/v1/auth/me", headers=again).status_code == 200
    assert api.get("/v1/auth/me", headers=world.bob.headers).status_code == 200
    assert api.post("/v1/auth/sign-out", headers=world.alice.headers).status_code == 401
    with _context(api).engine.connect() as conn:
        audited = conn.execute(
            sa.text("SELECT count(*) FROM audit_log WHERE action = 'auth.sign_out'")
        ).scalar_one()
    assert audited == 1


def test_signing_out_needs_a_signed_in_caller(api: TestClient) -> None:
    refused = api.post("/v1/auth/sign-out")
    assert refused.status_code == 401 and refused.json()["code"] == "authentication_required"


def test_a_phone_account_signs_out_and_its_next_code_signs_it_in_again(
    database_url: str, tmp_path: Path
) -> None:
    """An account opened by phone has no password to change: signing out is how it revokes a
    token, and a phone sign-in afterwards issues a token at the account's new version."""
    settings = quick_settings(database_url, sms_code_resend_seconds=0)
    with TestClient(build_app(settings, tmp_path)) as client:
        first = _by_phone(client, "13901017001")
        out = client.post("/v1/auth/sign-out", headers=first)
        old = client.get("/v1/auth/me", headers=first)
        second = _by_phone(client, "13901017001")
        mine = client.get("/v1/auth/me", headers=second)
        refused_again = client.get("/v1/auth/me", headers=first)
    assert out.status_code == 204
    assert old.status_code == 401 and refused_again.status_code == 401
    assert mine.status_code == 200 and mine.json()["email"] is None


# The reserved domain ----------------------------------------------------------------------


def test_no_e_mail_account_takes_the_domain_reserved_for_phone_accounts(
    api: TestClient, world: World
) -> None:
    address = f"someone{PHONE_ACCOUNT_DOMAIN}"
    signed_up = api.post("/v1/auth/sign-up", json={"email": address, "password": PASSWORD})
    staff = api.post(
        "/v1/staff/users",
        headers=world.admin.headers,
        json={"email": f"Ops{PHONE_ACCOUNT_DOMAIN.upper()}", "password": PASSWORD, "role": "admin"},
    )
    signed_in = api.post("/v1/auth/sign-in", json={"email": address, "password": PASSWORD})
    for refused in (signed_up, staff):
        assert refused.status_code == 422, refused.text
        details = refused.json()["details"]
        assert details["field"] == "email" and "phone" in details["remedy"]
    assert signed_in.status_code == 401
    context = _context(api)
    with pytest.raises(InvalidInputError):
        identity.create_user(
            context.engine,
            context.hasher,
            email=f" x{PHONE_ACCOUNT_DOMAIN} ",
            password=PASSWORD,
            role=Role.ADMIN,
        )
    with context.engine.connect() as conn:
        stored = conn.execute(
            sa.text(
                "SELECT count(*) FROM users WHERE email LIKE :domain AND password_hash IS NOT NULL"
            ),
            {"domain": f"%{PHONE_ACCOUNT_DOMAIN}"},
        ).scalar_one()
    assert stored == 0


# Rate limits ------------------------------------------------------------------------------


def test_borrowers_behind_one_address_each_get_their_own_application_limit(
    database_url: str, tmp_path: Path
) -> None:
    settings = quick_settings(
        database_url,
        rate_limits={"applications": "2/3600", "applications_address": "100/3600"},
    )
    with TestClient(build_app(settings, tmp_path)) as client:
        alice, bob = make_borrower(client), make_borrower(client)
        mine = [apply(client, alice).status_code for _ in range(3)]
        theirs = [apply(client, bob).status_code for _ in range(2)]
    assert mine == [201, 201, 429]
    assert theirs == [201, 201]


def test_one_addresses_failures_never_lock_the_owner_out_elsewhere(
    database_url: str, tmp_path: Path
) -> None:
    settings = quick_settings(database_url, rate_limits={"sign_in": "3/60"})
    app = build_app(settings, tmp_path)
    with TestClient(app, client=("203.0.113.9", 4000)) as attacker:
        owner = TestClient(app, client=("198.51.100.7", 4000))
        party = make_borrower(owner, with_profile=False)
        guesses = [
            attacker.post("/v1/auth/sign-in", json={"email": party.email, "password": "guess"})
            for _ in range(4)
        ]
        signed = owner.post("/v1/auth/sign-in", json={"email": party.email, "password": PASSWORD})
    assert [r.status_code for r in guesses] == [401, 401, 401, 429]
    assert signed.status_code == 200


def test_one_address_spraying_many_accounts_is_stopped(database_url: str, tmp_path: Path) -> None:
    settings = quick_settings(database_url, rate_limits={"sign_in_address": "3/60"})
    with TestClient(build_app(settings, tmp_path)) as client:
        replies = [
            client.post("/v1/auth/sign-in", json={"email": f"u{n}@example.com", "password": "x"})
            for n in range(4)
        ]
    assert [r.status_code for r in replies] == [401, 401, 401, 429]


def test_the_client_is_read_from_x_forwarded_for_only_behind_a_trusted_proxy(
    database_url: str, tmp_path: Path
) -> None:
    settings = quick_settings(
        database_url, rate_limits={"sign_in": "1/60"}, trusted_proxies=["10.0.0.0/8"]
    )
    app = build_app(settings, tmp_path)
    body = {"email": "someone@example.com", "password": "guess"}
    with TestClient(app, client=("10.1.2.3", 4000)) as proxy:
        direct = TestClient(app, client=("192.0.2.50", 4000))
        through = [
            proxy.post("/v1/auth/sign-in", json=body, headers={"X-Forwarded-For": address})
            for address in ("203.0.113.9", "1.2.3.4, 198.51.100.7", "198.51.100.8, 10.9.9.9")
        ]
        forged = [
            direct.post("/v1/auth/sign-in", json=body, headers={"X-Forwarded-For": address})
            for address in ("203.0.113.20", "203.0.113.21")
        ]
    assert [r.status_code for r in through] == [401, 401, 401]
    assert [r.status_code for r in forged] == [401, 429]


# Enumeration ------------------------------------------------------------------------------


def test_sign_up_answers_alike_for_a_taken_address_and_harms_no_owner(
    api: TestClient, world: World
) -> None:
    taken = api.post(
        "/v1/auth/sign-up", json={"email": world.alice.email, "password": "an intruders pass"}
    )
    new = api.post("/v1/auth/sign-up", json={"email": "new@example.com", "password": PASSWORD})
    intruder = api.post(
        "/v1/auth/sign-in", json={"email": world.alice.email, "password": "an intruders pass"}
    )
    owner = api.post("/v1/auth/sign-in", json={"email": world.alice.email, "password": PASSWORD})
    assert taken.status_code == new.status_code == 202
    assert taken.json() == new.json()
    assert intruder.status_code == 401 and owner.status_code == 200
    assert api.get("/v1/auth/me", headers=world.alice.headers).status_code == 200


def test_a_hash_weaker_than_todays_is_replaced_on_sign_in(
    database_url: str, tmp_path: Path
) -> None:
    settings = quick_settings(database_url, argon2_memory_kib=16)
    with TestClient(build_app(settings, tmp_path)) as client:
        context = _context(client)
        demo_hasher = PasswordHasher(time_cost=1, memory_kib=8)  # as the demo seeds made them
        identity.create_user(
            context.engine, demo_hasher, email="demo@example.com", password=PASSWORD
        )
        before = extract_parameters(_stored_hash(client, "demo@example.com"))
        signed = client.post(
            "/v1/auth/sign-in", json={"email": "demo@example.com", "password": PASSWORD}
        )
        after = _stored_hash(client, "demo@example.com")
        again = client.post(
            "/v1/auth/sign-in", json={"email": "demo@example.com", "password": PASSWORD}
        )
        token = signed.json()["access_token"]
        me = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert before.memory_cost == 8 and signed.status_code == 200
    assert extract_parameters(after).memory_cost == 16
    assert not context.hasher.needs_rehash(after)
    assert again.status_code == 200 and me.status_code == 200  # a re-hash revokes no token
