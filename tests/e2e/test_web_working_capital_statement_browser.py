"""The working-capital line's monthly statement in a real browser on a 360 px phone, in
Chinese and English: reached from the line page, the month chosen in its form, the figures
those of a day-by-day calculation written here, the rows readable without scrolling sideways.

Uses the server and browser fixtures of tests/e2e/test_web_browser.py.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

import pytest
from fastapi import FastAPI

from tests.e2e.test_web_browser import _shot, app, browser, server
from tests.e2e.test_web_working_capital_browser import shop_owner_with_a_line
from thinfile.http import AppContext
from thinfile.money import Money
from thinfile.services import working_capital as wc
from thinfile.services.business_date import current_business_date
from thinfile.services.cob import run_cob
from thinfile.services.uow import UnitOfWork

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["app", "browser", "server"]  # fixtures shared with the other browser tests

_WIDE = "() => document.scrollingElement.scrollWidth"


def _yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_shop_owner_reads_the_months_statement_on_a_phone(
    app: FastAPI, server: str, browser: Any, lang: str
) -> None:
    context, page, line_id = shop_owner_with_a_line(
        app,
        server,
        browser,
        lang,
        email=f"statement-{lang}@example.com",
        serial=710 if lang == "zh" else 810,
    )
    app_context: AppContext = app.state.context
    engine = app_context.engine
    with UnitOfWork(engine) as uow:
        owner = uow.working_capital.get(line_id)[0].owner
    first = current_business_date(engine)
    wc.draw_on_line(engine, owner, line_id, Money.of("8000.01"), term_days=90)
    run_cob(engine, first + timedelta(days=2))
    # each night: 8,000.01 × 0.0005 = 4.000005, truncated 4.00
    night = int((Decimal(800_001) * Decimal("0.0005")).quantize(Decimal(1), ROUND_DOWN))
    month = f"{first + timedelta(days=2):%Y-%m}"
    page.goto(f"{server}/working-capital/{line_id}")
    page.click("#statement-link")
    page.wait_for_selector("#statement")
    page.select_option("#f-month", month)
    page.click("#month-button")
    page.wait_for_url(f"**month={month}")
    nights = sum(1 for k in range(3) if f"{first + timedelta(days=k):%Y-%m}" == month)
    drew_this_month = f"{first:%Y-%m}" == month
    assert page.locator("#st-interest").inner_text() == _yuan(night * nights)
    assert page.locator("#st-drawn").inner_text() == _yuan(800_001 if drew_this_month else 0)
    assert page.locator("#st-closing").inner_text() == _yuan(800_001 + 3 * night)
    assert page.locator("#st-fees").inner_text() == "¥0.00"
    assert page.locator("#statement-rows tr.st-interest").count() == nights
    basis = page.locator("#st-basis").inner_text()
    assert "0.050%" in basis and "18.250%" in basis
    assert ("实际天数" in basis) if lang == "zh" else ("actual days" in basis)
    assert page.locator("#statement-csv").get_attribute("href") == (
        f"/working-capital/{line_id}/statement.csv?month={month}"
    )
    box = page.locator("#statement-rows").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert page.evaluate(_WIDE) <= 360
    _shot(page, f"{lang}-wc-statement")
    context.close()
