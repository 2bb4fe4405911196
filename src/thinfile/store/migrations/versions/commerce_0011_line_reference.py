"""A settlement line keeps its refund's reference.

The settlement file lists, beside each refund and refund reversal, the reference the merchant
gave the refund (its return or RMA number), so that several partial refunds of one order can
be matched. Lines stored before carry none (NULL).

Revision ID: commerce_0011_line_reference
Revises: commerce_0010_capture_loan
"""

import sqlalchemy as sa
from alembic import op

revision = "commerce_0011_line_reference"
down_revision = "commerce_0010_capture_loan"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("merchant_settlement_lines", sa.Column("reference", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("merchant_settlement_lines") as batch:
        batch.drop_column("reference")
