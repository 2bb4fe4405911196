"""The records of merchant webhooks a merchant's users and staff read: the endpoint (never
its secret, only a hint), the events of the outbox and each delivery attempt."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from thinfile.commerce.webhooks import WebhookEventStatus, WebhookEventType
from thinfile.services.identity_records import as_utc
from thinfile.store.webhooks_repo import StoredAttempt, StoredEndpoint, StoredEvent

__all__ = [
    "EndpointSecret",
    "WebhookAttemptRecord",
    "WebhookEndpointRecord",
    "WebhookEventDetail",
    "WebhookEventRecord",
    "attempt_record",
    "endpoint_record",
    "event_record",
]


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)


@dataclass(frozen=True, slots=True)
class WebhookEndpointRecord:
    """Where a merchant's events go. ``secret_hint`` is the secret's last four characters;
    ``previous_secret_until``: the retired secret also signs until then (a rotation)."""

    merchant_id: str
    url: str
    event_types: tuple[WebhookEventType, ...]
    enabled: bool
    secret_hint: str
    previous_secret_until: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class EndpointSecret:
    """An endpoint with its signing secret, shown this once (None when it did not change)."""

    endpoint: WebhookEndpointRecord
    secret: str | None


@dataclass(frozen=True, slots=True)
class WebhookEventRecord:
    """One event of the outbox and where its delivery stands."""

    id: str
    merchant_id: str
    type: WebhookEventType
    status: WebhookEventStatus
    created_at: datetime
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class WebhookAttemptRecord:
    """One POST: its number among the event's attempts, what came back and the outcome
    (``delivered``, ``retry`` or ``failed``)."""

    number: int
    started_at: datetime
    url: str
    duration_ms: int
    status_code: int | None
    error: str | None
    response_excerpt: str | None
    outcome: str


@dataclass(frozen=True, slots=True)
class WebhookEventDetail:
    """An event with the body sent (exactly as signed) and every attempt."""

    event: WebhookEventRecord
    body: str
    attempts: tuple[WebhookAttemptRecord, ...]

    @property
    def payload(self) -> dict[str, object]:
        parsed: dict[str, object] = json.loads(self.body)
        return parsed


def endpoint_record(row: StoredEndpoint, *, now: datetime) -> WebhookEndpointRecord:
    until = _utc(row.previous_until)
    rotating = row.previous_secret_enc is not None and until is not None and until > now
    return WebhookEndpointRecord(
        merchant_id=row.merchant_id,
        url=row.url,
        event_types=tuple(WebhookEventType(t) for t in row.event_types.split(",") if t),
        enabled=row.enabled,
        secret_hint=row.secret_hint,
        previous_secret_until=until if rotating else None,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


def event_record(row: StoredEvent) -> WebhookEventRecord:
    return WebhookEventRecord(
        id=row.id,
        merchant_id=row.merchant_id,
        type=WebhookEventType(row.event_type),
        status=WebhookEventStatus(row.status),
        created_at=as_utc(row.created_at),
        attempts=row.attempts,
        next_attempt_at=_utc(row.next_attempt_at),
        last_attempt_at=_utc(row.last_attempt_at),
        delivered_at=_utc(row.delivered_at),
    )


def attempt_record(row: StoredAttempt) -> WebhookAttemptRecord:
    return WebhookAttemptRecord(
        number=row.number,
        started_at=as_utc(row.started_at),
        url=row.url,
        duration_ms=row.duration_ms,
        status_code=row.status_code,
        error=row.error,
        response_excerpt=row.response_excerpt,
        outcome=row.outcome,
    )
