"""Cross-cutting behaviour: error bodies, limits, idempotency, health, metrics, settings."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator
from typing import Annotated, Any

import pytest
import sqlalchemy as sa
from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel

from tests.e2e.api_harness import (
    TestClient,
    context_of,
    make_borrower,
    make_staff,
    quick_settings,
)
from thinfile.api import Idempotent, count_decision, require_owner_or_role
from thinfile.app import create_app
from thinfile.errors import InvalidInputError
from thinfile.security.roles import Role
from thinfile.services.audit import AuditDraft
from thinfile.services.identity_records import Actor
from thinfile.services.uow import UnitOfWork
from thinfile.settings import Settings

ERROR_KEYS = {"code", "message", "details"}


class TransferCreate(BaseModel):
    amount_fen: int


class TransferPublic(BaseModel):
    id: str
    amount_fen: int


def money_router(calls: list[int]) -> APIRouter:
    """A stand-in for the payment endpoints, wired the way they are: the work runs in the
    service's unit of work, its effect (here an audit row) committed with the key."""
    router = APIRouter(prefix="/test-money")

    @router.post(
        "/applicants/{applicant_id}/transfers", status_code=201, response_model=TransferPublic
    )
    def transfer(
        applicant_id: str,
        body: TransferCreate,
        idem: Idempotent,
        _owner: Annotated[Actor, Depends(require_owner_or_role())],
    ) -> Response:
        def work(_uow: UnitOfWork) -> tuple[TransferPublic, AuditDraft]:
            calls.append(body.amount_fen)
            if body.amount_fen < 0:
                raise InvalidInputError("negative", field="amount_fen")
            return (
                TransferPublic(id=uuid.uuid4().hex, amount_fen=body.amount_fen),
                AuditDraft("system", "test.transfer", f"applicant:{applicant_id}"),
            )

        return idem.once(work, render=lambda transfer: transfer, status_code=201)

    @router.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    return router


@pytest.fixture
def money(api_settings):
    calls: list[int] = []
    app = create_app(api_settings, extra_routers=(money_router(calls),))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, calls


def _transfers(client: TestClient) -> int:
    """Transfers that took effect (committed their audit row)."""
    with context_of(client).engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT count(*) FROM audit_log WHERE action = 'test.transfer'")
            ).scalar_one()
        )


def test_a_repeated_idempotency_key_replays_the_first_response_and_takes_effect_once(money):
    client, _ = money
    alice = make_borrower(client)
    url = f"/v1/test-money/applicants/{alice.applicant_id}/transfers"
    headers = {**alice.headers, "Idempotency-Key": "pay-0001-abcd"}
    first = client.post(url, headers=headers, json={"amount_fen": 1500})
    again = client.post(url, headers=headers, json={"amount_fen": 1500})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and _transfers(client) == 1
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post(url, headers=headers, json={"amount_fen": 9900})
    assert other.status_code == 409 and other.json()["code"] == "conflict"


def test_the_same_request_serialised_again_replays_rather_than_conflicts(money):
    """A client that writes the same JSON again with other spacing or key order on its retry
    gets the first answer back (the fingerprint is of the JSON, not its bytes); another amount
    under the key is still a conflict."""
    client, _ = money
    alice = make_borrower(client)
    url = f"/v1/test-money/applicants/{alice.applicant_id}/transfers"
    headers = {
        **alice.headers,
        "Idempotency-Key": "pay-respaced-0001",
        "Content-Type": "application/json",
    }
    first = client.post(url, headers=headers, content=b'{"amount_fen":1500}')
    again = client.post(url, headers=headers, content=b'{ "amount_fen" : 1500 }\n')
    assert first.status_code == again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true" and _transfers(client) == 1
    other = client.post(url, headers=headers, content=b'{"amount_fen": 1501}')
    assert other.status_code == 409


