"""A campaign whose merchant pays only part of the subsidy, over the API on SQLite and
PostgreSQL: the capture pays the merchant the price less its own share, the lender's share is
marketing expense; a refund takes back only the merchant's share of the unearned subsidy in
the merchant's settlement and gives the lender its own back out of marketing expense; the
refund's reversal undoes both; the settlement lines are what the ledger moved through cash for
the loan, and ``ledger verify`` stays clean.

Figures are worked out here in integers (7.5 % of 12,000 is 900, the merchant pays 40 % of it:
360; the lender 540), never with thinfile's own functions.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.e2e.api_harness import Party, TestClient, World, context_of, make_staff
from tests.e2e.test_api_campaigns import _campaign
from tests.e2e.test_api_checkout import (
    CONTRACT,
    confirm,
    key,
    ledger_ok,
    merchant_id_of,
    post,
    shop,
)
from tests.e2e.test_api_checkout_promotions import (
    balance,
    campaign_of,
    opened,
    staff_post,
    yuan,
)
from tests.e2e.test_checkout_refund_reversal import _cash_by_loan, _next_days, _reverse
from tests.e2e.test_merchant_settlement import fen
from thinfile.security.roles import Role
from thinfile.services.business_date import current_business_date
from thinfile.services.settlements import settle_merchants

PRICE = 1_200_000
SUBSIDY = PRICE * 75 // 1000  # 90,000: exact
MERCHANT = SUBSIDY * 40 // 100  # 36,000: the campaign's merchant share
LENDER = SUBSIDY - MERCHANT  # 54,000
REFUND = 300_000  # a quarter, the day of the purchase: nothing recognised yet
UNWOUND = SUBSIDY * REFUND // PRICE  # 22,500
LENDER_UNWOUND = UNWOUND * 60 // 100  # 13,500


def test_the_merchant_pays_its_share_of_a_campaign_subsidy_and_the_lender_the_rest(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    merchant_id = merchant_id_of(api, merchant)
    engine = context_of(api).engine
    body = _campaign(merchant_id, merchant_share="40%")
    campaign = staff_post(api, world.admin, "/v1/staff/campaigns", body)
    session, plans = opened(api, world, merchant)
    twelve = next(p for p in plans["campaign_plans"] if p["periods"] == 12)
    assert twelve["subsidy"] == "900.00"
    done = confirm(api, world.alice, session, campaign_id=campaign["id"])
    assert done.status_code == 200 and done.json()["status"] == "authorized", done.text
    booked = current_business_date(engine)

    captured = post(api, merchant, session, "captures", amount="12000.00")
    assert captured.status_code == 201, captured.text
    loan_id = int(captured.json()["captures"][0]["loan_id"])
    shown = captured.json()["captures"][0]
    assert (shown["subsidy"], shown["merchant_subsidy"]) == (yuan(SUBSIDY), yuan(MERCHANT))
    # the loan carries the whole subsidy as deferred income; the lender's share is its
    # marketing expense; the merchant is paid the price less its own share
    assert -balance(api, "deferred_subsidy_income") == SUBSIDY
    assert balance(api, "marketing_expense") == LENDER
    assert -balance(api, "cash") == PRICE - MERCHANT
    ledger_ok(api)

    refunded = post(api, merchant, session, "refunds", amount="3000.00")
    assert refunded.status_code == 201, refunded.text
    [part] = refunded.json()["refunds"][0]["parts"]
    assert (part["subsidy_unwound"], part["merchant_unwound"]) == (
        yuan(UNWOUND),
        yuan(UNWOUND - LENDER_UNWOUND),
    )
    assert balance(api, "marketing_expense") == LENDER - LENDER_UNWOUND
    assert -balance(api, "deferred_subsidy_income") == SUBSIDY - UNWOUND
    ledger_ok(api)

    _next_days(api, 1)
    assert _reverse(api, merchant, session, 1).status_code == 200
    assert balance(api, "marketing_expense") == LENDER
    assert -balance(api, "deferred_subsidy_income") == SUBSIDY - _recognised(api, loan_id)
    ledger_ok(api)
    _next_days(api, 1)

    [paid] = [
        r.settlement
        for r in settle_merchants(engine, booked + timedelta(days=1))
        if r.settlement.merchant_id == merchant_id
    ]
    [back] = [
        r.settlement
        for r in settle_merchants(engine, booked + timedelta(days=2))
        if r.settlement.merchant_id == merchant_id
    ]
    merchant_unwound = UNWOUND - LENDER_UNWOUND  # 9,000: the merchant's 40 % of it
    assert [x.kind.value for x in paid.lines] == ["capture", "refund"]
    assert (paid.subsidy.fen, paid.subsidy_returned.fen) == (MERCHANT, merchant_unwound)
    assert paid.net.fen == PRICE - MERCHANT - REFUND + merchant_unwound
    assert [x.kind.value for x in back.lines] == ["refund-reversal"]
    assert back.net.fen == REFUND - merchant_unwound
    # over both days the merchant is paid the price less its share, and the lines are what the
    # ledger moved through cash for the loan, seen from the merchant
    assert paid.net.fen + back.net.fen == PRICE - MERCHANT
    assert sum(x.net.fen for x in (*paid.lines, *back.lines)) == -_cash_by_loan(api, loan_id)

    # a full refund after recognition began: the lender's share of what is still deferred
    # leaves marketing expense, the merchant is returned its own share of it
    deferred = SUBSIDY - _recognised(api, loan_id)
    assert 0 < deferred < SUBSIDY
    everything = post(api, merchant, session, "refunds", amount="12000.00")
    assert everything.status_code == 201, everything.text
    lender_deferred = (2 * deferred * 60 + 100) // 200  # 60 %, half up
    assert balance(api, "marketing_expense") == LENDER - lender_deferred
    assert balance(api, "deferred_subsidy_income") == 0
    ledger_ok(api)


def _recognised(api: TestClient, loan_id: int) -> int:
    """The subsidy the loan has recognised (or unwound) so far, as stored."""
    with context_of(api).engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT subsidy_recognized FROM servicing_loans WHERE id = :i"),
                {"i": loan_id},
            ).scalar_one()
        )


def test_the_campaign_budget_follows_the_subsidy_partial_refunds_unwind(
    api: TestClient, world: World
) -> None:
    merchant = shop(api, world.admin)
    body = _campaign(merchant_id_of(api, merchant))
    campaign = staff_post(api, world.admin, "/v1/staff/campaigns", body)
    session, _ = opened(api, world, merchant)
    done = confirm(api, world.alice, session, campaign_id=campaign["id"])
    assert done.status_code == 200 and done.json()["status"] == "authorized", done.text
    assert campaign_of(api, world, campaign["id"])["spent"] == "900.00"

    # half captured, then refunded the same day: its subsidy (450.00) is all unwound and no
    # longer the campaign's; the other half stays reserved for the capture still to come
    assert post(api, merchant, session, "captures", amount="6000.00").status_code == 201
    assert post(api, merchant, session, "refunds", amount="6000.00").status_code == 201
    assert campaign_of(api, world, campaign["id"])["spent"] == "450.00"
    assert post(api, merchant, session, "captures", amount="6000.00").status_code == 201
    assert campaign_of(api, world, campaign["id"])["spent"] == "450.00"

    # a quarter of the second capture refunded: a quarter of its subsidy goes back; the
    # refund reversed takes it again
    assert post(api, merchant, session, "refunds", amount="1500.00").status_code == 201
    assert campaign_of(api, world, campaign["id"])["spent"] == "337.50"
    assert _reverse(api, merchant, session, 2).status_code == 200
    assert campaign_of(api, world, campaign["id"])["spent"] == "450.00"
    ledger_ok(api)


@pytest.mark.parametrize("policy", ["return-to-merchant", "keep"])
def test_a_full_refund_leaves_the_campaign_the_subsidy_already_used(
    api: TestClient, world: World, policy: str
) -> None:
    """35 days into the loan part of the subsidy is recognised: refunding the whole order
    frees only what is still deferred — all of it when the merchant is paid it back, only the
    lender's 60 % of it when the lender keeps the merchant's — and reversing the refund takes
    back exactly what it freed."""
    merchant, campaign, session, loan_id = _bought_at_40_percent(api, world, policy)
    _next_days(api, 35)
    deferred = SUBSIDY - _recognised(api, loan_id)
    assert 0 < deferred < SUBSIDY
    everything = post(api, merchant, session, "refunds", amount="12000.00")
    assert everything.status_code == 201, everything.text
    lender_deferred = (2 * deferred * 60 + 100) // 200  # 60 % of it, half up
    freed = deferred if policy == "return-to-merchant" else lender_deferred
    assert campaign_of(api, world, campaign["id"])["spent"] == yuan(SUBSIDY - freed)
    assert _reverse(api, merchant, session, 1).status_code == 200
    assert campaign_of(api, world, campaign["id"])["spent"] == yuan(SUBSIDY)
    ledger_ok(api)


def _bought_at_40_percent(
    api: TestClient, world: World, policy: str
) -> tuple[Party, dict[str, Any], str, int]:
    """A shop whose contract does ``policy`` with the unearned subsidy, a campaign whose
    merchant pays 40 %, and alice's 12,000.00 order confirmed on it and captured: the shop,
    the campaign, the session and the loan."""
    merchant = shop(api, world.admin, {**CONTRACT, "unearned_subsidy": policy})
    body = _campaign(merchant_id_of(api, merchant), merchant_share="40%")
    campaign = staff_post(api, world.admin, "/v1/staff/campaigns", body)
    session, _ = opened(api, world, merchant)
    done = confirm(api, world.alice, session, campaign_id=campaign["id"])
    assert done.status_code == 200 and done.json()["status"] == "authorized", done.text
    captured = post(api, merchant, session, "captures", amount="12000.00")
    assert captured.status_code == 201, captured.text
    return merchant, campaign, session, int(captured.json()["captures"][0]["loan_id"])


def test_reversing_a_payment_made_before_a_refund_keeps_what_the_refund_unwound(
    api: TestClient, world: World
) -> None:
    """The borrower pays 1,000.00 in the second month, the merchant then refunds 3,000.00,
    and the payment bounces: the loan is replayed without it, but the refund still unwinds
    the subsidy the merchant was settled on, so the lender's marketing expense stays its
    share less what the stored refund part gave back."""
    merchant, _, session, loan_id = _bought_at_40_percent(api, world, "return-to-merchant")
    _next_days(api, 32)
    paid = api.post(
        f"/v1/loans/{loan_id}/payments",
        headers={**world.alice.headers, **key()},
        json={"amount": "1000.00"},
    )
    assert paid.status_code == 201, paid.text
    _next_days(api, 1)
    refunded = post(api, merchant, session, "refunds", amount="3000.00")
    assert refunded.status_code == 201, refunded.text
    [part] = refunded.json()["refunds"][0]["parts"]
    lender_part = fen(part["subsidy_unwound"]) - fen(part["merchant_unwound"])
    assert 0 < lender_part < LENDER
    assert balance(api, "marketing_expense") == LENDER - lender_part
    agent = make_staff(api, Role.SERVICING_AGENT)
    reversed_ = api.post(
        f"/v1/staff/payments/{paid.json()['txn_id']}/reversal",
        headers={**agent.headers, **key()},
        json={"reason": "the payment bounced at the bank"},
    )
    assert reversed_.status_code == 201, reversed_.text
    assert balance(api, "marketing_expense") == LENDER - lender_part
    ledger_ok(api)
