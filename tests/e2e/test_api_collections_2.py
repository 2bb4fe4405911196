"""The staff collections API (DOMAIN §5.6): the white list of outsourced agencies is read by
staff, an agency's collector reads the measures of its own cases only, and a third party's
request to stop is recorded and honoured."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.e2e.api_harness import context_of, make_staff
from tests.integration.collections_helpers import delinquent_loans
from thinfile.api.routers import staff_collections
from thinfile.security.roles import Role
from thinfile.services import business_date

M1_DAY = date(2025, 1, 10)
NOON_SHANGHAI = datetime(2025, 1, 11, 4, 0, tzinfo=UTC)
BASE = "/v1/staff/collections"


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 1, 1, tzinfo=UTC))
    now = {"at": NOON_SHANGHAI}
    monkeypatch.setattr(staff_collections, "now_utc", lambda: now["at"])
    return now


def test_staff_read_the_agency_white_list_and_an_agency_measures_its_own_cases(api, clock, world):
    engine = context_of(api).engine
    placed, kept = delinquent_loans(engine, M1_DAY, "3000", "4000")
    admin = make_staff(api, Role.ADMIN)
    agent = make_staff(api, Role.SERVICING_AGENT)
    agency_user = make_staff(api, Role.COLLECTOR)
    for code, name in (("acme", "Acme 催收"), ("beta", "Beta")):
        added = api.post(
            f"{BASE}/agencies", headers=admin.headers, json={"code": code, "name": name}
        )
        assert added.status_code == 204, added.text
    listed = api.get(f"{BASE}/agencies", headers=agent.headers)
    assert listed.status_code == 200, listed.text
    assert listed.json() == [
        {"code": "acme", "name": "Acme 催收", "active": True},
        {"code": "beta", "name": "Beta", "active": True},
    ]
    assert api.get(f"{BASE}/agencies", headers=world.alice.headers).status_code == 403

    api.post(f"{BASE}/agencies/acme/users", headers=admin.headers,
             json={"user_id": agency_user.user_id})  # fmt: skip
    cases = {
        c["loan_id"]: c["case_id"]
        for c in api.get(f"{BASE}/worklist", headers=agent.headers).json()
    }
    given = api.put(f"{BASE}/cases/{cases[placed]}/agency", headers=agent.headers,
                    json={"code": "acme"})  # fmt: skip
    assert given.status_code == 204, given.text
    assert kept in cases

    theirs = api.get(f"{BASE}/measures", headers=agency_user.headers)
    assert theirs.status_code == 200, theirs.text
    assert [(m["strategy"], m["bucket"], m["cases"]) for m in theirs.json()] == [
        ("agency", "M1", 1)
    ]
    ours = api.get(f"{BASE}/measures", headers=agent.headers).json()
    assert sum(m["cases"] for m in ours) == 2


def test_a_third_partys_request_to_stop_is_recorded_and_honoured(api, clock):
    engine = context_of(api).engine
    [loan_id] = delinquent_loans(engine, M1_DAY, "3000")
    collector = make_staff(api, Role.COLLECTOR)
    for party, phone in (("borrower", "13812345678"), ("emergency_contact", "13987654321")):
        registered = api.post(f"{BASE}/loans/{loan_id}/parties", headers=collector.headers,
                              json={"party": party, "phone": phone, "name": "李娜"})  # fmt: skip
        assert registered.status_code == 204, registered.text
    [case] = api.get(f"{BASE}/worklist", headers=collector.headers).json()
    url = f"{BASE}/cases/{case['case_id']}/contacts"
    unanswered = {
        "channel": "phone", "party": "borrower", "phone": "13812345678", "purpose": "collect",
        "script": "overdue-reminder", "reason": "M1 reminder call", "outcome": "unanswered",
    }  # fmt: skip
    for _ in range(3):
        assert api.post(url, headers=collector.headers, json=unanswered).status_code == 201
    locate = unanswered | {
        "party": "emergency_contact", "phone": "13987654321", "purpose": "locate",
        "script": "locate-borrower", "reason": "borrower unreachable", "outcome": "asked_to_stop",
    }  # fmt: skip
    stop = api.post(url, headers=collector.headers, json=locate)
    assert stop.status_code == 201, stop.text
    assert stop.json()["outcome"] == "asked_to_stop"
    again = api.post(url, headers=collector.headers, json=locate | {"outcome": "answered"})
    assert again.status_code == 403
    assert "third_party_asked_to_stop" in again.text
