"""The payment intents still waiting (``created`` or ``pending``) are found by an index that
holds them alone.

Three lists read them: the auto-debits queued for sending (``payments send-debits``), the
claimed ones whose answer was never recorded, and those the gateway has not answered for a
while (``payments query-unsettled``). Without an index each read walked the whole table —
every payment ever made, a million more each night of a large book — to find the few
thousand open. A partial index on ``(created_at, id) WHERE status IN ('created',
'pending')`` holds only the open ones, in the order the lists read them, and a row leaves it
once its payment is settled.

Revision ID: servicing_0015_open_intents
Revises: servicing_0014_batch_references
"""

import sqlalchemy as sa
from alembic import op

revision = "servicing_0015_open_intents"
down_revision = "servicing_0014_batch_references"
branch_labels = None
depends_on = None

INDEX = "ix_payment_intents_open"


def upgrade() -> None:
    waiting = sa.text("status IN ('created', 'pending')")
    op.create_index(
        INDEX,
        "payment_intents",
        ["created_at", "id"],
        sqlite_where=waiting,
        postgresql_where=waiting,
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="payment_intents")
