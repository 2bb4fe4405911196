"""Merchant webhooks on SQLite and PostgreSQL, delivered over real HTTP to a server on
127.0.0.1: the outbox commits with the business change, at-least-once delivery with retries
on a backoff schedule, failure after the last try, the log and replay, one merchant never
seeing another's events, bounded bodies and logs, and the documented recipe verifying real
deliveries (and refusing forged or stale ones)."""

from __future__ import annotations

import functools
import itertools
import json
import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.support.webhooks import Receiver, header, load_recipe, receiving, until
from thinfile.adapters.webhook_sender import HttpWebhookSender, pinned_target
from thinfile.adapters.webhook_worker import start_webhook_worker
from thinfile.commerce import credit_code_check_character, organisation_code_check_character
from thinfile.commerce.merchant import MerchantCategory
from thinfile.commerce.webhooks import (
    RetryPolicy,
    WebhookEventStatus,
    WebhookEventType,
    is_internal,
    webhook_url,
)
from thinfile.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
)
from thinfile.security.crypto import PiiCipher
from thinfile.services import merchants, webhooks
from thinfile.services.identity_records import SYSTEM
from thinfile.services.merchant_records import MerchantDraft
from thinfile.services.uow import UnitOfWork
from thinfile.services.webhook_delivery import DeliveryReport, deliver_due_webhooks
from thinfile.services.webhook_port import WebhookAnswer
from thinfile.store.webhook_tables import (
    merchant_webhook_attempts,
    merchant_webhook_endpoints,
    merchant_webhook_events,
)

CAPTURED = WebhookEventType.CHECKOUT_CAPTURED
REFUNDED = WebhookEventType.CHECKOUT_REFUNDED
QUICK = RetryPolicy(base_seconds=0, cap_seconds=0, max_attempts=5, jitter=0, timeout_seconds=5)
_serial = itertools.count(1)


@pytest.fixture
def cipher() -> PiiCipher:
    return PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)


@pytest.fixture
def sender() -> Iterator[HttpWebhookSender]:
    with HttpWebhookSender(allow_local=True) as client:
        yield client


def _credit_code(serial: int) -> str:
    body = f"{serial:08d}"
    first17 = "91440300" + body + organisation_code_check_character(body)
    return first17 + credit_code_check_character(first17)


def merchant(engine: Engine, cipher: PiiCipher) -> str:
    draft = MerchantDraft(
        legal_name=f"骑手电动车{next(_serial)}号有限公司",
        credit_code=_credit_code(next(_serial) + os.getpid() % 1000 * 1000),
        category=MerchantCategory.E_BIKES,
        settlement_bank="招商银行深圳分行",
        settlement_account="6222021234567891234",
        contact_name="王芳",
        contact_phone="13812345678",
    )
    return merchants.onboard(engine, cipher, SYSTEM, draft).id


def endpoint(
    engine: Engine, cipher: PiiCipher, merchant_id: str, url: str, *types: WebhookEventType
) -> str:
    """Set the merchant's endpoint; its secret."""
    chosen = [t.value for t in types] or [t.value for t in WebhookEventType]
    made = webhooks.set_endpoint(
        engine, cipher, SYSTEM, merchant_id, url=url, event_types=chosen, allow_local=True
    )
    assert made.secret is not None and made.secret.startswith("whsec_")
    return made.secret


def enqueue(
    engine: Engine, merchant_id: str, kind: WebhookEventType = CAPTURED, **data: object
) -> str:
    with UnitOfWork(engine) as uow:
        event_id = webhooks.enqueue_merchant_event_in_unit(
            uow, merchant_id, kind, {"order_id": "A-1", "amount_fen": 1_200_000, **data}
        )
        uow.commit()
    return event_id


def deliver_all(
    engine: Engine,
    cipher: PiiCipher,
    sender: HttpWebhookSender,
    policy: RetryPolicy,
    rounds: int = 10,
) -> DeliveryReport:
    total = DeliveryReport()
    for _ in range(rounds):
        report = deliver_due_webhooks(engine, cipher, sender, policy=policy, draw=lambda: 0.5)
        total += report
        if report.claimed == 0:
            break
    return total


