"""The credit-limit routes: the borrower's limit and requests (owned like loans), staff's view
and changes with maker-checker above the threshold."""

from __future__ import annotations

from decimal import Decimal

import numpy_financial as npf

from tests.e2e.api_harness import accept, apply, make_staff
from thinfile.security.roles import Role

LINE_OFFER = 2  # consumption offers: pos installment, consumer installment, revolving line


def _line(api, party) -> int:
    application = apply(api, party).json()
    assert application["offers"][LINE_OFFER]["product"] == "revolving_line"
    return int(accept(api, party, application["id"], LINE_OFFER).json()["credit_line_id"])


def test_a_borrower_sees_the_limit_and_asks_for_more_once_a_month(api, world):
    alice, bob = world.alice, world.bob
    line_id = _line(api, alice)
    mine = api.get(f"/v1/credit-lines/{line_id}/limit", headers=alice.headers)
    assert mine.status_code == 200, mine.text
    body = mine.json()
    line = api.get(f"/v1/credit-lines/{line_id}", headers=alice.headers).json()
    assert (body["limit"], body["available"], body["status"]) == (
        line["limit"],
        line["available"],
        "active",
    )
    assert body["next_review"] >= body["history"][0]["on"] if body["history"] else True
    # another borrower cannot see it, ask for it or accept offers on it
    assert api.get(f"/v1/credit-lines/{line_id}/limit", headers=bob.headers).status_code == 404
    asked = api.post(f"/v1/credit-lines/{line_id}/limit-requests", headers=bob.headers)
    assert asked.status_code == 404
    answer = api.post(f"/v1/credit-lines/{line_id}/limit-requests", headers=alice.headers)
    assert answer.status_code == 201, answer.text
    # a line opened today is too young for more, and the answer says why, in both languages
    reply = answer.json()
    assert reply["outcome"] == "none" and reply["offer_id"] is None
    codes = {r["code"] for r in reply["reasons"]}
    assert "MOB_UNDER_3" in codes and all(r["text"] and r["text_zh"] for r in reply["reasons"])
    again = api.post(f"/v1/credit-lines/{line_id}/limit-requests", headers=alice.headers)
    assert again.status_code == 409 and "RECENT_REQUEST" in again.text
    missing = api.post(
        f"/v1/credit-lines/{line_id}/limit-offers/999/acceptance", headers=alice.headers
    )
    assert missing.status_code == 404


def test_staff_change_a_limit_and_a_large_change_needs_a_second_person(api, world):
    alice, admin = world.alice, world.admin
    agent = make_staff(api, Role.SERVICING_AGENT)
    line_id = _line(api, alice)
    before = api.get(f"/v1/credit-lines/{line_id}/limit", headers=alice.headers).json()
    assert api.get(
        f"/v1/staff/credit-lines/{line_id}/limit", headers=alice.headers
    ).status_code in (
        403,
        404,
    )
    limit = Decimal(before["limit"])
    lower, higher = limit - 1000, (limit + 6000 if limit <= 24_000 else limit - 6000)
    small = api.post(
        f"/v1/staff/credit-lines/{line_id}/limit-changes",
        headers=agent.headers,
        json={"limit": f"{lower:.2f}", "reason": "asked to lower the limit"},
    )
    assert small.status_code == 201, small.text
    assert small.json()["applied"] is True and small.json()["limit"]["limit"] == f"{lower:.2f}"
    change = {"limit": f"{higher:.2f}", "reason": "income verified again"}
    unaffordable = api.post(
        f"/v1/staff/credit-lines/{line_id}/limit-changes", headers=agent.headers, json=change
    )  # the application's income repays less than 6,000 yuan more
    assert unaffordable.status_code == 422, unaffordable.text
    assert unaffordable.json()["details"]["field"] == "limit"
    large = api.post(
        f"/v1/staff/credit-lines/{line_id}/limit-changes",
        headers=agent.headers,
        json={**change, "verified_income": "20000.00"},
    )
    assert large.status_code == 201 and large.json()["applied"] is False
    request_id = large.json()["request_id"]
    same = api.post(f"/v1/staff/limit-change-requests/{request_id}/approval", headers=agent.headers)
    assert same.status_code == 403
    underwriter = api.post(
        f"/v1/staff/limit-change-requests/{request_id}/approval",
        headers=world.underwriter.headers,
    )
    assert underwriter.status_code == 403
    approved = api.post(
        f"/v1/staff/limit-change-requests/{request_id}/approval", headers=admin.headers
    )
    assert approved.status_code == 200, approved.text
    # an increase is the borrower's to accept: offered, the limit unmoved until then
    assert approved.json()["limit"] == f"{lower:.2f}"
    (offer,) = [o for o in approved.json()["offers"] if o["new_limit"] == f"{higher:.2f}"]
    assert offer["until"] is None and offer["reasons"][0]["code"] == "STAFF_OFFER"
    taken = api.post(
        f"/v1/credit-lines/{line_id}/limit-offers/{offer['id']}/acceptance", headers=alice.headers
    )
    assert taken.status_code == 200, taken.text
    assert taken.json()["limit"] == f"{higher:.2f}"
    above = api.post(
        f"/v1/staff/credit-lines/{line_id}/limit-changes",
        headers=agent.headers,
        json={"limit": "30000.01", "reason": "beyond the ceiling"},
    )
    assert above.status_code == 422
    staff = api.get(f"/v1/staff/credit-lines/{line_id}/limit", headers=admin.headers).json()
    assert staff["features"]["months_on_book"] == 0
    assert [h["new_limit"] for h in staff["limit"]["history"]][:2] == [
        f"{higher:.2f}",
        f"{lower:.2f}",
    ]
    # the borrower accepted the increase (its reason the offer's); staff lowered it in words
    assert staff["history_notes"][:2] == [None, "asked to lower the limit"]
    assert [h["reasons"][0]["code"] for h in staff["limit"]["history"]][:2] == [
        "OFFER_ACCEPTED",
        "MANUAL",
    ]
    assert before["limit"] != staff["limit"]["limit"]


