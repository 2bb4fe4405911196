"""Borrower communications: messages, their deliveries by channel (the outbox), borrowers'
choices, daily contact counts, and the sandbox SMS provider's log.

Revision ID: comms_0001_notifications
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "comms_0001_notifications"
down_revision = None
branch_labels = ("comms",)
depends_on = "servicing_0010_subsidy_eir"

_ID = 32
_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notifications",
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
    )
    op.create_index("ix_notifications_user", "notifications", ["user_id", "created_at"])
    op.create_index("ix_notifications_cob_day", "notifications", ["cob_day"])
    op.create_table(
        "notification_deliveries",
        sa.Column("notification_id", _BIG, sa.ForeignKey("notifications.id"), primary_key=True),
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
    )
    op.create_index(
        "ix_notification_deliveries_due",
        "notification_deliveries",
        ["status", "next_attempt_at"],
    )
    op.create_index(
        "ix_notification_deliveries_user",
        "notification_deliveries",
        ["user_id", "channel", "status"],
    )
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.String(_ID), primary_key=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("in_app_only", sa.Boolean, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
    )
    op.create_table(
        "notification_day_counts",
        sa.Column("user_id", sa.String(_ID), primary_key=True),
        sa.Column("channel", sa.String(8), primary_key=True),
        sa.Column("local_day", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("sent", sa.Integer, nullable=False),
    )
    op.create_table(
        "notification_sandbox_sms",
        sa.Column("reference", sa.String(100), primary_key=True),
        sa.Column("provider_id", sa.String(40), nullable=False, unique=True),
        sa.Column("phone_hash", sa.String(64), nullable=False),
        sa.Column("phone_masked", sa.String(20), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("received_at", _WHEN, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("reported_at", _WHEN, nullable=True),
    )
    op.create_index(
        "ix_notification_sandbox_sms_phone_hash", "notification_sandbox_sms", ["phone_hash"]
    )


def downgrade() -> None:
    op.drop_index("ix_notification_sandbox_sms_phone_hash", table_name="notification_sandbox_sms")
    op.drop_table("notification_sandbox_sms")
    op.drop_table("notification_day_counts")
    op.drop_table("notification_preferences")
    op.drop_index("ix_notification_deliveries_user", table_name="notification_deliveries")
    op.drop_index("ix_notification_deliveries_due", table_name="notification_deliveries")
    op.drop_table("notification_deliveries")
    op.drop_index("ix_notifications_cob_day", table_name="notifications")
    op.drop_index("ix_notifications_user", table_name="notifications")
    op.drop_table("notifications")
