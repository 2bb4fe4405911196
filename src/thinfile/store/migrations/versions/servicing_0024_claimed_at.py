"""When the auto-debit sender claimed a debit: a claim older than the gateway's window may
be lowered.

The sender marks a queued debit ``pending`` (claimed) before its request goes out. A claim
whose request the gateway never received was sent again for the claimed amount, since the
first request might still arrive; once the gateway would refuse that request as stale, the
debit is checked against what is still owed like a queued one. ``claimed_at`` is when the
claim was made; intents claimed before hold NULL and keep being sent again unchanged.

Revision ID: servicing_0024_claimed_at
Revises: servicing_0023_value_dates
"""

import sqlalchemy as sa
from alembic import op

revision = "servicing_0024_claimed_at"
down_revision = "servicing_0023_value_dates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "payment_intents", sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("payment_intents", "claimed_at")