def _key(name: str) -> dict[str, str]:
    return {"Idempotency-Key": f"quoted-draw-{name}"}


def test_a_borrower_draws_as_quoted_after_reading_the_cost_statement(api, world):
    alice, bob = world.alice, world.bob
    line_id = _line(api, alice)
    line = api.get(f"/v1/credit-lines/{line_id}", headers=alice.headers).json()
    quote_url = f"/v1/credit-lines/{line_id}/draw-quote"
    asked = {"amount": "1200.00", "term_months": 6}
    quoted = api.get(quote_url, params=asked, headers=alice.headers)
    assert quoted.status_code == 200, quoted.text
    quote = quoted.json()
    offer, schedule = quote["offer"], quote["offer"]["schedule"]
    assert (quote["line_id"], quote["available"], quote["terms"]) == (
        line_id,
        line["available"],
        [3, 6, 12],
    )
    # the figures, checked from the schedule itself: principal, totals, cost, and the
    # annualized rate as numpy-financial's IRR of the borrower's cash flows × 12
    assert len(schedule) == 6 and offer["amount"] == "1200.00"
    assert sum(Decimal(i["principal"]) for i in schedule) == Decimal("1200.00")
    repaid = sum(Decimal(i["total"]) for i in schedule)
    assert Decimal(offer["total_repaid"]) == repaid
    assert Decimal(offer["total_cost"]) == repaid - Decimal("1200.00")
    assert offer["statement"]["total_cost"] == offer["total_cost"]
    irr = npf.irr([-1200.0] + [float(i["total"]) for i in schedule])
    assert abs(Decimal(offer["annualized_rate"]["nominal"]) - Decimal(repr(irr * 12))) < Decimal(
        "0.000001"
    )
    # another borrower can neither quote nor draw on the line
    assert api.get(quote_url, params=asked, headers=bob.headers).status_code == 404
    draws_url = f"/v1/credit-lines/{line_id}/quoted-draws"
    body = {**asked, "available": quote["available"], "confirm": True}
    stranger = api.post(draws_url, headers={**bob.headers, **_key("bob")}, json=body)
    assert stranger.status_code == 404
    # more than available is refused at the quote, as the draw would be
    too_much = {"amount": "9999999.00", "term_months": 6}
    assert api.get(quote_url, params=too_much, headers=alice.headers).status_code == 409
    # not confirmed, or quoted against another available amount: nothing is drawn
    unread = api.post(
        draws_url, headers={**alice.headers, **_key("unread")}, json={**body, "confirm": False}
    )
    assert unread.status_code == 422 and unread.json()["details"]["field"] == "confirm"
    hasty = api.post(
        draws_url, headers={**alice.headers, **_key("hasty")}, json={**body, "seconds_read": 4}
    )
    assert hasty.status_code == 422 and hasty.json()["details"]["field"] == "seconds_read"
    stale = api.post(
        draws_url, headers={**alice.headers, **_key("stale")}, json={**body, "available": "1.00"}
    )
    assert stale.status_code == 409 and stale.json()["details"]["field"] == "available"
    unchanged = api.get(f"/v1/credit-lines/{line_id}", headers=alice.headers).json()
    assert unchanged["available"] == line["available"]
    # drawn as quoted: the loan's installments are the quote's, and a repeat draws nothing more
    read = {**body, "seconds_read": 12.5}  # without it, as /v1 clients draw, also accepted
    drawn = api.post(draws_url, headers={**alice.headers, **_key("ok")}, json=read)
    assert drawn.status_code == 201, drawn.text
    loan = api.get(f"/v1/loans/{drawn.json()['id']}", headers=alice.headers).json()
    assert [(i["due_date"], i["due"]["total"]) for i in loan["installments"]] == [
        (i["due_date"], i["total"]) for i in schedule
    ]
    again = api.post(draws_url, headers={**alice.headers, **_key("ok")}, json=read)
    assert again.status_code == 201 and again.json()["id"] == drawn.json()["id"]
    after = api.get(f"/v1/credit-lines/{line_id}", headers=alice.headers).json()
    assert Decimal(after["available"]) == Decimal(line["available"]) - Decimal("1200.00")


