"""The pages in a real browser (Debian's Chromium, headless), in Chinese and English.

Screenshots go to test-artifacts/web/ (gitignored). In CI a missing browser fails the tests;
elsewhere they skip with a message (install it with `apt-get install -y chromium`).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI

from tests.conftest import REPO, in_ci
from tests.e2e.test_web_pages import PASSWORD, build_app, id_number, seed
from thinfile.api.context import AppContext
from thinfile.security.roles import Role
from thinfile.services.applications import MIN_READING_SECONDS, accept_offer
from thinfile.services.identity_records import Actor
from thinfile.store.decisioning_tables import applications

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = REPO / "test-artifacts" / "web"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    return build_app(tmp_path)


@pytest.fixture
def server(app: FastAPI, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    for _ in range(100):
        if running.started:
            break
        time.sleep(0.05)
    seed(app, tmp_path)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install -y chromium)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        launched = play.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield launched
        launched.close()


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_borrower_signs_up_applies_reads_the_statement_and_confirms(server, browser, lang):
    context = browser.new_context(viewport={"width": 360, "height": 740},
                                  locale="zh-CN" if lang == "zh" else "en-GB")
    page = context.new_page()
    page.goto(f"{server}/sign-up")
    assert page.get_attribute("html", "lang") == ("zh-Hans" if lang == "zh" else "en")
    serial = 100 if lang == "zh" else 200
    page.fill("#f-email", f"rider{serial}@example.com")
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    page.fill("#f-name", "王小明")
    page.fill("#f-id_number", id_number(serial))
    page.fill("#f-phone", f"1390000{serial:04d}")
    page.click("main button[type=submit]")
    page.check("#c-identity\\:kyc")
    page.check("#c-credit_report\\:credit_assessment")
    _shot(page, f"{lang}-consent")
    page.click("main form[action='/consent'] button[type=submit]")
    page.goto(f"{server}/apply")
    page.select_option("#f-purpose", "phone_purchase")
    page.fill("#f-requested_amount", "6000")
    page.select_option("#f-requested_term_months", "12")
    page.select_option("#f-segment", "delivery_rider")
    page.fill("#f-declared_monthly_income", "7000")
    page.fill("#f-months_in_city", "24")
    page.click("main button[type=submit]")
    page.click("a[href$='/offers/0']")
    button = page.locator("#confirm-button")
    assert button.is_disabled()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    apr = page.locator(".offer .apr strong").evaluate("e => getComputedStyle(e).fontSize")
    small = page.locator(".offer .small").evaluate("e => getComputedStyle(e).fontSize")
    assert float(apr[:-2]) > float(small[:-2])
    _shot(page, f"{lang}-offer")
    page.check("#f-confirm")
    from playwright.sync_api import expect

    expect(button).to_be_enabled(timeout=15_000)
    button.click()
    assert "/applications/" in page.url and "accepted=1" in page.url
    _shot(page, f"{lang}-accepted")
    _pays_one_installment(page)
    context.close()


def _pays_one_installment(page) -> None:
    """From the confirmation to My loans: the new loan, then one installment paid."""
    page.click("main a[href='/loans']")
    page.wait_for_url("**/loans")
    _shot(page, f"{page.get_attribute('html', 'lang')[:2]}-my-loans")
    before = page.locator(".loan-card .balance").inner_text()
    assert before == "¥6,000.00"
    page.click(".loan-card a.button")
    page.wait_for_url("**/loans/*")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("#pay-button")
    page.wait_for_url("**paid=*")
    after = page.locator(".offer .balance").inner_text()
    assert _fen(after) < _fen(before)
    assert page.locator(".row-paid, .row-part-paid").count() >= 1
    _shot(page, f"{page.get_attribute('html', 'lang')[:2]}-paid")


def _fen(shown: str) -> int:
    return int(shown.replace("¥", "").replace(",", "").replace(".", ""))


def _accept_for_the_borrower(app: FastAPI, application_id: str) -> None:
    """The borrower accepts (their browser journey is the test above): a loan to look at."""
    context: AppContext = app.state.context
    with context.engine.connect() as conn:
        user_id = conn.execute(sa.select(applications.c.user_id).where(
            applications.c.id == application_id)).scalar_one()
    accept_offer(context.engine, application_id, actor=Actor(user_id, Role.BORROWER), offer=0,
                 seconds_read=MIN_READING_SECONDS, on=date.today())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_underwriter_approves_a_referral_then_reads_the_loans_ledger(app, server, browser,
                                                                        lang):
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  locale="zh-CN" if lang == "zh" else "en-GB")
    page = context.new_page()
    serial = 300 if lang == "zh" else 400
    page.goto(f"{server}/sign-up")
    page.fill("#f-email", f"driver{serial}@example.com")
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    page.fill("#f-name", "李四")
    page.fill("#f-id_number", id_number(serial))
    page.fill("#f-phone", f"1390000{serial:04d}")
    page.click("main button[type=submit]")
    page.check("#c-credit_report\\:credit_assessment")
    page.click("main form[action='/consent'] button[type=submit]")
    page.goto(f"{server}/apply")
    page.select_option("#f-purpose", "vehicle")
    page.fill("#f-requested_amount", "6000")
    page.select_option("#f-requested_term_months", "12")
    page.select_option("#f-segment", "ride_hail_driver")
    page.fill("#f-declared_monthly_income", "8000")
    page.fill("#f-months_in_city", "7")
    page.click("main button[type=submit]")
    page.wait_for_url("**/applications/*")
    application_id = page.url.rsplit("/", 1)[1]
    page.click("form[action='/sign-out'] button")
    page.wait_for_url(f"{server}/")
    page.goto(f"{server}/sign-in")
    page.fill("#f-email", "uw@lender.example")
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/console")
    _shot(page, f"{lang}-queue")
    page.click("table a[href^='/console/applications/']")
    page.keyboard.press("Tab")
    page.fill("#f-note", "income checked")
    page.click("button[value=approve]")
    page.wait_for_url("**reviewed=1")
    _shot(page, f"{lang}-reviewed")
    page.goto(f"{server}/console/portfolio")
    _accept_for_the_borrower(app, application_id)
    page.goto(f"{server}/console/loans")
    page.click("table a[href^='/console/loans/']")
    page.wait_for_url("**/console/loans/*")
    assert page.locator("tbody.entry").count() >= 1
    assert page.locator("tbody.entry.unbalanced").count() == 0
    debits = sum(_fen(t) for t in page.locator("table.journal td:nth-last-child(2)")
                 .all_inner_texts() if t.strip())
    credits = sum(_fen(t) for t in page.locator("table.journal td:last-child")
                  .all_inner_texts() if t.strip())
    assert debits == credits > 0
    _shot(page, f"{lang}-loan-ledger")
    page.goto(f"{server}/console/portfolio")
    assert page.locator("svg.chart").count() == 4
    _shot(page, f"{lang}-portfolio")
    context.close()
