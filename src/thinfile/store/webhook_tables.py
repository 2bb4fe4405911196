"""Tables of merchant webhooks (migration branch ``commerce``): each merchant's endpoint, the
outbox of events and the log of every delivery attempt.

The endpoint's signing secret is sealed like personal data (``secret_enc``, AES-GCM under
``thinfile.security.crypto``, bound to ``merchant:<id>:webhook_secret``); during a rotation
the retired secret stays in ``previous_secret_enc`` until ``previous_until``. An event's
``body`` is the exact JSON text sent on every attempt. ``attempts`` counts every try ever
made (it numbers the rows of ``merchant_webhook_attempts``, whose primary key makes each
attempt number happen once); ``tries`` counts the tries of the current round (a replay starts
a new one). ``claim`` is the token of the worker holding the event until ``next_attempt_at``.
"""

from __future__ import annotations

import sqlalchemy as sa

from thinfile.store.db import metadata

__all__ = ["merchant_webhook_attempts", "merchant_webhook_endpoints", "merchant_webhook_events"]

_ID = 32
_EVENT_ID = 40  # "evt_" + 32 hex
_WHEN = sa.DateTime(timezone=True)

merchant_webhook_endpoints = sa.Table(
    "merchant_webhook_endpoints",
    metadata,
    sa.Column("merchant_id", sa.String(_ID), sa.ForeignKey("merchants.id"), primary_key=True),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("event_types", sa.String(400), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("secret_enc", sa.Text, nullable=False),
    sa.Column("secret_hint", sa.String(16), nullable=False),
    sa.Column("previous_secret_enc", sa.Text, nullable=True),
    sa.Column("previous_until", _WHEN, nullable=True),
    sa.Column("created_at", _WHEN, nullable=False),
    sa.Column("updated_at", _WHEN, nullable=False),
)

merchant_webhook_events = sa.Table(
    "merchant_webhook_events",
    metadata,
    sa.Column("id", sa.String(_EVENT_ID), primary_key=True),
    sa.Column("merchant_id", sa.String(_ID), sa.ForeignKey("merchants.id"), nullable=False),
    sa.Column("event_type", sa.String(40), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", _WHEN, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("tries", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", _WHEN, nullable=True),
    sa.Column("claim", sa.String(_ID), nullable=True),
    sa.Column("last_attempt_at", _WHEN, nullable=True),
    sa.Column("delivered_at", _WHEN, nullable=True),
    sa.Index("ix_merchant_webhook_events_due", "status", "next_attempt_at"),
    sa.Index("ix_merchant_webhook_events_merchant", "merchant_id", "created_at"),
)

merchant_webhook_attempts = sa.Table(
    "merchant_webhook_attempts",
    metadata,
    sa.Column(
        "event_id",
        sa.String(_EVENT_ID),
        sa.ForeignKey("merchant_webhook_events.id"),
        primary_key=True,
    ),
    sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("started_at", _WHEN, nullable=False),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("duration_ms", sa.Integer, nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("error", sa.String(200), nullable=True),
    sa.Column("response_excerpt", sa.String(600), nullable=True),
    sa.Column("outcome", sa.String(16), nullable=False),
)