def test_a_borrower_closes_a_line_once_nothing_is_owed_on_it_and_it_never_lends_again(api, world):
    alice, bob = world.alice, world.bob
    application = apply(api, alice).json()
    accepted = accept(api, alice, application["id"], LINE_OFFER).json()
    line_id, first_draw = int(accepted["credit_line_id"]), accepted["loan_id"]
    close_url = f"/v1/credit-lines/{line_id}/closure"
    assert api.post(close_url, headers=bob.headers).status_code == 404  # not bob's line
    asked = {"amount": "1200.00", "term_months": 3}
    quote = api.get(f"/v1/credit-lines/{line_id}/draw-quote", params=asked, headers=alice.headers)
    body = {**asked, "available": quote.json()["available"], "confirm": True}
    drawn = api.post(
        f"/v1/credit-lines/{line_id}/quoted-draws",
        headers={**alice.headers, **_key("before-closing")},
        json=body,
    )
    assert drawn.status_code == 201, drawn.text
    line = api.get(f"/v1/credit-lines/{line_id}", headers=alice.headers).json()
    owed = api.post(close_url, headers=alice.headers)
    assert owed.status_code == 409 and owed.json()["details"]["field"] == "line_id"
    assert f"{line['outstanding_principal']} of principal is still owed" in owed.json()["message"]
    for loan_id in (first_draw, drawn.json()["id"]):
        payoff = api.get(f"/v1/loans/{loan_id}/payoff", headers=alice.headers).json()["amount"]
        still = api.get(f"/v1/credit-lines/{line_id}/limit", headers=alice.headers).json()
        assert still["status"] == "active"  # a refused closing leaves the line as it was
        assert api.post(close_url, headers=alice.headers).status_code == 409
        paid = api.post(
            f"/v1/loans/{loan_id}/payments",
            headers={**alice.headers, "Idempotency-Key": f"pay-off-{loan_id}"},
            json={"amount": payoff},
        )
        assert paid.status_code == 201, paid.text
    closed = api.post(close_url, headers=alice.headers)
    assert closed.status_code == 200, closed.text
    assert (closed.json()["status"], closed.json()["used"]) == ("closed", "0.00")
    again = api.post(close_url, headers=alice.headers)
    assert again.status_code == 409 and "closed" in again.json()["message"]
    refused = api.get(f"/v1/credit-lines/{line_id}/draw-quote", params=asked, headers=alice.headers)
    assert refused.status_code == 409 and "closed" in refused.json()["message"]
    redrawn = api.post(
        f"/v1/credit-lines/{line_id}/quoted-draws",
        headers={**alice.headers, **_key("after-closing")},
        json=body,
    )
    assert redrawn.status_code == 409
    asked_more = api.post(f"/v1/credit-lines/{line_id}/limit-requests", headers=alice.headers)
    assert asked_more.status_code == 409
