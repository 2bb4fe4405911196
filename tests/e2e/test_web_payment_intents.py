"""Paying from a bound card on the loan page, in Chinese and English, with the sandbox gateway as
a real local service: pay now, repay everything and repay part create payment intents; the page
shows each pending, then paid once the gateway's signed notification arrives, or failed with the
bank's reason; a double submit debits once."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.e2e.api_harness import TestClient
from tests.e2e.test_web_loans import accept_offer, engine_of, pay_form
from tests.e2e.test_web_pages import borrower, build_app, post, seed, web_settings
from tests.support.gateway import GATEWAY_KEY, card_with_prefix, start_sandbox, stop
from thinfile.adapters.gateway_signature import SIGNATURE_HEADER, sign
from thinfile.adapters.sandbox_gateway_client import SandboxGatewayClient
from thinfile.money import Money
from thinfile.services import ledger, loans, payments
from thinfile.services.auto_debit import send_queued_debits
from thinfile.services.cob import run_cob
from thinfile.store.payment_tables import payment_intents
from thinfile.store.servicing_tables import transactions

CARD = card_with_prefix("622202")


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process, url = start_sandbox(tmp_path_factory.mktemp("gateway"))  # notifications kept
    yield url
    stop(process)


@pytest.fixture
def client(tmp_path: Path, gateway_url: str) -> Iterator[TestClient]:
    settings = web_settings(
        tmp_path, payment_gateway_url=gateway_url, payment_gateway_key=GATEWAY_KEY.decode()
    )
    app = build_app(tmp_path, settings=settings)
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        seed(app, tmp_path)
        yield test_client


def _bind(client: TestClient, serial: int) -> None:
    phone = f"1390000{serial:04d}"
    started = post(client, "/cards", {"card_number": CARD, "phone": phone}, form_page="/cards")
    assert started.status_code == 200, started.text
    code = re.search(r'id="sandbox-code">[^<]*?(\d{6})', started.text)
    action = re.search(r'action="(/cards/[0-9a-f]{32}/confirm)"', started.text)
    assert code and action, started.text
    done = post(client, action.group(1), {"sms_code": code.group(1)}, form_page="/cards")
    assert done.status_code == 303


def _notify(client: TestClient, gateway_url: str, intent_id: str) -> str:
    """The gateway's signed notification for the intent, as the gateway would post it."""
    report = SandboxGatewayClient(gateway_url, GATEWAY_KEY).debit_status(intent_id)
    assert report is not None
    body = json.dumps(
        {
            "gateway_txn_id": report.gateway_txn_id,
            "request_id": intent_id,
            "kind": "debit",
            "status": report.status.value,
            "amount_fen": report.amount_fen,
            "failure": report.failure.value if report.failure else None,
            "original_txn_id": None,
            "completed_at": datetime.now(UTC).isoformat(),
            "notification_id": f"ntf_{uuid.uuid4().hex}",
        }
    ).encode()
    headers = {SIGNATURE_HEADER: sign(GATEWAY_KEY, body, at=datetime.now(UTC))}
    reply = client.post("/v1/gateway/notifications", headers=headers, content=body)
    assert reply.status_code == 200, reply.text
    return str(reply.json()["outcome"])


def _submit(client: TestClient, form: dict[str, str], amount: str) -> str:
    data = {k: v for k, v in form.items() if k != "url"} | {"amount": amount}
    first = client.post(form["url"], data=data, follow_redirects=False)
    again = client.post(form["url"], data=data, follow_redirects=False)  # a double submit
    assert first.status_code == again.status_code == 303, first.text
    assert first.headers["location"] == again.headers["location"]
    found = re.fullmatch(r"/loans/\d+\?intent=([0-9a-f]{32})", first.headers["location"])
    assert found, first.headers["location"]
    return found.group(1)


def _repayments(client: TestClient, loan_id: int) -> list[int]:
    with engine_of(client).connect() as conn:
        rows = conn.execute(
            sa.select(transactions.c.amount)
            .where(
                transactions.c.loan_id == loan_id,
                transactions.c.kind.in_(("repayment", "prepayment")),
            )
            .order_by(transactions.c.id)
        )
        return [int(a) for (a,) in rows]


