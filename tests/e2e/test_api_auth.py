"""Accounts and credentials: passwords, short-lived tokens, API keys, roles."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from httpx import Response

from tests.e2e.api_harness import PASSWORD
from thinfile.cli.app import main
from thinfile.errors import AuthenticationError
from thinfile.security.roles import Role
from thinfile.security.tokens import TokenClaims, TokenSigner


def test_sign_up_then_sign_in_gives_a_bearer_token_for_a_borrower(api):
    up = api.post("/v1/auth/sign-up", json={"email": "Rider@Example.com", "password": PASSWORD})
    signed = api.post("/v1/auth/sign-in", json={"email": "rider@example.com", "password": PASSWORD})
    token = signed.json()["access_token"]
    me = api.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert up.status_code == 202 and signed.status_code == 200
    assert me.json()["email"] == "rider@example.com" and me.json()["role"] == "borrower"


def test_passwords_are_stored_as_argon2id_hashes(api):
    api.post("/v1/auth/sign-up", json={"email": "h@example.com", "password": PASSWORD})
    with api.app.state.context.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT password_hash FROM users")).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_a_wrong_password_and_an_unknown_email_are_refused_alike(api, world):
    wrong = api.post("/v1/auth/sign-in", json={"email": world.alice.email, "password": "nope"})
    ghost = api.post("/v1/auth/sign-in", json={"email": "ghost@example.com", "password": "x"})
    assert wrong.status_code == ghost.status_code == 401
    assert wrong.json()["message"] == ghost.json()["message"]


def test_a_forged_or_expired_token_is_refused():
    signer = TokenSigner("s" * 40, ttl_seconds=60)
    token = signer.issue(TokenClaims("u1", Role.ADMIN))
    assert signer.verify(token).role is Role.ADMIN
    with pytest.raises(AuthenticationError, match="not valid"):
        TokenSigner("other" * 10, ttl_seconds=60).verify(token)
    with pytest.raises(AuthenticationError, match="expired"):
        TokenSigner("s" * 40, ttl_seconds=-1).verify(token)


def test_a_tampered_token_is_refused_over_http(api, world):
    token = world.alice.headers["Authorization"].removeprefix("Bearer ")
    forged = token.replace("ImJvcnJvd2VyIn0", "ImFkbWluIn0")
    reply = api.get("/v1/applicants", headers={"Authorization": f"Bearer {forged}x"})
    assert reply.status_code == 401


def test_only_an_admin_creates_staff_and_merchants(api, world):
    body = {"email": "m@shop.example", "password": PASSWORD, "role": "merchant"}
    assert api.post("/v1/staff/users", headers=world.alice.headers, json=body).status_code == 403
    assert (
        api.post("/v1/staff/users", headers=world.underwriter.headers, json=body).status_code == 403
    )
    made = api.post("/v1/staff/users", headers=world.admin.headers, json=body)
    assert made.status_code == 201 and made.json()["role"] == "merchant"


def test_an_api_key_authenticates_its_merchant_until_revoked(api, world):
    admin = world.admin.headers
    merchant = api.post(
        "/v1/staff/users",
        headers=admin,
        json={"email": "k@shop.example", "password": PASSWORD, "role": "merchant"},
    ).json()
    issued = api.post(
        "/v1/staff/api-keys", headers=admin, json={"user_id": merchant["id"], "name": "checkout"}
    ).json()
    key = {"X-API-Key": issued["key"]}
    assert api.get("/v1/auth/me", headers=key).json()["role"] == "merchant"
    assert api.get(f"/v1/applicants/{world.alice.applicant_id}", headers=key).status_code == 404
    with api.app.state.context.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT key_hash FROM api_keys")).scalar_one()
    assert issued["key"] not in stored and issued["key"].startswith(issued["prefix"])
    assert api.delete(f"/v1/staff/api-keys/{issued['id']}", headers=admin).status_code == 204
    assert api.get("/v1/auth/me", headers=key).status_code == 401


def test_the_first_admin_is_made_from_the_command_line(api, api_settings, monkeypatch, capsys):
    monkeypatch.setenv("THINFILE_DATABASE_URL", api_settings.database_url)
    monkeypatch.setenv("THINFILE_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("THINFILE_ARGON2_MEMORY_KIB", "8")
    monkeypatch.setenv("THINFILE_NEW_USER_PASSWORD", PASSWORD)
    main(["users", "add", "--email", "boss@lender.example"])
    assert "created admin" in capsys.readouterr().out
    signed = api.post(
        "/v1/auth/sign-in", json={"email": "boss@lender.example", "password": PASSWORD}
    )
    assert signed.json()["role"] == "admin"


def test_the_spec_declares_sign_in_exactly_where_an_anonymous_call_is_refused(api):
    """Every operation documenting the bearer token and the API key refuses a call without
    them (401), and every operation documenting neither lets it past authentication."""
    spec = api.get("/openapi.json").json()
    assert set(spec["components"]["securitySchemes"]) == {
        "HTTPBearer", "APIKeyHeader", "GatewaySignature",
    }  # fmt: skip
    secured: list[tuple[str, str, Response]] = []
    open_: list[tuple[str, str, Response]] = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            url = path
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    url = url.replace("{" + parameter["name"] + "}", "1")
            reply = api.request(
                method.upper(), url, json={}, headers={"Idempotency-Key": "anonymous-0001"}
            )
            (secured if operation.get("security") else open_).append((method, path, reply))
    assert len(secured) >= 40
    for method, path, reply in secured:
        if path == "/v1/gateway/notifications":  # the gateway's signature is its sign-in
            assert reply.status_code == 401, (method, path)
            assert reply.json()["code"] == "notification_rejected"
            continue
        assert operation_refused(reply), (method, path, reply.status_code)
    for method, path, reply in open_:
        assert reply.status_code != 401, (method, path)
    assert {f"{m} {p}" for m, p, _ in open_} == {
        "get /healthz",
        "get /readyz",
        "post /v1/auth/sign-up",
        "post /v1/auth/sign-in",
        "post /v1/auth/sms-codes",
        "post /v1/auth/sms-sign-in",
    }


def operation_refused(reply: Response) -> bool:
    return reply.status_code == 401 and reply.json()["code"] == "authentication_required"
