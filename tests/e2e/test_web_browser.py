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

from tests.e2e.test_web_pages import PASSWORD, build_app, id_number, seed
from tests.support.decisioning import table_priced_policy
from tests.support.environment import REPO, in_ci
from thinfile.decisioning import load_policy
from thinfile.http import AppContext
from thinfile.security.roles import Role
from thinfile.services.applications import MIN_READING_SECONDS, accept_offer
from thinfile.services.identity_records import SYSTEM, Actor
from thinfile.services.policies import activate_policy, register_policy
from thinfile.store.decisioning_tables import applications
from thinfile.web.charts import bar_chart
from thinfile.web.i18n import translations
from thinfile.web.pages import environment
from thinfile.web.review_views import repricings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
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
    deadline = time.monotonic() + 60
    while not running.started:  # seeding while the app still migrates would race its writes
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
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


def _signs_in_after_sign_up(page, email: str) -> None:
    """Sign-up answers alike for new and taken addresses: the borrower signs in next."""
    page.wait_for_selector("#signed-up")
    page.fill("#f-email", email)
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/profile")


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_borrower_signs_up_applies_reads_the_statement_and_confirms(server, browser, lang):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="zh-CN" if lang == "zh" else "en-GB"
    )
    page = context.new_page()
    page.goto(f"{server}/sign-up")
    assert page.get_attribute("html", "lang") == ("zh-Hans" if lang == "zh" else "en")
    serial = 100 if lang == "zh" else 200
    page.fill("#f-email", f"rider{serial}@example.com")
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    _signs_in_after_sign_up(page, f"rider{serial}@example.com")
    page.fill("#f-name", "王小明")
    page.fill("#f-id_number", id_number(serial))
    page.fill("#f-phone", f"1390000{serial:04d}")
    page.click("main button[type=submit]")
    page.check("#c-identity\\:kyc")
    page.check("#c-credit_report\\:credit_assessment")
    _shot(page, f"{lang}-consent")
    page.click("main form[action='/consent'] button[type=submit]")
    _verifies_the_real_name(page, server)
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
    _fits_a_phone(page, columns=6)
    apr = page.locator(".offer .apr strong").evaluate("e => getComputedStyle(e).fontSize")
    largest_other = page.evaluate(_LARGEST_OTHER_FONT, ".offer .apr strong")
    assert float(apr[:-2]) > largest_other, "the annualized rate is the largest figure"
    _shot(page, f"{lang}-offer")
    page.check("#f-confirm")
    from playwright.sync_api import expect

    expect(button).to_be_enabled(timeout=15_000)
    button.click()
    assert "/applications/" in page.url and "accepted=1" in page.url
    _shot(page, f"{lang}-accepted")
    _pays_one_installment(page)
    context.close()


def _verifies_the_real_name(page, server: str) -> None:
    """The step before a first application (实名认证, the sandbox provider); ends on /apply."""
    page.goto(f"{server}/real-name")
    page.click("main form[action='/real-name'] button[type=submit]")
    page.wait_for_url("**/apply")


def _pays_one_installment(page) -> None:
    """From the confirmation to My loans: the new loan, then one installment paid."""
    page.click("main a[href='/loans']")
    page.wait_for_url("**/loans")
    _shot(page, f"{page.get_attribute('html', 'lang')[:2]}-my-loans")
    before = page.locator(".loan-card .balance").inner_text()
    assert before == "¥6,000.00"
    page.click(".loan-card a.button")
    page.wait_for_url("**/loans/*")
    _fits_a_phone(page, columns=6)
    page.click("#pay-button")
    page.wait_for_url("**paid=*")
    after = page.locator(".offer .balance").inner_text()
    assert _fen(after) < _fen(before)
    assert page.locator(".row-paid, .row-part-paid").count() >= 1
    _shot(page, f"{page.get_attribute('html', 'lang')[:2]}-paid")


_OVERFLOWING_REGIONS = """() => [...document.querySelectorAll('main .scroll')]
    .filter(r => r.scrollWidth > r.clientWidth)
    .map(r => r.getAttribute('aria-labelledby') || r.getAttribute('aria-label'))"""
