"""Borrower communications: messages, the delivery outbox, choices, daily counts, and the
set-based reminders of close of business (their statements: ``notification_cob_sql``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.dialect import as_utc, insert_for
from thinfile.store.notification_cob_sql import ChannelRule
from thinfile.store.notification_nights import NightMessages
from thinfile.store.notification_tables import (
    notification_day_counts,
    notification_deliveries,
    notification_preferences,
    notification_sandbox_sms,
    notifications,
)
from thinfile.store.outbox_pg import add_message_pg

__all__ = [
    "ChannelRule",
    "NotificationRepository",
    "StoredDelivery",
    "StoredMessage",
    "StoredPreferences",
]

_PENDING = "pending"
_N = notifications.c
_D = notification_deliveries.c
_P = notification_preferences.c


@dataclass(frozen=True, slots=True)
class StoredPreferences:
    user_id: str
    language: str
    time_zone: str
    in_app_only: bool


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One message with one of its deliveries (what a worker holds, staff and borrowers read)."""

    notification_id: int
    channel: str
    user_id: str
    kind: str
    loan_id: int | None
    ref_day: int | None
    amount_fen: int | None
    currency: str | None
    params: str
    legally_required: bool
    created_at: datetime
    read_at: datetime | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    counted_day: int | None
    deferred: str | None
    last_error: str | None
    provider_ref: str | None
    language: str | None
    subject: str | None
    body: str | None
    delivered_at: datetime | None
    cob_day: int | None = None
    """The business date whose close of business wrote the message (None: written by an
    event, such as a payment, at ``created_at``)."""


StoredDelivery = StoredMessage

_MESSAGE_COLUMNS = (
    _N.id,
    _D.channel,
    _N.user_id,
    _N.kind,
    _N.loan_id,
    _N.ref_day,
    _N.amount_fen,
    _N.currency,
    _N.params,
    _N.legally_required,
    _N.created_at,
    _N.read_at,
    _D.status,
    _D.attempts,
    _D.next_attempt_at,
    _D.counted_day,
    _D.deferred,
    _D.last_error,
    _D.provider_ref,
    _D.language,
    _D.subject,
    _D.body,
    _D.delivered_at,
    _N.cob_day,
)
_IN_INBOX = sa.text(
    "notification_deliveries.channel = 'in_app' AND notification_deliveries.status = 'delivered'"
)
"""The message centre's rows, written as the literals of ``ix_notification_deliveries_inbox``'s
condition: a bound value would not let PostgreSQL's generic plan use the partial index."""
_MESSAGES = sa.select(*_MESSAGE_COLUMNS).select_from(
    notification_deliveries.join(notifications, _N.id == _D.notification_id)
)


def _message(row: Any) -> StoredMessage:
    values = list(row)
    for index in (10, 11, 14, 22):
        values[index] = as_utc(values[index])
    values[0] = int(values[0])
    values[9] = bool(values[9])
    return StoredMessage(*values)


