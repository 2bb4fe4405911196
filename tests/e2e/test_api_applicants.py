"""Applicant profiles and consent over HTTP; personal data is never stored in plain text."""

from __future__ import annotations

import base64

import sqlalchemy as sa

from tests.e2e.api_harness import TestClient, context_of, make_borrower, quick_settings
from thinfile.app import create_app
from thinfile.security.crypto import pii_cipher
from thinfile.services.identity_keys import reencrypt_personal_data
from thinfile.settings import DEV_PII_KEY
from thinfile.store import make_engine


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
