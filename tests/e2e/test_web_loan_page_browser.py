"""The borrower's loan page in a real browser at 360 px, in Chinese and English: the language
switch after a refused payment, and what each payment did to the schedule.

Uses the server, browser and journey helpers of tests/e2e/test_web_browser.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from tests.e2e.test_web_browser import (
    _accept_for_the_borrower,
    _applies_as_a_new_borrower,
    _fits_a_phone,
    _shot,
    app,
    browser,
    server,
)
from tests.e2e.test_web_pages import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["app", "browser", "server"]  # fixtures shared with the other browser tests

HTML_LANG = {"zh": "zh-Hans", "en": "en"}


def _borrower_on_their_loan(app: FastAPI, server: str, browser: Any, lang: str, serial: int):
    """A new borrower with a loan, signed in on a 360 px phone, on the loan's page."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="zh-CN" if lang == "zh" else "en-GB"
    )
    page = context.new_page()
    application_id = _applies_as_a_new_borrower(page, server, serial, months_in_city=24)
    _accept_for_the_borrower(app, application_id)
    page.goto(f"{server}/sign-in")
    page.fill("#f-email", f"driver{serial}@example.com")
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/home")
    page.goto(f"{server}/loans")
    page.click(".loan-card a.button")
    page.wait_for_url("**/loans/*")
    return context, page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_switching_language_on_a_refused_payment_shows_the_loan_page_again(
    app: FastAPI, server: str, browser: Any, lang: str
) -> None:
    context, page = _borrower_on_their_loan(
        app, server, browser, lang, 500 if lang == "zh" else 600
    )
    loan_url = page.url
    page.fill("#f-pay-amount", "lots")
    page.click("#pay-button")
    page.wait_for_selector("#e-pay-amount")
    assert page.url.endswith("/payments")  # the refused form, shown at its POST address
    other = "en" if lang == "zh" else "zh"
    with page.expect_navigation():
        page.click(f"form.lang button[value={other}]")
    assert page.url == loan_url
    assert page.get_attribute("html", "lang") == HTML_LANG[other]
    assert page.locator("#pay-button").count() == 1  # the page, not an error in JSON
    _shot(page, f"{lang}-language-after-refusal")
    context.close()


def _fen(shown: str) -> int:
    return int(shown.split(maxsplit=1)[0].replace("¥", "").replace(",", "").replace(".", ""))


def _plan(page: Any) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = page.evaluate(
        """() => [...document.querySelectorAll('table.plan tbody tr')].map(tr => ({
            state: tr.className, agreed: tr.querySelector('.key').textContent,
            paid: tr.querySelector('.paid').textContent,
            remaining: tr.querySelector('.remaining').textContent}))"""
    )
    return rows


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_loan_page_shows_what_each_payment_did_and_keeps_the_agreed_schedule(
    app: FastAPI, server: str, browser: Any, lang: str
) -> None:
    """Paying exactly the installment due on the day the loan opens, then repaying the rest:
    each payment is listed with its split and the installments it went to, and the schedule
    agreed at opening keeps its twelve rows with paid and remaining on each, also once the
    loan is repaid."""
    context, page = _borrower_on_their_loan(
        app, server, browser, lang, 700 if lang == "zh" else 800
    )
    due = page.input_value("#f-pay-amount")
    page.click("#pay-button")
    page.wait_for_url("**paid=*")
    rows = _plan(page)
    assert len(rows) == 12
    first, second = rows[0], rows[1]
    assert _fen(first["paid"]) == _fen(first["agreed"]) == _fen(due)
    assert "recalculated" in first["state"] or page.locator(".plan .recalculated").count() >= 1
    assert _fen(second["paid"]) == 0 and "part-paid" not in second["state"]
    receipts = page.locator("ol.receipts li.receipt")
    assert receipts.count() == 1
    receipt = receipts.first
    assert _fen(receipt.locator(".principal").inner_text()) + _fen(
        receipt.locator(".interest").inner_text()
    ) + _fen(receipt.locator(".fees").inner_text()) == _fen(due)
    assert "1" in receipt.locator(".went-to").inner_text()
    _fits_a_phone(page, columns=6)
    _shot(page, f"{lang}-paid-the-installment-early")
    page.click("form[action$='/prepayments'].actions button")
    page.wait_for_url("**paid=*")
    rows = _plan(page)
    assert len(rows) == 12  # the agreed schedule, not one folded row
    assert all(_fen(r["remaining"]) == 0 for r in rows)
    assert all("row-paid" in r["state"] for r in rows)
    assert page.locator("ol.receipts li.receipt").count() == 2
    went_to = page.locator("ol.receipts li.receipt").first.locator(".went-to").inner_text()
    assert "12" in went_to
    _fits_a_phone(page, columns=6)
    _shot(page, f"{lang}-repaid-schedule")
    context.close()