def test_a_money_moving_post_without_a_key_is_refused(money):
    client, calls = money
    alice = make_borrower(client)
    reply = client.post(
        f"/v1/test-money/applicants/{alice.applicant_id}/transfers",
        headers=alice.headers,
        json={"amount_fen": 1},
    )
    assert reply.status_code == 422 and calls == []


def test_a_failed_request_releases_its_key_for_a_retry(money):
    client, calls = money
    alice = make_borrower(client)
    url = f"/v1/test-money/applicants/{alice.applicant_id}/transfers"
    headers = {**alice.headers, "Idempotency-Key": "retry-after-failure"}
    assert client.post(url, headers=headers, json={"amount_fen": -1}).status_code == 422
    assert client.post(url, headers=headers, json={"amount_fen": -1}).status_code == 422
    assert calls == [-1, -1]


def test_keys_are_scoped_per_caller(money):
    client, calls = money
    alice, bob = make_borrower(client), make_borrower(client)
    for party in (alice, bob):
        reply = client.post(
            f"/v1/test-money/applicants/{party.applicant_id}/transfers",
            headers={**party.headers, "Idempotency-Key": "same-key-for-both"},
            json={"amount_fen": 700},
        )
        assert reply.status_code == 201
    assert calls == [700, 700]


def test_an_unexpected_error_is_a_500_body_without_a_stack_trace(money):
    client, _ = money
    reply = client.get("/v1/test-money/boom")
    assert reply.status_code == 500 and set(reply.json()) == ERROR_KEYS
    assert "passwd" not in reply.text and "Traceback" not in reply.text


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/v1/nowhere", 404, "not_found"),
        ("DELETE", "/healthz", 405, "method_not_allowed"),
        ("GET", "/v1/auth/me", 401, "authentication_required"),
        ("POST", "/v1/auth/sign-up", 422, "invalid_input"),
    ],
)
def test_every_error_has_the_same_shape(api, method, path, status, code):
    reply = api.request(method, path, json={"email": "not-an-email"})
    assert reply.status_code == status and set(reply.json()) == ERROR_KEYS
    assert reply.json()["code"] == code


def test_validation_errors_name_fields_but_never_echo_values(api):
    reply = api.post("/v1/auth/sign-up", json={"email": "a@example.com", "password": "short"})
    problems = reply.json()["details"]["problems"]
    assert [p["field"] for p in problems] == ["password"] and "short" not in reply.text


def test_a_body_over_the_limit_is_refused_with_413(database_url):
    settings = quick_settings(database_url, max_body_bytes=2048)
    with TestClient(create_app(settings)) as client:
        declared = client.post(
            "/v1/auth/sign-up",
            content=b"{" + b" " * 4000 + b"}",
            headers={"content-type": "application/json"},
        )
        streamed = client.post(
            "/v1/auth/sign-up",
            content=iter([b"{", b" " * 4000, b"}"]),
            headers={"content-type": "application/json"},
        )
    for reply in (declared, streamed):
        assert reply.status_code == 413 and reply.json()["code"] == "payload_too_large"


def test_sign_in_is_rate_limited_per_address_and_email(database_url):
    settings = quick_settings(database_url, rate_limits={"sign_in": "3/60"})
    with TestClient(create_app(settings)) as client:
        client.post(
            "/v1/auth/sign-up", json={"email": "r@example.com", "password": "long enough password"}
        )
        replies = [
            client.post(
                "/v1/auth/sign-in", json={"email": "r@example.com", "password": "wrong wrong"}
            )
            for _ in range(4)
        ]
    assert [r.status_code for r in replies] == [401, 401, 401, 429]
    assert replies[-1].json()["code"] == "rate_limited" and "Retry-After" in replies[-1].headers


def test_health_readiness_and_metrics(api):
    count_decision("approved")
    api.get("/healthz")
    assert api.get("/readyz").json() == {"status": "ready"}
    text = api.get("/metrics", headers=make_staff(api, Role.ADMIN).headers).text
    assert 'thinfile_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert "thinfile_http_request_seconds_bucket" in text
    assert 'thinfile_decisions_total{outcome="approved"}' in text


