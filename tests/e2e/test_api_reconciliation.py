"""The daily payment reconciliation through the staff API, on SQLite and PostgreSQL: staff read
a date's report with its breaks and resolve one with a reason, once; borrowers cannot; an
unreconciled date is 404; a reason too short is refused naming it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.e2e.api_harness import TestClient, World, context_of, make_staff
from thinfile.security.roles import Role
from thinfile.services.reconciliation import reconcile_payments

HEADER = "gateway_txn_id,request_id,kind,status,amount_fen,failure,original_txn_id,completed_at"


def _file(day: date) -> bytes:
    noon = datetime(day.year, day.month, day.day, 4, tzinfo=UTC).isoformat()
    rows = [f"gw_{n},nobody_{n},debit,succeeded,{n * 100 + 5},,,{noon}" for n in (1, 2)]
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def test_staff_read_a_dates_breaks_and_resolve_one_with_a_reason(
    api: TestClient, world: World
) -> None:
    day = (datetime.now(UTC) + timedelta(hours=8)).date()
    reconcile_payments(context_of(api).engine, day, _file(day), actor="system")
    agent = make_staff(api, Role.SERVICING_AGENT)

    days = api.get("/v1/staff/reconciliations", headers=agent.headers)
    assert days.status_code == 200 and days.json() == {"days": [day.isoformat()]}, days.text
    report = api.get(f"/v1/staff/reconciliations/{day}", headers=agent.headers)
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["counts"] == {"unknown": 2} and body["open_breaks"] == 2
    first = body["items"][0]
    assert (first["outcome"], first["is_break"], first["file_amount"]) == ("unknown", True, "1.05")

    path = f"/v1/staff/reconciliations/{day}/breaks/1/resolution"
    short = api.post(path, headers=agent.headers, json={"reason": "ok"})
    assert short.status_code == 422 and short.json()["details"]["field"] == "reason", short.text
    done = api.post(path, headers=agent.headers, json={"reason": "a test debit of the provider"})
    assert done.status_code == 200, done.text
    assert done.json()["open_breaks"] == 1
    item = done.json()["items"][0]
    assert item["resolution"] == "a test debit of the provider"
    assert item["resolved_by"] and item["resolved_at"]
    again = api.post(path, headers=agent.headers, json={"reason": "a test debit of the provider"})
    assert again.status_code == 409, again.text

    none = api.get(f"/v1/staff/reconciliations/{day - timedelta(days=3)}", headers=agent.headers)
    assert none.status_code == 404, none.text
    for party in (world.alice, world.underwriter):
        refused = api.get(f"/v1/staff/reconciliations/{day}", headers=party.headers)
        assert refused.status_code == 403, refused.text
