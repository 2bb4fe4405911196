"""The staff collections API: worklist, case, contacts refused under the conduct rules,
promises, hardship plans by two people, agencies."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.e2e.api_harness import context_of, make_staff
from tests.integration.collections_helpers import delinquent_loan, delinquent_loans
from thinfile.api.routers import staff_collections
from thinfile.security.roles import Role
from thinfile.services import business_date

M1_DAY = date(2025, 1, 10)
NOON_SHANGHAI = datetime(2025, 1, 11, 4, 0, tzinfo=UTC)
MIDNIGHT_SHANGHAI = datetime(2025, 1, 11, 16, 30, tzinfo=UTC)
CALL = {
    "channel": "phone",
    "party": "borrower",
    "phone": "13812345678",
    "purpose": "collect",
    "script": "overdue-reminder",
    "reason": "M1 reminder call",
    "outcome": "unanswered",
}


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 1, 1, tzinfo=UTC))
    now = {"at": NOON_SHANGHAI}
    monkeypatch.setattr(staff_collections, "now_utc", lambda: now["at"])
    return now


def test_staff_work_a_case_through_the_api(api, clock):
    engine = context_of(api).engine
    loan_id = delinquent_loan(engine, M1_DAY)
    collector = make_staff(api, Role.COLLECTOR)
    agent = make_staff(api, Role.SERVICING_AGENT)
    agent_2 = make_staff(api, Role.SERVICING_AGENT)
    base = "/v1/staff/collections"

    listed = api.get(f"{base}/worklist", headers=collector.headers, params={"bucket": "M1"})
    assert listed.status_code == 200, listed.text
    [case] = listed.json()
    assert (case["loan_id"], case["strategy"]) == (loan_id, "self_service")
    case_url = f"{base}/cases/{case['case_id']}"

    party = {"party": "borrower", "phone": "13812345678", "name": "张伟"}
    assert (
        api.post(
            f"{base}/loans/{loan_id}/parties", headers=collector.headers, json=party
        ).status_code
        == 204
    )
    made = api.post(f"{case_url}/contacts", headers=collector.headers, json=CALL)
    assert made.status_code == 201, made.text
    assert made.json()["number_masked"] == "138****5678"

    clock["at"] = MIDNIGHT_SHANGHAI
    refused = api.post(f"{case_url}/contacts", headers=collector.headers, json=CALL)
    assert refused.status_code == 403
    assert refused.json()["code"] == "conduct_rule_broken"
    assert (
        refused.json()["details"]["value"] == "contact_window" or "contact_window" in refused.text
    )

    promise = api.post(
        f"{case_url}/promises",
        headers=collector.headers,
        json={"amount": "300.00", "due": "2025-01-14"},
    )
    assert promise.status_code == 201, promise.text

    plan = api.post(
        f"{base}/loans/{loan_id}/hardship-plans",
        headers=agent.headers,
        json={"kind": "settlement", "amount": "1000.00", "reason": "lost the job, settles"},
    )
    assert plan.status_code == 201, plan.text
    plan_id = plan.json()["plan_id"]
    same = api.post(f"{base}/hardship-plans/{plan_id}/approval", headers=agent.headers)
    assert same.status_code == 403
    by_collector = api.post(f"{base}/hardship-plans/{plan_id}/approval", headers=collector.headers)
    assert by_collector.status_code == 403

    seen = api.get(case_url, headers=collector.headers).json()
    assert [c["status"] for c in seen["contacts"]] == ["made", "refused"]
    assert seen["contacts"][1]["rule"] == "contact_window"
    assert [p["status"] for p in seen["promises"]] == ["pending"]
    assert [p["status"] for p in seen["plans"]] == ["proposed"]
    assert "13812345678" not in str(seen)

    approved = api.post(f"{base}/hardship-plans/{plan_id}/approval", headers=agent_2.headers)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    late = api.post(
        f"{base}/hardship-plans/{plan_id}/decline",
        headers=agent_2.headers,
        json={"reason": "changed my mind"},
    )
    assert late.status_code == 409, late.text  # an approved plan is posted: not declined


def test_borrowers_and_underwriters_are_kept_out(api, clock, world):
    for caller in (world.alice, world.underwriter):
        reply = api.get("/v1/staff/collections/worklist", headers=caller.headers)
        assert reply.status_code == 403


def test_an_agency_user_sees_only_the_cases_placed_with_the_agency(api, clock):
    engine = context_of(api).engine
    placed, kept = delinquent_loans(engine, M1_DAY, "3000", "4000")
    admin = make_staff(api, Role.ADMIN)
    agent = make_staff(api, Role.SERVICING_AGENT)
    agency_user = make_staff(api, Role.COLLECTOR)
    base = "/v1/staff/collections"
    assert (
        api.post(
            f"{base}/agencies", headers=admin.headers, json={"code": "acme", "name": "Acme"}
        ).status_code
        == 204
    )
    added = api.post(
        f"{base}/agencies/acme/users", headers=admin.headers, json={"user_id": agency_user.user_id}
    )
    assert added.status_code == 204, added.text
    cases = {
        c["loan_id"]: c["case_id"]
        for c in api.get(f"{base}/worklist", headers=agent.headers).json()
    }
    mine, foreign = cases[placed], cases[kept]
    given = api.put(f"{base}/cases/{mine}/agency", headers=agent.headers, json={"code": "acme"})
    assert given.status_code == 204, given.text

    listed = api.get(f"{base}/worklist", headers=agency_user.headers)
    assert [c["case_id"] for c in listed.json()] == [mine]
    assert api.get(f"{base}/cases/{mine}", headers=agency_user.headers).status_code == 200
    missing = api.get(f"{base}/cases/{foreign}", headers=agency_user.headers)
    assert missing.status_code == 404, missing.text
    nowhere = api.get(f"{base}/cases/{10**6}", headers=agency_user.headers)
    assert (missing.json()["code"], missing.json()["message"]) == (
        nowhere.json()["code"],
        nowhere.json()["message"],
    )  # a foreign case looks exactly like no case
    call = api.post(f"{base}/cases/{foreign}/contacts", headers=agency_user.headers, json=CALL)
    assert call.status_code == 404
    promise = {"amount": "100.00", "due": "2025-01-15"}
    assert (
        api.post(f"{base}/cases/{foreign}/promises", headers=agency_user.headers, json=promise)
    ).status_code == 404
    own = api.post(f"{base}/cases/{mine}/promises", headers=agency_user.headers, json=promise)
    assert own.status_code == 201, own.text
    # the agency's view is cut: no outstanding balance beyond what is overdue, no plans
    body = api.get(f"{base}/cases/{mine}", headers=agency_user.headers).json()
    assert body["plans"] == [] and body["outstanding"] == body["overdue"]
    # an in-house collector still sees both
    in_house = make_staff(api, Role.COLLECTOR)
    both = api.get(f"{base}/worklist", headers=in_house.headers).json()
    assert sorted(c["case_id"] for c in both) == sorted([mine, foreign])


def test_in_house_staff_keep_notes_on_a_case_and_an_agency_neither_writes_nor_reads_them(
    api, clock
):
    engine = context_of(api).engine
    placed, kept = delinquent_loans(engine, M1_DAY, "3000", "4000")
    admin = make_staff(api, Role.ADMIN)
    agent = make_staff(api, Role.SERVICING_AGENT)
    collector = make_staff(api, Role.COLLECTOR)
    agency_user = make_staff(api, Role.COLLECTOR)
    base = "/v1/staff/collections"
    api.post(f"{base}/agencies", headers=admin.headers, json={"code": "acme", "name": "Acme"})
    api.post(
        f"{base}/agencies/acme/users", headers=admin.headers, json={"user_id": agency_user.user_id}
    )
    cases = {
        c["loan_id"]: c["case_id"]
        for c in api.get(f"{base}/worklist", headers=agent.headers).json()
    }
    mine, ours = cases[placed], cases[kept]
    api.put(f"{base}/cases/{mine}/agency", headers=agent.headers, json={"code": "acme"})

    text = "  Shop closed for renovation until the 20th; call after 14:00  "
    made = api.post(f"{base}/cases/{ours}/notes", headers=collector.headers, json={"text": text})
    assert made.status_code == 201, made.text
    note = made.json()
    assert note["text"] == text.strip() and note["author"] == collector.user_id
    assert note["at"].endswith(("Z", "+00:00"))
    second = api.post(f"{base}/cases/{ours}/notes", headers=agent.headers, json={"text": "ok"})
    assert second.status_code == 201, second.text
    seen = api.get(f"{base}/cases/{ours}", headers=collector.headers).json()
    assert [n["text"] for n in seen["notes"]] == [text.strip(), "ok"]
    assert [n["note_id"] for n in seen["notes"]] == [note["note_id"], second.json()["note_id"]]

    for bad in ({"text": ""}, {"text": "   "}, {"text": "x" * 1001}, {"text": 5}, {}):
        refused = api.post(f"{base}/cases/{ours}/notes", headers=collector.headers, json=bad)
        assert refused.status_code == 422, (bad, refused.text)
    unknown = api.post(f"{base}/cases/{10**6}/notes", headers=collector.headers, json={"text": "a"})
    assert unknown.status_code == 404
    # an agency's collector: no notes on the agency's own case, none shown, others not found
    on_placed = api.post(
        f"{base}/cases/{mine}/notes", headers=agency_user.headers, json={"text": "a"}
    )
    assert on_placed.status_code == 404, on_placed.text
    foreign = api.post(
        f"{base}/cases/{ours}/notes", headers=agency_user.headers, json={"text": "a"}
    )
    assert foreign.status_code == 404
    api.post(f"{base}/cases/{mine}/notes", headers=collector.headers, json={"text": "in-house"})
    assert api.get(f"{base}/cases/{mine}", headers=agency_user.headers).json()["notes"] == []
    assert [
        n["text"] for n in api.get(f"{base}/cases/{mine}", headers=agent.headers).json()["notes"]
    ] == ["in-house"]


def test_a_case_refuses_a_borrower_as_assignee_an_absurd_promise_and_hidden_characters(api, clock):
    engine = context_of(api).engine
    loan_id = delinquent_loan(engine, M1_DAY)
    collector = make_staff(api, Role.COLLECTOR)
    base = "/v1/staff/collections"
    [case] = api.get(f"{base}/worklist", headers=collector.headers, params={"bucket": "M1"}).json()
    case_url = f"{base}/cases/{case['case_id']}"
    borrower = make_staff(api, Role.BORROWER)
    agent = make_staff(api, Role.SERVICING_AGENT)
    to_borrower = api.put(
        f"{case_url}/assignee", headers=agent.headers, json={"assignee": borrower.user_id}
    )
    assert to_borrower.status_code == 422 and to_borrower.json()["details"]["field"] == "assignee"
    assert api.get(case_url, headers=collector.headers).json().get("assignee") != borrower.user_id
    to_collector = api.put(
        f"{case_url}/assignee", headers=agent.headers, json={"assignee": collector.user_id}
    )
    assert to_collector.status_code == 204, to_collector.text
    absurd = api.post(
        f"{case_url}/promises",
        headers=collector.headers,
        json={"amount": "999999999.00", "due": "2025-01-14"},
    )
    assert absurd.status_code == 422 and absurd.json()["details"]["field"] == "amount"
    for field, url, body in (
        ("text", f"{case_url}/notes", {"text": "shop closed\u202e for good"}),
        ("text", f"{case_url}/notes", {"text": "a\u0000b"}),
        (
            "name",
            f"{base}/loans/{loan_id}/parties",
            {"party": "borrower", "phone": "13812345678", "name": "张\u200b伟"},
        ),
    ):
        refused = api.post(url, headers=collector.headers, json=body)
        assert refused.status_code == 422, refused.text
        assert [p["field"] for p in refused.json()["details"]["problems"]] == [field]
    seen = api.get(case_url, headers=collector.headers).json()
    assert seen["promises"] == [] and seen.get("notes", []) == []
