"""The pages and the API enforce the same rules, because the rules live in the services: a staff
reason and an underwriter's review note are accepted or refused alike by the console and the
API, and an applicant without the credit-assessment consent is refused by both — on SQLite and
PostgreSQL, on one app."""

from __future__ import annotations

import re
from itertools import count
from typing import Any

import pytest

from tests.e2e.api_harness import (
    PASSWORD,
    REFER_MONTHS,
    Party,
    TestClient,
    accept,
    apply,
    make_borrower,
    make_staff,
)
from thinfile.app import create_app
from thinfile.security.roles import Role
from thinfile.services.policies import scoring_model_loader
from thinfile.services.reasons import REASON_MAX_CHARS, REASON_MIN_CHARS, REVIEW_NOTE_MAX_CHARS
from thinfile.settings import Settings

_keys = count(1)

ACCEPTED = ["abc", "  abc  ", "x" * REASON_MAX_CHARS]
REFUSED = ["", "   ", "ab", "  ok  ", "x" * (REASON_MAX_CHARS + 1), "abc\u202efed"]


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


def _page_sign_in(api: TestClient, party: Party) -> None:
    form = api.get("/sign-in").text
    reply = api.post(
        "/sign-in",
        data={"csrf_token": _csrf(form), "email": party.email, "password": PASSWORD},
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text


def _new_loan(api: TestClient) -> int:
    borrower = make_borrower(api)
    application = apply(api, borrower).json()
    reply = accept(api, borrower, application["id"], 0)
    assert reply.status_code == 201, reply.text
    return int(reply.json()["loan_id"])


def _by_api(api: TestClient, agent: Party, loan_id: int, reason: str) -> bool:
    """A write-off request (a loss before the charge-off days needs a second person)."""
    reply = api.post(
        f"/v1/staff/loans/{loan_id}/write-off-requests",
        json={"reason": reason},
        headers={**agent.headers, "Idempotency-Key": f"reason-{next(_keys):04d}"},
    )
    assert reply.status_code in (201, 422), reply.text
    return bool(reply.status_code == 201)


def _by_console(api: TestClient, loan_id: int, reason: str) -> bool:
    page = api.get(f"/console/loans/{loan_id}").text
    assert f'action="/console/loans/{loan_id}/write-off-requests"' in page
    reply = api.post(
        f"/console/loans/{loan_id}/write-off-requests",
        data={"csrf_token": _csrf(page), "reason": reason},
        follow_redirects=False,
    )
    assert reply.status_code in (303, 422), reply.text
    return bool(reply.status_code == 303)


def test_a_staff_reason_is_accepted_or_refused_alike_by_the_console_and_the_api(api):
    agent = make_staff(api, Role.SERVICING_AGENT)
    _page_sign_in(api, agent)
    untouched = _new_loan(api)
    refused = {
        reason: (_by_api(api, agent, untouched, reason), _by_console(api, untouched, reason))
        for reason in REFUSED
    }
    accepted = {
        reason: (
            _by_api(api, agent, _new_loan(api), reason),
            _by_console(api, _new_loan(api), reason),
        )
        for reason in ACCEPTED
    }
    assert refused == dict.fromkeys(REFUSED, (False, False))
    assert accepted == dict.fromkeys(ACCEPTED, (True, True))
    assert all(REASON_MIN_CHARS <= len(r.strip()) <= REASON_MAX_CHARS for r in ACCEPTED)


@pytest.fixture
def unconsenting(api: TestClient) -> Party:
    """A borrower with a profile who has revoked the credit-assessment consent."""
    party = make_borrower(api)
    consents = api.get(
        f"/v1/applicants/{party.applicant_id}/consents", headers=party.headers
    ).json()
    credit = next(c for c in consents if c["data_category"] == "credit_report")
    revoked = api.post(
        f"/v1/applicants/{party.applicant_id}/consents/{credit['id']}/revoke", headers=party.headers
    )
    assert revoked.status_code == 200, revoked.text
    return party


def _applications(api: TestClient, party: Party) -> list[Any]:
    mine = api.get("/v1/me/applications", headers=party.headers)
    assert mine.status_code == 200, mine.text
    return list(mine.json())


def test_an_applicant_without_credit_consent_is_refused_by_the_page_and_the_api(api, unconsenting):
    by_api = apply(api, unconsenting)
    assert by_api.status_code == 403 and by_api.json()["code"] == "consent_required"
    _page_sign_in(api, unconsenting)
    form = api.get("/apply").text
    by_page = api.post(
        "/apply",
        data={
            "csrf_token": _csrf(form),
            "purpose": "consumption",
            "requested_amount": "6000",
            "requested_term_months": "12",
            "segment": "delivery_rider",
            "declared_monthly_income": "7000",
            "existing_debt_payment_monthly": "0",
            "months_in_city": "24",
            "platform_tenure_months": "18",
        },
        follow_redirects=False,
    )
    assert by_page.status_code == 403 and 'href="/consent"' in by_page.text
    assert _applications(api, unconsenting) == []  # neither stored a decision


NOTES_KEPT = ["ok", "  income verified by platform statement  ", "x" * REVIEW_NOTE_MAX_CHARS]
NOTES_REFUSED = ["", "   ", "x" * (REVIEW_NOTE_MAX_CHARS + 1)]


def _referral(api: TestClient) -> str:
    referred = apply(api, make_borrower(api), months_in_city=REFER_MONTHS).json()
    assert referred["status"] == "referred", referred
    return str(referred["id"])


def _review_by_api(api: TestClient, underwriter: Party, application_id: str, note: str) -> bool:
    reply = api.post(
        f"/v1/staff/applications/{application_id}/review",
        json={"approve": True, "note": note},
        headers=underwriter.headers,
    )
    assert reply.status_code in (200, 422), reply.text
    return bool(reply.status_code == 200)


def _review_by_console(api: TestClient, application_id: str, note: str) -> bool:
    page = api.get(f"/console/applications/{application_id}").text
    reply = api.post(
        f"/console/applications/{application_id}/review",
        data={"csrf_token": _csrf(page), "decision": "approve", "note": note},
        follow_redirects=False,
    )
    assert reply.status_code in (303, 422), reply.text
    return bool(reply.status_code == 303)


def test_a_review_note_is_accepted_or_refused_alike_by_the_console_and_the_api(
    api: TestClient,
) -> None:
    """An underwriter's note for the file is 1 to 500 characters, surrounding spaces aside,
    whether the referral is approved in the console or over the API."""
    underwriter = make_staff(api, Role.UNDERWRITER)
    _page_sign_in(api, underwriter)
    waiting = _referral(api)
    refused = {
        note: (
            _review_by_api(api, underwriter, waiting, note),
            _review_by_console(api, waiting, note),
        )
        for note in NOTES_REFUSED
    }
    kept = {
        note: (
            _review_by_api(api, underwriter, _referral(api), note),
            _review_by_console(api, _referral(api), note),
        )
        for note in NOTES_KEPT
    }
    assert refused == dict.fromkeys(NOTES_REFUSED, (False, False))
    assert kept == dict.fromkeys(NOTES_KEPT, (True, True))


def test_the_pages_and_the_api_load_models_with_one_loader(api_settings: Settings) -> None:
    """A model the console simulates with is loaded as the API's decisions load it."""
    app = create_app(api_settings)
    assert app.state.web.load_model is app.state.model_loader is scoring_model_loader
