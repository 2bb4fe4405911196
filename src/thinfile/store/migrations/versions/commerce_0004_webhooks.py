"""Merchant webhooks: each merchant's endpoint (URL, event types, sealed signing secret and
the retired one during a rotation), the outbox of events, and the log of delivery attempts.

Revision ID: commerce_0004_webhooks
Revises: commerce_0001_merchants
"""

import sqlalchemy as sa
from alembic import op

revision = "commerce_0004_webhooks"
down_revision = "commerce_0001_merchants"
branch_labels = None
depends_on = None

_ID = 32
_EVENT_ID = 40
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "merchant_webhook_endpoints",
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
    op.create_table(
        "merchant_webhook_events",
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
    )
    op.create_index(
        "ix_merchant_webhook_events_due", "merchant_webhook_events", ["status", "next_attempt_at"]
    )
    op.create_index(
        "ix_merchant_webhook_events_merchant",
        "merchant_webhook_events",
        ["merchant_id", "created_at"],
    )
    op.create_table(
        "merchant_webhook_attempts",
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


def downgrade() -> None:
    op.drop_table("merchant_webhook_attempts")
    op.drop_index("ix_merchant_webhook_events_merchant", table_name="merchant_webhook_events")
    op.drop_index("ix_merchant_webhook_events_due", table_name="merchant_webhook_events")
    op.drop_table("merchant_webhook_events")
    op.drop_table("merchant_webhook_endpoints")
