"""Disputes of financed purchases: one per checkout session, open or resolved with a reason.

Revision ID: commerce_0006_disputes
Revises: commerce_0005_settlements
"""

import sqlalchemy as sa
from alembic import op

revision = "commerce_0006_disputes"
down_revision = "commerce_0005_settlements"
branch_labels = None
depends_on = None

_ID = 32
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "checkout_disputes",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column(
            "session_id",
            sa.String(_ID),
            sa.ForeignKey("checkout_sessions.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("borrower_user_id", sa.String(_ID), nullable=False),
        sa.Column("merchant_id", sa.String(_ID), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("opened_day", sa.Integer, nullable=False),
        sa.Column("opened_at", _WHEN, nullable=False),
        sa.Column("resolved_day", sa.Integer, nullable=True),
        sa.Column("resolved_at", _WHEN, nullable=True),
        sa.Column("resolved_by", sa.String(100), nullable=True),
        sa.Column("staff_reason", sa.String(1000), nullable=True),
        sa.Column("refunded_fen", sa.BigInteger, nullable=False, server_default="0"),
        sa.CheckConstraint(
            "status IN ('open', 'resolved-refunded', 'resolved-rejected')", name="dispute_status"
        ),
    )
    op.create_index("ix_checkout_disputes_status", "checkout_disputes", ["status"])


def downgrade() -> None:
    op.drop_index("ix_checkout_disputes_status", "checkout_disputes")
    op.drop_table("checkout_disputes")
