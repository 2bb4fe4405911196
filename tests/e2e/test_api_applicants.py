"""Applicant profiles and consent over HTTP; personal data is never stored in plain text."""

from __future__ import annotations

import base64
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from tests.e2e.api_harness import TestClient, context_of, make_borrower, quick_settings
from thinfile.app import create_app
from thinfile.security.crypto import pii_cipher
from thinfile.services.identity_keys import reencrypt_personal_data
from thinfile.settings import DEV_PII_KEY
from thinfile.store import make_engine
from thinfile.store.identity_tables import consents


def _everything_stored(url: str) -> str:
    """Every cell of every table, as one string."""
    engine = make_engine(url)
    chunks: list[str] = []
    with engine.connect() as connection:
        for table in sa.inspect(connection).get_table_names():
            rows = connection.execute(sa.text(f'SELECT * FROM "{table}"')).all()
            chunks.extend(repr(tuple(row)) for row in rows)
    engine.dispose()
    return "\n".join(chunks)


def test_the_raw_database_holds_no_plaintext_id_number_phone_or_name(api, api_settings):
    alice = make_borrower(api)
    stored = _everything_stored(api_settings.database_url)
    assert alice.applicant_id in stored  # the dump really covers the applicants table
    for secret in (alice.id_number, alice.phone, alice.name, alice.id_number[6:14]):
        assert secret not in stored


def test_a_borrower_sees_their_own_profile_in_full(api):
    alice = make_borrower(api)
    mine = api.get("/v1/me/applicant", headers=alice.headers).json()
    assert (mine["id_number"], mine["phone"], mine["masked"]) == (
        alice.id_number,
        alice.phone,
        False,
    )


def test_one_profile_per_id_number_and_per_account(api):
    alice, bob = make_borrower(api), make_borrower(api)
    again = api.post(
        "/v1/applicants",
        headers=bob.headers,
        json={"name": "冒名", "id_number": alice.id_number, "phone": "13700000000"},
    )
    twice = api.post(
        "/v1/applicants",
        headers=alice.headers,
        json={"name": "再次", "id_number": "11010519491231002X", "phone": "13700000000"},
    )
    assert again.status_code == 409 and twice.status_code == 409


def test_a_wrong_check_digit_is_refused_with_the_field_named(api):
    bob = make_borrower(api, with_profile=False)
    reply = api.post(
        "/v1/applicants",
        headers=bob.headers,
        json={"name": "王", "id_number": "110105194912310021", "phone": "13800000000"},
    )
    assert reply.status_code == 422
    assert reply.json()["details"]["field"] == "id_number"


def test_sensitive_data_needs_its_own_separate_consent(api):
    alice = make_borrower(api)
    url = f"/v1/applicants/{alice.applicant_id}/consents"
    ask = {"data_category": "bank_account", "purpose": "loan_servicing", "notice_version": "v2"}
    refused = api.post(url, headers=alice.headers, json=ask)
    granted = api.post(url, headers=alice.headers, json={**ask, "separate_consent": True})
    assert refused.status_code == 422 and refused.json()["details"]["field"] == "separate_consent"
    assert granted.status_code == 201
    assert granted.json()["sensitive"] is True and granted.json()["separate_consent"] is True


def test_revoking_consent_keeps_the_record_and_stamps_the_time(api):
    alice = make_borrower(api)
    url = f"/v1/applicants/{alice.applicant_id}/consents/{alice.consent_id}/revoke"
    first = api.post(url, headers=alice.headers).json()
    second = api.post(url, headers=alice.headers).json()
    listed = api.get(f"/v1/applicants/{alice.applicant_id}/consents", headers=alice.headers)
    assert first["active"] is False and first["revoked_at"] == second["revoked_at"]
    assert listed.json()[0]["id"] == alice.consent_id


