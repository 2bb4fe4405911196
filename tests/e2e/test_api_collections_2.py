"""The staff collections API (DOMAIN §5.6): the white list of outsourced agencies is read by
staff, an agency's collector reads the measures of its own cases only, a third party's
request to stop is recorded and honoured, and a borrower is called at night only while the
consent they gave themselves stands (a collector's ``consented_out_of_hours`` is ignored)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.e2e.api_harness import accept, apply, context_of, make_borrower, make_staff
from tests.integration.collections_helpers import delinquent_loans
from thinfile.api.routers import staff_collections
from thinfile.security.roles import Role
from thinfile.services import business_date, consent
from thinfile.services.cob import run_cob
from thinfile.services.loans import get_loan

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


def test_a_borrower_is_called_at_night_only_while_their_own_consent_stands(api, clock, monkeypatch):
    consent_clock = {"at": datetime(2025, 1, 1, tzinfo=UTC)}
    monkeypatch.setattr(consent, "now_utc", lambda: consent_clock["at"])
    engine = context_of(api).engine
    alice = make_borrower(api)
    application = apply(api, alice).json()
    loan_id = accept(api, alice, application["id"], 0).json()["loan_id"]
    first_due = get_loan(engine, loan_id).account.installments[0].due
    run_cob(engine, first_due + timedelta(days=4))
    collector = make_staff(api, Role.COLLECTOR)
    [case] = api.get(f"{BASE}/worklist", headers=collector.headers).json()
    url = f"{BASE}/cases/{case['case_id']}/contacts"
    night_call = {
        "channel": "phone", "party": "borrower", "phone": alice.phone, "purpose": "collect",
        "script": "overdue-reminder", "reason": "M1 reminder call", "outcome": "unanswered",
    }  # fmt: skip
    day = first_due + timedelta(days=5)
    clock["at"] = datetime(day.year, day.month, day.day, 15, 30, tzinfo=UTC)  # 23:30 Shanghai
    claim = {"consented_out_of_hours": True}  # the collector's word: ignored

    claimed = api.post(url, headers=collector.headers, json=night_call | claim)
    assert claimed.status_code == 403, claimed.text
    assert claimed.json()["code"] == "conduct_rule_broken" and "contact_window" in claimed.text
    assert "the borrower has not agreed to be contacted out of hours" in claimed.text

    catalog = api.get("/v1/consent-catalog", headers=alice.headers).json()
    assert "collection_out_of_hours" in catalog["purposes"]
    consents = f"/v1/applicants/{alice.applicant_id}/consents"
    consent_clock["at"] = clock["at"] - timedelta(hours=2)
    out_of_hours = {
        "data_category": "contact", "purpose": "collection_out_of_hours", "notice_version": "v1",
    }  # fmt: skip
    given = api.post(consents, headers=alice.headers, json=out_of_hours)
    assert given.status_code == 201, given.text
    made = api.post(url, headers=collector.headers, json=night_call)
    assert made.status_code == 201, made.text

    consent_clock["at"] = clock["at"] + timedelta(minutes=5)
    revoked = api.post(f"{consents}/{given.json()['id']}/revoke", headers=alice.headers)
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    clock["at"] += timedelta(minutes=10)
    again = api.post(url, headers=collector.headers, json=night_call | claim)
    assert again.status_code == 403 and "contact_window" in again.text
