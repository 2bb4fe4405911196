"""Write-off requests: a write-off below the charge-off threshold needs a second staff member.

``servicing_write_off_requests`` holds each request (loan, reason, who asked and when), its
status (``pending``, ``approved``) and who approved it and the write-off it posted.

Revision ID: servicing_0005_writeoff_requests
Revises: servicing_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "servicing_0005_writeoff_requests"
down_revision = "servicing_0004"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "servicing_write_off_requests",
        sa.Column("id", _BIG, primary_key=True, autoincrement=True),
        sa.Column("loan_id", _BIG, sa.ForeignKey("servicing_loans.id"), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("requested_by", sa.String(32), nullable=False),
        sa.Column("requested_day", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.Column("decided_day", sa.Integer(), nullable=True),
        sa.Column("txn_id", _BIG, nullable=True),
    )
    op.create_index(
        "ix_servicing_write_off_requests_loan_id", "servicing_write_off_requests", ["loan_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_servicing_write_off_requests_loan_id", "servicing_write_off_requests")
    op.drop_table("servicing_write_off_requests")
