"""Bound bank cards: the gateway's agreement token, last four digits and bank, never the number.

Revision ID: servicing_0006_payment_cards
Revises: servicing_0005_writeoff_requests
"""

import sqlalchemy as sa
from alembic import op

revision = "servicing_0006_payment_cards"
down_revision = "servicing_0005_writeoff_requests"
branch_labels = None
depends_on = "identity_0001"


def upgrade() -> None:
    op.create_table(
        "payment_cards",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("binding_id", sa.String(64), nullable=False, unique=True),
        sa.Column("agreement_token", sa.String(64), nullable=True, unique=True),
        sa.Column("last_four", sa.String(4), nullable=False),
        sa.Column("bank_name", sa.String(40), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unbound_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_payment_cards_user_id", "payment_cards", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_payment_cards_user_id", "payment_cards")
    op.drop_table("payment_cards")
