"""The shop owner's working-capital line page in a real browser on a 360 px phone, in Chinese
and English: draw, repay early, a bad sales file refused with nothing stored, a good one
charted inside the screen, nothing scrolling sideways.

Uses the server and browser fixtures of tests/e2e/test_web_browser.py.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI

from tests.e2e.test_web_browser import _shot, _signs_in_after_sign_up, app, browser, server
from tests.e2e.test_web_pages import PASSWORD, id_number
from tests.e2e.test_web_working_capital import sales_csv
from thinfile.http import AppContext
from thinfile.money import Money
from thinfile.services import working_capital as wc
from thinfile.services.consent import DataCategory, Purpose, grant_consent
from thinfile.services.identity_records import SYSTEM
from thinfile.services.uow import UnitOfWork

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["app", "browser", "server"]  # fixtures shared with the other browser tests

_WIDE = "() => document.scrollingElement.scrollWidth"


def _open_line(app: FastAPI, email: str) -> int:
    context: AppContext = app.state.context
    with UnitOfWork(context.engine) as uow:
        user = uow.users.active_by_email(email)
        assert user is not None
        applicant_id = uow.applicants.id_of_user(user.id)
    assert applicant_id is not None
    grant_consent(
        context.engine,
        applicant_id=applicant_id,
        category=DataCategory.MERCHANT_SALES,
        purpose=Purpose.CREDIT_ASSESSMENT,
        notice_version="v1",
        separate=False,
        actor=SYSTEM,
    )
    line = wc.open_working_capital_line(
        context.engine, user.id, limit=Money.of("20000"), daily_rate=Decimal("0.0005")
    )
    return line.line_id


def shop_owner_with_a_line(
    app: FastAPI, server: str, browser: Any, lang: str, *, email: str, serial: int
) -> tuple[Any, Any, int]:
    """A shop owner signed up on a 360 px phone in ``lang``, profile filled in (ID number
    ``serial``), with a working-capital line opened by staff: the browser context, its page
    and the line's id."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="zh-CN" if lang == "zh" else "en-GB"
    )
    page = context.new_page()
    page.goto(f"{server}/sign-up")
    page.fill("#f-email", email)
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    _signs_in_after_sign_up(page, email)
    page.fill("#f-name", "李小店")
    page.fill("#f-id_number", id_number(serial))
    page.fill("#f-phone", f"1390000{serial:04d}")
    page.click("main button[type=submit]")
    page.wait_for_url("**/consent")
    return context, page, _open_line(app, email)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_shop_owner_draws_and_repays_on_a_phone(
    app: FastAPI, server: str, browser: Any, lang: str
) -> None:
    email = f"shop-{lang}@example.com"
    context, page, line_id = shop_owner_with_a_line(
        app, server, browser, lang, email=email, serial=700 if lang == "zh" else 800
    )
    page.goto(f"{server}/working-capital/{line_id}")
    assert page.locator("#wc-available").inner_text() == "¥20,000.00"
    page.fill("#f-draw-amount", "8000")
    page.select_option("#f-term", "180")
    page.click("#draw-button")
    page.wait_for_url("**done=draw")
    assert page.locator("#wc-drawn").inner_text() == "¥8,000.00"
    assert page.locator("#wc-available").inner_text() == "¥12,000.00"
    assert page.locator("#wc-today").inner_text() == "¥4.00"  # 8,000.00 × 0.0005
    assert page.locator("#period").is_visible()
    page.fill("#f-repay-amount", "8000")
    page.click("#repay-button")
    page.wait_for_url("**done=repay")
    assert page.locator("#wc-drawn").inner_text() == "¥0.00"  # repaid the same day: no interest
    page.fill("#f-csv", "date,gross_sales\n2020-01-01,-1")
    page.click("#upload-button")
    page.wait_for_selector("#e-sales")
    assert page.evaluate(_WIDE) <= 360
    _shot(page, f"{lang}-wc-refused")
    assert page.locator("#sales svg.chart").count() == 0  # nothing half-loaded
    page.fill("#f-csv", sales_csv(7))
    page.click("#upload-button")
    page.wait_for_url("**done=sales")
    chart = page.locator("#sales svg.chart")
    assert chart.locator("rect.bar").count() == 7
    box = chart.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert page.evaluate(_WIDE) <= 360
    _shot(page, f"{lang}-wc-line")
    context.close()
