"""The webhook delivery worker: claim due events, POST them signed, log every attempt.

One round of :func:`deliver_due_webhooks`::

    claim (one unit of work)   up to `batch` pending events due now: each gets its next
                               attempt number, the worker's claim token and a lease
                               (PostgreSQL: FOR UPDATE SKIP LOCKED, so workers never take
                               the same event; SQLite: BEGIN IMMEDIATE serialises them)
    POST (no transaction)      the stored body, byte for byte, with
                               Thinfile-Event-Id, Thinfile-Event-Type and
                               Thinfile-Signature: t=<unix>,v1=<HMAC-SHA256 "<t>.<body>">
    record (one unit each)     the attempt (status code, duration, error, the response's
                               first 500 characters) and the outcome: 2xx → delivered;
                               else retry after the policy's backoff, or failed after
                               its last try

Delivery is at least once: a worker that dies after the POST and before recording leaves the
event claimed until its lease ends, then another worker sends it again — with the same
``Thinfile-Event-Id``, by which the merchant drops the repeat. :func:`run_webhook_worker`
runs rounds until told to stop (``thinfile merchants deliver-webhooks``, the demo).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from thinfile.commerce.webhooks import RetryPolicy, WebhookEventStatus
from thinfile.errors import InvalidInputError
from thinfile.security.crypto import PiiCipher
from thinfile.security.signatures import SIGNATURE_HEADER, sign
from thinfile.services.identity_records import new_id, now_utc
from thinfile.services.uow import UnitOfWork
from thinfile.services.webhook_port import WebhookAnswer, WebhookSender
from thinfile.services.webhooks import is_subscribed, open_secrets

__all__ = [
    "ERROR_CHARS",
    "EVENT_ID_HEADER",
    "EVENT_TYPE_HEADER",
    "EXCERPT_CHARS",
    "MAX_BATCH",
    "DeliveryReport",
    "deliver_due_webhooks",
    "run_webhook_worker",
]

EVENT_ID_HEADER = "Thinfile-Event-Id"
EVENT_TYPE_HEADER = "Thinfile-Event-Type"
EXCERPT_CHARS = 500
"""How much of a response body the log keeps."""
ERROR_CHARS = 200
MAX_BATCH = 500


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What rounds of delivery did: events claimed, and how each claimed one ended."""

    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(
            self.claimed + other.claimed,
            self.delivered + other.delivered,
            self.retrying + other.retrying,
            self.failed + other.failed,
            self.skipped + other.skipped,
        )


@dataclass(frozen=True, slots=True)
class _Job:
    event_id: str
    event_type: str
    number: int
    tries: int
    url: str
    body: bytes
    keys: tuple[bytes, ...]


def _claim(
    engine: Engine, cipher: PiiCipher, policy: RetryPolicy, batch: int, claim: str
) -> tuple[list[_Job], int]:
    """The jobs this worker now holds, and how many claimed events nobody subscribes to."""
    jobs, skipped = [], 0
    with UnitOfWork(engine) as uow:
        now = now_utc()
        lease = now + timedelta(seconds=policy.lease_seconds)
        claimed = uow.webhooks.claim_due(now=now, limit=batch, claim=claim, lease_until=lease)
        endpoints = uow.webhooks.endpoints({event.merchant_id for event, _ in claimed})
        for event, body in claimed:
            endpoint = endpoints.get(event.merchant_id)
            if endpoint is None or not is_subscribed(endpoint, event.event_type):
                uow.webhooks.release_skipped(event.id, claim=claim)
                skipped += 1
                continue
            keys = tuple(open_secrets(cipher, endpoint, now=now))
            jobs.append(
                _Job(
                    event.id,
                    event.event_type,
                    event.attempts,
                    event.tries,
                    endpoint.url,
                    body.encode(),
                    keys,
                )
            )
        uow.commit()
    return jobs, skipped


