"""Money over HTTP, on SQLite and PostgreSQL: an amount is plain digits 0-9 with at most two
decimals, or it is refused with a 422 naming the field and what to write; an application's
amount and monthly figures must lie in their documented ranges before anything is decided."""

from __future__ import annotations

import itertools

import pytest

from tests.e2e.api_harness import TestClient, accept, apply, make_borrower
from thinfile.api.models_applications import YUAN_HINT

LINE_OFFER = 2  # consumption offers: pos installment, consumer installment, revolving line
HOSTILE = [
    "1e12",
    "1E3",
    "5e-1",
    "NaN",
    "Infinity",
    "-inf",
    "１２３",
    "+5",
    "1_000",
    "0x10",
    "12.345",
    "1,000",
]
_keys = itertools.count(1)


def _post(client: TestClient, url: str, headers: dict[str, str], body: dict[str, object]):
    return client.post(
        url, headers={**headers, "Idempotency-Key": f"amount-{next(_keys):08d}"}, json=body
    )


def _refused_field(reply) -> tuple[str, str]:
    assert reply.status_code == 422, reply.text
    body = reply.json()
    assert body["code"] == "invalid_input" and body["message"]
    [problem] = body["details"]["problems"]
    return problem["field"], problem["message"]


def test_a_payment_written_with_an_exponent_or_foreign_digits_is_refused_and_not_posted(api, world):
    alice = world.alice
    loan_id = accept(api, alice, apply(api, alice).json()["id"], 0).json()["loan_id"]
    for text in HOSTILE:
        for route in ("payments", "prepayments"):
            reply = _post(api, f"/v1/loans/{loan_id}/{route}", alice.headers, {"amount": text})
            assert _refused_field(reply) == ("amount", YUAN_HINT), text
    loan = api.get(f"/v1/loans/{loan_id}", headers=alice.headers).json()
    assert [t["kind"] for t in loan["transactions"]] == ["disbursement"]
    assert "1e12" in YUAN_HINT and "digits 0-9" in YUAN_HINT


def test_a_draw_written_with_foreign_digits_or_above_what_is_available_is_refused(api, world):
    alice = world.alice
    line_id = accept(api, alice, apply(api, alice).json()["id"], LINE_OFFER).json()[
        "credit_line_id"
    ]
    url, line_url = f"/v1/credit-lines/{line_id}/draws", f"/v1/credit-lines/{line_id}"
    before = api.get(line_url, headers=alice.headers).json()
    for text in ("１２３", "1e3", "NaN"):
        reply = _post(api, url, alice.headers, {"amount": text, "term_months": 3})
        assert _refused_field(reply) == ("amount", YUAN_HINT)
    too_much = _post(api, url, alice.headers, {"amount": "999999999", "term_months": 3})
    assert too_much.status_code == 409, too_much.text
    assert too_much.json()["details"]["field"] == "amount"
    nothing = _post(api, url, alice.headers, {"amount": "0", "term_months": 3})
    assert nothing.status_code == 422 and nothing.json()["details"]["field"] == "amount"
    assert api.get(line_url, headers=alice.headers).json() == before
    assert len(api.get("/v1/me/loans", headers=alice.headers).json()) == 1


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("requested_amount", "0", "must be from 0.01 to 1,000,000 yuan"),
        ("requested_amount", "0.00", "must be from 0.01 to 1,000,000 yuan"),
        ("requested_amount", "1000000.01", "must be from 0.01 to 1,000,000 yuan"),
        ("requested_amount", "999999999", "must be from 0.01 to 1,000,000 yuan"),
        ("requested_amount", "1e12", YUAN_HINT),
        ("requested_amount", "１２３", YUAN_HINT),
        ("income_monthly_mean", "1e12", YUAN_HINT),
        ("income_monthly_mean", "10000000.01", "must be from 0 to 10,000,000 yuan"),
        ("existing_debt_payment_monthly", "999999999.99", "must be from 0 to 10,000,000 yuan"),
    ],
)
def test_an_application_outside_its_money_ranges_is_refused_and_not_decided(
    api, field, value, expected
):
    carol = make_borrower(api)
    reply = apply(api, carol, **{field: value})
    assert _refused_field(reply) == (field, expected)
    assert api.get("/v1/me/applications", headers=carol.headers).json() == []
