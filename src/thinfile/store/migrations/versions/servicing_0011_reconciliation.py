"""The daily payment reconciliation: reconciled dates and what each comparison found.

Revision ID: servicing_0011_reconciliation
Revises: servicing_0010_subsidy_eir
"""

import sqlalchemy as sa
from alembic import op

revision = "servicing_0011_reconciliation"
down_revision = "servicing_0010_subsidy_eir"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "payment_reconciliations",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("file_rows", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "payment_reconciliation_items",
        sa.Column("day", sa.Date, sa.ForeignKey("payment_reconciliations.day"), primary_key=True),
        sa.Column("n", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("gateway_txn_id", sa.String(64), nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("file_status", sa.String(16), nullable=True),
        sa.Column("file_amount", _BIG, nullable=True),
        sa.Column("book_status", sa.String(16), nullable=True),
        sa.Column("book_amount", _BIG, nullable=True),
        sa.Column("loan_id", _BIG, nullable=True),
        sa.Column("resolution", sa.String(500), nullable=True),
        sa.Column("resolved_by", sa.String(100), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_payment_reconciliation_items_gateway_txn_id",
        "payment_reconciliation_items",
        ["gateway_txn_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_payment_reconciliation_items_gateway_txn_id", "payment_reconciliation_items")
    op.drop_table("payment_reconciliation_items")
    op.drop_table("payment_reconciliations")