def make_due(engine: Engine, event_id: str) -> None:
    """Move an event's next try to the past (the test does not wait out the backoff)."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(merchant_webhook_events)
            .where(merchant_webhook_events.c.id == event_id)
            .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )


# --- the outbox --------------------------------------------------------------------------


def test_an_event_exists_only_when_the_business_change_commits(engine, cipher):
    shop = merchant(engine, cipher)
    with UnitOfWork(engine) as uow:
        webhooks.enqueue_merchant_event_in_unit(uow, shop, CAPTURED, {"order_id": "A-1"})
        # no commit: the caller's change failed
    assert webhooks.list_events(engine, shop, limit=10, offset=0) == []
    event_id = enqueue(engine, shop)
    [event] = webhooks.list_events(engine, shop, limit=10, offset=0)
    assert event.id == event_id and event_id.startswith("evt_") and len(event_id) == 36
    assert event.status is WebhookEventStatus.SKIPPED  # no endpoint wanted it yet
    body = json.loads(webhooks.get_event(engine, shop, event_id).body)
    assert body["id"] == event_id and body["type"] == "checkout.captured"
    assert body["version"] == 1 and body["merchant_id"] == shop
    assert body["data"] == {"order_id": "A-1", "amount_fen": 1_200_000}


def test_event_ids_are_unique(engine, cipher):
    shop = merchant(engine, cipher)
    ids = {enqueue(engine, shop) for _ in range(30)}
    assert len(ids) == 30


def test_hostile_payloads_write_nothing(engine, cipher):
    shop = merchant(engine, cipher)
    with pytest.raises(InvalidInputError, match="float") as float_refused:
        enqueue(engine, shop, amount=12000.5)
    assert float_refused.value.field == "data.amount"
    with pytest.raises(PayloadTooLargeError):
        enqueue(engine, shop, note="长" * 30_000)  # 90,000 bytes of UTF-8
    with pytest.raises(InvalidInputError, match="event type"), UnitOfWork(engine) as uow:
        webhooks.enqueue_merchant_event_in_unit(uow, shop, "checkout.stolen", {})
    with pytest.raises(NotFoundError), UnitOfWork(engine) as uow:
        webhooks.enqueue_merchant_event_in_unit(uow, "0" * 32, CAPTURED, {})
    assert webhooks.list_events(engine, shop, limit=10, offset=0) == []


# --- delivery ----------------------------------------------------------------------------


def test_a_receiver_failing_twice_gets_the_event_on_the_third_attempt(engine, cipher, sender):
    shop = merchant(engine, cipher)
    with receiving(Receiver(fail_first=2)) as receiver:
        endpoint(engine, cipher, shop, receiver.url)
        event_id = enqueue(engine, shop)
        report = deliver_all(engine, cipher, sender, QUICK)
    assert (report.delivered, report.retrying, report.failed) == (1, 2, 0)
    assert receiver.event_ids() == [event_id] * 3
    assert len({r.body for r in receiver.received}) == 1  # the same bytes every time
    detail = webhooks.get_event(engine, shop, event_id)
    assert detail.event.status is WebhookEventStatus.DELIVERED
    assert detail.event.attempts == 3 and detail.event.delivered_at is not None
    assert [a.number for a in detail.attempts] == [1, 2, 3]
    assert [a.status_code for a in detail.attempts] == [500, 500, 200]
    assert [a.outcome for a in detail.attempts] == ["retry", "retry", "delivered"]
    assert all(a.url == receiver.url and a.duration_ms >= 0 for a in detail.attempts)
    assert receiver.received[0].body.decode() == detail.body


def test_retries_follow_the_backoff_schedule(engine, cipher, sender):
    policy = RetryPolicy(base_seconds=30, cap_seconds=200, max_attempts=6, jitter=0.2)
    expected = [30, 60, 120, 200, 200]  # 30·2^(n−1), capped at 200; then the last try fails
    shop = merchant(engine, cipher)
    waits = []
    with receiving(Receiver(fail_first=99)) as receiver:
        endpoint(engine, cipher, shop, receiver.url)
        event_id = enqueue(engine, shop)
        for draw in (0.0, 0.5, 0.999, 0.5, 0.25):
            fixed = functools.partial(float, draw)
            before = time.monotonic()
            deliver_due_webhooks(engine, cipher, sender, policy=policy, draw=fixed)
            took = time.monotonic() - before
            event = webhooks.get_event(engine, shop, event_id).event
            assert event.status is WebhookEventStatus.PENDING
            assert event.next_attempt_at is not None and event.last_attempt_at is not None
            span = (event.next_attempt_at - event.last_attempt_at).total_seconds()
            waits.append((span, took))
            assert deliver_due_webhooks(engine, cipher, sender, policy=policy).claimed == 0
            make_due(engine, event_id)
        deliver_due_webhooks(engine, cipher, sender, policy=policy)
    spreads = [0.8, 1.0, 1.1996, 1.0, 0.9]  # 1 − 0.2 + 0.4 × draw
    for (span, took), nominal, spread in zip(waits, expected, spreads, strict=True):
        # the wait runs from the attempt's end, which is within the call after its start
        # (last_attempt_at): next − start − the call's time ≤ the wait ≤ next − start
        assert span - took - 0.01 <= nominal * spread <= span + 0.01, (span, took)
    final = webhooks.get_event(engine, shop, event_id)
    assert final.event.status is WebhookEventStatus.FAILED and len(final.attempts) == 6


def test_after_the_last_try_the_event_fails_and_is_not_sent_again(engine, cipher, sender):
    policy = RetryPolicy(base_seconds=0, cap_seconds=0, max_attempts=3, jitter=0)
    shop = merchant(engine, cipher)
    with receiving(Receiver(fail_first=99, failure_status=503)) as receiver:
        endpoint(engine, cipher, shop, receiver.url)
        event_id = enqueue(engine, shop)
        report = deliver_all(engine, cipher, sender, policy)
        assert deliver_due_webhooks(engine, cipher, sender, policy=policy).claimed == 0
    assert (report.retrying, report.failed, report.delivered) == (2, 1, 0)
    assert len(receiver.received) == 3
    detail = webhooks.get_event(engine, shop, event_id)
    assert detail.event.status is WebhookEventStatus.FAILED
    assert [a.outcome for a in detail.attempts] == ["retry", "retry", "failed"]


def test_an_endpoint_that_is_down_is_logged_with_the_error(engine, cipher, sender):
    shop = merchant(engine, cipher)
    with receiving(Receiver()) as receiver:
        url = receiver.url
    endpoint(engine, cipher, shop, url)  # the server is gone: nothing listens there
    event_id = enqueue(engine, shop)
    policy = RetryPolicy(base_seconds=0, cap_seconds=0, max_attempts=2, jitter=0)
    deliver_all(engine, cipher, sender, policy)
    attempts = webhooks.get_event(engine, shop, event_id).attempts
    assert [a.status_code for a in attempts] == [None, None]
    assert all(a.error and 0 < len(a.error) <= 200 for a in attempts)


def test_the_log_keeps_a_bounded_excerpt_of_the_answer(engine, cipher, sender):
    shop = merchant(engine, cipher)
    with receiving(Receiver(fail_first=1, reply="错误".encode() * 5000)) as receiver:
        endpoint(engine, cipher, shop, receiver.url)
        event_id = enqueue(engine, shop)
        deliver_all(engine, cipher, sender, QUICK)
    attempts = webhooks.get_event(engine, shop, event_id).attempts
    assert [a.status_code for a in attempts] == [500, 200]
    excerpt = attempts[0].response_excerpt or ""
    assert 0 < len(excerpt) <= 500 and excerpt.startswith("错误错误")


def test_events_of_unsubscribed_types_are_skipped_and_a_replay_asks_for_the_type(
    engine, cipher, sender
):
    shop = merchant(engine, cipher)
    with receiving(Receiver()) as receiver:
        endpoint(engine, cipher, shop, receiver.url, CAPTURED)
        wanted, unwanted = enqueue(engine, shop), enqueue(engine, shop, REFUNDED)
        deliver_all(engine, cipher, sender, QUICK)
        assert receiver.event_ids() == [wanted]
        assert webhooks.get_event(engine, shop, unwanted).event.status is WebhookEventStatus.SKIPPED
        with pytest.raises(ConflictError), UnitOfWork(engine) as uow:
            webhooks.replay_in_unit(uow, SYSTEM, shop, unwanted)
        # the endpoint is disabled after enqueue: the worker skips instead of sending
        webhooks.set_endpoint(
            engine,
            cipher,
            SYSTEM,
            shop,
            url=receiver.url,
            event_types=["checkout.captured"],
            enabled=False,
            allow_local=True,
        )
        late = enqueue(engine, shop)
        with engine.begin() as conn:  # as if it had been queued before the change
            conn.execute(
                sa.update(merchant_webhook_events)
                .where(merchant_webhook_events.c.id == late)
                .values(status="pending", next_attempt_at=datetime.now(UTC))
            )
        report = deliver_all(engine, cipher, sender, QUICK)
    assert report.skipped == 1 and receiver.event_ids() == [wanted]
    late_event = webhooks.get_event(engine, shop, late)
    assert late_event.event.status is WebhookEventStatus.SKIPPED and late_event.attempts == ()


def test_a_replay_sends_a_delivered_event_again_and_a_pending_one_stays(engine, cipher, sender):
    shop = merchant(engine, cipher)
    with receiving(Receiver()) as receiver:
        endpoint(engine, cipher, shop, receiver.url)
        event_id = enqueue(engine, shop)
        before = webhooks.list_events(engine, shop, limit=1, offset=0)[0]
        with UnitOfWork(engine) as uow:  # pending: a replay changes nothing
            again, _ = webhooks.replay_in_unit(uow, SYSTEM, shop, event_id)
            uow.commit()
        assert again == before
        deliver_all(engine, cipher, sender, QUICK)
        with UnitOfWork(engine) as uow:
            replayed, audit = webhooks.replay_in_unit(uow, SYSTEM, shop, event_id)
            audit.append(uow)
            uow.commit()
        assert replayed.status is WebhookEventStatus.PENDING
        deliver_all(engine, cipher, sender, QUICK)
    assert receiver.event_ids() == [event_id, event_id]
    detail = webhooks.get_event(engine, shop, event_id)
    assert detail.event.status is WebhookEventStatus.DELIVERED
    assert [a.number for a in detail.attempts] == [1, 2]


def test_one_merchant_never_reaches_another_merchants_events(engine, cipher):
    shop_a, shop_b = merchant(engine, cipher), merchant(engine, cipher)
    a_event, b_event = enqueue(engine, shop_a), enqueue(engine, shop_b)
    assert [e.id for e in webhooks.list_events(engine, shop_a, limit=50, offset=0)] == [a_event]
    with pytest.raises(NotFoundError):
        webhooks.get_event(engine, shop_a, b_event)
    with pytest.raises(NotFoundError), UnitOfWork(engine) as uow:
        webhooks.replay_in_unit(uow, SYSTEM, shop_a, b_event)
    assert webhooks.get_event(engine, shop_b, b_event).event.merchant_id == shop_b


# --- concurrency ----------------------------------------------------------------------------


def test_two_workers_never_send_the_same_event_twice(engine, cipher):
    shop = merchant(engine, cipher)
    with receiving(Receiver(delay=0.01)) as receiver:
        endpoint(engine, cipher, shop, receiver.url)
        ids = {enqueue(engine, shop) for _ in range(40)}
        reports: list[DeliveryReport] = []
        start = threading.Barrier(2)

        def work() -> None:
            with HttpWebhookSender(allow_local=True) as own:
                start.wait()
                total = DeliveryReport()
                for _ in range(40):
                    report = deliver_due_webhooks(engine, cipher, own, policy=QUICK, batch=3)
                    total += report
                    if report.claimed == 0:
                        break
                reports.append(total)

        threads = [threading.Thread(target=work) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert sorted(receiver.event_ids()) == sorted(ids)  # each exactly once
    assert sum(r.delivered for r in reports) == 40
    with engine.connect() as conn:
        numbers = conn.execute(sa.select(merchant_webhook_attempts.c.number)).scalars().all()
    assert sorted(numbers) == [1] * 40


def test_on_postgresql_a_worker_skips_the_events_another_is_claiming(postgres_engine, cipher):
    engine = postgres_engine
    shop = merchant(engine, cipher)
    endpoint(engine, cipher, shop, "https://shop.example/events")
    ids = {enqueue(engine, shop) for _ in range(6)}
    now = datetime.now(UTC) + timedelta(seconds=1)
    lease = now + timedelta(minutes=5)
    taken: dict[str, set[str]] = {}

    def second_worker() -> None:
        with UnitOfWork(engine) as uow:
            rows = uow.webhooks.claim_due(now=now, limit=10, claim="b" * 32, lease_until=lease)
            uow.commit()
        taken["second"] = {event.id for event, _ in rows}

    with UnitOfWork(engine) as first:
        rows = first.webhooks.claim_due(now=now, limit=3, claim="a" * 32, lease_until=lease)
        taken["first"] = {event.id for event, _ in rows}
        thread = threading.Thread(target=second_worker)
        thread.start()
        thread.join(timeout=20)
        assert not thread.is_alive()  # it never waited for the first worker's locks
        first.commit()
    assert len(taken["first"]) == 3 and len(taken["second"]) == 3
    assert taken["first"].isdisjoint(taken["second"])
    assert taken["first"] | taken["second"] == ids
    with UnitOfWork(engine) as uow:  # leased: nobody takes them again before the lease ends
        assert uow.webhooks.claim_due(now=now, limit=10, claim="c" * 32, lease_until=lease) == []


# --- signatures and the recipe --------------------------------------------------------------


def test_the_documented_recipe_verifies_a_real_delivery_and_drops_the_repeat(
    engine, cipher, sender
):
    shop = merchant(engine, cipher)
    receiver = Receiver()
    with receiving(receiver):
        secret = endpoint(engine, cipher, shop, receiver.url)
        receiver.secrets = [secret]
        event_id = enqueue(engine, shop, order_id="订单-7")
        deliver_all(engine, cipher, sender, QUICK)
        with UnitOfWork(engine) as uow:
            webhooks.replay_in_unit(uow, SYSTEM, shop, event_id)
            uow.commit()
        deliver_all(engine, cipher, sender, QUICK)
    assert [r.verdict for r in receiver.received] == ["new", "repeat"]
    assert [r.status for r in receiver.received] == [200, 200]
    first = receiver.received[0]
    assert header(first.headers, "Thinfile-Event-Id") == event_id
    assert header(first.headers, "Thinfile-Event-Type") == "checkout.captured"
    assert json.loads(first.body)["data"]["order_id"] == "订单-7"


def test_the_recipe_refuses_forged_altered_and_stale_deliveries(engine, cipher, sender):
    shop = merchant(engine, cipher)
    receiver = Receiver()
    with receiving(receiver):
        secret = endpoint(engine, cipher, shop, receiver.url)
        enqueue(engine, shop)
        deliver_all(engine, cipher, sender, QUICK)
    genuine = receiver.received[0]
    t = header(genuine.headers, "Thinfile-Signature").split(",")[0].removeprefix("t=")
    recipe = load_recipe()
    verify = recipe.verify_webhook
    with pytest.raises(recipe.WebhookRejected, match="does not match"):  # another secret
        verify(["whsec_someone_else"], genuine.headers, genuine.body)
    with pytest.raises(recipe.WebhookRejected, match="does not match"):  # the body altered
        verify([secret], genuine.headers, genuine.body.replace(b"1200000", b"9200000"))
    with pytest.raises(recipe.WebhookRejected, match="too long ago"):  # six minutes later
        verify([secret], genuine.headers, genuine.body, now=int(t) + 360)
    with pytest.raises(recipe.WebhookRejected, match="too long ago"):  # from the future
        verify([secret], genuine.headers, genuine.body, now=int(t) - 360)
    old = {**genuine.headers, "Thinfile-Signature": f"t={int(t) - 3600},v1=" + "0" * 64}
    with pytest.raises(recipe.WebhookRejected):
        verify([secret], old, genuine.body)
    for broken in ("", "v1=abc", "t=１２３,v1=abc", "t=1,t=2,v1=abc"):
        with pytest.raises(recipe.WebhookRejected, match="malformed"):
            verify([secret], {**genuine.headers, "Thinfile-Signature": broken}, genuine.body)
    other_id = {**genuine.headers, "Thinfile-Event-Id": "evt_" + "0" * 32}
    with pytest.raises(recipe.WebhookRejected, match="event id"):
        verify([secret], other_id, genuine.body)
    assert verify([secret], genuine.headers, genuine.body) is not None  # still genuine


def test_during_a_rotation_both_secrets_verify_and_after_it_only_the_new(engine, cipher, sender):
    shop = merchant(engine, cipher)
    receiver = Receiver()
    with receiving(receiver):
        old = endpoint(engine, cipher, shop, receiver.url)
        rotated = webhooks.rotate_secret(engine, cipher, SYSTEM, shop, overlap=timedelta(hours=2))
        assert rotated.secret is not None and rotated.secret != old
        assert rotated.endpoint.secret_hint == "…" + rotated.secret[-4:]
        assert rotated.endpoint.previous_secret_until is not None
        enqueue(engine, shop)
        deliver_all(engine, cipher, sender, QUICK)
        at_once = webhooks.rotate_secret(engine, cipher, SYSTEM, shop, overlap=timedelta(0))
        assert at_once.endpoint.previous_secret_until is None
        enqueue(engine, shop)
        deliver_all(engine, cipher, sender, QUICK)
    during, after = receiver.received
    assert header(during.headers, "Thinfile-Signature").count("v1=") == 2
    for secrets in ([old], [rotated.secret]):
        assert load_recipe().verify_webhook(secrets, during.headers, during.body) is not None
    assert header(after.headers, "Thinfile-Signature").count("v1=") == 1
    recipe = load_recipe()
    with pytest.raises(recipe.WebhookRejected):
        recipe.verify_webhook([rotated.secret], after.headers, after.body)
    assert recipe.verify_webhook([at_once.secret], after.headers, after.body) is not None


# --- endpoint settings ------------------------------------------------------------------------


def test_the_secret_is_shown_once_and_sealed_at_rest(engine, cipher):
    shop = merchant(engine, cipher)
    secret = endpoint(engine, cipher, shop, "https://shop.example/events")
    again = webhooks.set_endpoint(
        engine,
        cipher,
        SYSTEM,
        shop,
        url="https://shop.example/v2/events",
        event_types=["dispute.opened"],
    )
    assert again.secret is None and again.endpoint.url == "https://shop.example/v2/events"
    assert again.endpoint.event_types == (WebhookEventType.DISPUTE_OPENED,)
    assert webhooks.get_endpoint(engine, shop).secret_hint == "…" + secret[-4:]
    with engine.connect() as conn:
        dumped = "".join(
            str(row) for row in conn.execute(sa.text("SELECT * FROM merchant_webhook_endpoints"))
        )
    assert secret not in dumped and secret[6:] not in dumped


@pytest.mark.parametrize(
    "url",
    [
        "http://shop.example/events",  # plain http off the machine
        "ftp://shop.example/events",
        "https://user:pw@shop.example/events",
        "https://shop.example/events#frag",
        "https://商店.example/events",
        "https:///events",
        "https://shop.example:0/x",
        "https://shop.example:99999/x",
        "https://shop.example/" + "a" * 2000,
        "",
        "http://127.0.0.1:8000/events",  # local endpoints only in development
        "https://127.0.0.1/events",
        "https://10.1.2.3/events",
        "https://169.254.169.254/latest/meta-data",
        "https://localhost/events",
        "https://[::1]/events",
    ],
)
def test_bad_endpoint_urls_are_refused_naming_the_field(engine, cipher, url):
    shop = merchant(engine, cipher)
    with pytest.raises(InvalidInputError) as refused:
        webhooks.set_endpoint(engine, cipher, SYSTEM, shop, url=url, event_types=["dispute.opened"])
    assert refused.value.field == "url"
    with pytest.raises(NotFoundError):
        webhooks.get_endpoint(engine, shop)


# --- workers that die, and the background worker -------------------------------------------


def test_an_event_whose_worker_died_is_sent_again_after_its_lease(engine, cipher, sender):
    shop = merchant(engine, cipher)
    with receiving(Receiver()) as receiver:
        endpoint(engine, cipher, shop, receiver.url)
        event_id = enqueue(engine, shop)
        now = datetime.now(UTC)
        with UnitOfWork(engine) as uow:  # a worker claims it, then dies before any POST
            [(claimed, _)] = uow.webhooks.claim_due(
                now=now, limit=5, claim="d" * 32, lease_until=now + timedelta(minutes=5)
            )
            uow.commit()
        assert claimed.attempts == 1
        assert deliver_due_webhooks(engine, cipher, sender, policy=QUICK).claimed == 0  # leased
        make_due(engine, event_id)  # the lease ran out
        report = deliver_due_webhooks(engine, cipher, sender, policy=QUICK)
        with UnitOfWork(engine) as uow:  # the dead worker's claim no longer finishes anything
            assert not uow.webhooks.finish(event_id, claim="d" * 32, values={"status": "failed"})
            uow.commit()
    assert report.delivered == 1 and receiver.event_ids() == [event_id]
    detail = webhooks.get_event(engine, shop, event_id)
    assert detail.event.status is WebhookEventStatus.DELIVERED
    assert [a.number for a in detail.attempts] == [2]  # number 1 went with the dead worker


def test_the_background_worker_delivers_until_stopped(engine, cipher):
    shop = merchant(engine, cipher)
    with receiving(Receiver(fail_first=1)) as receiver:
        endpoint(engine, cipher, shop, receiver.url)
        worker = start_webhook_worker(
            engine, cipher, policy=QUICK, idle_seconds=0.05, allow_local=True
        )
        event_id = enqueue(engine, shop)
        try:
            assert until(
                lambda: (
                    webhooks.get_event(engine, shop, event_id).event.status
                    is WebhookEventStatus.DELIVERED
                )
            )
        finally:
            report = worker.stop()
    assert report.delivered == 1 and report.retrying == 1
    assert receiver.event_ids() == [event_id, event_id]


class _BrokenSender:
    """A sender that breaks the port's contract by raising."""

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout_seconds: float
    ) -> WebhookAnswer:
        raise RuntimeError("socket exploded")


