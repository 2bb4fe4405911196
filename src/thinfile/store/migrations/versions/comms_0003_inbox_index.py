"""Deliveries are indexed by borrower only once they are in the borrower's message centre
(delivered, in-app).

Close of business writes a night's reminders and notices with their deliveries pending —
two or three per message, about two million on the eve of a million due dates. The index of
every delivery by ``(user_id, channel, status)`` took each of them an insert at a random
page of an index larger than the server's buffers (borrower ids are random), on the night's
longest lane. What reads deliveries by borrower is the message centre (delivered in-app rows)
and the staff list filtered by borrower, which now filters on the message's borrower
(``ix_notifications_user``). The partial index ``(user_id, delivered_at) WHERE channel =
'in_app' AND status = 'delivered'`` holds the message centre's rows alone; a row enters it
when the worker delivers it, during the day.

Revision ID: comms_0003_inbox_index
Revises: comms_0002_delivery_reference
"""

import sqlalchemy as sa
from alembic import op

revision = "comms_0003_inbox_index"
down_revision = "comms_0002_delivery_reference"
branch_labels = None
depends_on = None

_TABLE = "notification_deliveries"
_OLD = "ix_notification_deliveries_user"
_NEW = "ix_notification_deliveries_inbox"


def upgrade() -> None:
    inbox = sa.text("channel = 'in_app' AND status = 'delivered'")
    op.drop_index(_OLD, table_name=_TABLE)
    op.create_index(
        _NEW, _TABLE, ["user_id", "delivered_at"], sqlite_where=inbox, postgresql_where=inbox
    )


def downgrade() -> None:
    op.drop_index(_NEW, table_name=_TABLE)
    op.create_index(_OLD, _TABLE, ["user_id", "channel", "status"])