class NotificationRepository(NightMessages):
    """Messages, deliveries, choices and counts on one connection; never commits (close of
    business's messages and their deliveries: :class:`NightMessages`)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # messages
    def add(self, values: dict[str, Any]) -> int | None:
        """A new message; None when its ``dedupe_key`` is taken (written before)."""
        insert = insert_for(self.conn, notifications).values(values)
        found = self.conn.execute(
            insert.on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(_N.id)
        ).scalar()
        return None if found is None else int(found)

    @property
    def writes_message_at_once(self) -> bool:
        """Whether :meth:`add_with_deliveries` is one statement (PostgreSQL)."""
        return self.conn.dialect.name == "postgresql"

    def add_with_deliveries(
        self, values: dict[str, Any], channels: Sequence[tuple[str, bool]]
    ) -> int | None:
        """PostgreSQL: a new message and its deliveries in one statement, the borrower's
        in-app-only choice applied there (:func:`~thinfile.store.outbox_pg.add_message_pg`)."""
        return add_message_pg(self.conn, values, channels)

    def add_deliveries(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(sa.insert(notification_deliveries), list(rows))

    # choices
    def preferences(self, user_id: str) -> StoredPreferences | None:
        row = self.conn.execute(
            sa.select(_P.user_id, _P.language, _P.time_zone, _P.in_app_only).where(
                _P.user_id == user_id
            )
        ).first()
        return None if row is None else StoredPreferences(*row)

    def set_preferences(self, values: dict[str, Any]) -> None:
        insert = insert_for(self.conn, notification_preferences).values(values)
        changes = {k: v for k, v in values.items() if k != "user_id"}
        self.conn.execute(insert.on_conflict_do_update(index_elements=["user_id"], set_=changes))

    def preferences_of(self, user_ids: Sequence[str]) -> dict[str, StoredPreferences]:
        rows = self.conn.execute(
            sa.select(_P.user_id, _P.language, _P.time_zone, _P.in_app_only).where(
                _P.user_id.in_(sorted(set(user_ids)))
            )
        )
        return {str(r.user_id): StoredPreferences(*r) for r in rows}

    # the worker
    def claim_due(
        self,
        *,
        now: datetime,
        limit: int,
        claim: str,
        lease_until: datetime,
        channels: Sequence[str],
    ) -> list[StoredMessage]:
        """Take up to ``limit`` pending deliveries due at ``now`` for one worker: each gets
        ``claim`` and a lease to ``lease_until`` (PostgreSQL skips rows another worker holds,
        ``FOR UPDATE SKIP LOCKED``; SQLite's writers are serialised)."""
        due = self.conn.execute(
            sa.select(_D.notification_id, _D.channel)
            .where(_D.status == _PENDING, _D.next_attempt_at <= now, _D.channel.in_(list(channels)))
            .order_by(_D.next_attempt_at, _D.notification_id, _D.channel)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not due:
            return []
        keys = [(int(n), str(c)) for n, c in due]
        where = sa.tuple_(_D.notification_id, _D.channel).in_(keys)
        self.conn.execute(
            sa.update(notification_deliveries)
            .where(where)
            .values(claim=claim, next_attempt_at=lease_until)
        )
        rows = self.conn.execute(_MESSAGES.where(where).order_by(_D.notification_id, _D.channel))
        return [_message(r) for r in rows]

    def release(
        self, notification_id: int, channel: str, *, claim: str, values: dict[str, Any]
    ) -> bool:
        """Set what became of a claimed delivery (delivered, retry, failed, deferred, skipped)
        and drop the claim; False when the claim was lost (its lease ran out and another worker
        took it)."""
        done = self.conn.execute(
            sa.update(notification_deliveries)
            .where(
                _D.notification_id == notification_id,
                _D.channel == channel,
                _D.claim == claim,
            )
            .values({**values, "claim": None})
        )
        return done.rowcount == 1

    def count(self, notification_id: int, channel: str, *, claim: str, day: int) -> None:
        """Note that a claimed delivery holds a place in the count of local date ``day``."""
        self.conn.execute(
            sa.update(notification_deliveries)
            .where(
                _D.notification_id == notification_id,
                _D.channel == channel,
                _D.claim == claim,
            )
            .values(counted_day=day)
        )

    def store_in_app(self, notification_id: int, *, subject: str, body: str, language: str) -> None:
        """The words of an in-app message, as the message centre shows them."""
        self.conn.execute(
            sa.update(notification_deliveries)
            .where(_D.notification_id == notification_id, _D.channel == "in_app")
            .values(subject=subject, body=body, language=language)
        )

    def reserve(self, user_id: str, channel: str, local_day: int, cap: int) -> bool:
        """Take one of the day's ``cap`` places of ``user_id`` on ``channel``; False when they
        are all taken. The row's lock makes concurrent workers wait and count again."""
        insert = insert_for(self.conn, notification_day_counts).values(
            user_id=user_id, channel=channel, local_day=local_day, sent=0
        )
        self.conn.execute(insert.on_conflict_do_nothing())
        c = notification_day_counts.c
        taken = self.conn.execute(
            sa.update(notification_day_counts)
            .where(
                c.user_id == user_id,
                c.channel == channel,
                c.local_day == local_day,
                c.sent < cap,
            )
            .values(sent=c.sent + 1)
        )
        return taken.rowcount == 1

    def sent_on(self, user_id: str, channel: str, local_day: int) -> int:
        c = notification_day_counts.c
        found = self.conn.execute(
            sa.select(c.sent).where(
                c.user_id == user_id, c.channel == channel, c.local_day == local_day
            )
        ).scalar()
        return int(found or 0)

    # reading
    def message(self, notification_id: int, channel: str) -> StoredMessage | None:
        row = self.conn.execute(
            _MESSAGES.where(_D.notification_id == notification_id, _D.channel == channel)
        ).first()
        return None if row is None else _message(row)

    def inbox(self, user_id: str, *, limit: int, offset: int) -> list[StoredMessage]:
        """The user's delivered in-app messages, newest first."""
        rows = self.conn.execute(
            _MESSAGES.where(_D.user_id == user_id, _IN_INBOX)
            .order_by(_D.delivered_at.desc(), _N.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [_message(r) for r in rows]

    def unread(self, user_id: str) -> int:
        found = self.conn.execute(
            sa.select(sa.func.count())
            .select_from(notification_deliveries.join(notifications, _N.id == _D.notification_id))
            .where(
                _D.user_id == user_id,
                _IN_INBOX,
                _N.read_at.is_(None),
            )
        ).scalar()
        return int(found or 0)

    def mark_read(self, user_id: str, notification_id: int, at: datetime) -> bool:
        """Mark the user's delivered in-app message read (once; a second time changes
        nothing); False when the user has no such message."""
        mine = self.message(notification_id, "in_app")
        if mine is None or mine.user_id != user_id or mine.status != "delivered":
            return False
        self.conn.execute(
            sa.update(notifications)
            .where(_N.id == notification_id, _N.read_at.is_(None))
            .values(read_at=at)
        )
        return True

    def page(
        self,
        *,
        limit: int,
        offset: int,
        status: str | None = None,
        channel: str | None = None,
        user_id: str | None = None,
        loan_id: int | None = None,
    ) -> list[StoredMessage]:
        """Deliveries for staff, newest first, filtered."""
        query = _MESSAGES
        if status is not None:
            query = query.where(_D.status == status)
        if channel is not None:
            query = query.where(_D.channel == channel)
        if user_id is not None:  # by the message's borrower: its index (ix_notifications_user)
            query = query.where(_N.user_id == user_id)
        if loan_id is not None:
            query = query.where(_N.loan_id == loan_id)
        rows = self.conn.execute(
            query.order_by(_N.created_at.desc(), _N.id.desc(), _D.channel)
            .limit(limit)
            .offset(offset)
        )
        return [_message(r) for r in rows]

    def status_counts(self) -> dict[tuple[str, str], int]:
        rows = self.conn.execute(
            sa.select(_D.channel, _D.status, sa.func.count()).group_by(_D.channel, _D.status)
        )
        return {(str(c), str(s)): int(n) for c, s, n in rows}

    # the sandbox SMS provider
    def sandbox_sms_add(self, values: dict[str, Any]) -> str:
        """Keep one SMS under its ``reference`` (the same reference again is the same
        message); the provider's id of it."""
        insert = insert_for(self.conn, notification_sandbox_sms).values(values)
        self.conn.execute(insert.on_conflict_do_nothing(index_elements=["reference"]))
        c = notification_sandbox_sms.c
        found = self.conn.execute(
            sa.select(c.provider_id).where(c.reference == values["reference"])
        ).scalar()
        return str(found)

    def sandbox_sms(self, *, phone_hash: str | None = None, limit: int = 100) -> list[Any]:
        c = notification_sandbox_sms.c
        query = sa.select(notification_sandbox_sms)
        if phone_hash is not None:
            query = query.where(c.phone_hash == phone_hash)
        return list(self.conn.execute(query.order_by(c.received_at.desc()).limit(limit)))

    def sandbox_sms_report(self, provider_id: str, status: str, at: datetime) -> None:
        c = notification_sandbox_sms.c
        self.conn.execute(
            sa.update(notification_sandbox_sms)
            .where(c.provider_id == provider_id)
            .values(status=status, reported_at=at)
        )
