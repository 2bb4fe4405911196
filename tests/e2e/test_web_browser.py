"""The pages in a real browser (Debian's Chromium, headless), in Chinese and English.

Screenshots go to test-artifacts/web/ (gitignored). In CI a missing browser fails the tests;
elsewhere they skip with a message (install it with `apt-get install -y chromium`).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from tests.conftest import REPO, in_ci
from tests.e2e.test_web_pages import PASSWORD, build_app, id_number, seed

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
def server(tmp_path: Path) -> Iterator[str]:
    app = build_app(tmp_path)
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
    context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_underwriter_approves_a_referral_from_the_queue(server, browser, lang):
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
    assert page.locator("svg.chart").count() == 2
    _shot(page, f"{lang}-portfolio")
    context.close()
