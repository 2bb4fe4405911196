"""The sales-feed and working-capital routes: the shop owner uploads daily sales (all rows or
none), asks for a decision and reads it with its reasons in both languages; staff read the
sales, the features and the decisions; another borrower sees none of it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from thinfile.services.sales_feed import local_today


def _consent(api, party) -> None:
    given = api.post(
        f"/v1/applicants/{party.applicant_id}/consents",
        headers=party.headers,
        json={
            "data_category": "merchant_sales",
            "purpose": "credit_assessment",
            "notice_version": "v1",
        },
    )
    assert given.status_code == 201, given.text


def _rows(days: int, gross: str = "800.00") -> list[dict[str, object]]:
    today = local_today()
    return [
        {
            "date": (today - timedelta(days=k)).isoformat(),
            "gross_sales": gross,
            "refunds": "8.00",
            "transactions": 30,
            "channel": "qr",
        }
        for k in range(days, 0, -1)
    ]


def test_a_shop_owner_uploads_sales_and_gets_a_working_capital_decision(api, world):
    alice, bob, underwriter = world.alice, world.bob, world.underwriter
    path = f"/v1/applicants/{alice.applicant_id}"
    refused = api.post(f"{path}/sales", headers=alice.headers, json={"rows": _rows(3)})
    assert refused.status_code == 403 and refused.json()["code"] == "consent_required"
    _consent(api, alice)
    sent = api.post(f"{path}/sales", headers=alice.headers, json={"rows": _rows(200)})
    assert sent.status_code == 201, sent.text
    assert (sent.json()["added"], sent.json()["unchanged"]) == (200, 0)
    again = api.post(f"{path}/sales", headers=alice.headers, json={"rows": _rows(200)})
    assert (again.json()["added"], again.json()["unchanged"], again.json()["batch_id"]) == (
        0,
        200,
        None,
    )
    decided = api.post(f"{path}/working-capital-decisions", headers=alice.headers)
    assert decided.status_code == 201, decided.text
    body = decided.json()
    assert (body["outcome"], body["grade"]) == ("approve", "A")
    assert body["monthly_turnover"] == "23760.00"  # 792 yuan a day × 30
    assert body["limit"] == "23500.00"
    assert Decimal(body["annual_rate"]) == Decimal(body["daily_rate"]) * 365 <= Decimal("0.24")
    assert all(r["text"] and r["text_zh"] for r in body["reasons"])
    listed = api.get(f"{path}/working-capital-decisions", headers=underwriter.headers)
    assert [d["id"] for d in listed.json()] == [body["id"]]
    features = api.get(f"{path}/sales-features", headers=underwriter.headers).json()
    assert (features["history_days"], features["zero_sales_days"]) == (200, 0)
    days = api.get(f"{path}/sales", headers=underwriter.headers).json()
    assert len(days) == 180 and days[-1]["gross_sales"] == "800.00"
    for method, route in (
        ("POST", f"{path}/sales"),
        ("GET", f"{path}/sales"),
        ("GET", f"{path}/sales-features"),
        ("POST", f"{path}/working-capital-decisions"),
        ("GET", f"{path}/working-capital-decisions"),
    ):
        reply = api.request(method, route, headers=bob.headers, json={"rows": _rows(1)})
        assert reply.status_code == 404, (method, route)


def test_a_bad_upload_names_each_row_and_field_and_stores_nothing(api, world):
    alice = world.alice
    path = f"/v1/applicants/{alice.applicant_id}"
    _consent(api, alice)
    rows = _rows(3)
    rows[1] = {**rows[1], "gross_sales": "-10"}
    rows[2] = {**rows[2], "channel": "bank"}
    reply = api.post(f"{path}/sales", headers=alice.headers, json={"rows": rows})
    assert reply.status_code == 422
    body = reply.json()
    assert body["code"] == "invalid_sales_feed"
    found = [(p["row"], p["field"]) for p in body["details"]["problems"]]
    assert found == [(2, "gross_sales"), (3, "channel")]
    assert all(p["remedy"] for p in body["details"]["problems"])
    assert api.get(f"{path}/sales", headers=alice.headers).json() == []


def test_a_changed_day_is_a_conflict(api, world):
    alice = world.alice
    path = f"/v1/applicants/{alice.applicant_id}"
    _consent(api, alice)
    api.post(f"{path}/sales", headers=alice.headers, json={"rows": _rows(5)})
    changed = _rows(6, gross="900.00")
    reply = api.post(f"{path}/sales", headers=alice.headers, json={"rows": changed})
    assert reply.status_code == 409
    assert reply.json()["code"] == "sales_day_conflict"
    assert len(reply.json()["details"]["problems"]) == 5
    assert len(api.get(f"{path}/sales", headers=alice.headers).json()) == 5
