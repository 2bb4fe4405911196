"""The merchant portal's webhook deliveries and void in a real browser (Debian's Chromium,
headless) on a 360 px wide screen: the shop's account finds the event its failing endpoint
never took, replays it, and voids the order it will not capture — the whole ¥12,000 the buyer
authorized, checked against the price written here — and no page scrolls sideways."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from tests.e2e.mall_harness import merchant_account, read_for, yuan
from tests.e2e.test_web_browser import _shot, app, browser, server
from tests.e2e.test_web_mall import _buy, _confirm
from tests.e2e.test_web_merchant_webhooks import QUICK, _deliver, _endpoint, _stored
from tests.e2e.test_web_pages import PASSWORD, borrower
from tests.support.webhooks import Receiver, receiving
from thinfile.commerce import MerchantCategory
from thinfile.http import AppContext
from thinfile.services.business_date import current_business_date
from thinfile.services.identity_records import SYSTEM
from thinfile.services.mall_seed import seed_mall
from thinfile.services.uow import UnitOfWork

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

__all__ = ["app", "browser", "server"]  # fixtures shared with the other browser tests

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PRICE_FEN = 1_200_000


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_shop_replays_a_failed_event_and_voids_an_order_on_a_phone(
    server: str, browser: Any, app: FastAPI
) -> None:
    context: AppContext = app.state.context
    shops = seed_mall(
        context.engine, context.cipher, SYSTEM, on=current_business_date(context.engine)
    )
    bikes = next(s for s in shops if s.category is MerchantCategory.E_BIKES)
    merchant_account(app, bikes.merchant_id, "hooks@bikes.example")
    receiver = Receiver(fail_first=2)
    with receiving(receiver):
        _endpoint(context, bikes.merchant_id, receiver.url)
        buyer = TestClient(app, base_url="http://127.0.0.1")  # the running app, no new lifespan
        try:
            borrower(buyer, 311)
            session_id = _buy(buyer, bikes.product_ids[0])
            assert buyer.get(f"/checkout/{session_id}/plans/12").status_code == 200
            read_for(app, session_id)
            assert _confirm(buyer, session_id).status_code == 303
        finally:
            buyer.close()
        _deliver(context, QUICK)  # 500, 500: the checkout.authorized event failed
        with UnitOfWork(context.engine) as uow:
            (event,) = uow.webhooks.page(bikes.merchant_id, limit=5, offset=0)
        assert (event.event_type, event.status, event.attempts) == (
            "checkout.authorized",
            "failed",
            2,
        )

        shop = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
        page = shop.new_page()
        page.goto(f"{server}/sign-in")
        page.fill("#f-email", "hooks@bikes.example")
        page.fill("#f-password", PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url("**/merchant")
        page.click("nav.monitor-nav a[href='/merchant/webhooks']")
        page.wait_for_url("**/merchant/webhooks")
        row = page.locator(f"tr[data-event='{event.id}']")
        assert row.get_attribute("data-state") == "failed"
        assert row.locator(".attempts").inner_text() == "2"
        assert row.locator(".answer").inner_text() == "500"
        _fits(page)
        _shot(page, "zh-merchant-webhooks")
        row.locator("a.mono").click()
        page.wait_for_url(f"**/merchant/webhooks/{event.id}")
        assert page.locator("tr[data-attempt]").count() == 2
        _fits(page)
        page.click("#replay-button")
        page.wait_for_url("**done=replay")
        assert page.locator("#event-state").get_attribute("data-state") == "pending"
        _shot(page, "zh-merchant-webhook-replayed")
        stored, attempts = _stored(context, event.id)
        assert (stored.status, stored.tries, len(attempts)) == ("pending", 0, 2)
        _deliver(context, QUICK)  # the endpoint answers 200 now
        page.reload()
        assert page.locator("#event-state").get_attribute("data-state") == "delivered"
        assert page.locator("tr[data-attempt='3']").get_attribute("data-outcome") == "delivered"

        page.goto(f"{server}/merchant/orders/{session_id}")
        assert page.locator("#authorized").inner_text() == yuan(PRICE_FEN)
        _fits(page)
        page.click("#void-button")
        page.wait_for_url("**done=void")
        assert page.locator("#voided").inner_text() == yuan(PRICE_FEN)
        assert page.locator("#captured").inner_text() == yuan(0)
        assert page.locator("#void-button").count() == 0  # nothing left to void
        _fits(page)
        _shot(page, "zh-merchant-order-voided")
        with UnitOfWork(context.engine) as uow:
            order = uow.checkouts.get(session_id)
        assert order is not None
        assert (order.status, order.authorized, order.captured, order.voided) == (
            "voided",
            PRICE_FEN,
            0,
            PRICE_FEN,
        )
        page.goto(f"{server}/merchant/webhooks")
        newest = page.locator("table.deliveries tbody tr").first
        assert "checkout.voided" in newest.inner_text()
        shop.close()