_CELLS_OFF_SCREEN = """() => [...document.querySelectorAll('table.schedule td')]
    .filter(td => { const box = td.getBoundingClientRect();
                    return box.width === 0 || box.left < 0 || box.right > innerWidth; })
    .map(td => td.textContent)"""
_LARGEST_OTHER_FONT = """apr => Math.max(...[...document.querySelectorAll('main *')]
    .filter(e => !e.matches(apr) && e.textContent.trim() && e.getClientRects().length)
    .map(e => parseFloat(getComputedStyle(e).fontSize)))"""


def _fits_a_phone(page, *, columns: int) -> None:
    """Nothing scrolls sideways at 360 px, the page nor any table in it, and the schedule still
    shows every one of its columns for every installment."""
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    assert page.evaluate(_OVERFLOWING_REGIONS) == []
    assert page.evaluate(_CELLS_OFF_SCREEN) == []
    rows = page.locator("table.schedule tbody tr")
    assert rows.count() >= 1
    assert page.locator("table.schedule tbody td").count() == rows.count() * columns


def _fen(shown: str) -> int:
    return int(shown.replace("¥", "").replace(",", "").replace(".", ""))


def _accept_for_the_borrower(app: FastAPI, application_id: str) -> None:
    """The borrower accepts (their browser journey is the test above): a loan to look at."""
    context: AppContext = app.state.context
    with context.engine.connect() as conn:
        user_id = conn.execute(
            sa.select(applications.c.user_id).where(applications.c.id == application_id)
        ).scalar_one()
    accept_offer(
        context.engine,
        application_id,
        actor=Actor(user_id, Role.BORROWER),
        offer=0,
        seconds_read=MIN_READING_SECONDS,
        confirmed=True,
        on=date.today(),
    )


def _applies_as_a_new_borrower(page, server: str, serial: int, *, months_in_city: int) -> str:
    """Sign up, profile, consent and apply in the browser; the new application's id."""
    page.goto(f"{server}/sign-up")
    page.fill("#f-email", f"driver{serial}@example.com")
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    _signs_in_after_sign_up(page, f"driver{serial}@example.com")
    page.fill("#f-name", "李四")
    page.fill("#f-id_number", id_number(serial))
    page.fill("#f-phone", f"1390000{serial:04d}")
    page.click("main button[type=submit]")
    page.check("#c-credit_report\\:credit_assessment")
    page.click("main form[action='/consent'] button[type=submit]")
    _verifies_the_real_name(page, server)
    page.select_option("#f-purpose", "vehicle")
    page.fill("#f-requested_amount", "6000")
    page.select_option("#f-requested_term_months", "12")
    page.select_option("#f-segment", "ride_hail_driver")
    page.fill("#f-declared_monthly_income", "8000")
    page.fill("#f-months_in_city", str(months_in_city))
    page.click("main button[type=submit]")
    page.wait_for_url("**/applications/*")
    application_id: str = page.url.rsplit("/", 1)[1]
    page.click("form[action='/sign-out'] button")
    page.wait_for_url(f"{server}/")
    return application_id


def _signs_in_as_the_underwriter(page, server: str) -> None:
    page.goto(f"{server}/sign-in")
    page.fill("#f-email", "uw@lender.example")
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/console")


