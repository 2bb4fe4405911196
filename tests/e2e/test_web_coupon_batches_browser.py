"""The console's interest-coupon batch page on a 360 px phone (Chromium), in Chinese and
English: the page is never wider than the screen (the batch table scrolls in its own region),
and an issue refused by the batch's per-borrower limit is read beside its field.

Uses the server and browser fixtures of tests/e2e/test_web_browser.py."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from tests.e2e.test_web_browser import _shot, app, browser, server
from tests.e2e.test_web_console_phone import _fits_the_screen
from tests.e2e.test_web_coupon_batches import ADMIN, PAGE, _batch
from tests.e2e.test_web_pages import PASSWORD
from thinfile.http import AppContext
from thinfile.services import identity
from thinfile.services import interest_coupons as batches

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["app", "browser", "server"]  # fixtures shared with the other browser tests


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_batch_page_fits_a_phone_and_shows_a_refusal(
    app: FastAPI, server: str, browser: Any, lang: str
) -> None:
    context: AppContext = app.state.context
    batch_id = _batch(context.engine)
    borrower = identity.create_user(
        context.engine, context.hasher, email="cbb@example.com", password=PASSWORD
    )
    batches.issue_batch_coupon(context.engine, ADMIN, batch_id, borrower.id)
    phone = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="zh-CN" if lang == "zh" else "en-GB"
    )
    page = phone.new_page()
    page.goto(f"{server}/sign-in")
    page.fill("#f-email", "uw@lender.example")
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/console")
    page.goto(f"{server}{PAGE}")
    _fits_the_screen(page, PAGE)
    page.select_option("#f-batch_id", batch_id)
    page.fill("#f-borrower_id", borrower.id)
    page.locator("form[action$='/issues'] button[type=submit]").click()
    page.wait_for_selector("#e-borrower_id")
    words = page.inner_text("#e-borrower_id")
    expected = (
        "该借款人持有本批次的券已达上限。"
        if lang == "zh"
        else "This borrower holds as many of this batch as allowed."
    )
    assert words == expected
    _fits_the_screen(page, f"{PAGE} (refused)")
    _shot(page, f"{lang}-phone-coupon-batches")
    phone.close()