def test_metrics_are_refused_to_anyone_but_an_admin(api: TestClient) -> None:
    """The metrics name every route and count decisions by outcome: not for the public."""
    assert api.get("/metrics").status_code == 401
    borrower = make_borrower(api, with_profile=False)
    assert api.get("/metrics", headers=borrower.headers).status_code == 403
    for role in (Role.UNDERWRITER, Role.SERVICING_AGENT):
        assert api.get("/metrics", headers=make_staff(api, role).headers).status_code == 403
    admin = api.get("/metrics", headers=make_staff(api, Role.ADMIN).headers)
    assert admin.status_code == 200 and "thinfile_http_requests_total" in admin.text


def test_readiness_fails_with_503_when_the_database_is_unreachable(tmp_path):
    settings = quick_settings(f"sqlite:///{tmp_path}/missing/dir/db.sqlite", migrate_on_start=False)
    with TestClient(create_app(settings)) as client:
        reply = client.get("/readyz")
    assert reply.status_code == 503 and reply.json()["code"] == "not_ready"


def test_production_refuses_the_development_secrets(monkeypatch):
    monkeypatch.setenv("THINFILE_ENV", "production")
    with pytest.raises(InvalidInputError) as refused:
        create_app()
    fields = {p.field for p in refused.value.problems}
    assert fields == {"token_secret", "lookup_key", "payment_gateway_key", "pii_keys.dev"}


def test_production_starts_with_real_secrets_and_nothing_connects_before_start(monkeypatch):
    monkeypatch.setenv("THINFILE_ENV", "production")
    monkeypatch.setenv("THINFILE_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("THINFILE_TOKEN_SECRET", "t" * 40)
    monkeypatch.setenv("THINFILE_LOOKUP_KEY", "l" * 40)
    monkeypatch.setenv("THINFILE_PAYMENT_GATEWAY_KEY", "g" * 40)
    monkeypatch.setenv("THINFILE_PII_KEYS", '{"k1": "' + "a" * 43 + '="}')
    monkeypatch.setenv("THINFILE_PII_ACTIVE_KEY_ID", "k1")
    app = create_app()  # an unreachable database is fine until the app starts
    assert app.title == "thinfile"


def test_bad_settings_are_refused_at_build_time():
    with pytest.raises(ValueError, match="pii_active_key_id"):
        Settings(pii_active_key_id="missing")
    with pytest.raises(ValueError, match="COUNT/SECONDS"):
        Settings(rate_limits={"sign_in": "lots"})


def _route_methods(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """(path template, methods) of every route of the app, pages and API, through included
    routers."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _route_methods(included.routes, prefix + route.include_context.prefix)
        elif getattr(route, "methods", None):
            yield prefix + route.path, set(route.methods)


def test_a_405_names_every_method_its_path_serves(api: TestClient) -> None:
    """Where a path has several routes (a page and its form, a list and a create), a method
    none of them serves is refused with an Allow header naming all of theirs."""
    served: dict[str, set[str]] = {}
    for template, methods in _route_methods(api.app.routes):  # type: ignore[attr-defined]
        served.setdefault(template, set()).update(methods)
    wrong = []
    for template, methods in sorted(served.items()):
        probe = next(m for m in ("DELETE", "PATCH", "PUT") if m not in methods)
        path = re.sub(r"{[^}]+}", "0" * 32, template)
        reply = api.request(probe, path)
        if reply.status_code != 405:
            continue  # a mount (static files) or a route shadowed by a longer one
        allow = {m.strip() for m in reply.headers["allow"].split(",")}
        if not methods <= allow:
            wrong.append((template, sorted(methods), sorted(allow)))
    assert len(served) > 60
    assert wrong == []
