"""Month-end snapshots of every loan, written by close of business: the loan-month table.

Revision ID: servicing_0007_month_ends
Revises: servicing_0006_payment_cards
"""

import sqlalchemy as sa
from alembic import op

revision = "servicing_0007_month_ends"
down_revision = "servicing_0006_payment_cards"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "servicing_month_ends",
        sa.Column("loan_id", _BIG, sa.ForeignKey("servicing_loans.id"), primary_key=True),
        sa.Column("month_end_day", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("days_past_due", sa.Integer, nullable=False),
        sa.Column("principal_balance", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_index(
        "ix_servicing_month_ends_month_end_day", "servicing_month_ends", ["month_end_day"]
    )


def downgrade() -> None:
    op.drop_index("ix_servicing_month_ends_month_end_day", "servicing_month_ends")
    op.drop_table("servicing_month_ends")