def test_a_sender_that_raises_is_one_failed_try_logged_not_a_dead_worker(engine, cipher):
    shop = merchant(engine, cipher)
    endpoint(engine, cipher, shop, "https://shop.example/events")
    event_id = enqueue(engine, shop)
    report = deliver_due_webhooks(engine, cipher, _BrokenSender(), policy=QUICK)
    assert report.retrying == 1
    [attempt] = webhooks.get_event(engine, shop, event_id).attempts
    assert attempt.status_code is None and attempt.error == "RuntimeError: socket exploded"


def test_when_the_overlap_ends_the_retired_secret_stops_signing(engine, cipher, sender):
    shop = merchant(engine, cipher)
    receiver = Receiver()
    with receiving(receiver):
        old = endpoint(engine, cipher, shop, receiver.url)
        new = webhooks.rotate_secret(engine, cipher, SYSTEM, shop, overlap=timedelta(hours=1))
        with engine.begin() as conn:  # an hour and a second later
            conn.execute(
                sa.update(merchant_webhook_endpoints)
                .where(merchant_webhook_endpoints.c.merchant_id == shop)
                .values(previous_until=datetime.now(UTC) - timedelta(seconds=1))
            )
        assert webhooks.get_endpoint(engine, shop).previous_secret_until is None
        enqueue(engine, shop)
        deliver_all(engine, cipher, sender, QUICK)
    [late] = receiver.received
    assert header(late.headers, "Thinfile-Signature").count("v1=") == 1
    recipe = load_recipe()
    with pytest.raises(recipe.WebhookRejected):
        recipe.verify_webhook([old], late.headers, late.body)
    assert recipe.verify_webhook([new.secret], late.headers, late.body) is not None


