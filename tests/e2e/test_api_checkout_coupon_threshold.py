"""A coupon's threshold holds for what the order keeps, on SQLite and PostgreSQL: neither a
void nor a partial refund may leave a purchase the coupon paid most of (满1000减100 paying
100 of a 100.01 purchase — the lender's money when the lender funds it); refunding
everything captured cancels the order and the coupon goes back to the borrower."""

from __future__ import annotations

from tests.e2e.api_harness import TestClient, World
from tests.e2e.test_api_checkout import confirm, ledger_ok, post, shop
from tests.e2e.test_api_checkout_promotions import balance, held_coupon, opened


def test_a_partial_refund_may_not_leave_the_purchase_below_its_coupons_threshold(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    held = held_coupon(api, world)  # 满1000减100, funded by the lender
    session, _ = opened(api, world, merchant)
    done = confirm(api, world.alice, session, coupon_id=held)
    assert done.status_code == 200 and done.json()["authorized"] == "11900.00", done.text
    assert post(api, merchant, session, "captures", amount="0.01").status_code == 201
    assert post(api, merchant, session, "captures", amount="11899.99").status_code == 201
    expense = balance(api, "marketing_expense")
    assert expense == 10_000

    refused = post(api, merchant, session, "refunds", amount="11899.99")
    assert refused.status_code == 409 and refused.json()["code"] == "checkout_state", refused.text
    assert "899.99" in refused.json()["details"]["remedy"]  # 1,000 − (0.01 + 100)
    assert post(api, merchant, session, "void").status_code == 409  # nothing left to void
    assert balance(api, "marketing_expense") == expense
    # keeping 900.00 with the coupon's 100 meets the threshold: that refund is made
    kept = post(api, merchant, session, "refunds", amount="11000.00")
    assert kept.status_code == 201, kept.text
    assert post(api, merchant, session, "refunds", amount="0.01").status_code == 409
    # refunding all that is left cancels the order: the coupon and the lender's money go back
    rest = post(api, merchant, session, "refunds", amount="900.00")
    assert rest.status_code == 201, rest.text
    assert balance(api, "marketing_expense") == 0
    mine = api.get("/v1/me/coupons", headers=world.alice.headers).json()
    assert [c["id"] for c in mine] == [held]
    ledger_ok(api)
