"""Card payments in a real browser (Debian's Chromium, headless), against the app served by
uvicorn and the sandbox gateway running as its own process (``thinfile gateway serve``).

A borrower binds a card (the four elements — name and ID number from the verified profile, the
card number and the bank's reserved phone — then the SMS code the sandbox shows), pays now
through a payment intent (the page shows it pending until the gateway's signed notification
arrives, then paid), sees a refused debit with the bank's reason and nothing taken, and staff
resolve a reconciliation break on the console. The gateway's notifications are kept queued by
the sandbox and delivered by the test at the moment it chooses, signed with the gateway's key
through the app's real endpoint, so pending is seen before paid on any machine.

Screenshots go to test-artifacts/web/ (gitignored).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import uvicorn

from tests.e2e.api_harness import TestClient
from tests.e2e.test_web_browser import ARGS, CHROMIUM, SHOTS
from tests.e2e.test_web_loans import accept_offer
from tests.e2e.test_web_pages import PASSWORD, borrower, build_app, post, seed, web_settings
from tests.support.environment import in_ci
from tests.support.gateway import GATEWAY_KEY, card_with_prefix, free_port, start_sandbox, stop
from thinfile.adapters.gateway_signature import SIGNATURE_HEADER, sign
from thinfile.adapters.sandbox_gateway_client import SandboxGatewayClient
from thinfile.http import AppContext
from thinfile.security.roles import Role
from thinfile.services import identity, ledger
from thinfile.services.reconciliation import reconcile_payments
from thinfile.store.payment_tables import payment_cards, payment_intents
from thinfile.store.servicing_tables import transactions

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CARD = card_with_prefix("621661")  # 中国银行 in the sandbox
CST = timedelta(hours=8)


@dataclass
class Site:
    url: str
    gateway_url: str
    client: TestClient  # the same app, for what a test needs before the browser takes over
    context: AppContext


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process, url = start_sandbox(tmp_path_factory.mktemp("gateway"))  # notifications kept
    yield url
    stop(process)


@pytest.fixture
def site(tmp_path: Path, gateway_url: str) -> Iterator[Site]:
    settings = web_settings(
        tmp_path, payment_gateway_url=gateway_url, payment_gateway_key=GATEWAY_KEY.decode()
    )
    app = build_app(tmp_path, settings=settings)
    port = free_port()
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not running.started:  # the app migrates on start: seed after it
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    seed(app, tmp_path)
    client = TestClient(app, base_url="http://127.0.0.1")  # no second lifespan: uvicorn ran it
    yield Site(f"http://127.0.0.1:{port}", gateway_url, client, app.state.context)
    client.close()
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


def _page(browser, lang: str = "zh"):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="zh-CN" if lang == "zh" else "en-GB"
    )
    return context.new_page()


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _sign_in(page, site: Site, email: str) -> None:
    page.goto(f"{site.url}/sign-in")
    page.fill("#f-email", email)
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/sign-in" not in url)


def _bind_in_browser(page, site: Site, card: str, phone: str) -> None:
    page.goto(f"{site.url}/cards")
    page.fill("#card_number", card)
    page.fill("#phone", phone)
    page.click("form[action='/cards'] button[type=submit]")
    code = re.search(r"\d{6}", page.locator("#sandbox-code").inner_text())
    assert code, page.content()
    page.fill("#sms_code", code.group(0))
    page.click("form[action$='/confirm'] button[type=submit]")
    page.wait_for_url("**/cards")


def _loan_with_card(site: Site, serial: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """A verified borrower with an open loan (set up through the app), signed out again."""
    borrower(site.client, serial)
    loan_id = accept_offer(site.client, monkeypatch)
    monkeypatch.undo()  # accept_offer froze the clock past the reading pause
    post(site.client, "/sign-out", {}, form_page="/sign-in")
    return loan_id


def _notify(site: Site, intent_id: str) -> str:
    """Deliver the gateway's signed notification for the intent to the app, as the gateway
    posts it: the status is the sandbox's own answer for the debit."""
    report = SandboxGatewayClient(site.gateway_url, GATEWAY_KEY).debit_status(intent_id)
    assert report is not None
    now = datetime.now(UTC)
    body = json.dumps(
        {
            "gateway_txn_id": report.gateway_txn_id,
            "request_id": intent_id,
            "kind": "debit",
            "status": report.status.value,
            "amount_fen": report.amount_fen,
            "failure": report.failure.value if report.failure else None,
            "original_txn_id": None,
            "completed_at": now.isoformat(),
            "notification_id": f"ntf_{uuid.uuid4().hex}",
        }
    ).encode()
    reply = httpx.post(
        f"{site.url}/v1/gateway/notifications",
        content=body,
        headers={SIGNATURE_HEADER: sign(GATEWAY_KEY, body, at=now)},
    )
    assert reply.status_code == 200, reply.text
    return str(reply.json()["outcome"])


