"""The borrower's 额度 page in a real browser on a 360 px phone, in Chinese and English: see the
line, ask for more and read why not, ask again under a policy that offers more and read why,
accept the offered limit, then draw from the line after reading the draw's cost — every
amount checked against the table or an independent computation.

Uses the server, browser and journey helpers of tests/e2e/test_web_browser.py.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from tests.e2e.test_web_browser import (
    _applies_as_a_new_borrower,
    _fen,
    _fits_a_phone,
    _shot,
    app,
    browser,
    server,
)
from tests.e2e.test_web_limits import _installment, permissive_policy
from tests.e2e.test_web_pages import PASSWORD
from tests.support.pages import found
from thinfile.decisioning.limit_reasons import explain_limit
from thinfile.http import AppContext
from thinfile.security.roles import Role
from thinfile.services.applications import MIN_READING_SECONDS, accept_offer
from thinfile.services.identity_records import Actor
from thinfile.store.decisioning_tables import applications

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["app", "browser", "server"]  # fixtures shared with the other browser tests


def _engine(app: FastAPI) -> sa.Engine:
    context: AppContext = app.state.context
    return context.engine


def _accepts_the_line(app: FastAPI, application_id: str) -> int:
    """The borrower accepts the revolving line offer (the offer page's journey is tested on
    its own); the new line's number."""
    with _engine(app).connect() as conn:
        row = conn.execute(
            sa.select(applications.c.user_id, applications.c.decision_json).where(
                applications.c.id == application_id
            )
        ).one()
    products = [o["product"] for o in json.loads(row.decision_json)["offers"]]
    accepted = accept_offer(
        _engine(app),
        application_id,
        actor=Actor(row.user_id, Role.BORROWER),
        offer=products.index("revolving_line"),
        seconds_read=MIN_READING_SECONDS,
        confirmed=True,
        on=date.today(),
    )
    assert accepted.credit_line_id is not None
    return accepted.credit_line_id


def _stored(app: FastAPI, line_id: int) -> tuple[int, str, int]:
    """The line's limit and rate, and the principal drawn from it, read from the tables."""
    with _engine(app).connect() as conn:
        limit, rate = conn.execute(
            sa.text("SELECT limit_amount, annual_rate FROM servicing_credit_lines WHERE id = :i"),
            {"i": line_id},
        ).one()
        used = conn.execute(
            sa.text("SELECT SUM(principal) FROM servicing_loans WHERE credit_line_id = :i"),
            {"i": line_id},
        ).scalar_one()
    return int(limit), str(rate), int(used or 0)


def _words(code: str, lang: str) -> str:
    reason = explain_limit(code)
    return reason.zh if lang == "zh" else reason.en


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_borrower_sees_the_line_asks_for_more_accepts_the_offer_and_draws(
    app: FastAPI, server: str, browser: Any, lang: str, tmp_path: Path
) -> None:
    serial = 700 if lang == "zh" else 800
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="zh-CN" if lang == "zh" else "en-GB"
    )
    page = context.new_page()
    application_id = _applies_as_a_new_borrower(page, server, serial, months_in_city=24)
    line_id = _accepts_the_line(app, application_id)
    page.goto(f"{server}/sign-in")
    page.fill("#f-email", f"driver{serial}@example.com")
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/home")

    # see the line: from home, the limit, used and available as stored
    page.click("#my-limit")
    page.click(".line-card a.button")
    page.wait_for_url(f"**/lines/{line_id}")
    limit, rate, used = _stored(app, line_id)
    assert _fen(page.inner_text("#limit")) == limit
    assert _fen(page.inner_text("#used")) == used
    assert _fen(page.inner_text("#available")) == limit - used
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360

    # ask for more: a line opened today is too young, and the page says so in plain words
    page.click("#ask-more")
    page.wait_for_selector("#answer-reasons")
    assert _words("MOB_UNDER_3", lang) in page.inner_text("#answer-reasons")
    assert page.locator("#accept-offer").count() == 0
    _shot(page, f"limit-answer-{lang}")

    # under a policy that lets young lines grow, asking again brings an offer with its reasons
    permissive_policy(_engine(app), tmp_path)
    page.goto(f"{server}/lines/{line_id}")
    page.click("#ask-more")
    page.wait_for_selector("#accept-offer")
    assert _words("INCREASE_GOOD_REPAYMENT", lang) in page.inner_text("#answer-reasons")
    offered = _fen(found(r"(¥[0-9,.]+)", page.inner_text("#answer-heading")))
    assert offered > limit and _stored(app, line_id)[0] == limit

    # accept: the limit moves to what was offered, and the history says why
    page.click("#accept-offer")
    page.wait_for_selector("#done")
    assert _stored(app, line_id)[0] == offered
    assert _fen(page.inner_text("#limit")) == offered
    assert _fen(page.inner_text("#available")) == offered - used
    assert _words("OFFER_ACCEPTED", lang) in page.inner_text("#limit-history")

    # draw: the cost first (first installment computed here), then one loan
    page.fill("#f-draw-amount", "1000")
    page.select_option("#f-draw-term", "6")
    page.click("#draw-button")
    page.wait_for_url(f"**/lines/{line_id}/draw?*")
    first = _installment(100_000, Decimal(rate), 6)
    rows = page.locator("table.schedule tbody tr")
    assert rows.count() == 6
    assert _fen(rows.nth(0).locator("td.key").inner_text()) == first
    _fits_a_phone(page, columns=6)
    _shot(page, f"limit-draw-{lang}")
    assert page.locator("#confirm-draw").is_disabled()  # the reading pause
    page.check("#f-confirm")
    page.click("#confirm-draw")  # waits until the pause is over and the button enabled
    page.wait_for_url("**/loans/*")
    assert _stored(app, line_id)[2] == used + 100_000
    page.goto(f"{server}/lines/{line_id}")
    assert _fen(page.inner_text("#used")) == used + 100_000
    assert _fen(page.inner_text("#available")) == offered - used - 100_000
    context.close()
