"""Shared fixtures and builders for the HTTP API tests (tests/e2e/test_api_*.py).

Every API test runs on SQLite and PostgreSQL through the ``database_url`` fixture of
tests/conftest.py; the ``api``, ``api_settings`` and ``world`` fixtures are in
tests/e2e/conftest.py. Test modules import the builders they use from here.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from tests.support.decisioning import Reason, Score
from thinfile.app import create_app
from thinfile.http import AppContext
from thinfile.resident_id import id_check_character
from thinfile.security.roles import Role
from thinfile.services import identity
from thinfile.settings import Settings

with warnings.catch_warnings():
    # Starlette prefers the httpx2 package for its test client; httpx works the same here.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

__all__ = [
    "DECLINE_MONTHS",
    "REFER_MONTHS",
    "MonthsInCityScorer",
    "Party",
    "TestClient",
    "World",
    "accept",
    "apply",
    "build_app",
    "context_of",
    "id_number",
    "make_borrower",
    "make_staff",
    "phone_number",
    "quick_settings",
]

PASSWORD = "correct horse battery staple"
_serial = itertools.count(1)
REFER_MONTHS, DECLINE_MONTHS = 7, 1


@dataclass
class MonthsInCityScorer:
    """A deterministic model: months in city 7 refers, 1 declines, anything else approves."""

    version: str = "api-test-model:1"

    def score_one(self, record: Mapping[str, object], *, reasons: int = 4) -> Score:
        months = record.get("months_in_city")
        pd = {REFER_MONTHS: 0.10, DECLINE_MONTHS: 0.6}.get(months, 0.01)  # type: ignore[call-overload]
        return Score(
            pd,
            int(600 - 500 * pd),
            (
                Reason("R_INCOME", "income_monthly_mean", "income", 0.4),
                Reason("R_TENURE", "months_in_city", "tenure", 0.2),
            )[:reasons],
        )


def build_app(settings: Settings, model_dir: Path) -> Any:
    """The app with the shipped policy and the test model registered at start-up."""
    return create_app(settings, load_model=lambda _path: MonthsInCityScorer(), model_dir=model_dir)


def quick_settings(url: str, **overrides: object) -> Settings:
    """Development settings on ``url`` with cheap password hashing and roomy rate limits."""
    values: dict[str, object] = {
        "database_url": url,
        "argon2_time_cost": 1,
        "argon2_memory_kib": 8,
        "rate_limits": {
            "sign_in": "1000/60",
            "sign_in_address": "1000/60",
            "sign_up": "1000/60",
            "applications": "1000/60",
        },
    }
    values.update(overrides)
    return Settings.model_validate(values)


def id_number(serial: int) -> str:
    """A valid resident ID number (GB 11643 check digit) for a person born in 1995."""
    first17 = f"440106199503{(serial % 28) + 1:02d}{serial % 1000:03d}"
    return first17 + id_check_character(first17)


def phone_number(serial: int) -> str:
    return f"139{serial % 100_000_000:08d}"


@dataclass(frozen=True)
class Party:
    """A signed-in caller and (for borrowers) their applicant profile and one consent."""

    user_id: str
    email: str
    headers: dict[str, str]
    applicant_id: str = ""
    consent_id: str = ""
    name: str = ""
    id_number: str = ""
    phone: str = ""


def _sign_in(client: TestClient, email: str) -> dict[str, str]:
    reply = client.post("/v1/auth/sign-in", json={"email": email, "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def make_borrower(
    client: TestClient, *, with_profile: bool = True, verify_real_name: bool = True
) -> Party:
    """A borrower signed in by e-mail; with a profile, the three consents and (through the
    sandbox identity provider) a verified real name, unless told otherwise."""
    n = next(_serial)
    email = f"borrower{n}@example.com"
    reply = client.post("/v1/auth/sign-up", json={"email": email, "password": PASSWORD})
    assert reply.status_code == 202, reply.text
    headers = _sign_in(client, email)
    user_id = client.get("/v1/auth/me", headers=headers).json()["id"]
    if not with_profile:
        return Party(user_id, email, headers)
    name, idn, phone = f"测试{n}号", id_number(n), phone_number(n)
    profile = client.post(
        "/v1/applicants", headers=headers, json={"name": name, "id_number": idn, "phone": phone}
    )
    assert profile.status_code == 201, profile.text
    applicant_id = profile.json()["id"]
    granted = []
    for category, purpose, separate in (
        ("gig_platform_income", "credit_assessment", False),
        ("credit_report", "credit_assessment", False),
        ("bank_account", "loan_servicing", True),  # sensitive: its separate consent
    ):
        reply = client.post(
            f"/v1/applicants/{applicant_id}/consents",
            headers=headers,
            json={
                "data_category": category,
                "purpose": purpose,
                "notice_version": "v1",
                **({"separate_consent": True} if separate else {}),
            },
        )
        assert reply.status_code == 201, reply.text
        granted.append(reply.json()["id"])
    if verify_real_name:
        verified = client.post(f"/v1/applicants/{applicant_id}/real-name", headers=headers)
        assert verified.status_code == 200, verified.text
    return Party(user_id, email, headers, applicant_id, granted[0], name, idn, phone)


FORM = {
    "birth_date": "1995-03-07",
    "segment": "delivery_rider",
    "months_in_city": 24,
    "purpose": "consumption",
    "requested_amount": "6000.00",
    "requested_term_months": 12,
    "income_monthly_mean": "8000.00",
    "income_monthly_cv": 0.3,
    "income_months_observed": 12,
    "existing_debt_payment_monthly": "500.00",
    "bureau_history_months": 0,
}


def apply(client: TestClient, party: Party, **overrides: object) -> Any:
    """Submit an application for ``party`` (the harness's ID numbers are born 1995-03-xx)."""
    form = {**FORM, "birth_date": f"1995-03-{party.id_number[12:14]}", **overrides}
    return client.post(
        f"/v1/applicants/{party.applicant_id}/applications",
        headers={**party.headers, "Idempotency-Key": f"apply-key-{next(_serial)}"},
        json=form,
    )


def accept(
    client: TestClient, party: Party, application_id: str, offer: int, seconds_read: float = 15.0
) -> Any:
    return client.post(
        f"/v1/applications/{application_id}/acceptance",
        headers={**party.headers, "Idempotency-Key": f"accept-key-{next(_serial)}"},
        json={"offer": offer, "confirm": True, "seconds_read": seconds_read},
    )


def context_of(client: TestClient) -> AppContext:
    """The running app's context (its engine, hasher, settings)."""
    app = client.app
    assert isinstance(app, FastAPI)
    context: AppContext = app.state.context
    return context


def make_staff(client: TestClient, role: Role) -> Party:
    context = context_of(client)
    email = f"{role.value}{next(_serial)}@lender.example"
    user = identity.create_user(
        context.engine, context.hasher, email=email, password=PASSWORD, role=role
    )
    return Party(user.id, email, _sign_in(client, email))


@dataclass(frozen=True)
class World:
    alice: Party
    bob: Party
    admin: Party
    underwriter: Party


def is_replay_of(again: Any, first: Any) -> bool:
    """``again`` replays ``first``: the header says so, and the body is the first one with a
    receipt's ``replayed`` saying what the header says."""
    body = again.json()
    if again.headers.get("Idempotent-Replayed") != "true":
        return False
    if isinstance(body, dict) and "replayed" in body:
        return body["replayed"] is True and {**body, "replayed": False} == first.json()
    return bool(body == first.json())