def _pay_now(page, amount: str, *, double: bool = False) -> str:
    page.fill("#f-pay-amount", amount)
    if double:  # an impatient double click: both submissions carry the form's one key
        page.dblclick("#pay-button")
    else:
        page.click("#pay-button")
    from playwright.sync_api import Error as PlaywrightError

    landed = re.compile(r"/loans/\d+\?intent=[0-9a-f]{32}$")
    try:
        page.wait_for_url(landed)
    except PlaywrightError as aborted:  # the second submission cut the first's navigation
        if not double or "ERR_ABORTED" not in str(aborted):
            raise
        page.wait_for_url(landed)
    found = re.search(r"intent=([0-9a-f]{32})", page.url)
    assert found
    return found.group(1)


def _repayments(site: Site, loan_id: int) -> list[int]:
    with site.context.engine.connect() as conn:
        rows = conn.execute(
            sa.select(transactions.c.amount)
            .where(transactions.c.loan_id == loan_id, transactions.c.kind == "repayment")
            .order_by(transactions.c.id)
        )
        return [int(a) for (a,) in rows]


def _fen(text: str) -> int:
    """¥1,234.56 as fen (an independent reading of the page's figure)."""
    found = re.search(r"¥([\d,]+\.\d{2})", text)
    assert found, text
    return int(Decimal(found.group(1).replace(",", "")) * 100)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_borrower_binds_a_card_with_the_four_elements_and_the_banks_code(
    site: Site, browser, lang: str
) -> None:
    serial = 431 if lang == "zh" else 432
    phone = f"1390000{serial:04d}"
    borrower(site.client, serial)  # name and ID number verified: two of the four elements
    page = _page(browser, lang)
    _sign_in(page, site, f"b{serial}@example.com")
    page.goto(f"{site.url}/cards")
    assert page.locator("#cards").count() == 0
    page.fill("#card_number", CARD)
    page.fill("#phone", "13900000000")  # not the number the bank holds
    page.click("form[action='/cards'] button[type=submit]")
    refused = page.locator("#error-summary").inner_text()
    assert (
        "银行预留的手机号" if lang == "zh" else "the mobile number you gave the bank"
    ) in refused
    assert page.locator("#sandbox-code").count() == 0
    page.fill("#card_number", CARD)
    page.fill("#phone", phone)
    page.click("form[action='/cards'] button[type=submit]")
    masked = page.locator("main").inner_text()
    assert phone not in masked and phone[-4:] in masked  # the code went to the reserved phone
    _shot(page, f"{lang}-card-code")
    code = re.search(r"\d{6}", page.locator("#sandbox-code").inner_text())
    assert code
    wrong = f"{(int(code.group(0)) + 1) % 1_000_000:06d}"
    page.fill("#sms_code", wrong)
    page.click("form[action$='/confirm'] button[type=submit]")
    again = page.locator("#error-summary").inner_text()
    assert ("验证码错误" if lang == "zh" else "Start again") in again
    assert page.locator("#cards").count() == 0 and page.locator("#sms_code").count() == 0
    page.fill("#card_number", CARD)
    page.fill("#phone", phone)
    page.click("form[action='/cards'] button[type=submit]")
    code = re.search(r"\d{6}", page.locator("#sandbox-code").inner_text())
    assert code
    page.fill("#sms_code", code.group(0))
    page.click("form[action$='/confirm'] button[type=submit]")
    page.wait_for_url("**/cards")
    row = page.locator("#cards tbody tr")
    assert row.count() == 1
    text = row.inner_text()
    assert "中国银行" in text and f"•••• {CARD[-4:]}" in text
    assert ("默认还款卡" if lang == "zh" else "Default card") in text
    assert CARD not in page.content()
    _shot(page, f"{lang}-card-bound")
    with site.context.engine.connect() as conn:
        stored = conn.execute(sa.select(payment_cards)).mappings().all()
    assert [(r["last_four"], r["is_default"]) for r in stored if r["status"] == "active"] == [
        (CARD[-4:], True)
    ]  # the abandoned first binding never became a card
    assert CARD not in json.dumps([{k: str(v) for k, v in r.items()} for r in stored])


def test_paying_now_shows_pending_until_the_bank_confirms_then_paid(
    site: Site, browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    loan_id = _loan_with_card(site, 433, monkeypatch)
    page = _page(browser)
    _sign_in(page, site, "b433@example.com")
    _bind_in_browser(page, site, CARD, "13900000433")
    page.goto(f"{site.url}/loans/{loan_id}")
    before = _fen(page.locator(".balance").inner_text())
    assert CARD[-4:] in page.locator("#pay-card").inner_text()
    intent_id = _pay_now(page, "100.00", double=True)
    notice = page.locator("#intent-notice")
    assert "intent-pending" in (notice.get_attribute("class") or "")
    assert "正在从您的银行卡扣款" in notice.inner_text() and "¥100.00" in notice.inner_text()
    assert _fen(page.locator(".balance").inner_text()) == before  # nothing posted yet
    _shot(page, "zh-pay-pending")
    assert _repayments(site, loan_id) == []
    assert _notify(site, intent_id) == "posted"
    page.click("#intent-notice a")  # 再查一次
    notice = page.locator("#intent-notice")
    assert "intent-succeeded" in (notice.get_attribute("class") or "")
    assert "已从您的银行卡扣款 ¥100.00" in notice.inner_text()
    assert _fen(page.locator(".balance").inner_text()) == before - 10_000
    assert "intent-succeeded" in (
        page.locator("table.intents tbody tr").get_attribute("class") or ""
    )
    _shot(page, "zh-pay-succeeded")
    assert _notify(site, intent_id) == "duplicate"  # the gateway's retry posts nothing more
    assert _repayments(site, loan_id) == [10_000]
    with site.context.engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(payment_intents)).scalar()
    assert count == 1
    assert ledger.verify_ledger(site.context.engine).ok


