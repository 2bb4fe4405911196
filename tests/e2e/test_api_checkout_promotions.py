"""Campaigns and coupons at checkout, over the API on SQLite and PostgreSQL: the plans show a
campaign's interest-free plan while its budget covers the subsidy and the borrower's usable
coupons; confirming redeems the coupon once (even under 8 concurrent confirmations) and
reserves the campaign's budget (never overspent); a void gives both back; the capture books
the financed amount (price − coupon) and the lender-funded coupon is marketing expense. The
amounts are checked against arithmetic written here and the ledger verified."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.e2e.api_harness import Party, TestClient, World, context_of
from tests.e2e.test_api_campaigns import _campaign, _coupon
from tests.e2e.test_api_checkout import (
    PURCHASE_FORM,
    confirm,
    create,
    key,
    ledger_ok,
    merchant_id_of,
    post,
    read_for,
    shop,
)
from thinfile.services.ledger import verify_ledger

PRICE = 1_200_000  # 12,000.00 in fen
OFF = 10_000  # the coupon's 100.00
RATE_12 = (75, 1000)  # the contract's 7.5% subsidy on 12 periods


def subsidy_on(fen: int) -> int:
    """7.5% of ``fen``, half up, to the fen (integer arithmetic)."""
    num, den = RATE_12
    return (fen * num * 2 + den) // (2 * den)


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def staff_post(api: TestClient, admin: Party, path: str, body: dict[str, Any]) -> Any:
    reply = api.post(path, headers={**admin.headers, **key()}, json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()


def held_coupon(api: TestClient, world: World, **overrides: Any) -> str:
    """A coupon issued to alice: the id she confirms with."""
    coupon = staff_post(api, world.admin, "/v1/staff/coupons", _coupon(**overrides))
    given = staff_post(
        api,
        world.admin,
        f"/v1/staff/coupons/{coupon['id']}/issues",
        {"borrower_id": world.alice.user_id},
    )
    return str(given["id"])


def campaign_of(api: TestClient, world: World, campaign_id: str) -> dict[str, Any]:
    reply = api.get(f"/v1/staff/campaigns/{campaign_id}", headers=world.admin.headers)
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def opened(api: TestClient, world: World, merchant: Party) -> tuple[str, dict[str, Any]]:
    session = create(api, merchant).json()
    plans = api.get(f"/v1/me/checkout/{session['id']}/plans", headers=world.alice.headers)
    assert plans.status_code == 200, plans.text
    read_for(api, session["id"])
    return str(session["id"]), dict(plans.json())


def balance(api: TestClient, account: str) -> int:
    return verify_ledger(context_of(api).engine).balances.get((account, "CNY"), 0)


def test_a_coupon_and_a_campaign_at_confirmation_void_and_capture(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    merchant_id = merchant_id_of(api, merchant)
    campaign = staff_post(api, world.admin, "/v1/staff/campaigns", _campaign(merchant_id))
    held = held_coupon(api, world)

    first, plans = opened(api, world, merchant)
    assert {(p["campaign_id"], p["periods"]) for p in plans["campaign_plans"]} == {
        (campaign["id"], 3),
        (campaign["id"], 12),
    }
    twelve = next(p for p in plans["campaign_plans"] if p["periods"] == 12)
    assert twelve["subsidy"] == yuan(subsidy_on(PRICE)) == "900.00"
    assert [c["id"] for c in plans["coupons"]] == [held]

    financed = PRICE - OFF
    subsidy = subsidy_on(financed)
    assert subsidy == 89_250
    done = confirm(api, world.alice, first, coupon_id=held, campaign_id=campaign["id"])
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "authorized"
    assert done.json()["authorized"] == yuan(financed) == "11900.00"
    after = campaign_of(api, world, campaign["id"])
    assert after["spent"] == yuan(subsidy)
    assert after["remaining"] == yuan(100_000 - subsidy) == "107.50"

    # the budget left (107.50) no longer pays a 12,000 order's subsidy: no campaign plan,
    # and the coupon is used
    second, plans = opened(api, world, merchant)
    assert plans["campaign_plans"] == [] and plans["coupons"] == []
    refused = confirm(api, world.alice, second, campaign_id=campaign["id"])
    assert refused.status_code == 409 and refused.json()["code"] == "campaign_budget_exhausted"
    assert refused.json()["details"]["field"] == "campaign_id"
    used = confirm(api, world.alice, second, coupon_id=held)
    assert used.status_code == 409 and used.json()["code"] == "coupon_unavailable"
    stranger = confirm(api, world.bob, first, coupon_id=held)
    assert stranger.status_code == 404  # another borrower's session
    assert campaign_of(api, world, campaign["id"])["spent"] == yuan(subsidy)

    # a void before capture gives back the budget and the coupon; once under its key
    once = key()
    voided = post(api, merchant, first, "void", headers=once)
    assert voided.status_code == 200, voided.text
    assert post(api, merchant, first, "void", headers=once).json() == voided.json()
    assert campaign_of(api, world, campaign["id"])["spent"] == "0.00"
    mine = api.get("/v1/me/coupons", headers=world.alice.headers).json()
    assert [c["id"] for c in mine] == [held]

    # the second session now takes both; the capture books the financed amount
    done = confirm(api, world.alice, second, coupon_id=held, campaign_id=campaign["id"])
    assert done.status_code == 200 and done.json()["authorized"] == "11900.00", done.text
    too_much = post(api, merchant, second, "captures", amount="12000.00")
    assert too_much.status_code in (409, 422), too_much.text
    captured = post(api, merchant, second, "captures", amount="11900.00")
    assert captured.status_code == 201, captured.text
    part = captured.json()["captures"][0]
    assert part["amount"] == "11900.00" and part["subsidy"] == yuan(subsidy)
    loan = api.get(f"/v1/loans/{part['loan_id']}", headers=world.alice.headers).json()
    principal = sum(int(i["due"]["principal"].replace(".", "")) for i in loan["installments"])
    assert principal == financed
    # merchant is paid price − subsidy (lender-funded coupon): financed − subsidy from the
    # loan and the coupon from marketing
    assert balance(api, "marketing_expense") == OFF
    assert balance(api, "loans_receivable") == financed
    assert -balance(api, "deferred_subsidy_income") == subsidy
    assert -balance(api, "cash") == (financed - subsidy) + OFF == PRICE - subsidy
    ledger_ok(api)

    # a full refund gives back the budget and the coupon, and the lender its marketing money:
    # the merchant returns the coupon with the refund (its settlement takes it back)
    refunded = post(api, merchant, second, "refunds", amount="11900.00")
    assert refunded.status_code == 201, refunded.text
    assert campaign_of(api, world, campaign["id"])["spent"] == "0.00"
    mine = api.get("/v1/me/coupons", headers=world.alice.headers).json()
    assert [c["id"] for c in mine] == [held]
    assert balance(api, "marketing_expense") == 0
    ledger_ok(api)


def test_a_merchant_funded_coupon_reduces_what_the_merchant_is_paid(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    held = held_coupon(
        api, world, funded_by="merchant", merchant_ids=[merchant_id_of(api, merchant)]
    )
    session, _ = opened(api, world, merchant)
    done = confirm(api, world.alice, session, coupon_id=held)
    assert done.status_code == 200 and done.json()["authorized"] == "11900.00", done.text
    captured = post(api, merchant, session, "captures", amount="11900.00")
    assert captured.status_code == 201, captured.text
    subsidy = subsidy_on(PRICE - OFF)
    assert captured.json()["captures"][0]["subsidy"] == yuan(subsidy)
    # settlement = price − subsidy − merchant coupon: no marketing expense
    assert balance(api, "marketing_expense") == 0
    assert -balance(api, "cash") == PRICE - subsidy - OFF
    ledger_ok(api)


def test_one_coupon_is_used_once_under_concurrent_confirmations(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    held = held_coupon(api, world)
    sessions = [opened(api, world, merchant)[0] for _ in range(8)]
    start = threading.Barrier(8)

    def attempt(session_id: str) -> Any:
        start.wait()
        return confirm(api, world.alice, session_id, coupon_id=held)

    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(attempt, sessions))
    ok = [r for r in replies if r.status_code == 200]
    assert len(ok) == 1, [r.text for r in replies]
    assert ok[0].json()["authorized"] == "11900.00"
    others = [r for r in replies if r.status_code != 200]
    assert {(r.status_code, r.json()["code"]) for r in others} == {(409, "coupon_unavailable")}
    coupon_id = api.get("/v1/staff/coupons?limit=10&offset=0", headers=world.admin.headers)
    made = coupon_id.json()[0]
    assert made["redeemed"] == "100.00"
    ledger_ok(api)


def test_a_campaign_budget_is_never_overspent_under_concurrent_confirmations(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    merchant_id = merchant_id_of(api, merchant)
    # a budget for exactly two 12-period subsidies of 900.00
    body = _campaign(merchant_id, budget="1800", warning_threshold="1500")
    campaign = staff_post(api, world.admin, "/v1/staff/campaigns", body)
    sessions = [opened(api, world, merchant)[0] for _ in range(8)]
    start = threading.Barrier(8)

    def attempt(session_id: str) -> Any:
        start.wait()
        return confirm(api, world.alice, session_id, campaign_id=campaign["id"])

    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(attempt, sessions))
    codes = sorted(
        (r.status_code, r.json().get("code", "") if r.status_code != 200 else "") for r in replies
    )
    assert codes == [(200, "")] * 2 + [(409, "campaign_budget_exhausted")] * 6, codes
    after = campaign_of(api, world, campaign["id"])
    assert after["spent"] == "1800.00" and after["remaining"] == "0.00"


def test_hostile_coupons_and_campaigns_are_refused_and_write_nothing(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    coupon = staff_post(api, world.admin, "/v1/staff/coupons", _coupon())
    bobs = staff_post(
        api,
        world.admin,
        f"/v1/staff/coupons/{coupon['id']}/issues",
        {"borrower_id": world.bob.user_id},
    )
    session, _ = opened(api, world, merchant)
    theirs = confirm(api, world.alice, session, coupon_id=bobs["id"])
    assert theirs.status_code == 404 and theirs.json()["details"]["field"] == "coupon_id"
    assert confirm(api, world.alice, session, coupon_id="").status_code == 422
    unknown = confirm(api, world.alice, session, campaign_id="no-such-campaign")
    assert unknown.status_code == 409 and unknown.json()["details"]["field"] == "campaign_id"
    # nothing was written: bob still holds his coupon, the session confirms without it
    assert [c["id"] for c in api.get("/v1/me/coupons", headers=world.bob.headers).json()] == [
        bobs["id"]
    ]
    done = confirm(api, world.alice, session)
    assert done.status_code == 200 and done.json()["authorized"] == "12000.00", done.text


def test_a_declined_confirmation_keeps_neither_the_coupon_nor_the_campaign_budget(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    merchant_id = merchant_id_of(api, merchant)
    campaign = staff_post(api, world.admin, "/v1/staff/campaigns", _campaign(merchant_id))
    held = held_coupon(api, world)
    session, _plans = opened(api, world, merchant)
    form = {**PURCHASE_FORM, "months_in_city": 1}  # the test model declines
    done = confirm(
        api, world.alice, session, coupon_id=held, campaign_id=campaign["id"], application=form
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "declined" and done.json()["decline_reasons"]
    # nothing is held by the declined session: the whole budget and the coupon are back
    after = campaign_of(api, world, campaign["id"])
    assert (after["spent"], after["remaining"]) == ("0.00", yuan(100_000))
    mine = api.get("/v1/me/coupons", headers=world.alice.headers).json()
    assert [c["id"] for c in mine] == [held]
    # and both serve the next order in full: 7.5% of (price − coupon) reserved again
    second, plans = opened(api, world, merchant)
    assert [c["id"] for c in plans["coupons"]] == [held]
    again = confirm(api, world.alice, second, coupon_id=held, campaign_id=campaign["id"])
    assert again.status_code == 200 and again.json()["status"] == "authorized", again.text
    assert campaign_of(api, world, campaign["id"])["spent"] == yuan(subsidy_on(PRICE - OFF))
    ledger_ok(api)


def test_promotions_follow_what_was_bought_while_the_merchant_can_still_capture(
    api: TestClient, world: World
) -> None:
    """Everything captured so far refunded while more may be captured is not the order
    ended: the coupon stays used and the budget holds the subsidy of what may still be
    captured; a capture afterwards pays them as before. Voiding the rest after a partial
    capture keeps in the campaign only the subsidy of what was captured."""
    merchant = shop(api, world.admin)
    campaign = staff_post(
        api, world.admin, "/v1/staff/campaigns", _campaign(merchant_id_of(api, merchant))
    )
    held = held_coupon(api, world)
    first, _ = opened(api, world, merchant)
    done = confirm(api, world.alice, first, coupon_id=held, campaign_id=campaign["id"])
    assert done.status_code == 200 and done.json()["authorized"] == "11900.00", done.text
    reserved = subsidy_on(PRICE - OFF)
    part = post(api, merchant, first, "captures", amount="5000.00")
    assert part.status_code == 201, part.text
    assert post(api, merchant, first, "refunds", amount="5000.00").status_code == 201
    # the refund unwound the first capture's subsidy: the campaign holds the rest's only
    left = reserved - subsidy_on(500_000)
    assert left == subsidy_on(690_000)
    assert campaign_of(api, world, campaign["id"])["spent"] == yuan(left)
    assert api.get("/v1/me/coupons", headers=world.alice.headers).json() == []  # still used
    assert balance(api, "marketing_expense") == OFF
    rest = post(api, merchant, first, "captures", amount="6900.00")
    assert rest.status_code == 201, rest.text
    assert balance(api, "marketing_expense") == OFF  # the coupon is paid for once
    ledger_ok(api)

    third, _ = opened(api, world, merchant)
    other = staff_post(
        api, world.admin, "/v1/staff/campaigns", _campaign(merchant_id_of(api, merchant))
    )
    done = confirm(api, world.alice, third, campaign_id=other["id"])
    assert done.status_code == 200, done.text
    assert campaign_of(api, world, other["id"])["spent"] == yuan(subsidy_on(PRICE)) == "900.00"
    captured = post(api, merchant, third, "captures", amount="2000.00")
    assert captured.status_code == 201, captured.text
    kept = captured.json()["captures"][0]["subsidy"]
    assert kept == yuan(subsidy_on(200_000)) == "150.00"
    voided = post(api, merchant, third, "void")
    assert voided.status_code == 200 and voided.json()["status"] == "closed", voided.text
    assert campaign_of(api, world, other["id"])["spent"] == kept
    ledger_ok(api)


def test_a_campaign_naming_a_term_the_borrower_pays_a_fee_on_offers_no_plan_for_it(
    api: TestClient, world: World
) -> None:
    # the merchant's contract charges the borrower 0.5% a month on 6 periods: a campaign is
    # 免息, so naming 6 periods offers (and accepts) nothing for them
    merchant = shop(api, world.admin)
    merchant_id = merchant_id_of(api, merchant)
    campaign = staff_post(
        api, world.admin, "/v1/staff/campaigns", _campaign(merchant_id, terms=[6, 12])
    )
    session, plans = opened(api, world, merchant)
    assert [p["periods"] for p in plans["campaign_plans"]] == [12]
    refused = confirm(api, world.alice, session, periods=6, campaign_id=campaign["id"])
    assert refused.status_code == 409, refused.text
    assert refused.json()["details"]["field"] == "campaign_id"
    assert campaign_of(api, world, campaign["id"])["spent"] == "0.00"
    # without the campaign the 6-period plan is the fee plan it always was
    done = confirm(api, world.alice, session, periods=6)
    assert done.status_code == 200 and done.json()["authorized"] == "12000.00", done.text


def test_campaign_windows_are_beijing_calendar_days(
    api: TestClient, world: World, monkeypatch: Any
) -> None:
    # 02:00 in Beijing on day D is 18:00 UTC on D−1: a campaign that ended on D−1 is over and
    # one starting on D has begun
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from thinfile.services import business_date

    day = datetime.now(UTC).date() + timedelta(days=2)  # no close of business reaches it
    merchant = shop(api, world.admin)
    merchant_id = merchant_id_of(api, merchant)
    ended = staff_post(
        api,
        world.admin,
        "/v1/staff/campaigns",
        _campaign(
            merchant_id,
            name="ended D-1",
            starts_on=str(day - timedelta(days=5)),
            ends_on=str(day - timedelta(days=1)),
        ),
    )
    begun = staff_post(
        api,
        world.admin,
        "/v1/staff/campaigns",
        _campaign(merchant_id, name="begins D", starts_on=str(day), ends_on=str(day)),
    )
    two_am = datetime(day.year, day.month, day.day, 2, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert two_am.astimezone(UTC).date() == day - timedelta(days=1)
    monkeypatch.setattr(business_date, "now_utc", lambda: two_am.astimezone(UTC))
    session, plans = opened(api, world, merchant)
    assert {p["campaign_id"] for p in plans["campaign_plans"]} == {begun["id"]}
    refused = confirm(api, world.alice, session, campaign_id=ended["id"])
    assert refused.status_code == 409 and refused.json()["details"]["field"] == "campaign_id"
    done = confirm(api, world.alice, session, campaign_id=begun["id"])
    assert done.status_code == 200 and done.json()["status"] == "authorized", done.text


def test_captures_take_no_more_subsidy_than_the_campaign_reserved_for_the_order(
    api: TestClient, world: World
) -> None:
    # 2% of 1,000.06 is 20.0012: the campaign reserves 20.00 (its whole budget). Three
    # captures of 333.35, 333.35 and 333.36 are 6.667, 6.667 and 6.6672 each: rounded one by
    # one they would take 6.67 × 3 = 20.01; on the running total — 6.667 → 6.67, 13.334 →
    # 13.33, 20.0012 → 20.00 — they take 6.67, 6.66, 6.67
    merchant = shop(api, world.admin)
    merchant_id = merchant_id_of(api, merchant)
    campaign = staff_post(
        api,
        world.admin,
        "/v1/staff/campaigns",
        _campaign(merchant_id, terms=[3], budget="20.00", warning_threshold="20.00"),
    )
    lines = [{"name": "工具套装", "sku": "T1", "quantity": 1, "unit_price": "1000.06"}]
    session = create(api, merchant, total="1000.06", lines=lines).json()
    api.get(f"/v1/me/checkout/{session['id']}/plans", headers=world.alice.headers)
    read_for(api, session["id"])
    done = confirm(api, world.alice, session["id"], periods=3, campaign_id=campaign["id"])
    assert done.status_code == 200 and done.json()["status"] == "authorized", done.text
    assert campaign_of(api, world, campaign["id"])["spent"] == "20.00"
    deferred_before = -balance(api, "deferred_subsidy_income")
    taken = []
    for amount in ("333.35", "333.35", "333.36"):
        captured = post(api, merchant, session["id"], "captures", amount=amount)
        assert captured.status_code == 201, captured.text
        taken.append(captured.json()["captures"][-1]["subsidy"])
    assert taken == ["6.67", "6.66", "6.67"]
    # 100006 fen × 2 / 100 = 2000.12 → 2000 fen, booked as deferred income once in all
    assert -balance(api, "deferred_subsidy_income") - deferred_before == 2000
    assert campaign_of(api, world, campaign["id"])["spent"] == "20.00"
    ledger_ok(api)


def test_a_void_may_not_leave_the_purchase_below_its_coupons_threshold(
    api: TestClient, world: World
) -> None:
    # 满1000减100 on a 12,000 order: the coupon comes off the first capture; a capture of
    # 0.01 with the rest voided would be a 100.01 purchase the coupon paid 100 of
    merchant = shop(api, world.admin)
    held = held_coupon(api, world)
    session, _ = opened(api, world, merchant)
    done = confirm(api, world.alice, session, coupon_id=held)
    assert done.status_code == 200 and done.json()["authorized"] == "11900.00", done.text
    assert post(api, merchant, session, "captures", amount="0.01").status_code == 201
    refused = post(api, merchant, session, "void")
    assert refused.status_code == 409 and refused.json()["code"] == "checkout_state", refused.text
    assert "899.99" in refused.json()["details"]["remedy"]  # 1,000 − (0.01 + 100)
    # captured 900.00 with the coupon's 100: the threshold is met, the rest may be voided
    assert post(api, merchant, session, "captures", amount="899.99").status_code == 201
    voided = post(api, merchant, session, "void")
    assert voided.status_code == 200, voided.text
    assert voided.json()["voided"] == "11000.00"  # 11,900 authorized − 900 captured
    ledger_ok(api)
