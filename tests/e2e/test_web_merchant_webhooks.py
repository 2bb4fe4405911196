"""The merchant portal's webhook deliveries and void over HTTP, on SQLite and PostgreSQL: a
shop's account reads its own events (never another shop's) with each one's state, attempts
and last answer, replays one and sees it delivered again; it voids what a buyer authorized
and it did not capture — the amounts checked against arithmetic written here — and is
refused when nothing is left to void."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from fastapi import FastAPI

from tests.e2e.mall_harness import (
    TestClient,
    mall_app,
    merchant_account,
    read_for,
    sign_in,
    stock,
    yuan,
)
from tests.e2e.test_web_mall import EBIKE_FEN, _buy, _confirm
from tests.e2e.test_web_pages import borrower, post
from tests.e2e.test_web_words_and_roles import english_words
from tests.support.webhooks import Receiver, receiving
from thinfile.adapters.webhook_sender import HttpWebhookSender
from thinfile.commerce import MerchantCategory
from thinfile.commerce.webhooks import RetryPolicy, WebhookEventType
from thinfile.http import AppContext
from thinfile.services import webhooks
from thinfile.services.identity_records import SYSTEM
from thinfile.services.mall_seed import SeededShop
from thinfile.services.uow import UnitOfWork
from thinfile.services.webhook_delivery import deliver_due_webhooks
from thinfile.store.webhooks_repo import StoredAttempt, StoredEvent

QUICK = RetryPolicy(base_seconds=0, cap_seconds=0, max_attempts=2, jitter=0)
"""Two tries a round, the second due at once: a failing event ends ``failed``."""
SLOW = RetryPolicy(base_seconds=3600, cap_seconds=3600, max_attempts=5, jitter=0)
"""A failed try waits an hour: the event stays ``pending`` (retrying) for this test."""


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[tuple[TestClient, list[SeededShop]]]:
    app = mall_app(tmp_path, database_url)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        shops = stock(app, tmp_path)
        yield client, shops


def _shop(shops: list[SeededShop], category: MerchantCategory) -> SeededShop:
    return next(s for s in shops if s.category is category)


def _context(client: TestClient) -> AppContext:
    context: AppContext = cast(FastAPI, client.app).state.context
    return context


def _endpoint(context: AppContext, merchant_id: str, url: str) -> None:
    webhooks.set_endpoint(
        context.engine,
        context.cipher,
        SYSTEM,
        merchant_id,
        url=url,
        event_types=[t.value for t in WebhookEventType],
        allow_local=True,
    )


def _enqueue(context: AppContext, merchant_id: str, order_id: str) -> str:
    with UnitOfWork(context.engine) as uow:
        event_id = webhooks.enqueue_merchant_event_in_unit(
            uow,
            merchant_id,
            WebhookEventType.CHECKOUT_CAPTURED,
            {"session_id": f"s{order_id.lower()}", "merchant_order_id": order_id},
        )
        uow.commit()
    return event_id


def _deliver(context: AppContext, policy: RetryPolicy, *, rounds: int = 6) -> None:
    with HttpWebhookSender(allow_local=True) as sender:
        for _ in range(rounds):
            report = deliver_due_webhooks(context.engine, context.cipher, sender, policy=policy)
            if report.claimed == 0:
                return


def _stored(context: AppContext, event_id: str) -> tuple[StoredEvent, list[StoredAttempt]]:
    with UnitOfWork(context.engine) as uow:
        event = uow.webhooks.event(event_id)
        attempts = uow.webhooks.attempts(event_id)
    assert event is not None
    return event, attempts


def _rows(page: str) -> list[tuple[str, str, str, str]]:
    """(event id, state, attempts, last answer) of each row of the list, top to bottom."""
    found = re.findall(
        r'<tr data-event="(evt_\w+)" data-state="(\w+)">.*?class="attempts detail">(\d+)</td>\s*'
        r'<td[^>]*class="answer detail">(.*?)</td>',
        page,
        re.S,
    )
    return [(e, s, n, re.sub(r"<[^>]+>", "", a)) for e, s, n, a in found]


def _english(page: str) -> set[str]:
    """English words a Chinese page shows, without the data: order numbers (``MALL-…``)
    and the hex of ids, as tests/e2e/test_web_mall.py leaves them."""
    return {w for w in english_words(page) if w != "MALL" and not re.fullmatch("[a-f]+", w)}


def _key(page: str) -> str:
    found = re.search(r'name="idempotency_key" value="(mp-[0-9a-f]{32})"', page)
    assert found, "no form key on the page"
    return found.group(1)


def test_a_shop_reads_its_own_deliveries_and_replays_a_failed_one(
    world: tuple[TestClient, list[SeededShop]],
) -> None:
    client, shops = world
    context = _context(client)
    app = cast(FastAPI, client.app)
    bikes = _shop(shops, MerchantCategory.E_BIKES)
    phones = _shop(shops, MerchantCategory.PHONES_ELECTRONICS)
    receiver = Receiver(fail_first=3)
    with receiving(receiver):
        _endpoint(context, bikes.merchant_id, receiver.url)
        failed = _enqueue(context, bikes.merchant_id, "A-1")
        _deliver(context, QUICK)  # 500, 500: failed after the round's two tries
        retrying = _enqueue(context, bikes.merchant_id, "A-2")
        _deliver(context, SLOW, rounds=1)  # 500: the next try an hour away
        delivered = _enqueue(context, bikes.merchant_id, "A-3")
        _deliver(context, QUICK)  # 200
        theirs = _enqueue(context, phones.merchant_id, "P-9")  # no endpoint: skipped

        merchant_account(app, bikes.merchant_id, "hooks@bikes.example")
        sign_in(client, "hooks@bikes.example")
        page = client.get("/merchant/webhooks", headers={"Accept-Language": "en"}).text
        assert _rows(page) == [
            (delivered, "delivered", "1", "200"),
            (retrying, "retrying", "1", "500"),
            (failed, "failed", "2", "500"),
        ]
        assert theirs not in page and "P-9" not in page
        assert 'href="/merchant/orders/sa-1">A-1</a>' in page
        assert client.get(f"/merchant/webhooks/{theirs}").status_code == 404

        one = f"/merchant/webhooks/{failed}"
        shown = client.get(one, headers={"Accept-Language": "en"}).text
        assert re.findall(r'data-attempt="(\d)" data-outcome="(\w+)"', shown) == [
            ("1", "retry"),
            ("2", "failed"),
        ]
        key = _key(shown)
        replayed = post(client, one + "/replay", {"idempotency_key": key}, form_page=one)
        assert replayed.status_code == 303, replayed.text
        assert replayed.headers["location"] == one + "?done=replay"
        again = post(client, one + "/replay", {"idempotency_key": key}, form_page=one)
        assert again.status_code == 303  # the same form twice queues once
        event, attempts = _stored(context, failed)
        assert (event.status, event.attempts, event.tries, len(attempts)) == ("pending", 2, 0, 2)
        queued = client.get(one).text
        assert 'data-state="pending"' in queued and 'id="queued"' in queued
        assert 'id="replay-button"' not in queued  # a pending event has nothing to replay
        _deliver(context, QUICK)
        event, attempts = _stored(context, failed)
        assert (event.status, event.attempts) == ("delivered", 3)
        assert [(a.number, a.status_code, a.outcome) for a in attempts] == [
            (1, 500, "retry"),
            (2, 500, "failed"),
            (3, 200, "delivered"),
        ]
        assert [r.verdict for r in receiver.received].count("unchecked") == 5
        stolen = post(
            client, f"/merchant/webhooks/{theirs}/replay", {"idempotency_key": key}, form_page=one
        )
        assert stolen.status_code == 404
        assert _stored(context, theirs)[0].status == "skipped"

    merchant_account(app, phones.merchant_id, "hooks@phones.example")
    sign_in(client, "hooks@phones.example")
    page = client.get("/merchant/webhooks").text
    assert [r[0] for r in _rows(page)] == [theirs] and failed not in page
    assert client.get(f"/merchant/webhooks/{failed}").status_code == 404
    mine = f"/merchant/webhooks/{theirs}"
    refused = post(
        client, mine + "/replay", {"idempotency_key": _key(client.get(mine).text)}, form_page=mine
    )
    assert refused.status_code == 409 and 'id="e-replay"' in refused.text  # no endpoint
    assert _stored(context, theirs)[0].status == "skipped"
    words = {p: _english(client.get(p).text) for p in ("/merchant/webhooks", mine)}
    assert {p: w for p, w in words.items() if w} == {}


def test_a_shop_voids_what_it_did_not_capture_and_is_refused_a_second_time(
    world: tuple[TestClient, list[SeededShop]],
) -> None:
    client, shops = world
    context = _context(client)
    app = cast(FastAPI, client.app)
    bikes = _shop(shops, MerchantCategory.E_BIKES)
    borrower(client, 71)
    session_id = _buy(client, bikes.product_ids[0])
    assert client.get(f"/checkout/{session_id}/plans/12").status_code == 200  # plans shown
    read_for(app, session_id)
    confirmed = _confirm(client, session_id)
    assert confirmed.status_code == 303, confirmed.text
    merchant_account(app, bikes.merchant_id, "void@bikes.example")
    sign_in(client, "void@bikes.example")
    order = f"/merchant/orders/{session_id}"
    page = client.get(order).text
    assert 'id="void-button"' in page and 'action="' + order + '/void"' in page
    captured_fen = 500_000  # ¥5,000 of the ¥12,000 authorized
    taken = post(
        client,
        order + "/captures",
        {"amount": "5000.00", "idempotency_key": _key(page)},
        form_page=order,
    )
    assert taken.status_code == 303, taken.text
    page = client.get(order, headers={"Accept-Language": "en"}).text
    left_fen = EBIKE_FEN - captured_fen
    assert yuan(left_fen) in page[page.find('action="' + order + '/void"') :]
    voided = post(client, order + "/void", {"idempotency_key": _key(page)}, form_page=order)
    assert voided.status_code == 303, voided.text
    assert voided.headers["location"] == order + "?done=void"
    with UnitOfWork(context.engine) as uow:
        row = uow.checkouts.get(session_id)
    assert row is not None
    assert (row.authorized, row.captured, row.voided) == (EBIKE_FEN, captured_fen, left_fen)
    assert row.status == "closed"  # something was captured: the order ends closed
    page = client.get(order + "?done=void").text
    assert re.search(r'id="voided">' + re.escape(yuan(left_fen)), page)
    assert re.search(r'id="captured">' + re.escape(yuan(captured_fen)), page)
    assert 'id="void-button"' not in page and 'id="capture-button"' not in page
    assert _english(page) == set()

    again = post(client, order + "/void", {"idempotency_key": _key(page)}, form_page=order)
    assert again.status_code == 409 and 'id="e-void"' in again.text
    with UnitOfWork(context.engine) as uow:
        still = uow.checkouts.get(session_id)
    assert still is not None and (still.captured, still.voided) == (captured_fen, left_fen)
    log = client.get("/merchant/webhooks").text
    voided_row = re.search(r'<tr data-event="evt_\w+" data-state="\w+">(.*?)</tr>', log, re.S)
    assert voided_row and "checkout.voided" in voided_row.group(1)
    assert f'href="/merchant/orders/{session_id}"' in voided_row.group(1)
