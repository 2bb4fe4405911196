"""Request bodies read as typed, on SQLite and PostgreSQL: a number is not a date, a boolean
not a count, a string not a whole number — each refused with a 422 naming its field and
nothing written, where a loose reading decided (and declined) an application on a date the
borrower never gave."""

from __future__ import annotations

import itertools
import json

import httpx
import pytest
import sqlalchemy as sa

from tests.e2e.api_harness import FORM, Party, TestClient, apply, context_of, make_borrower


def _applications(api: TestClient) -> int:
    with context_of(api).engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT COUNT(*) FROM applications")).scalar_one())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("birth_date", 0),
        ("birth_date", "0"),
        ("birth_date", "1995-03-07T00:00:00+08:00"),
        ("birth_date", "1995/03/07"),
        ("months_in_city", True),
        ("months_in_city", 24.0),
        ("requested_term_months", "12"),
        ("income_monthly_cv", True),
        ("income_verified", 1.0),
        ("is_local_hukou", 0),
    ],
)
def test_a_loosely_typed_application_field_is_refused_and_nothing_is_decided(
    api: TestClient, field: str, value: object
) -> None:
    borrower = make_borrower(api)
    before = _applications(api)
    reply = apply(api, borrower, **{field: value})
    assert reply.status_code == 422, reply.text
    assert [p["field"] for p in reply.json()["details"]["problems"]] == [field]
    assert _applications(api) == before
    assert apply(api, borrower).status_code == 201  # the same form, typed, is decided


@pytest.mark.parametrize("value", ["1", 1, "true"])
def test_a_message_choice_takes_a_json_boolean_only(api: TestClient, value: object) -> None:
    borrower = make_borrower(api)
    choice = {"language": "zh", "time_zone": "Asia/Shanghai", "in_app_only": value}
    reply = api.put("/v1/me/notification-preferences", headers=borrower.headers, json=choice)
    assert reply.status_code == 422, reply.text
    assert [p["field"] for p in reply.json()["details"]["problems"]] == ["in_app_only"]
    empty = {**choice, "in_app_only": False, "time_zone": ""}
    reply = api.put("/v1/me/notification-preferences", headers=borrower.headers, json=empty)
    assert reply.status_code == 422 and "time_zone" in reply.text


_keys = itertools.count(1)


def _raw(api: TestClient, borrower: Party, body: bytes) -> httpx.Response:
    reply: httpx.Response = api.post(
        f"/v1/applicants/{borrower.applicant_id}/applications",
        headers={
            **borrower.headers,
            "Idempotency-Key": f"raw-body-{next(_keys)}",
            "Content-Type": "application/json",
        },
        content=body,
    )
    return reply


def test_a_key_given_twice_is_refused_not_read_as_its_last_value(api: TestClient) -> None:
    """``{"requested_amount": "1000.00", "requested_amount": "50000.00"}``: the standard parser
    keeps the last; the API refuses the body naming the key, and nothing is decided."""
    borrower = make_borrower(api)
    form = {**FORM, "birth_date": f"1995-03-{borrower.id_number[12:14]}"}
    text = json.dumps(form)[:-1] + ', "requested_amount": "50000.00"}'
    before = _applications(api)
    reply = _raw(api, borrower, text.encode())
    assert reply.status_code == 422, reply.text
    body = reply.json()
    assert body["code"] == "invalid_input" and body["details"]["field"] == "requested_amount"
    assert _applications(api) == before
    assert _raw(api, borrower, json.dumps(form).encode()).status_code == 201


@pytest.mark.parametrize("text", ['{"months_in_city": 24,}', '{"x": ' + "9" * 5000 + "}"])
def test_a_body_that_is_not_json_is_refused_naming_the_body(api: TestClient, text: str) -> None:
    borrower = make_borrower(api)
    reply = _raw(api, borrower, text.encode())
    assert reply.status_code == 422, reply.text
    assert reply.json()["details"]["field"] == "body"


@pytest.mark.parametrize("kind", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_body_not_sent_as_json_is_refused_with_415_naming_content_type(
    api: TestClient, kind: str | None
) -> None:
    """A JSON body sent without ``Content-Type: application/json`` is not read as no object
    (past the repeated-key check): 415 naming ``Content-Type`` and saying what to send."""
    borrower = make_borrower(api)
    form = {**FORM, "birth_date": f"1995-03-{borrower.id_number[12:14]}"}
    text = json.dumps(form)[:-1] + ', "requested_amount": "50000.00"}'
    headers = {**borrower.headers, "Idempotency-Key": f"raw-body-{next(_keys)}"}
    reply = api.post(
        f"/v1/applicants/{borrower.applicant_id}/applications",
        headers=headers if kind is None else {**headers, "Content-Type": kind},
        content=text.encode(),
    )
    assert reply.status_code == 415, reply.text
    body = reply.json()
    assert body["code"] == "unsupported_media_type"
    assert body["details"]["field"] == "Content-Type"
    assert "application/json" in body["details"]["remedy"]
    assert _applications(api) == 0


def test_an_unpaired_surrogate_escape_is_refused_naming_its_field(api: TestClient) -> None:
    """``"\\ud800"`` in JSON reads as half a character that cannot be stored or written back:
    a 422 naming the field, not a 500 from the idempotency fingerprint; a real pair (an
    emoji written as two escapes) is text."""
    borrower = make_borrower(api)
    form = {**FORM, "birth_date": f"1995-03-{borrower.id_number[12:14]}"}
    before = _applications(api)
    text = json.dumps({**form, "purpose": "PURPOSE"}).replace('"PURPOSE"', '"phone\\ud800"')
    assert "\\ud800" in text
    reply = _raw(api, borrower, text.encode())
    assert reply.status_code == 422, reply.text
    assert reply.json()["details"]["field"] == "purpose"
    assert _applications(api) == before


@pytest.mark.parametrize(("field", "value"), [("confirm", 1), ("confirm", "true"), ("offer", True)])
def test_accepting_an_offer_takes_a_json_true_and_a_whole_offer_number_only(
    api: TestClient, field: str, value: object
) -> None:
    """A borrower's consent books a loan: ``1`` or ``"true"`` is not ``true``, and ``true``
    is not offer 1; refused naming the field, and no loan is opened."""
    borrower = make_borrower(api)
    application = apply(api, borrower).json()
    body = {"offer": 0, "confirm": True, "seconds_read": 15.0, field: value}
    reply = api.post(
        f"/v1/applications/{application['id']}/acceptance",
        headers={**borrower.headers, "Idempotency-Key": f"loose-key-{next(_keys)}"},
        json=body,
    )
    assert reply.status_code == 422, reply.text
    assert [p["field"] for p in reply.json()["details"]["problems"]] == [field]
    with context_of(api).engine.connect() as conn:
        loans = conn.execute(sa.text("SELECT COUNT(*) FROM servicing_loans")).scalar_one()
    assert loans == 0
