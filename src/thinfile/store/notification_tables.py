"""Tables of borrower communications (migration branch ``comms``): the messages, their
delivery by each channel (the outbox), the borrowers' choices, the daily contact counts the
caps are kept with, and the sandbox SMS provider's log.

``notifications`` holds one row per message (its kind, borrower, loan, amount, parameters);
``dedupe_key`` (unique) makes a message of one kind about one loan and due date exist once.
``notification_deliveries`` is the outbox: one row per message and channel, written in the
transaction of the event that causes it; ``claim`` is the token of the worker holding it
until ``next_attempt_at`` (its lease). A delivered row keeps the words sent (``subject``,
``body``, ``language``) — for the in-app channel, these rows are the message centre.
Close of business writes a night's messages alone (``cob_day``); their deliveries are written
by the delivery worker from ``notification_fan_outs``'s ``deliver_from`` on, a batch of
messages at a time in id order (``written_through``: the last message id done), so the night
itself does not write two or three delivery rows per message (about two million on the eve
of a million due dates). ``notification_day_counts`` counts contacts per borrower, channel
and local date (``local_day``: days since 1970-01-01); a delivery reserves its place there
once (``counted_day``).
"""

from __future__ import annotations

import sqlalchemy as sa

from thinfile.store.db import metadata

__all__ = [
    "notification_day_counts",
    "notification_deliveries",
    "notification_fan_outs",
    "notification_preferences",
    "notification_sandbox_sms",
    "notifications",
]

_ID = 32
_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_WHEN = sa.DateTime(timezone=True)

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.String(_ID), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("loan_id", _BIG, nullable=True),
    sa.Column("ref_day", sa.Integer, nullable=True),
    sa.Column("dedupe_key", sa.String(160), nullable=False, unique=True),
    sa.Column("amount_fen", sa.BigInteger, nullable=True),
    sa.Column("currency", sa.String(3), nullable=True),
    sa.Column("params", sa.Text, nullable=False),
    sa.Column("legally_required", sa.Boolean, nullable=False),
    sa.Column("cob_day", sa.Integer, nullable=True),
    sa.Column("created_at", _WHEN, nullable=False),
    sa.Column("read_at", _WHEN, nullable=True),
    sa.Index("ix_notifications_user", "user_id", "created_at"),
    # (cob_day, id): the worker reads a night's messages a batch at a time, in id order
    sa.Index("ix_notifications_cob_day", "cob_day", "id"),
)

notification_fan_outs = sa.Table(
    "notification_fan_outs",
    metadata,
    sa.Column("cob_day", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("deliver_from", _WHEN, nullable=False),
    sa.Column("written_through", _BIG, nullable=False),
    sa.Column("done", sa.Boolean, nullable=False),
    sa.Column("created_at", _WHEN, nullable=False),
    sa.Column("done_at", _WHEN, nullable=True),
)

notification_deliveries = sa.Table(
    "notification_deliveries",
    metadata,
    # no foreign-key trigger (migration comms_0002): written by the million each night
    sa.Column("notification_id", _BIG, primary_key=True, autoincrement=False),
    sa.Column("channel", sa.String(8), primary_key=True),
    sa.Column("user_id", sa.String(_ID), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", _WHEN, nullable=True),
    sa.Column("claim", sa.String(_ID), nullable=True),
    sa.Column("counted_day", sa.Integer, nullable=True),
    sa.Column("deferred", sa.String(16), nullable=True),
    sa.Column("last_error", sa.String(200), nullable=True),
    sa.Column("provider_ref", sa.String(100), nullable=True),
    sa.Column("language", sa.String(8), nullable=True),
    sa.Column("subject", sa.Text, nullable=True),
    sa.Column("body", sa.Text, nullable=True),
    sa.Column("created_at", _WHEN, nullable=False),
    sa.Column("last_attempt_at", _WHEN, nullable=True),
    sa.Column("delivered_at", _WHEN, nullable=True),
    sa.Index("ix_notification_deliveries_due", "status", "next_attempt_at"),
)

# A borrower's message centre reads only delivered in-app rows: they alone are indexed by
# borrower. Close of business writes a night's deliveries pending (up to millions), and an
# index of every delivery by borrower (random ids) cost each of them an insert at a random page.
_INBOX = sa.text("channel = 'in_app' AND status = 'delivered'")
sa.Index(
    "ix_notification_deliveries_inbox",
    notification_deliveries.c.user_id,
    notification_deliveries.c.delivered_at,
    sqlite_where=_INBOX,
    postgresql_where=_INBOX,
)

notification_preferences = sa.Table(
    "notification_preferences",
    metadata,
    sa.Column("user_id", sa.String(_ID), primary_key=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("time_zone", sa.String(64), nullable=False),
    sa.Column("in_app_only", sa.Boolean, nullable=False),
    sa.Column("updated_at", _WHEN, nullable=False),
)

notification_day_counts = sa.Table(
    "notification_day_counts",
    metadata,
    sa.Column("user_id", sa.String(_ID), primary_key=True),
    sa.Column("channel", sa.String(8), primary_key=True),
    sa.Column("local_day", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("sent", sa.Integer, nullable=False),
)

notification_sandbox_sms = sa.Table(
    "notification_sandbox_sms",
    metadata,
    sa.Column("reference", sa.String(100), primary_key=True),
    sa.Column("provider_id", sa.String(40), nullable=False, unique=True),
    sa.Column("phone_hash", sa.String(64), nullable=False),
    sa.Index("ix_notification_sandbox_sms_phone_hash", "phone_hash"),
    sa.Column("phone_masked", sa.String(20), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("received_at", _WHEN, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("reported_at", _WHEN, nullable=True),
)
