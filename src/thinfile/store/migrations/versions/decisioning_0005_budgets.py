"""Preferential programmes' budgets and what each loan took from them; interest coupons
borrowers hold and the loan each was redeemed by (#25). A CHECK constraint keeps a budget's
spent sum within it.

Revision ID: decisioning_0005_budgets
Revises: decisioning_0004_limit_reviews
"""

import sqlalchemy as sa
from alembic import op

revision = "decisioning_0005_budgets"
down_revision = "decisioning_0004_limit_reviews"
branch_labels = None
depends_on = None

_ID = 32
_CODE = 60
_WHEN = sa.DateTime(timezone=True)
_FEN = sa.BigInteger


def upgrade() -> None:
    op.create_table(
        "programme_budgets",
        sa.Column("code", sa.String(_CODE), primary_key=True),
        sa.Column("budget_fen", _FEN, nullable=False),
        sa.Column("spent_fen", _FEN, nullable=False, server_default="0"),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.CheckConstraint(
            "spent_fen >= 0 AND spent_fen <= budget_fen", name="programme_spent_within_budget"
        ),
    )
    op.create_table(
        "programme_uses",
        sa.Column("loan_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("code", sa.String(_CODE), nullable=False),
        sa.Column("application_id", sa.String(_ID), nullable=False),
        sa.Column("amount_fen", _FEN, nullable=False),
        sa.Column("used_on", sa.Date, nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
    )
    op.create_index("ix_programme_uses_code", "programme_uses", ["code"])
    op.create_table(
        "interest_coupons",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column("borrower_id", sa.String(_ID), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("terms_json", sa.Text, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("issued_by", sa.String(100), nullable=False),
        sa.Column("issued_at", _WHEN, nullable=False),
        sa.Column("application_id", sa.String(_ID), nullable=True),
        sa.Column("loan_id", sa.Integer, nullable=True),
        sa.Column("value_fen", _FEN, nullable=True),
        sa.Column("redeemed_on", sa.Date, nullable=True),
    )
    op.create_index("ix_interest_coupons_borrower_id", "interest_coupons", ["borrower_id"])


def downgrade() -> None:
    op.drop_table("interest_coupons")
    op.drop_table("programme_uses")
    op.drop_table("programme_budgets")