_TEXT_OUTSIDE_ITS_SVG = """() => [...document.querySelectorAll('svg.chart')].flatMap(svg => {
    const view = svg.viewBox.baseVal;
    return [...svg.querySelectorAll('text')].filter(t => { const b = t.getBBox();
        return b.x < view.x || b.y < view.y || b.x + b.width > view.x + view.width
            || b.y + b.height > view.y + view.height; }).map(t => t.textContent); })"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_underwriter_approves_a_referral_then_reads_the_loans_ledger(app, server, browser, lang):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN" if lang == "zh" else "en-GB"
    )
    page = context.new_page()
    serial = 300 if lang == "zh" else 400
    application_id = _applies_as_a_new_borrower(page, server, serial, months_in_city=7)
    _signs_in_as_the_underwriter(page, server)
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
    debits = sum(
        _fen(t)
        for t in page.locator("table.journal td:nth-last-child(2)").all_inner_texts()
        if t.strip()
    )
    credits = sum(
        _fen(t) for t in page.locator("table.journal td:last-child").all_inner_texts() if t.strip()
    )
    assert debits == credits > 0
    _shot(page, f"{lang}-loan-ledger")
    page.goto(f"{server}/console/portfolio")
    assert page.locator("svg.chart").count() == 4
    assert page.evaluate(_TEXT_OUTSIDE_ITS_SVG) == []
    _shot(page, f"{lang}-portfolio")
    context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_chart_label_and_value_lies_inside_its_picture(browser, lang):
    """The widest labels and values the book can produce, in both languages: a currency
    suffix, a status name, a bucket, a count with a balance in the billions."""
    gettext = translations(lang).gettext
    rows = [
        (gettext("Charged off") + " USD", 7, "7 · ¥1,234,567,890.12"),
        (gettext("Up to date"), 12_345, "12,345 · ¥98,765,432,109.87"),
        ("WWW M6+", 1, "1 · ¥0.01"),
        ("2026-11-25", 0, "0"),
    ]
    charts = "".join(
        environment()
        .get_template("staff/chart.html")
        .render(_=gettext, chart=bar_chart("Loans by status", rows[:n]), chart_id=f"c{n}")
        for n in (1, 2, 4)
    )
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_content(
        f"<!doctype html><html lang='{lang}'><body class='staff'><main>{charts}"
        "</main></body></html>"
    )
    page.add_style_tag(path=str(Path(__file__).parents[2] / "src/thinfile/web/static/app.css"))
    assert page.locator("svg.chart text").count() == 2 * (1 + 2 + 4)
    assert page.evaluate(_TEXT_OUTSIDE_ITS_SVG) == []
    page.close()


def _activate_a_policy_priced_above_the_cap(app: FastAPI, tmp_path: Path) -> None:
    """The shipped policy with every grade priced at 36% a year and 3% a month, so each offer
    must be re-priced down to the 24% cap (priced from the grade table, as before the
    build-up)."""
    folder = table_priced_policy(tmp_path / "greedy", rate="0.36", fee="0.03")
    context: AppContext = app.state.context
    version = register_policy(context.engine, load_policy(folder), actor=SYSTEM).version
    activate_policy(context.engine, version, actor=SYSTEM)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_price_capped_offer_shows_its_rate_above_the_cap_and_the_rate_that_met_it(
    app, server, browser, tmp_path, lang
):
    _activate_a_policy_priced_above_the_cap(app, tmp_path)
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN" if lang == "zh" else "en-GB"
    )
    page = context.new_page()
    application_id = _applies_as_a_new_borrower(
        page, server, 500 if lang == "zh" else 600, months_in_city=24
    )
    _signs_in_as_the_underwriter(page, server)
    page.goto(f"{server}/console/applications/{application_id}")
    found = page.locator(".repricing")
    assert found.count() >= 1
    compounded = "复利年化利率" if lang == "zh" else "compounded rate"
    stricter = "较严格" if lang == "zh" else "the stricter of the nominal and compounded"
    for i in range(found.count()):
        shown = found.nth(i)
        assert shown.is_visible()
        assert shown.locator(".cap").inner_text() == "24.00%"
        assert stricter in shown.locator(".basis").inner_text()
        bound = shown.locator(".bound")
        assert bound.get_attribute("data-measure") == "effective"
        assert compounded in bound.inner_text() and "24.00%" in bound.inner_text()
        nominal = float(shown.locator(".nominal").inner_text().rstrip("%"))
        effective = float(shown.locator(".effective").inner_text().rstrip("%"))
        assert nominal < effective <= 24.0
        before = shown.locator(".before")
        assert before.get_attribute("data-measure") == "effective"
        assert compounded in before.inner_text() and "24.00%" in before.inner_text()
        before_nominal = float(shown.locator(".before-nominal").inner_text().rstrip("%"))
        before_effective = float(shown.locator(".before-effective").inner_text().rstrip("%"))
        assert before_effective > 24.0 and before_effective > effective
        assert before_nominal > nominal
        assert f"{before_effective:.2f}%" in before.inner_text()
    _shot(page, f"{lang}-repriced")
    context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_decision_stored_before_offers_kept_the_rate_above_the_cap_says_so(lang):
    """Such a decision has no ``before_cap``: the page gives the cap of its policy version and
    says the figure was not recorded, in both languages."""
    offer = {
        "product": "consumer_installment",
        "capped_to_legal_limit": True,
        "annualized_rate": {"nominal": "0.2170", "effective": "0.2399"},
    }
    gettext = translations(lang).gettext
    shown = (
        environment()
        .get_template("staff/repriced.html")
        .render(_=gettext, repriced=repricings({"offers": [offer]}, load_policy().settings))
    )
    assert "before-nominal" not in shown and "before-effective" not in shown
    assert (
        gettext("above the cap of %(cap)s (the decision does not record the figure)")
        % {"cap": "24.00%"}
        in shown
    )


_NOTE = "<b>Income</b> checked & two payslips seen"


def _reviews_a_referral_with_a_note(page, server: str, serial: int) -> str:
    application_id = _applies_as_a_new_borrower(page, server, serial, months_in_city=7)
    _signs_in_as_the_underwriter(page, server)
    page.goto(f"{server}/console/applications/{application_id}")
    page.fill("#f-note", _NOTE)
    page.click("button[value=approve]")
    page.wait_for_url("**reviewed=1")
    return application_id


def _the_note_is_shown_escaped_with_who_and_when(page, server: str) -> None:
    note = page.locator(".review .review-note")
    assert note.is_visible() and note.inner_text() == _NOTE
    assert note.locator("b").count() == 0
    assert page.locator(".review .reviewer").inner_text() == "uw@lender.example"
    assert page.locator(".review .date").inner_text()[:4].isdigit()
    page.goto(f"{server}/console?status=approved")
    assert page.locator("td .review-note").first.inner_text() == _NOTE


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_underwriters_note_is_shown_with_who_wrote_it_and_when(server, browser, lang):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN" if lang == "zh" else "en-GB"
    )
    page = context.new_page()
    application_id = _reviews_a_referral_with_a_note(page, server, 700 if lang == "zh" else 800)
    _the_note_is_shown_escaped_with_who_and_when(page, server)
    page.goto(f"{server}/console/applications/{application_id}")
    _shot(page, f"{lang}-review-note")
    context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_borrower_signs_in_by_phone_and_verifies_the_real_name_on_a_phone_screen(
    server: str, browser: object, lang: str
) -> None:
    """Phone number, the sandbox's code, a new account, profile and consent, the real-name
    step the apply page asks for — each page at 360 px, in Chinese and English."""
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 360, "height": 740}, locale="zh-CN" if lang == "zh" else "en-GB"
    )
    page = context.new_page()
    serial = 500 if lang == "zh" else 600
    page.goto(f"{server}/sign-in")
    page.click("#phone-sign-in")
    page.wait_for_url("**/sign-in/phone")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    page.fill("#f-phone", f"1370000{serial:04d}")
    page.click("main form[action='/sign-in/phone'] button[type=submit]")
    code = page.locator("#sandbox-code").inner_text()
    assert len(code) == 6 and code.isdigit()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    _shot(page, f"{lang}-phone-code")
    page.fill("#f-code", code)
    page.click("main form[action='/sign-in/phone/code'] button[type=submit]")
    page.wait_for_url("**/profile")
    page.fill("#f-name", "周八" if lang == "zh" else "Zhou Ba")
    page.fill("#f-id_number", id_number(serial))
    page.fill("#f-phone", f"1370000{serial:04d}")
    page.click("main button[type=submit]")
    page.check("#c-credit_report\\:credit_assessment")
    page.click("main form[action='/consent'] button[type=submit]")
    page.goto(f"{server}/apply")
    needed = page.locator("#real-name-needed")
    expected = "首次申请前请先完成实名认证" if lang == "zh" else "Verify your real name before"
    assert expected in needed.inner_text()
    needed.locator("a[href='/real-name']").click()
    page.wait_for_url("**/real-name")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    _shot(page, f"{lang}-real-name")
    page.click("main form[action='/real-name'] button[type=submit]")
    page.wait_for_url("**/apply")
    assert page.locator("#real-name-needed").count() == 0
    context.close()
