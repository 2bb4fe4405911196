"""Merchant subsidy recognised by the effective-interest method: each loan's plan.

Revision ID: servicing_0010_subsidy_eir
Revises: servicing_0009_payment_intents

Loans opened before this revision have no plan rows and keep recognising their subsidy on
the straight line they were opened with (close of business falls back to it).
"""

import sqlalchemy as sa
from alembic import op

revision = "servicing_0010_subsidy_eir"
down_revision = "servicing_0009_payment_intents"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "servicing_subsidy_periods",
        sa.Column("loan_id", _BIG, sa.ForeignKey("servicing_loans.id"), primary_key=True),
        sa.Column("n", sa.Integer(), primary_key=True),
        sa.Column("start_day", sa.Integer(), nullable=False),
        sa.Column("due_day", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("recognized_before", sa.BigInteger(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    op.drop_table("servicing_subsidy_periods")
