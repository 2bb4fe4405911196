"""The merchant-sales feed (days and upload batches) and working-capital decisions (#20).

Revision ID: decisioning_0006_sales_feed
Revises: decisioning_0005_budgets
"""

import sqlalchemy as sa
from alembic import op

revision = "decisioning_0006_sales_feed"
down_revision = "decisioning_0005_budgets"
branch_labels = None
depends_on = None

_ID = 32
_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_WHEN = sa.DateTime(timezone=True)
_APPLICANT = "applicants.id"


def upgrade() -> None:
    op.create_table(
        "sales_batches",
        sa.Column("id", _BIG, primary_key=True, autoincrement=True),
        sa.Column("applicant_id", sa.String(_ID), sa.ForeignKey(_APPLICANT), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=True),
        sa.Column("rows_received", sa.Integer(), nullable=False),
        sa.Column("rows_added", sa.Integer(), nullable=False),
        sa.Column("rows_unchanged", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("consent_ids", sa.String(200), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("received_at", _WHEN, nullable=False),
    )
    op.create_index("ix_sales_batches_applicant_id", "sales_batches", ["applicant_id"])
    op.create_table(
        "sales_days",
        sa.Column(
            "applicant_id",
            sa.String(_ID),
            sa.ForeignKey(_APPLICANT),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("day", sa.Date(), primary_key=True, autoincrement=False),
        sa.Column("channel", sa.String(16), primary_key=True, autoincrement=False),
        sa.Column("gross_sales", sa.BigInteger(), nullable=False),
        sa.Column("refunds", sa.BigInteger(), nullable=False),
        sa.Column("transactions", sa.Integer(), nullable=False),
        sa.Column("batch_id", _BIG, sa.ForeignKey("sales_batches.id"), nullable=False),
    )
    op.create_table(
        "working_capital_decisions",
        sa.Column("id", _BIG, primary_key=True, autoincrement=True),
        sa.Column("applicant_id", sa.String(_ID), sa.ForeignKey(_APPLICANT), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("grade", sa.String(4), nullable=True),
        sa.Column("credit_grade", sa.String(4), nullable=True),
        sa.Column("limit_amount", sa.BigInteger(), nullable=False),
        sa.Column("daily_rate", sa.String(24), nullable=True),
        sa.Column("monthly_turnover", sa.BigInteger(), nullable=False),
        sa.Column("reason_codes", sa.String(400), nullable=False),
        sa.Column("features_json", sa.Text(), nullable=False),
        sa.Column("policy_version", sa.String(80), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
    )
    op.create_index(
        "ix_working_capital_decisions_applicant_id",
        "working_capital_decisions",
        ["applicant_id"],
    )


def downgrade() -> None:
    for table in ("working_capital_decisions", "sales_days", "sales_batches"):
        op.drop_table(table)
