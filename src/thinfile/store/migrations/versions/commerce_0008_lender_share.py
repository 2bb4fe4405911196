"""A checkout's captures and refund parts record the lender's share of a campaign subsidy.

A campaign says what share of an interest-free plan's subsidy the merchant pays; the lender
pays the rest (平台贴息). The merchant's settlement charges it only its own share: a capture
keeps the lender's part of its subsidy (``checkout_captures.lender_subsidy``) and a refund
part the lender's part of the subsidy it unwound (``checkout_refund_parts.lender_unwound``).
Rows written before were all merchant-paid: 0.

Revision ID: commerce_0008_lender_share
Revises: commerce_0007_refund_reversals
"""

import sqlalchemy as sa
from alembic import op

revision = "commerce_0008_lender_share"
down_revision = "commerce_0007_refund_reversals"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("checkout_captures", "lender_subsidy"),
    ("checkout_refund_parts", "lender_unwound"),
)


def upgrade() -> None:
    for table, column in _COLUMNS:
        op.add_column(table, sa.Column(column, sa.BigInteger, nullable=False, server_default="0"))


def downgrade() -> None:
    for table, column in _COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
