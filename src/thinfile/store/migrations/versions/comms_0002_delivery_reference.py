"""A delivery names its message without a foreign-key trigger: close of business writes the
deliveries of a night's reminders by the million (three channels for each of up to a million
messages), and PostgreSQL's row-by-row check, locking each message, took a third of the step.
Deliveries are written from the message rows they name (one statement joins them), messages
are never deleted, and ``thinfile ledger verify`` checks that every delivery's message exists
(``references_resolve``).

Revision ID: comms_0002_delivery_reference
Revises: comms_0001_notifications
"""

from alembic import op

revision = "comms_0002_delivery_reference"
down_revision = "comms_0001_notifications"
branch_labels = None
depends_on = None

_NAME = "fk_notification_deliveries_notification_id_notifications"


def upgrade() -> None:
    with op.batch_alter_table("notification_deliveries") as batch:
        batch.drop_constraint(_NAME, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("notification_deliveries") as batch:
        batch.create_foreign_key(_NAME, "notifications", ["notification_id"], ["id"])
