"""Typed identifiers over HTTP, on SQLite and PostgreSQL: a number typed in full-width digits is
the same person (same profile, same deny-list entry); digits of other scripts, unassigned
mobile segments, invisible characters in names and impossible or underage birth dates are
refused where they are entered, with the field named."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.e2e.api_harness import (
    Party,
    TestClient,
    apply,
    id_number,
    make_borrower,
    make_staff,
)
from thinfile.http import AppContext
from thinfile.resident_id import id_check_character
from thinfile.security.roles import Role
from thinfile.services import application_reviews
from thinfile.services.identity_records import Actor

WIDE = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _deny(api: TestClient, admin: Party, *, kind: str, value: str) -> None:
    context: AppContext = api.app.state.context  # type: ignore[attr-defined]
    application_reviews.add_to_deny_list(
        context.engine,
        context.cipher,
        kind=kind,
        value=value,
        reason="fraud",
        actor=Actor(admin.user_id, Role.ADMIN),
    )


def _profile(api: TestClient, party: Party, **fields: str) -> Any:
    body = {"name": "王小明", "id_number": id_number(900), "phone": "13912345678", **fields}
    return api.post("/v1/applicants", headers=party.headers, json=body)


def _codes(application: dict[str, Any]) -> list[str]:
    return [str(reason["code"]) for reason in application["reasons"]]


def _ready_to_apply(api: TestClient, party: Party, applicant_id: str) -> Party:
    """Consents to the data an application reads, and the (sandbox) real-name check."""
    for category in ("gig_platform_income", "credit_report"):
        reply = api.post(
            f"/v1/applicants/{applicant_id}/consents",
            headers=party.headers,
            json={
                "data_category": category,
                "purpose": "credit_assessment",
                "notice_version": "v1",
            },
        )
        assert reply.status_code == 201, reply.text
    verified = api.post(f"/v1/applicants/{applicant_id}/real-name", headers=party.headers)
    assert verified.status_code in (200, 201), verified.text
    return Party(party.user_id, party.email, party.headers, applicant_id)


def test_a_deny_listed_person_re_registering_in_full_width_digits_is_still_refused(
    api: TestClient,
) -> None:
    admin = make_staff(api, Role.ADMIN)
    listed = id_number(901)
    _deny(api, admin, kind="id_number", value=listed)
    mallory = make_borrower(api, with_profile=False)
    profile = _profile(api, mallory, id_number=listed.translate(WIDE), phone="13912340901")
    assert profile.status_code == 201, profile.text
    assert api.get("/v1/me/applicant", headers=mallory.headers).json()["id_number"] == listed
    mallory = replace(_ready_to_apply(api, mallory, profile.json()["id"]), id_number=listed)
    decided = apply(api, mallory)
    assert decided.status_code == 201, decided.text
    assert decided.json()["status"] == "declined" and decided.json()["offers"] == []
    assert "KO_DENY_LIST" in _codes(decided.json())


def test_a_deny_listed_phone_typed_in_full_width_digits_is_the_same_phone(
    api: TestClient,
) -> None:
    admin = make_staff(api, Role.ADMIN)
    _deny(api, admin, kind="phone", value="１３９ １２３４ ０９０２")
    mallory = make_borrower(api, with_profile=False)
    profile = _profile(api, mallory, id_number=id_number(902), phone="1３９12340902")
    assert profile.status_code == 201, profile.text
    mallory = replace(_ready_to_apply(api, mallory, profile.json()["id"]), id_number=id_number(902))
    decided = apply(api, mallory)
    assert decided.json()["status"] == "declined"
    assert "KO_DENY_LIST" in _codes(decided.json())


def test_a_full_width_spelling_of_a_registered_id_number_is_the_same_person(
    api: TestClient,
) -> None:
    alice = make_borrower(api)
    mallory = make_borrower(api, with_profile=False)
    again = _profile(api, mallory, id_number=alice.id_number.translate(WIDE))
    assert again.status_code == 409, again.text


def test_a_profile_phone_that_is_another_accounts_is_refused(api: TestClient) -> None:
    """The profile's phone gets the borrower's reminders and counts as their own number in
    collections: it cannot be the number another account signs in with by SMS, nor another
    profile's phone, however it is spelled."""
    signs_in = "13901017101"
    assert api.post("/v1/auth/sms-codes", json={"phone": signs_in}).status_code == 202
    sms = api.app.state.context.sms  # type: ignore[attr-defined]
    code = sms.inbox(signs_in, limit=1)[0].params["code"]
    phone_user = api.post("/v1/auth/sms-sign-in", json={"phone": signs_in, "code": code})
    assert phone_user.status_code == 200, phone_user.text
    stranger, other = make_borrower(api, with_profile=False), make_borrower(api)
    refused = [
        _profile(api, stranger, id_number=id_number(901), phone="+86 139-0101-7101"),
        _profile(api, stranger, id_number=id_number(902), phone=other.phone.translate(WIDE)),
    ]
    for reply in refused:
        assert reply.status_code == 409, reply.text
        assert reply.json()["details"]["field"] == "phone"
        assert reply.json()["details"]["remedy"]
    mine = _profile(api, stranger, id_number=id_number(903), phone="13901017102")
    assert mine.status_code == 201, mine.text
    owner = {"Authorization": f"Bearer {phone_user.json()['access_token']}"}
    own = api.post(
        "/v1/applicants",
        headers=owner,
        json={"name": "王小明", "id_number": id_number(904), "phone": signs_in},
    )
    assert own.status_code == 201, own.text


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"id_number": id_number(903).translate(ARABIC_INDIC)}, "id_number", "non_ascii_text"),
        ({"phone": "13912345678".translate(ARABIC_INDIC)}, "phone", "non_ascii_text"),
        ({"phone": "10000000000"}, "phone", "invalid_mobile"),
        ({"phone": "11111111111"}, "phone", "invalid_mobile"),
        ({"phone": "12345678901"}, "phone", "invalid_mobile"),
        ({"name": "\u200b"}, "name", "invalid_name"),
        ({"name": "王\x00小明"}, "name", "invalid_name"),
        ({"name": "王\x07小明"}, "name", "invalid_name"),
        ({"name": "\u202e明小王"}, "name", "invalid_name"),
    ],
)
def test_bad_identifiers_are_refused_with_the_field_named(
    api: TestClient, fields: dict[str, str], field: str, code: str
) -> None:
    bob = make_borrower(api, with_profile=False)
    reply = _profile(api, bob, **fields)
    assert reply.status_code == 422, reply.text
    assert reply.json()["code"] == code
    assert reply.json()["details"]["field"] == field and reply.json()["details"]["remedy"]
    assert api.get("/v1/me/applicant", headers=bob.headers).status_code == 404


