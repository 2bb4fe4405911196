"""Merchant webhooks: endpoints, the outbox of events, and the delivery attempts."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.commerce_tables import merchant_users, merchants
from thinfile.store.hot import Hot
from thinfile.store.webhook_tables import (
    merchant_webhook_attempts,
    merchant_webhook_endpoints,
    merchant_webhook_events,
)

__all__ = ["StoredAttempt", "StoredEndpoint", "StoredEvent", "WebhookRepository"]

_PENDING = "pending"


@dataclass(frozen=True, slots=True)
class StoredEndpoint:
    """A merchant's endpoint; the secrets sealed, ``event_types`` comma-separated."""

    merchant_id: str
    url: str
    event_types: str
    enabled: bool
    secret_enc: str
    secret_hint: str
    previous_secret_enc: str | None
    previous_until: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event of the outbox without its body."""

    id: str
    merchant_id: str
    event_type: str
    status: str
    created_at: datetime
    attempts: int
    tries: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredAttempt:
    event_id: str
    number: int
    started_at: datetime
    url: str
    duration_ms: int
    status_code: int | None
    error: str | None
    response_excerpt: str | None
    outcome: str


_E = merchant_webhook_events.c
_ENDPOINT = sa.select(
    *(merchant_webhook_endpoints.c[n] for n in StoredEndpoint.__dataclass_fields__)
)
_MERCHANT_ENDPOINT = Hot(
    sa.select(merchants.c.id, *_ENDPOINT.selected_columns)
    .select_from(
        merchants.outerjoin(
            merchant_webhook_endpoints,
            merchant_webhook_endpoints.c.merchant_id == merchants.c.id,
        )
    )
    .where(merchants.c.id == sa.bindparam("merchant_id"))
)  # every merchant event reads it (store.hot)
_ADD_EVENT = Hot(sa.insert(merchant_webhook_events))  # the values come as parameters
_EVENT = sa.select(*(_E[n] for n in StoredEvent.__dataclass_fields__))
_ATTEMPT = sa.select(*(merchant_webhook_attempts.c[n] for n in StoredAttempt.__dataclass_fields__))


class WebhookRepository:
    """Endpoints, events and attempts on one connection; never commits."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # endpoints
    def endpoint(self, merchant_id: str, *, lock: bool = False) -> StoredEndpoint | None:
        query = _ENDPOINT.where(merchant_webhook_endpoints.c.merchant_id == merchant_id)
        row = self.conn.execute(query.with_for_update() if lock else query).first()
        return None if row is None else StoredEndpoint(*row)

    def merchant_endpoint(self, merchant_id: str) -> tuple[bool, StoredEndpoint | None]:
        """Whether the merchant exists, and its endpoint (None: it has none), in one
        statement."""
        row = _MERCHANT_ENDPOINT.first(self.conn, {"merchant_id": merchant_id})
        if row is None:
            return False, None
        _, *endpoint = row
        return True, None if endpoint[0] is None else StoredEndpoint(*endpoint)

    def endpoints(self, merchant_ids: Collection[str]) -> dict[str, StoredEndpoint]:
        rows = self.conn.execute(
            _ENDPOINT.where(merchant_webhook_endpoints.c.merchant_id.in_(sorted(merchant_ids)))
        )
        return {row.merchant_id: StoredEndpoint(*row) for row in rows}

    def add_endpoint(self, values: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(merchant_webhook_endpoints).values(values))

    def update_endpoint(self, merchant_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(
            sa.update(merchant_webhook_endpoints)
            .where(merchant_webhook_endpoints.c.merchant_id == merchant_id)
            .values(values)
        )

    # events
    def add_event(self, values: dict[str, Any]) -> None:
        _ADD_EVENT.run(self.conn, values)

    def event(
        self, event_id: str, *, merchant_id: str | None = None, lock: bool = False
    ) -> StoredEvent | None:
        query = _EVENT.where(_E.id == event_id)
        if merchant_id is not None:
            query = query.where(_E.merchant_id == merchant_id)
        row = self.conn.execute(query.with_for_update() if lock else query).first()
        return None if row is None else StoredEvent(*row)

    def body(self, event_id: str) -> str | None:
        found = self.conn.execute(sa.select(_E.body).where(_E.id == event_id)).scalar()
        return None if found is None else str(found)

    def page(
        self,
        merchant_id: str,
        *,
        limit: int,
        offset: int,
        status: str | None = None,
        event_type: str | None = None,
    ) -> list[StoredEvent]:
        """The merchant's events, newest first, optionally of one status and type."""
        query = _EVENT.where(_E.merchant_id == merchant_id)
        if status is not None:
            query = query.where(_E.status == status)
        if event_type is not None:
            query = query.where(_E.event_type == event_type)
        rows = self.conn.execute(
            query.order_by(_E.created_at.desc(), _E.id.desc()).limit(limit).offset(offset)
        )
        return [StoredEvent(*r) for r in rows]

    def bodies(self, event_ids: Collection[str]) -> dict[str, str]:
        """The bodies of ``event_ids`` by event id."""
        rows = self.conn.execute(sa.select(_E.id, _E.body).where(_E.id.in_(sorted(event_ids))))
        return {str(i): str(b) for i, b in rows}

    def last_attempts(self, event_ids: Collection[str]) -> dict[str, StoredAttempt]:
        """The newest attempt of each of ``event_ids`` that has one."""
        a = merchant_webhook_attempts.c
        newest = (
            sa.select(a.event_id, sa.func.max(a.number).label("number"))
            .where(a.event_id.in_(sorted(event_ids)))
            .group_by(a.event_id)
            .subquery()
        )
        rows = self.conn.execute(
            _ATTEMPT.join_from(
                merchant_webhook_attempts,
                newest,
                sa.and_(a.event_id == newest.c.event_id, a.number == newest.c.number),
            )
        )
        return {str(r.event_id): StoredAttempt(*r) for r in rows}

    def users_of_event_merchant(self, event_id: str) -> frozenset[str] | None:
        """The users of the merchant an event belongs to; None when there is no such event."""
        merchant_id = self.conn.execute(sa.select(_E.merchant_id).where(_E.id == event_id)).scalar()
        if merchant_id is None:
            return None
        rows = self.conn.execute(
            sa.select(merchant_users.c.user_id).where(merchant_users.c.merchant_id == merchant_id)
        )
        return frozenset(str(r) for (r,) in rows)

    def claim_due(
        self, *, now: datetime, limit: int, claim: str, lease_until: datetime
    ) -> list[tuple[StoredEvent, str]]:
        """Take up to ``limit`` pending events due at ``now`` for one worker: each gets the
        next attempt number (``attempts`` and ``tries`` + 1), ``claim`` and a lease to
        ``lease_until``. PostgreSQL skips rows another worker holds (``FOR UPDATE SKIP
        LOCKED``); SQLite's writers are serialised by ``BEGIN IMMEDIATE``. Events with bodies."""
        due = self.conn.execute(
            sa.select(_E.id)
            .where(_E.status == _PENDING, _E.next_attempt_at <= now)
            .order_by(_E.next_attempt_at, _E.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = [str(r) for (r,) in due]
        if not ids:
            return []
        self.conn.execute(
            sa.update(merchant_webhook_events)
            .where(_E.id.in_(ids))
            .values(
                attempts=_E.attempts + 1,
                tries=_E.tries + 1,
                claim=claim,
                next_attempt_at=lease_until,
            )
        )
        rows = self.conn.execute(
            sa.select(*_EVENT.selected_columns, _E.body)
            .where(_E.id.in_(ids))
            .order_by(_E.next_attempt_at, _E.id)
        )
        return [(StoredEvent(*r[:-1]), str(r[-1])) for r in rows]

    def release_skipped(self, event_id: str, *, claim: str) -> None:
        """A claimed event nobody subscribes to: ``skipped``, its claimed attempt returned."""
        self.conn.execute(
            sa.update(merchant_webhook_events)
            .where(_E.id == event_id, _E.claim == claim)
            .values(
                status="skipped",
                attempts=_E.attempts - 1,
                tries=_E.tries - 1,
                claim=None,
                next_attempt_at=None,
            )
        )

    def finish(self, event_id: str, *, claim: str, values: dict[str, Any]) -> bool:
        """Set the outcome of a claimed attempt; False when the claim was lost (its lease
        ran out and another worker took the event)."""
        done = self.conn.execute(
            sa.update(merchant_webhook_events)
            .where(_E.id == event_id, _E.claim == claim)
            .values({**values, "claim": None})
        )
        return done.rowcount == 1

    def requeue(self, event_id: str, *, at: datetime) -> None:
        """Queue an event again for a new round of tries, due at once."""
        self.conn.execute(
            sa.update(merchant_webhook_events)
            .where(_E.id == event_id)
            .values(status=_PENDING, tries=0, claim=None, next_attempt_at=at)
        )

    # attempts
    def add_attempt(self, values: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(merchant_webhook_attempts).values(values))

    def attempts(self, event_id: str) -> list[StoredAttempt]:
        rows = self.conn.execute(
            _ATTEMPT.where(merchant_webhook_attempts.c.event_id == event_id).order_by(
                merchant_webhook_attempts.c.number
            )
        )
        return [StoredAttempt(*r) for r in rows]