def test_pay_now_from_the_card_shows_pending_then_paid_and_posts_once(
    client: TestClient, gateway_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    borrower(client, 61)
    loan_id = accept_offer(client, monkeypatch)
    before = client.get(f"/loans/{loan_id}").text
    assert "绑定银行卡后即可用它还款" in before or "Bind a bank card" in before
    _bind(client, 61)
    page = client.get(f"/loans/{loan_id}").text
    assert "中国工商银行" in page and CARD[-4:] in page and CARD not in page
    intent_id = _submit(client, pay_form(page), "100.00")
    pending = client.get(f"/loans/{loan_id}?intent={intent_id}").text
    assert 'class="notice intent-pending"' in pending and "¥100.00" in pending
    assert "正在从您的银行卡扣款" in pending
    assert _repayments(client, loan_id) == []
    assert _notify(client, gateway_url, intent_id) == "posted"
    paid = client.get(f"/loans/{loan_id}?intent={intent_id}").text
    assert 'class="notice intent-succeeded"' in paid and "已从您的银行卡扣款 ¥100.00" in paid
    english = client.get(
        f"/loans/{loan_id}?intent={intent_id}", headers={"Accept-Language": "en"}
    ).text
    assert "Paid from your card: ¥100.00" in english and "Card payments" in english
    assert _repayments(client, loan_id) == [10_000]
    with engine_of(client).connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(payment_intents)).scalar()
    assert count == 1  # the double submit found the first intent
    assert ledger.verify_ledger(engine_of(client)).ok


def test_a_refused_card_payment_shows_the_banks_reason_and_posts_nothing(
    client: TestClient, gateway_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    borrower(client, 62)
    loan_id = accept_offer(client, monkeypatch)
    _bind(client, 62)
    intent_id = _submit(client, pay_form(client.get(f"/loans/{loan_id}").text), "100.51")
    failed = client.get(f"/loans/{loan_id}?intent={intent_id}").text
    assert 'class="notice intent-failed"' in failed and "卡内余额不足" in failed
    english = client.get(
        f"/loans/{loan_id}?intent={intent_id}", headers={"Accept-Language": "en"}
    ).text
    assert "there is not enough money on the card" in english
    frozen = _submit(client, pay_form(client.get(f"/loans/{loan_id}").text), "100.52")
    assert "此卡已冻结" in client.get(f"/loans/{loan_id}?intent={frozen}").text
    later = _submit(client, pay_form(client.get(f"/loans/{loan_id}").text), "100.54")
    assert _notify(client, gateway_url, later) == "failed"
    assert "银行未及时响应" in client.get(f"/loans/{loan_id}?intent={later}").text
    too_much = pay_form(client.get(f"/loans/{loan_id}").text)
    data = {k: v for k, v in too_much.items() if k != "url"} | {"amount": "99999.00"}
    refused = client.post(too_much["url"], data=data, follow_redirects=False)
    assert refused.status_code == 422 and "超过了您的欠款" in refused.text
    assert _repayments(client, loan_id) == []
    assert ledger.verify_ledger(engine_of(client)).ok


def test_repaying_everything_from_the_card_closes_the_loan_once_the_bank_confirms(
    client: TestClient, gateway_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    borrower(client, 63)
    loan_id = accept_offer(client, monkeypatch)
    _bind(client, 63)
    form = pay_form(client.get(f"/loans/{loan_id}").text, "prepayments")
    intent_id = _submit(client, form, form["amount"])
    assert _notify(client, gateway_url, intent_id) == "posted"
    page = client.get(f"/loans/{loan_id}?intent={intent_id}").text
    assert 'class="notice intent-succeeded"' in page
    payoff_fen = int(Decimal(form["amount"].replace(",", "")) * 100)
    assert _repayments(client, loan_id) == [payoff_fen]
    assert ledger.verify_ledger(engine_of(client)).ok


def test_the_loan_page_tells_a_queued_auto_debit_and_one_not_taken_as_already_paid(
    client: TestClient, gateway_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Close of business queues the installment's debit the night before its due date; paid
    at the counter that morning, the debit is closed without reaching the card — shown as not
    taken, never as a failed payment."""
    borrower(client, 63)
    loan_id = accept_offer(client, monkeypatch)
    _bind(client, 63)
    engine = engine_of(client)
    first = loans.get_loan(engine, loan_id).account.installments[0].due
    run_cob(engine, first - timedelta(days=1))
    with engine.connect() as conn:
        (amount,) = conn.execute(
            sa.select(payment_intents.c.amount).where(payment_intents.c.loan_id == loan_id)
        ).one()
    queued = client.get(f"/loans/{loan_id}").text
    assert "自动还款：将从银行卡扣款" in queued
    payments.post_payment(engine, loan_id, Money(int(amount)), first)
    report = send_queued_debits(engine, SandboxGatewayClient(gateway_url, GATEWAY_KEY), today=first)
    assert report.sent == () and len(report.cancelled) == 1
    row = re.search(r'<tr class="intent-failed">(.*?)</tr>', client.get(f"/loans/{loan_id}").text)
    assert row and "未扣款：发起时已无到期应还" in row.group(1) and "失败" not in row.group(1)
    english = client.get(f"/loans/{loan_id}", headers={"Accept-Language": "en"}).text
    assert "Not taken: nothing was due when it was sent" in english
    assert _repayments(client, loan_id) == [int(amount)]