def test_a_name_that_resolves_to_this_machine_is_refused_when_sending():
    """An SSRF by DNS: a name that passes registration (it is no address, not ``localhost``)
    but resolves to this machine. The sender resolves it itself and sends nothing; in
    development too, which admits ``LOCAL_HOSTS`` alone."""
    name = socket.gethostname()  # this machine's own name: /etc/hosts or the resolver
    resolved = {str(i[4][0]) for i in socket.getaddrinfo(name, 443, type=socket.SOCK_STREAM)}
    assert resolved and all(is_internal(a) for a in resolved), resolved
    assert webhook_url(f"https://{name}/thinfile/events")  # registration cannot tell
    with receiving(Receiver()) as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        for allow_local in (False, True):
            with HttpWebhookSender(allow_local=allow_local) as sender:
                answer = sender.post(
                    f"http://{name}:{port}/thinfile/events", b"{}", {}, timeout_seconds=2
                )
            assert answer.status_code is None and "not an internet address" in str(answer.error)
        assert receiver.received == []


def test_the_sender_connects_to_the_address_it_checked_keeping_the_name():
    """The address checked is the one connected to (no second lookup to swap it), the URL's
    host kept as the ``Host`` header and the TLS server name."""
    assert pinned_target("https://93.184.216.34:8443/events?x=1", False) == (
        "https://93.184.216.34:8443/events?x=1",
        {"Host": "93.184.216.34:8443"},
        {"sni_hostname": "93.184.216.34"},
    )
    assert pinned_target("https://[2606:2800:220:1::68]/events", False) == (
        "https://[2606:2800:220:1::68]/events",
        {"Host": "[2606:2800:220:1::68]"},
        {"sni_hostname": "2606:2800:220:1::68"},
    )
    assert "not an internet address" in str(pinned_target("https://10.0.0.8/events", False))
    assert pinned_target("http://127.0.0.1:9/x", True) == ("http://127.0.0.1:9/x", {}, {})
