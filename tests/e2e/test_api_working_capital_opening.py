"""From an approved working-capital decision to an open line over HTTP, on SQLite and
PostgreSQL: the line has exactly the approved limit and rate; a changed limit or rate is
refused naming the field; a decision opens one line; another borrower's decision, a decline
and an unknown decision open nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from tests.e2e.api_harness import Party, TestClient, World, is_replay_of
from thinfile.services.sales_feed import local_today

_keys = iter(range(1, 10_000))


def _sales(api: TestClient, party: Party, days: int, gross: str) -> None:
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
    today = local_today()
    rows = [
        {
            "date": (today - timedelta(days=k)).isoformat(),
            "gross_sales": gross,
            "refunds": "8.00",
            "transactions": 30,
            "channel": "qr",
        }
        for k in range(days, 0, -1)
    ]
    sent = api.post(
        f"/v1/applicants/{party.applicant_id}/sales", headers=party.headers, json={"rows": rows}
    )
    assert sent.status_code == 201, sent.text


def _decide(api: TestClient, party: Party) -> dict[str, Any]:
    reply = api.post(
        f"/v1/applicants/{party.applicant_id}/working-capital-decisions", headers=party.headers
    )
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def _open(api: TestClient, party: Party, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {**party.headers, "Idempotency-Key": key or f"wc-open-{next(_keys):05d}"}
    return api.post("/v1/me/working-capital-lines", headers=headers, json=body)


def test_an_approved_decision_opens_a_line_with_exactly_its_terms(
    api: TestClient, world: World
) -> None:
    alice = world.alice
    _sales(api, alice, 200, "800.00")
    decision = _decide(api, alice)
    assert decision["outcome"] == "approve"
    body = {
        "decision_id": decision["id"],
        "limit": decision["limit"],
        "daily_rate": decision["daily_rate"],
        "mode": "sales",
    }
    opened = _open(api, alice, body, "wc-open-first")
    assert opened.status_code == 201, opened.text
    line = opened.json()
    assert (line["limit"], line["mode"], line["drawn"]) == (decision["limit"], "sales", "0.00")
    assert Decimal(line["daily_rate"]) == Decimal(decision["daily_rate"])
    assert Decimal(line["sales_share"]) == Decimal("0.1")
    assert is_replay_of(_open(api, alice, body, "wc-open-first"), opened)
    mine = api.get("/v1/me/working-capital-lines", headers=alice.headers).json()
    assert [m["line_id"] for m in mine] == [line["line_id"]]
    again = _open(api, alice, body)
    assert again.status_code == 409 and again.json()["details"]["field"] == "decision_id"
    assert str(line["line_id"]) in again.json()["message"]
    drawn = api.post(
        f"/v1/me/working-capital-lines/{line['line_id']}/draws",
        headers={**alice.headers, "Idempotency-Key": "wc-open-draw"},
        json={"amount": "1000.00", "term_days": 90},
    )
    assert drawn.status_code == 201, drawn.text
    statements = f"/v1/me/working-capital-lines/{line['line_id']}/statements"
    unclosed = api.get(f"{statements}/2000-01", headers=alice.headers)
    assert unclosed.status_code == 422 and unclosed.json()["details"]["field"] == "month"
    assert api.get(f"{statements}/2028-13", headers=alice.headers).status_code == 422
    assert api.get(f"{statements}/2000-01", headers=world.bob.headers).status_code == 404


def test_tampered_terms_are_refused_naming_the_field_and_open_nothing(
    api: TestClient, world: World
) -> None:
    alice, bob = world.alice, world.bob
    _sales(api, alice, 200, "800.00")
    decision = _decide(api, alice)
    approved = {
        "decision_id": decision["id"],
        "limit": decision["limit"],
        "daily_rate": decision["daily_rate"],
    }
    higher = f"{Decimal(decision['limit']) + Decimal('0.01'):.2f}"
    cheaper = str(Decimal(decision["daily_rate"]) - Decimal("0.00001"))
    for changed, field in (({"limit": higher}, "limit"), ({"daily_rate": cheaper}, "daily_rate")):
        reply = _open(api, alice, {**approved, **changed})
        assert reply.status_code == 409, reply.text
        assert reply.json()["code"] == "terms_mismatch"
        assert reply.json()["details"]["field"] == field
    other = _open(api, bob, approved)
    assert other.status_code == 404 and other.json()["details"]["field"] == "decision_id"
    unknown = _open(api, alice, {**approved, "decision_id": 999_999})
    assert unknown.status_code == 404
    assert api.get("/v1/me/working-capital-lines", headers=alice.headers).json() == []
    bad = _open(api, alice, {**approved, "daily_rate": "0.1%"})
    assert bad.status_code == 422


def test_a_declined_decision_opens_no_line(api: TestClient, world: World) -> None:
    alice = world.alice
    _sales(api, alice, 30, "800.00")  # too short a history
    decision = _decide(api, alice)
    assert decision["outcome"] != "approve"
    reply = _open(
        api, alice, {"decision_id": decision["id"], "limit": "1000.00", "daily_rate": "0.0002"}
    )
    assert reply.status_code == 409 and reply.json()["details"]["field"] == "decision_id"
    assert api.get("/v1/me/working-capital-lines", headers=alice.headers).json() == []
    # another borrower naming it learns nothing of it: as for a decision that does not exist
    body = {"decision_id": decision["id"], "limit": "1000.00", "daily_rate": "0.0002"}
    unknown = _open(api, world.bob, {**body, "decision_id": 999_999})
    probe = _open(api, world.bob, body)
    assert probe.status_code == unknown.status_code == 404
    assert probe.json()["message"] == unknown.json()["message"]
