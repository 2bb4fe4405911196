"""The collection console in a real browser (Debian's Chromium, headless), in Chinese and
English: a collector opens a case from the queue and proposes a term extension, an agent
approves it and the schedule grows by the months added.

Uses the server and browser fixtures of tests/e2e/test_web_browser.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi import FastAPI

from tests.e2e.test_web_browser import _shot, app, browser, server
from tests.e2e.test_web_pages import PASSWORD
from tests.integration.collections_helpers import delinquent_loans
from thinfile.http import AppContext
from thinfile.security.roles import Role
from thinfile.services import business_date, collections, identity

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["app", "browser", "server"]

M1_DAY = date(2025, 1, 10)


@pytest.fixture(autouse=True)
def calendar_of_2025(monkeypatch):
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 1, 1, tzinfo=UTC))


def _signs_in(browser: Any, server: str, who: str, lang: str) -> Any:
    context = browser.new_context(
        viewport={"width": 1024, "height": 900}, locale="zh-CN" if lang == "zh" else "en-GB"
    )
    page = context.new_page()
    page.goto(f"{server}/sign-in")
    page.fill("#f-email", f"{who}@lender.example")
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/console**")
    return page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_term_extension_proposed_and_approved_in_the_browser(
    app: FastAPI, server: str, browser: Any, lang: str
) -> None:
    context: AppContext = app.state.context
    for who, role in (("collector", Role.COLLECTOR), ("agent", Role.SERVICING_AGENT)):
        identity.create_user(
            context.engine, context.hasher, email=f"{who}@lender.example", password=PASSWORD,
            role=role,
        )  # fmt: skip
    [loan_id] = delinquent_loans(context.engine, M1_DAY, "3000")
    [case] = collections.worklist(context.engine)
    assert case.loan_id == loan_id

    page = _signs_in(browser, server, "collector", lang)
    assert page.url.endswith("/console/collections")
    page.click(f"a[href='/console/collections/{case.case_id}']")
    page.wait_for_url(f"**/console/collections/{case.case_id}")
    title = {"zh": f"催收案件 {case.case_id}", "en": f"Collection case {case.case_id}"}[lang]
    assert page.locator("h1").inner_text() == title
    rows = page.locator("#schedule tbody tr").count()
    page.select_option("#f-kind", "term_extension")
    page.fill("#f-months", "2")
    page.fill("#f-reason", "hours cut at the warehouse")
    page.click("#plan-form button[type=submit]")
    page.wait_for_url("**done=proposed")
    assert (
        page.locator("#plans .plan-status")
        .inner_text()
        .startswith({"zh": "待审批", "en": "Waiting for approval"}[lang])
    )
    assert page.locator("#plans button[id^=approve]").count() == 0  # the proposer cannot
    withdraw = page.locator("#plans button[id^=decline]")  # but may withdraw it
    assert withdraw.inner_text() == {"zh": "撤回", "en": "Withdraw"}[lang]
    _shot(page, f"{lang}-collection-case")
    page.context.close()

    page = _signs_in(browser, server, "agent", lang)
    page.goto(f"{server}/console/collections/{case.case_id}")
    page.click("#plans button[id^=approve]")
    page.wait_for_url("**done=approved")
    assert page.locator("#schedule tbody tr").count() == rows + 2
    assert (
        page.locator("#payments")
        .inner_text()
        .count({"zh": "延长期限", "en": "Term extension"}[lang])
        == 1
    )
    _shot(page, f"{lang}-collection-case-approved")
    page.context.close()
