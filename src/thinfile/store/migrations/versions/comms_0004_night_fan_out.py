"""A night's reminders get their deliveries from the delivery worker, not from close of
business.

Close of business wrote each reminder and notice with its deliveries, two or three rows per
message: about two million delivery rows on the eve of a million due dates, a fifth of the
night's longest lane. The night now writes the messages and one row of
``notification_fan_outs`` (the business date, when its deliveries are first due); the worker
writes the deliveries from then on, a batch of the night's messages at a time in id order,
``written_through`` recording how far it got. ``ix_notifications_cob_day`` becomes
``(cob_day, id)`` so that each batch is read from where the last ended.

Revision ID: comms_0004_night_fan_out
Revises: comms_0003_inbox_index
"""

import sqlalchemy as sa
from alembic import op

revision = "comms_0004_night_fan_out"
down_revision = "comms_0003_inbox_index"
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)
_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "notification_fan_outs",
        sa.Column("cob_day", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("deliver_from", _WHEN, nullable=False),
        sa.Column("written_through", _BIG, nullable=False),
        sa.Column("done", sa.Boolean, nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("done_at", _WHEN, nullable=True),
    )
    op.drop_index("ix_notifications_cob_day", table_name="notifications")
    op.create_index("ix_notifications_cob_day", "notifications", ["cob_day", "id"])


def downgrade() -> None:
    op.drop_index("ix_notifications_cob_day", table_name="notifications")
    op.create_index("ix_notifications_cob_day", "notifications", ["cob_day"])
    op.drop_table("notification_fan_outs")