def _post(sender: WebhookSender, job: _Job, policy: RetryPolicy) -> tuple[datetime, WebhookAnswer]:
    started = now_utc()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "thinfile-webhooks/1",
        EVENT_ID_HEADER: job.event_id,
        EVENT_TYPE_HEADER: job.event_type,
        SIGNATURE_HEADER: sign(job.keys[0], job.body, at=started, more_keys=job.keys[1:]),
    }
    try:
        answer = sender.post(job.url, job.body, headers, timeout_seconds=policy.timeout_seconds)
    except Exception as exc:  # a sender breaking its contract: one failed try, logged
        elapsed = int((now_utc() - started).total_seconds() * 1000)
        answer = WebhookAnswer(None, elapsed, f"{type(exc).__name__}: {exc}")
    return started, answer


def _outcome(
    answer: WebhookAnswer, tries: int, policy: RetryPolicy, draw: float, at: datetime
) -> tuple[str, dict[str, object]]:
    if answer.is_delivered:
        return "delivered", {
            "status": WebhookEventStatus.DELIVERED.value,
            "delivered_at": at,
            "next_attempt_at": None,
        }
    if policy.is_last(tries):
        return "failed", {"status": WebhookEventStatus.FAILED.value, "next_attempt_at": None}
    wait = timedelta(seconds=policy.delay(tries, draw))
    return "retry", {"status": WebhookEventStatus.PENDING.value, "next_attempt_at": at + wait}


def _record(
    engine: Engine,
    job: _Job,
    claim: str,
    started: datetime,
    answer: WebhookAnswer,
    outcome: tuple[str, dict[str, object]],
) -> None:
    kind, values = outcome
    with UnitOfWork(engine) as uow:
        uow.webhooks.add_attempt(
            {
                "event_id": job.event_id,
                "number": job.number,
                "started_at": started,
                "url": job.url,
                "duration_ms": max(0, min(answer.duration_ms, 2**31 - 1)),
                "status_code": answer.status_code,
                "error": None if answer.error is None else answer.error[:ERROR_CHARS],
                "response_excerpt": answer.excerpt[:EXCERPT_CHARS] or None,
                "outcome": kind,
            }
        )
        values = {**values, "last_attempt_at": started}
        uow.webhooks.finish(job.event_id, claim=claim, values=values)
        uow.commit()


def deliver_due_webhooks(
    engine: Engine,
    cipher: PiiCipher,
    sender: WebhookSender,
    *,
    policy: RetryPolicy | None = None,
    batch: int = 50,
    draw: Callable[[], float] = random.random,
) -> DeliveryReport:
    """One round: claim up to ``batch`` due events, POST each, record each attempt.
    ``draw`` gives the jitter's uniform numbers in [0, 1) (a test may fix it)."""
    if not 1 <= batch <= MAX_BATCH:
        raise InvalidInputError(f"the batch must be 1 to {MAX_BATCH}", field="batch", value=batch)
    rules = policy or RetryPolicy()
    claim = new_id()
    jobs, skipped = _claim(engine, cipher, rules, batch, claim)
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    for job in jobs:
        started, answer = _post(sender, job, rules)
        outcome = _outcome(answer, job.tries, rules, draw(), now_utc())
        _record(engine, job, claim, started, answer, outcome)
        counts[outcome[0]] += 1
    return DeliveryReport(
        claimed=len(jobs) + skipped,
        delivered=counts["delivered"],
        retrying=counts["retry"],
        failed=counts["failed"],
        skipped=skipped,
    )


def run_webhook_worker(
    engine: Engine,
    cipher: PiiCipher,
    sender: WebhookSender,
    *,
    stop: threading.Event,
    policy: RetryPolicy | None = None,
    batch: int = 50,
    idle_seconds: float = 1.0,
) -> DeliveryReport:
    """Deliver rounds until ``stop`` is set: straight on while rounds find work, else
    waiting ``idle_seconds``. What all the rounds did."""
    total = DeliveryReport()
    while not stop.is_set():
        report = deliver_due_webhooks(engine, cipher, sender, policy=policy, batch=batch)
        total += report
        if report.claimed == 0:
            stop.wait(idle_seconds)
    return total
