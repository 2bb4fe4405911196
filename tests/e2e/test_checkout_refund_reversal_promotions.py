"""A full refund reversed takes the promotions it gave back again, over the API on SQLite and
PostgreSQL: the campaign carries the purchase's subsidy again and the order holds its coupon
again; when that cannot be done honestly (the coupon used on another order since, the
campaign's budget spent meanwhile) the reversal is refused naming the promotion, and nothing
is written. Amounts are checked against arithmetic written here."""

from __future__ import annotations

from typing import Any

from tests.e2e.api_harness import Party, TestClient, World
from tests.e2e.test_api_campaigns import _campaign
from tests.e2e.test_api_checkout import confirm, ledger_ok, merchant_id_of, post, shop
from tests.e2e.test_api_checkout_promotions import (
    OFF,
    PRICE,
    campaign_of,
    held_coupon,
    opened,
    staff_post,
    subsidy_on,
    yuan,
)
from tests.e2e.test_checkout_refund_reversal import _account, _ledger_of, _reverse

BUDGET = 100_000  # the campaign's 1,000.00


def _bought(api: TestClient, world: World, merchant: Party, **promotions: Any) -> tuple[str, int]:
    """A 12,000.00 order alice confirms on 12 periods with ``promotions``, captured in full."""
    session, _ = opened(api, world, merchant)
    done = confirm(api, world.alice, session, **promotions)
    assert done.status_code == 200 and done.json()["status"] == "authorized", done.text
    amount = done.json()["authorized"]
    captured = post(api, merchant, session, "captures", amount=amount)
    assert captured.status_code == 201, captured.text
    return session, int(captured.json()["captures"][0]["loan_id"])


def _usable_coupons(api: TestClient, world: World, merchant: Party) -> list[str]:
    _session, plans = opened(api, world, merchant)
    return [c["id"] for c in plans["coupons"]]


def _promoted(api: TestClient, world: World) -> tuple[Party, str, str]:
    merchant = shop(api, world.admin)
    merchant_id = merchant_id_of(api, merchant)
    campaign = staff_post(api, world.admin, "/v1/staff/campaigns", _campaign(merchant_id))
    held = held_coupon(api, world, funded_by="merchant", merchant_ids=[merchant_id])
    return merchant, str(campaign["id"]), held


def test_a_full_refund_reversed_takes_the_coupon_and_the_campaign_budget_again(
    api: TestClient, world: World
) -> None:
    merchant, campaign, held = _promoted(api, world)
    session, loan_id = _bought(api, world, merchant, coupon_id=held, campaign_id=campaign)
    financed = PRICE - OFF
    subsidy = subsidy_on(financed)
    assert campaign_of(api, world, campaign)["spent"] == yuan(subsidy) == "892.50"
    held_loan = _account(api, loan_id), _ledger_of(api, loan_id)

    refunded = post(api, merchant, session, "refunds", amount=yuan(financed))
    assert refunded.status_code == 201, refunded.text
    assert campaign_of(api, world, campaign)["spent"] == "0.00"  # given back
    assert held in _usable_coupons(api, world, merchant)  # the borrower has it back

    done = _reverse(api, merchant, session, 1)
    assert done.status_code == 200, done.text
    assert done.json()["refunded"] == "0.00"
    after = campaign_of(api, world, campaign)
    assert after["spent"] == yuan(subsidy) and after["remaining"] == yuan(BUDGET - subsidy)
    assert held not in _usable_coupons(api, world, merchant)  # the order holds it again
    assert (_account(api, loan_id), _ledger_of(api, loan_id)) == held_loan
    ledger_ok(api)

    # and the order can be refunded in full again: both go back once more
    again = post(api, merchant, session, "refunds", amount=yuan(financed))
    assert again.status_code == 201, again.text
    assert campaign_of(api, world, campaign)["spent"] == "0.00"
    assert held in _usable_coupons(api, world, merchant)
    ledger_ok(api)


def test_a_reversal_is_refused_when_the_coupon_was_used_on_another_order(
    api: TestClient, world: World
) -> None:
    merchant, campaign, held = _promoted(api, world)
    session, loan_id = _bought(api, world, merchant, coupon_id=held, campaign_id=campaign)
    refunded = post(api, merchant, session, "refunds", amount=yuan(PRICE - OFF))
    assert refunded.status_code == 201, refunded.text
    _bought(api, world, merchant, coupon_id=held)  # alice uses the coupon given back
    before = _account(api, loan_id), _ledger_of(api, loan_id)
    spent = campaign_of(api, world, campaign)["spent"]

    refused = _reverse(api, merchant, session, 1)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "coupon_unavailable"
    assert refused.json()["details"]["field"] == "coupon"
    assert refused.json()["details"]["remedy"]
    assert (_account(api, loan_id), _ledger_of(api, loan_id)) == before
    assert campaign_of(api, world, campaign)["spent"] == spent  # nothing taken either
    read = api.get(f"/v1/checkout/sessions/{session}", headers=merchant.headers).json()
    assert read["refunds"][0]["reversed_on"] is None
    ledger_ok(api)


def test_a_reversal_is_refused_when_the_campaign_budget_was_spent_meanwhile(
    api: TestClient, world: World
) -> None:
    merchant, campaign, _held = _promoted(api, world)
    session, loan_id = _bought(api, world, merchant, campaign_id=campaign)
    subsidy = subsidy_on(PRICE)
    refunded = post(api, merchant, session, "refunds", amount=yuan(PRICE))
    assert refunded.status_code == 201, refunded.text
    _bought(api, world, merchant, campaign_id=campaign)  # the budget goes to another order
    assert campaign_of(api, world, campaign)["remaining"] == yuan(BUDGET - subsidy)
    before = _account(api, loan_id), _ledger_of(api, loan_id)

    refused = _reverse(api, merchant, session, 1)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "campaign_budget_exhausted"
    assert refused.json()["details"]["field"] == "campaign"
    assert "raise the campaign's budget" in refused.json()["details"]["remedy"]
    assert (_account(api, loan_id), _ledger_of(api, loan_id)) == before
    assert campaign_of(api, world, campaign)["remaining"] == yuan(BUDGET - subsidy)
    ledger_ok(api)
