"""Every journey over HTTP, on SQLite and PostgreSQL: a borrower applies, is approved, accepts
after reading the cost statement, receives the loan, pays and prepays; staff review a referral,
replay a decision, run close of business, service loans and simulate policies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests.e2e.api_harness import (
    DECLINE_MONTHS,
    REFER_MONTHS,
    TestClient,
    World,
    accept,
    apply,
    context_of,
    make_borrower,
    make_staff,
)
from tests.support.decisioning import id_number
from thinfile.api.models_staff import SimulationCsvCreate
from thinfile.security.roles import Role

LINE_OFFER = 2  # consumption offers: pos installment, consumer installment, revolving line


def _key(name: str) -> dict[str, str]:
    return {"Idempotency-Key": f"{name}-0000001"}


def test_a_borrower_applies_accepts_receives_the_loan_pays_and_prepays(api, world):
    alice = world.alice
    decided = apply(api, alice, purpose="phone_purchase")
    assert decided.status_code == 201, decided.text
    application = decided.json()
    assert application["status"] == "approved" and application["offers"]
    offer = application["offers"][0]
    assert len(offer["schedule"]) == offer["term_months"]
    assert offer["schedule"][0]["total"] == offer["first_installment"]
    assert offer["statement"]["total_cost"] == offer["total_cost"]
    assert float(offer["annualized_rate"]["nominal"]) > 0

    hasty = accept(api, alice, application["id"], 0, seconds_read=2)
    assert hasty.status_code == 422 and hasty.json()["details"]["field"] == "seconds_read"
    accepted = accept(api, alice, application["id"], 0)
    assert accepted.status_code == 201, accepted.text
    loan_id = accepted.json()["loan_id"]
    again = accept(api, alice, application["id"], 0)
    assert again.status_code == 409

    mine = api.get("/v1/me/loans", headers=alice.headers).json()
    assert [loan["id"] for loan in mine] == [loan_id]
    loan = api.get(f"/v1/loans/{loan_id}", headers=alice.headers).json()
    assert loan["principal"] == offer["amount"] and loan["status"] == "active"
    assert [t["kind"] for t in loan["transactions"]] == ["disbursement"]

    paid = api.post(
        f"/v1/loans/{loan_id}/payments",
        headers={**alice.headers, **_key("pay")},
        json={"amount": "100.00"},
    )
    replay = api.post(
        f"/v1/loans/{loan_id}/payments",
        headers={**alice.headers, **_key("pay")},
        json={"amount": "100.00"},
    )
    assert paid.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert paid.json()["replayed"] is False and replay.json()["replayed"] is True
    assert {**replay.json(), "replayed": False} == paid.json()
    quote = api.get(f"/v1/loans/{loan_id}/payoff", headers=alice.headers).json()
    payoff = api.post(
        f"/v1/loans/{loan_id}/prepayments",
        headers={**alice.headers, **_key("payoff")},
        json={"amount": quote["amount"]},
    )
    assert payoff.status_code == 201, payoff.text
    assert payoff.json()["loan_status"] == "closed"
    after = api.get(f"/v1/loans/{loan_id}", headers=alice.headers).json()
    assert after["outstanding"] == "0.00"
    assert api.get("/v1/staff/ledger/verify", headers=world.admin.headers).json()["ok"] is True


def test_a_credit_line_is_opened_by_accepting_its_offer_and_drawn_on(api, world):
    alice = world.alice
    application = apply(api, alice).json()
    assert application["offers"][LINE_OFFER]["product"] == "revolving_line"
    accepted = accept(api, alice, application["id"], LINE_OFFER).json()
    line_id = accepted["credit_line_id"]
    line = api.get(f"/v1/credit-lines/{line_id}", headers=alice.headers).json()
    assert api.get("/v1/me/credit-lines", headers=alice.headers).json() == [line]
    drawn = api.post(
        f"/v1/credit-lines/{line_id}/draws",
        headers={**alice.headers, **_key("d")},
        json={"amount": "500.00", "term_months": 3},
    )
    assert drawn.status_code == 201, drawn.text
    assert drawn.json()["credit_line_id"] == line_id
    later = api.get(f"/v1/credit-lines/{line_id}", headers=alice.headers).json()
    assert float(later["available"]) == float(line["available"]) - 500
    mine = {loan["id"] for loan in api.get("/v1/me/loans", headers=alice.headers).json()}
    assert mine == {accepted["loan_id"], drawn.json()["id"]}


def test_no_consent_to_a_credit_assessment_no_application(api):
    carol = make_borrower(api)
    consents = api.get(
        f"/v1/applicants/{carol.applicant_id}/consents", headers=carol.headers
    ).json()
    credit = next(c for c in consents if c["data_category"] == "credit_report")
    api.post(
        f"/v1/applicants/{carol.applicant_id}/consents/{credit['id']}/revoke", headers=carol.headers
    )
    refused = apply(api, carol)
    assert refused.status_code == 403 and refused.json()["code"] == "consent_required"
    assert api.get("/v1/me/applications", headers=carol.headers).json() == []


def test_a_declined_application_says_why_and_offers_can_be_declined(api, world):
    alice = world.alice
    declined = apply(api, alice, months_in_city=DECLINE_MONTHS).json()
    assert declined["status"] == "declined" and declined["offers"] == []
    assert declined["reasons"] and declined["reasons_zh"]
    approved = apply(api, alice).json()
    turned_down = api.post(f"/v1/applications/{approved['id']}/decline", headers=alice.headers)
    assert turned_down.json()["status"] == "offer_declined"
    assert accept(api, alice, approved["id"], 0).status_code == 409


def _decided_days_ago(api: TestClient, application_id: str, days: int) -> None:
    """Move the application's decision ``days`` back (the business date stays today's)."""
    at = datetime.now(UTC) - timedelta(days=days)
    with context_of(api).engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE applications SET submitted_at = :t WHERE id = :i"),
            {"t": at, "i": application_id},
        )


def test_the_offers_stand_thirty_days_after_the_decision_and_then_lapse(api, world):
    alice = world.alice
    kept, lapsed = apply(api, alice).json(), apply(api, alice).json()
    _decided_days_ago(api, kept["id"], 30)
    _decided_days_ago(api, lapsed["id"], 31)
    refused = accept(api, alice, lapsed["id"], 0)
    assert refused.status_code == 409, refused.text
    assert refused.json()["details"]["field"] == "application_id"
    assert "apply again" in refused.json()["details"]["remedy"]
    quoted = api.get(f"/v1/applications/{lapsed['id']}/price", headers=alice.headers)
    assert quoted.status_code == 409
    assert accept(api, alice, kept["id"], 0).status_code == 201  # the thirtieth day: it stands


def test_an_underwriter_reviews_a_referral_and_replays_the_decision(api, world):
    alice, underwriter = world.alice, world.underwriter
    referred = apply(api, alice, months_in_city=REFER_MONTHS).json()
    assert referred["status"] == "referred"
    queue = api.get(
        "/v1/staff/applications", params={"status": "referred"}, headers=underwriter.headers
    ).json()
    assert [a["id"] for a in queue] == [referred["id"]]
    assert alice.id_number not in str(queue)
    review = api.post(
        f"/v1/staff/applications/{referred['id']}/review",
        headers=underwriter.headers,
        json={"approve": True, "note": "verified"},
    )
    assert review.status_code == 200 and review.json()["status"] == "approved"
    replay = api.post(
        f"/v1/staff/applications/{referred['id']}/replay", headers=underwriter.headers
    ).json()
    assert replay["identical"] is True and replay["replayed_outcome"] == "refer"
    assert accept(api, alice, referred["id"], 0).status_code == 201
    assert (
        api.post(
            f"/v1/staff/applications/{referred['id']}/review",
            headers=alice.headers,
            json={"approve": True, "note": "me"},
        ).status_code
        == 403
    )


def test_a_referral_an_underwriter_declines_reads_as_declined_with_no_offers(api, world):
    alice, underwriter = world.alice, world.underwriter
    referred = apply(api, alice, months_in_city=REFER_MONTHS).json()
    assert "REFER" in [r["code"] for r in referred["reasons"]] and referred["offers"]
    review = api.post(
        f"/v1/staff/applications/{referred['id']}/review",
        headers=underwriter.headers,
        json={"approve": False, "note": "income could not be verified"},
    )
    assert review.status_code == 200 and review.json()["status"] == "declined"
    mine = api.get(f"/v1/applications/{referred['id']}", headers=alice.headers).json()
    assert mine["status"] == "declined" and mine["offers"] == []
    for key in ("reasons", "reasons_zh"):
        codes = [r["code"] for r in mine[key]]
        assert codes[0] == "DECLINED_ON_REVIEW" and "REFER" not in codes, codes
        assert len(codes) == len(referred[key])  # what sent it to review stays, in words
    assert accept(api, alice, referred["id"], 0).status_code == 409
    replay = api.post(
        f"/v1/staff/applications/{referred['id']}/replay", headers=underwriter.headers
    ).json()
    assert replay["identical"] is True  # the stored decision is the policy's, unchanged


def test_close_of_business_moves_the_business_date_and_staff_service_loans(api, world):
    alice, admin = world.alice, world.admin
    agent = make_staff(api, Role.SERVICING_AGENT)
    application = apply(api, alice).json()
    loan_id = accept(api, alice, application["id"], 0).json()["loan_id"]
    paid = api.post(
        f"/v1/loans/{loan_id}/payments",
        headers={**alice.headers, **_key("p")},
        json={"amount": "200.00"},
    ).json()
    first = api.post("/v1/staff/cob", headers=agent.headers, json={"through": paid["on"]})
    assert first.status_code == 200, first.text
    assert first.json()["days"] == [paid["on"]] and first.json()["business_date"] > paid["on"]
    again = api.post("/v1/staff/cob", headers=agent.headers, json={"through": paid["on"]})
    assert again.json()["days"] == []
    reversal = api.post(
        f"/v1/staff/payments/{paid['txn_id']}/reversal",
        headers={**agent.headers, **_key("rev")},
        json={"reason": "bounced"},
    )
    assert reversal.status_code == 201, reversal.text
    later = api.post(
        f"/v1/loans/{loan_id}/payments",
        headers={**alice.headers, **_key("p2")},
        json={"amount": "50.00"},
    ).json()
    assert later["on"] == first.json()["business_date"]
    alone = api.post(  # a current loan: a loss needs a second staff member's approval
        f"/v1/staff/loans/{loan_id}/charge-off",
        headers={**agent.headers, **_key("co")},
        json={"reason": "fraud"},
    )
    assert alone.status_code == 403, alone.text
    asked = api.post(
        f"/v1/staff/loans/{loan_id}/write-off-requests",
        headers={**agent.headers, **_key("wo")},
        json={"reason": "fraud"},
    )
    assert asked.status_code == 201, asked.text
    written = api.post(
        f"/v1/staff/write-off-requests/{asked.json()['id']}/approval",
        headers={**admin.headers, **_key("wo-ok")},
    )
    assert written.status_code == 201 and written.json()["loan_status"] == "written-off"
    assert api.get("/v1/staff/ledger/verify", headers=admin.headers).json()["ok"] is True
    assert api.get("/v1/staff/audit/verify", headers=admin.headers).json()["intact"] is True
    assert (
        api.post("/v1/staff/cob", headers=alice.headers, json={"through": paid["on"]}).status_code
        == 403
    )


def test_policies_models_and_simulations(api, world):
    admin, underwriter = world.admin, world.underwriter
    policies = api.get("/v1/staff/policies", headers=underwriter.headers).json()
    assert [p["status"] for p in policies] == ["active"]
    models = api.get("/v1/staff/models", headers=underwriter.headers).json()
    assert models == [{"version": "api-test-model:1", "status": "active"}]
    version = policies[0]["version"]
    assert (
        api.post(f"/v1/staff/policies/{version}/activate", headers=admin.headers).status_code == 204
    )
    assert (
        api.post(f"/v1/staff/policies/{version}/activate", headers=underwriter.headers).status_code
        == 403
    )
    assert (
        api.post(
            "/v1/staff/policies/challenger",
            headers=admin.headers,
            json={"version": None, "share": "0"},
        ).status_code
        == 204
    )
    synthetic = api.post(
        "/v1/staff/simulations", headers=underwriter.headers, json={"applicants": 40, "seed": 3}
    )
    assert synthetic.status_code == 200, synthetic.text
    assert synthetic.json()["report"]["candidate"]["overall"]["applications"] == 40
    example = SimulationCsvCreate.model_json_schema()["examples"][0]
    posted = api.post("/v1/staff/simulations/csv", headers=underwriter.headers, json=example)
    assert posted.status_code == 200, posted.text
    too_many = api.post(
        "/v1/staff/simulations", headers=underwriter.headers, json={"applicants": 100_000}
    )
    assert too_many.status_code == 422


def test_a_simulation_csv_with_ids_and_phones_of_digits_only_is_simulated(
    api: TestClient, world: World
) -> None:
    """ID numbers and phones of digits only stay text: every row is simulated."""
    ids = [n for n in (id_number(seq=f"{s:03d}") for s in range(40)) if n.isdigit()][:3]
    rows = "".join(
        f"1990-03-07,delivery_rider,24,phone_purchase,600000,12,{n},1390000{i:04d},0\n"
        for i, n in enumerate(ids)
    )
    header = "birth_date,segment,months_in_city,purpose,requested_amount,requested_term_months,"
    posted = api.post(
        "/v1/staff/simulations/csv",
        headers=world.underwriter.headers,
        json={"csv": header + "id_number,phone,bad_12m\n" + rows},
    )
    assert posted.status_code == 200, posted.text
    assert posted.json()["report"]["candidate"]["overall"]["applications"] == len(ids) == 3


def test_an_application_is_decided_on_beijings_date(api, world, monkeypatch):
    # the harness's borrowers are born 1995-03-xx; at 01:30 in Beijing on their 61st birthday
    # (17:30 UTC the day before) they are 61: over the policy's 60, knocked out, and the
    # decision is dated that Beijing day
    from datetime import UTC, date, datetime, timedelta

    from thinfile.services import applications

    alice = world.alice
    born = date(1995, 3, int(alice.id_number[12:14]))
    birthday = born.replace(year=born.year + 61)
    moment = datetime(birthday.year, birthday.month, birthday.day, 1, 30) - timedelta(hours=8)
    monkeypatch.setattr(applications, "now_utc", lambda: moment.replace(tzinfo=UTC))
    decided = apply(api, alice).json()
    assert decided["decided_on"] == birthday.isoformat(), decided
    assert decided["status"] == "declined"
    assert "KO_AGE_MAX" in [r["code"] for r in decided["reasons"]]
