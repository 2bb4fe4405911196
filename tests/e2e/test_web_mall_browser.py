"""The mall in a real browser (Debian's Chromium, headless) on a phone-sized screen: a rider
buys an e-bike on 12 interest-free installments from the mall — the monthly price, the
interest-free plan and the reading pause before confirming — and the shop's account sees the
order, captures it and refunds it. Amounts are checked against arithmetic written here."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI

from tests.e2e.mall_harness import interest_free, merchant_account, yuan
from tests.e2e.test_web_browser import (
    _shot,
    _signs_in_after_sign_up,
    _verifies_the_real_name,
    app,
    browser,
    server,
)
from tests.e2e.test_web_pages import PASSWORD, id_number
from thinfile.commerce import MerchantCategory
from thinfile.http import AppContext
from thinfile.services.business_date import current_business_date
from thinfile.services.identity_records import SYSTEM
from thinfile.services.mall_seed import seed_mall

__all__ = ["app", "browser", "server"]  # fixtures shared with the other browser tests

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PRICE_FEN = 1_200_000


def _borrower(page: Any, server: str, serial: int) -> None:
    email = f"mall{serial}@example.com"
    page.goto(f"{server}/sign-up")
    page.fill("#f-email", email)
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    _signs_in_after_sign_up(page, email)
    page.fill("#f-name", "李骑手")
    page.fill("#f-id_number", id_number(serial))
    page.fill("#f-phone", f"1390000{serial:04d}")
    page.click("main button[type=submit]")
    page.check("#c-identity\\:kyc")
    page.check("#c-credit_report\\:credit_assessment")
    page.click("main form[action='/consent'] button[type=submit]")
    _verifies_the_real_name(page, server)


def test_a_rider_buys_on_12_free_installments_and_the_shop_refunds(
    server: str, browser: Any, app: FastAPI
) -> None:
    from playwright.sync_api import expect

    context: AppContext = app.state.context
    shops = seed_mall(
        context.engine, context.cipher, SYSTEM, on=current_business_date(context.engine)
    )
    bikes = next(s for s in shops if s.category is MerchantCategory.E_BIKES)
    merchant_account(app, bikes.merchant_id, "shop@bikes.example")
    monthly = yuan(interest_free(PRICE_FEN, 12)[0])

    rider = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    page = rider.new_page()
    _borrower(page, server, 301)
    page.goto(f"{server}/mall")
    card = page.locator(f"li[data-product='{bikes.product_ids[0]}']")
    assert f"{monthly} × 12期" in card.locator(".monthly").inner_text()
    assert "免息" in card.inner_text()
    _shot(page, "zh-mall")
    card.locator("a.button").click()
    row = page.locator("tr[data-periods='12']")
    assert row.locator(".rate").inner_text() == "0.00%"
    assert row.locator(".repay").inner_text() == yuan(PRICE_FEN)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    _shot(page, "zh-mall-product")
    page.click("#buy")
    page.wait_for_url("**/checkout/*")
    page.click("#plan-12")
    page.wait_for_url("**/plans/12")
    assert page.locator("#financed").inner_text() == yuan(PRICE_FEN)
    assert page.locator("#total-cost").inner_text() == yuan(0)
    assert page.locator("#plan-rate").inner_text() == "0.00%"
    installments = page.locator("table.installments tbody td.key").all_inner_texts()
    assert installments == [yuan(f) for f in interest_free(PRICE_FEN, 12)]
    page.select_option("#f-segment", "delivery_rider")
    page.fill("#f-declared_monthly_income", "9000")
    page.fill("#f-existing_debt_payment_monthly", "0")
    page.fill("#f-months_in_city", "24")
    button = page.locator("#confirm-button")
    assert button.is_disabled()  # the reading pause
    page.check("#f-confirm")
    _shot(page, "zh-mall-statement")
    expect(button).to_be_enabled(timeout=15_000)
    button.click()
    page.wait_for_url("**/done")
    assert page.locator("#outcome").get_attribute("data-status") == "authorized"
    rider.close()

    shop = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    page = shop.new_page()
    page.goto(f"{server}/sign-in")
    page.fill("#f-email", "shop@bikes.example")
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/merchant")
    link = page.locator("table.orders tbody tr a").first
    assert re.fullmatch(r"MALL-\w+", link.inner_text())
    link.click()
    page.wait_for_url("**/merchant/orders/*")
    page.click("#capture-button")
    page.wait_for_url("**done=capture")
    assert page.locator("#captured").inner_text() == yuan(PRICE_FEN)
    page.fill("#f-refund", "12000.00")
    page.click("#refund-button")
    page.wait_for_url("**done=refund")
    assert page.locator("#refunded").inner_text() == yuan(PRICE_FEN)
    assert page.locator("#refund-button").count() == 0  # nothing left to refund
    _shot(page, "zh-merchant-order")
    shop.close()