def test_rotating_the_key_reencrypts_everything_and_old_data_stays_readable(api_settings):
    new_key = base64.b64encode(b"n" * 32).decode()
    with TestClient(create_app(api_settings)) as old_app:
        alice = make_borrower(old_app)
    rotated = quick_settings(
        api_settings.database_url,
        pii_keys={"dev": DEV_PII_KEY, "k2": new_key},
        pii_active_key_id="k2",
    )
    with TestClient(create_app(rotated)) as new_app:
        before = new_app.get("/v1/me/applicant", headers=alice.headers).json()
        context = context_of(new_app)
        assert reencrypt_personal_data(context.engine, pii_cipher(rotated)) == 1
        assert reencrypt_personal_data(context.engine, pii_cipher(rotated)) == 0
    only_new = quick_settings(
        api_settings.database_url, pii_keys={"k2": new_key}, pii_active_key_id="k2"
    )
    with TestClient(create_app(only_new)) as newest:
        after = newest.get("/v1/me/applicant", headers=alice.headers).json()
    assert before == after and after["id_number"] == alice.id_number
    stored = _everything_stored(api_settings.database_url)
    assert "dev:" not in stored and "k2:" in stored


def _active_consents(api: TestClient, applicant_id: str, category: str) -> int:
    engine = api.app.state.context.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(consents)
                .where(
                    consents.c.applicant_id == applicant_id,
                    consents.c.data_category == category,
                    consents.c.revoked_at.is_(None),
                )
            ).scalar_one()
        )


def test_ten_identical_concurrent_consents_store_one_active_record(api: TestClient) -> None:
    alice = make_borrower(api)
    url = f"/v1/applicants/{alice.applicant_id}/consents"
    ask = {"data_category": "employment", "purpose": "credit_assessment", "notice_version": "v1"}
    start = threading.Barrier(10)

    def grant(_: int) -> Any:
        start.wait()
        return api.post(url, headers=alice.headers, json=ask)

    with ThreadPoolExecutor(10) as pool:
        replies = list(pool.map(grant, range(10)))
    assert {r.status_code for r in replies} == {201}, [r.text for r in replies]
    assert len({r.json()["id"] for r in replies}) == 1
    assert _active_consents(api, alice.applicant_id, "employment") == 1


def test_the_database_refuses_a_second_active_consent_for_the_same_use(api: TestClient) -> None:
    alice = make_borrower(api)
    engine = api.app.state.context.engine  # type: ignore[attr-defined]
    row = {
        "id": "d" * 32,
        "applicant_id": alice.applicant_id,
        "data_category": "gig_platform_income",
        "purpose": "credit_assessment",
        "is_sensitive": False,
        "is_separate": False,
        "notice_version": "v1",
        "granted_at": datetime.now(UTC),
        "revoked_at": None,
    }
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(sa.insert(consents).values(row))
    with engine.begin() as conn:  # beside a revoked one it is fine
        conn.execute(sa.insert(consents).values({**row, "revoked_at": datetime.now(UTC)}))


def test_a_consent_on_a_newer_notice_supersedes_the_active_one(api: TestClient) -> None:
    alice = make_borrower(api)
    url = f"/v1/applicants/{alice.applicant_id}/consents"
    ask = {"data_category": "gig_platform_income", "purpose": "credit_assessment"}
    renewed = api.post(url, headers=alice.headers, json={**ask, "notice_version": "v2"})
    assert renewed.status_code == 201 and renewed.json()["id"] != alice.consent_id
    listed = {c["id"]: c["active"] for c in api.get(url, headers=alice.headers).json()}
    assert listed[alice.consent_id] is False and listed[renewed.json()["id"]] is True


@pytest.mark.parametrize("value", [0, 1, "yes", "true", None])
def test_separate_consent_must_be_a_json_boolean(api: TestClient, value: object) -> None:
    alice = make_borrower(api)
    reply = api.post(
        f"/v1/applicants/{alice.applicant_id}/consents",
        headers=alice.headers,
        json={
            "data_category": "bank_account",
            "purpose": "loan_servicing",
            "notice_version": "v2",
            "separate_consent": value,
        },
    )
    assert reply.status_code == 422, reply.text
    problems = reply.json()["details"]["problems"]
    assert [p["field"] for p in problems] == ["separate_consent"]
    assert "true or false" in problems[0]["message"]
