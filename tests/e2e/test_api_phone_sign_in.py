"""Borrowers over HTTP on SQLite and PostgreSQL: a mobile number, the code from the sandbox
SMS outbox, signed in, real name verified, then an application — and the refusals on the way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.e2e.api_harness import (
    FORM,
    TestClient,
    build_app,
    id_number,
    make_borrower,
    quick_settings,
)
from thinfile.adapters import SandboxSmsSender
from thinfile.http import AppContext
from thinfile.settings import Settings


@pytest.fixture
def api_settings(database_url: str) -> Settings:
    """No wait between two codes to one phone, so a journey can sign in twice at once."""
    return quick_settings(database_url, sms_code_resend_seconds=0)


def _context(client: TestClient) -> AppContext:
    context: AppContext = client.app.state.context  # type: ignore[attr-defined]
    return context


def _sandbox_code(client: TestClient, phone: str) -> str:
    """The code in the newest message the sandbox SMS provider holds for ``phone``."""
    sms = _context(client).sms
    assert isinstance(sms, SandboxSmsSender)
    newest = sms.inbox(phone, limit=1)[0]
    assert newest.params["code"] in newest.body
    return newest.params["code"]


def _signed_in(client: TestClient, phone: str) -> dict[str, str]:
    sent = client.post("/v1/auth/sms-codes", json={"phone": phone})
    assert sent.status_code == 202, sent.text
    reply = client.post(
        "/v1/auth/sms-sign-in", json={"phone": phone, "code": _sandbox_code(client, phone)}
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["role"] == "borrower"
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def _actions(client: TestClient) -> list[str]:
    with _context(client).engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT action FROM audit_log ORDER BY seq")).scalars())


def _profile(client: TestClient, headers: dict[str, str], name: str, serial: int) -> str:
    reply = client.post(
        "/v1/applicants",
        headers=headers,
        json={"name": name, "id_number": id_number(serial), "phone": "13912340000"},
    )
    assert reply.status_code == 201, reply.text
    applicant_id: str = reply.json()["id"]
    for category in ("credit_report", "gig_platform_income"):
        consent = client.post(
            f"/v1/applicants/{applicant_id}/consents",
            headers=headers,
            json={
                "data_category": category,
                "purpose": "credit_assessment",
                "notice_version": "v1",
            },
        )
        assert consent.status_code == 201, consent.text
    return applicant_id


def _apply(client: TestClient, headers: dict[str, str], applicant_id: str, serial: int) -> Any:
    day = id_number(serial)[12:14]
    return client.post(
        f"/v1/applicants/{applicant_id}/applications",
        headers={**headers, "Idempotency-Key": f"phone-apply-{serial}"},
        json={**FORM, "birth_date": f"1995-03-{day}"},
    )


def test_a_borrower_signs_up_by_phone_verifies_the_real_name_and_applies(api: TestClient) -> None:
    headers = _signed_in(api, "+86 139-0101-0001")
    me = api.get("/v1/auth/me", headers=headers).json()
    assert me["role"] == "borrower" and me["email"] is None

    applicant_id = _profile(api, headers, "手机用户", 901)
    refused = _apply(api, headers, applicant_id, 901)
    assert refused.status_code == 403, refused.text
    body = refused.json()
    assert body["code"] == "real_name_required"
    assert f"/v1/applicants/{applicant_id}/real-name" in body["details"]["remedy"]

    status = api.get(f"/v1/applicants/{applicant_id}/real-name", headers=headers).json()
    assert status["verified"] is False
    verified = api.post(f"/v1/applicants/{applicant_id}/real-name", headers=headers)
    assert verified.status_code == 200, verified.text
    assert verified.json()["verified"] is True
    assert verified.json()["reference"].startswith("sandbox-")

    decided = _apply(api, headers, applicant_id, 901)
    assert decided.status_code == 201, decided.text
    assert decided.json()["status"] == "approved"

    again = _signed_in(api, "13901010001")  # the same phone signs in to the same account
    assert api.get("/v1/auth/me", headers=again).json()["id"] == me["id"]
    actions = _actions(api)
    assert actions.count("auth.sms_code_sent") == 2 and actions.count("auth.sms_sign_in") == 2
    assert "applicant.real_name_verified" in actions


def test_a_name_the_identity_provider_does_not_match_is_refused_and_audited(
    api: TestClient,
) -> None:
    headers = _signed_in(api, "13901010002")
    applicant_id = _profile(api, headers, "王不符", 902)
    refused = api.post(f"/v1/applicants/{applicant_id}/real-name", headers=headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "real_name_mismatch"
    assert refused.json()["details"]["remedy"]
    status = api.get(f"/v1/applicants/{applicant_id}/real-name", headers=headers).json()
    assert status["verified"] is False
    assert "applicant.real_name_mismatch" in _actions(api)


def test_someone_else_cannot_verify_or_read_a_real_name(api: TestClient) -> None:
    owner = make_borrower(api, verify_real_name=False)
    other = make_borrower(api)
    path = f"/v1/applicants/{owner.applicant_id}/real-name"
    assert api.post(path, headers=other.headers).status_code in (403, 404)
    assert api.get(path, headers=other.headers).status_code in (403, 404)
    assert api.post(path, headers=owner.headers).json()["verified"] is True


def test_a_wrong_code_is_refused_with_the_tries_left_and_five_spend_the_code(
    api: TestClient,
) -> None:
    phone = "13901010003"
    assert api.post("/v1/auth/sms-codes", json={"phone": phone}).status_code == 202
    code = _sandbox_code(api, phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    replies = [
        api.post("/v1/auth/sms-sign-in", json={"phone": phone, "code": wrong}) for _ in range(5)
    ]
    assert [r.status_code for r in replies] == [401] * 5
    assert [r.json()["details"]["tries_left"] for r in replies] == [4, 3, 2, 1, 0]
    assert replies[-1].json()["code"] == "sms_code_rejected"
    late = api.post("/v1/auth/sms-sign-in", json={"phone": phone, "code": code})
    assert late.status_code == 401 and late.json()["details"]["reason"] == "exhausted"


def test_a_code_signs_in_once(api: TestClient) -> None:
    phone = "13901010004"
    api.post("/v1/auth/sms-codes", json={"phone": phone})
    code = _sandbox_code(api, phone)
    first = api.post("/v1/auth/sms-sign-in", json={"phone": phone, "code": code})
    second = api.post("/v1/auth/sms-sign-in", json={"phone": phone, "code": code})
    assert first.status_code == 200
    assert second.status_code == 401 and second.json()["details"]["reason"] == "no_live_code"


def test_the_answer_never_tells_whether_a_number_has_an_account(api: TestClient) -> None:
    """A customer's number, whose last code signed in, and a number never seen: no SMS, no
    code, and the same answer for both (the audit log keeps "used" and "missing")."""
    _signed_in(api, "13901010021")
    replies = [
        api.post("/v1/auth/sms-sign-in", json={"phone": phone, "code": "000000"})
        for phone in ("13901010021", "13901010022")
    ]
    assert [r.status_code for r in replies] == [401, 401]
    assert replies[0].json() == replies[1].json()
    assert replies[0].json()["message"] == "the code is wrong or has expired"
    assert replies[0].json()["details"]["reason"] == "no_live_code"


def test_the_sign_in_limit_counts_the_number_however_it_is_written(
    database_url: str, tmp_path: Path
) -> None:
    """Each spelling of one number used to get a bucket of its own, so a dozen spellings gave
    a dozen guesses; they are one number and share one bucket. A malformed number is refused
    as such first, without a guess."""
    settings = quick_settings(
        database_url, sms_code_resend_seconds=0, rate_limits={"sign_in": "3/60"}
    )
    with TestClient(build_app(settings, tmp_path)) as client:
        client.post("/v1/auth/sms-codes", json={"phone": "13901010031"})
        spellings = ["+86 13901010031", "139-0101-0031", "0086 139 0101 0031", "8613901010031"]
        guesses = [
            client.post("/v1/auth/sms-sign-in", json={"phone": s, "code": "000000"})
            for s in spellings
        ]
        assert [r.status_code for r in guesses] == [401, 401, 401, 429], guesses[-1].text
        malformed = client.post(
            "/v1/auth/sms-sign-in", json={"phone": "2345678901", "code": "000000"}
        )
        assert malformed.status_code == 422, malformed.text
        assert malformed.json()["code"] == "invalid_mobile"
        assert malformed.json()["details"]["field"] == "phone"


def test_ten_wrong_tries_across_codes_pause_sign_in_by_code_for_the_day(
    api: TestClient,
) -> None:
    phone = "13901010041"
    for _ in range(2):  # a second code brings no fresh tries
        assert api.post("/v1/auth/sms-codes", json={"phone": phone}).status_code == 202
        code = _sandbox_code(api, phone)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for _ in range(5):
            reply = api.post("/v1/auth/sms-sign-in", json={"phone": phone, "code": wrong})
            assert reply.status_code == 401, reply.text
    no_code = api.post("/v1/auth/sms-codes", json={"phone": phone})  # it could not be used
    assert no_code.status_code == 429, no_code.text
    assert no_code.json()["details"]["limit"] == "sms_wrong_tries"
    assert no_code.headers["Retry-After"] == str(no_code.json()["details"]["retry_after_seconds"])
    paused = api.post("/v1/auth/sms-sign-in", json={"phone": phone, "code": code})
    assert paused.status_code == 429, paused.text
    body = paused.json()
    assert body["code"] == "rate_limited" and body["details"]["limit"] == "sms_wrong_tries"
    assert body["details"]["field"] == "phone" and "password" in body["details"]["remedy"]
    wait = body["details"]["retry_after_seconds"]
    assert 23 * 3600 < wait <= 24 * 3600 + 300 and paused.headers["Retry-After"] == str(wait)
    assert "Traceback" not in paused.text
    assert _actions(api).count("auth.sms_sign_in_failed") == 11


def test_the_device_token_keeps_a_borrower_signing_in_while_strangers_are_paused(
    api: TestClient,
) -> None:
    phone = "13901010051"
    assert api.post("/v1/auth/sms-codes", json={"phone": phone}).status_code == 202
    first = api.post(
        "/v1/auth/sms-sign-in", json={"phone": phone, "code": _sandbox_code(api, phone)}
    )
    device = first.json()["device_token"]
    for _ in range(2):  # a stranger spends the number's ten wrong tries
        assert api.post("/v1/auth/sms-codes", json={"phone": phone}).status_code == 202
        for _ in range(5):
            wrong = api.post("/v1/auth/sms-sign-in", json={"phone": phone, "code": "999999"})
            assert wrong.status_code == 401, wrong.text
    assert api.post("/v1/auth/sms-codes", json={"phone": phone}).status_code == 429
    mine = {"phone": phone, "device_token": device}
    assert api.post("/v1/auth/sms-codes", json=mine).status_code == 202
    again = api.post("/v1/auth/sms-sign-in", json={**mine, "code": _sandbox_code(api, phone)})
    assert again.status_code == 200, again.text
    assert again.json()["device_token"] == device
    malformed = api.post("/v1/auth/sms-codes", json={"phone": phone, "device_token": "x" * 64})
    assert malformed.status_code == 422
    assert [p["field"] for p in malformed.json()["details"]["problems"]] == ["device_token"]


def test_a_sixth_code_to_one_phone_within_the_hour_is_refused(api: TestClient) -> None:
    phone = "13901010005"
    sent = [api.post("/v1/auth/sms-codes", json={"phone": phone}) for _ in range(6)]
    assert [r.status_code for r in sent] == [202] * 5 + [429], sent[-1].text
    assert sent[-1].json()["details"]["retry_after_seconds"] > 0
    other = api.post("/v1/auth/sms-codes", json={"phone": "13901010007"})
    assert other.status_code == 202


def test_a_number_that_is_not_a_mobile_number_is_refused(api: TestClient) -> None:
    reply = api.post("/v1/auth/sms-codes", json={"phone": "2345678901"})
    assert reply.status_code == 422 and reply.json()["details"]["field"] == "phone"
    nothing = api.post("/v1/auth/sms-sign-in", json={"phone": "13901010006", "code": "12345"})
    assert nothing.status_code == 422


def test_wrong_codes_lock_that_phone_from_that_address_and_no_other_phone(
    database_url: str, tmp_path: Path
) -> None:
    """SMS sign-in counts failures per phone and address, as password sign-in does per
    account: guessing one phone's code never locks a neighbour behind the same address out."""
    settings = quick_settings(
        database_url, sms_code_resend_seconds=0, rate_limits={"sign_in": "3/60"}
    )
    with TestClient(build_app(settings, tmp_path)) as client:
        target, neighbour = "13901010011", "13901010012"
        client.post("/v1/auth/sms-codes", json={"phone": target})
        guesses = [
            client.post("/v1/auth/sms-sign-in", json={"phone": target, "code": "000000"})
            for _ in range(4)
        ]
        assert [r.status_code for r in guesses][-1] == 429, guesses[-1].text
        assert all(r.status_code in (401, 429) for r in guesses)
        assert _signed_in(client, neighbour)["Authorization"].startswith("Bearer ")