def test_an_id_number_of_an_eleven_year_old_is_refused_at_the_profile(api: TestClient) -> None:
    first17 = "440106201506011230"[:17]
    child = first17 + id_check_character(first17)
    bob = make_borrower(api, with_profile=False)
    reply = _profile(api, bob, id_number=child)
    assert reply.status_code == 422, reply.text
    assert reply.json()["code"] == "under_minimum_age"
    assert reply.json()["details"]["field"] == "id_number"


def test_a_minority_name_with_the_middle_dot_is_kept(api: TestClient) -> None:
    bob = make_borrower(api, with_profile=False)
    reply = _profile(api, bob, name="买买提・艾力", id_number=id_number(904))
    assert reply.status_code == 201, reply.text
    assert api.get("/v1/me/applicant", headers=bob.headers).json()["name"] == "买买提·艾力"


@pytest.mark.parametrize("birth_date", ["0001-01-01", "1899-12-31", "9999-12-31", "2099-01-01"])
def test_impossible_birth_dates_are_refused_where_they_are_entered(
    api: TestClient, birth_date: str
) -> None:
    alice = make_borrower(api)
    reply = apply(api, alice, birth_date=birth_date)
    assert reply.status_code == 422, reply.text
    assert reply.json()["code"] == "invalid_birth_date"
    assert reply.json()["details"]["field"] == "birth_date"
    assert api.get("/v1/me/applications", headers=alice.headers).json() == []


@pytest.mark.parametrize("amount", ["１００", "١٠٠", "1００"])
def test_money_in_other_digits_is_refused_in_the_api(api: TestClient, amount: str) -> None:
    alice = make_borrower(api)
    reply = apply(api, alice, requested_amount=amount)
    assert reply.status_code == 422, reply.text
    problems = reply.json()["details"]["problems"]
    assert [p["field"] for p in problems] == ["requested_amount"]