def test_a_refused_debit_says_why_and_that_nothing_was_taken(
    site: Site, browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    loan_id = _loan_with_card(site, 434, monkeypatch)
    page = _page(browser, "en")
    _sign_in(page, site, "b434@example.com")
    _bind_in_browser(page, site, CARD, "13900000434")
    page.goto(f"{site.url}/loans/{loan_id}")
    before = page.locator(".balance").inner_text()
    _pay_now(page, "100.51")  # the sandbox's card has not enough money for this amount
    notice = page.locator("#intent-notice")
    assert "intent-failed" in (notice.get_attribute("class") or "")
    text = notice.inner_text()
    assert "¥100.51" in text and "there is not enough money on the card" in text
    assert "Nothing was taken" in text
    assert page.locator(".balance").inner_text() == before
    _shot(page, "en-pay-failed")
    intent_id = _pay_now(page, "100.54")  # accepted, then failed: the bank timed out
    assert "intent-pending" in (page.locator("#intent-notice").get_attribute("class") or "")
    assert _notify(site, intent_id) == "failed"
    page.click("#intent-notice a")
    later = page.locator("#intent-notice")
    assert "intent-failed" in (later.get_attribute("class") or "")
    assert "Nothing was taken" in later.inner_text()
    statuses = page.locator("table.intents tbody tr").evaluate_all(
        "rows => rows.map(r => r.className)"
    )
    assert statuses == ["intent-failed", "intent-failed"]
    assert page.locator(".balance").inner_text() == before
    assert _repayments(site, loan_id) == []
    assert ledger.verify_ledger(site.context.engine).ok


def test_staff_resolve_a_reconciliation_break_on_the_console(
    site: Site, browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sandbox's own file of the day (the borrower's paid debit: matched) plus a debit the
    books do not know (a break), resolved by a servicing agent with a reason."""
    loan_id = _loan_with_card(site, 435, monkeypatch)
    payer = _page(browser)
    _sign_in(payer, site, "b435@example.com")
    _bind_in_browser(payer, site, CARD, "13900000435")
    payer.goto(f"{site.url}/loans/{loan_id}")
    intent_id = _pay_now(payer, "88.00")
    assert _notify(site, intent_id) == "posted"
    day = (datetime.now(UTC) + CST).date()
    sandbox_file = SandboxGatewayClient(site.gateway_url, GATEWAY_KEY).reconciliation_file(day)
    header, *lines = sandbox_file.decode().splitlines()
    # the module's one sandbox also served the other tests' apps: this app's debit only
    ours = [line for line in lines if f",{intent_id}," in line]
    assert len(ours) == 1 and ",succeeded,8800," in ours[0]
    noon = datetime(day.year, day.month, day.day, 4, tzinfo=UTC).isoformat()
    stray = f"gw_stray_{uuid.uuid4().hex[:12]},nobody,debit,succeeded,12345,,,{noon}"
    data = "\n".join([header, *ours, stray, ""]).encode()
    done = reconcile_payments(site.context.engine, day, data, actor="system")
    assert done.counts == {"matched": 1, "unknown": 1}
    identity.create_user(
        site.context.engine,
        site.context.hasher,
        email="agent@lender.example",
        password=PASSWORD,
        role=Role.SERVICING_AGENT,
    )
    page = _page(browser)
    _sign_in(page, site, "agent@lender.example")
    page.goto(f"{site.url}/console/reconciliations")
    page.click(f"a[href='/console/reconciliations/{day.isoformat()}']")
    assert "支付对账" in page.locator("h1").inner_text()
    breaks = page.locator("tr.break")
    assert breaks.count() == 1 and "账务中无此交易" in breaks.inner_text()
    assert "¥123.45" in breaks.inner_text()
    matched = page.locator("#item-1").inner_text()
    assert "一致" in matched and "¥88.00" in matched and str(loan_id) in matched
    _shot(page, "zh-reconciliation-break")
    n = breaks.get_attribute("id")
    assert n is not None
    page.fill(f"#{n} input[name=reason]", "短")
    page.click(f"#{n} button[type=submit]")
    assert page.locator(f"#{n} .error").count() == 1  # a reason too short, said beside the form
    reason = "向网关核实：测试交易，已由网关撤销"
    page.fill(f"#{n} input[name=reason]", reason)
    page.click(f"#{n} button[type=submit]")
    page.wait_for_selector("p.notice[role=status]")
    assert page.locator("tr.break").count() == 0
    assert reason in page.locator(f"#{n}").inner_text()
    _shot(page, "zh-reconciliation-resolved")
    assert _repayments(site, loan_id) == [8_800]
