"""A checkout refund can be reversed (merchant error): the business date it was reversed on.

Revision ID: commerce_0007_refund_reversals
Revises: commerce_0001_products
"""

import sqlalchemy as sa
from alembic import op

revision = "commerce_0007_refund_reversals"
down_revision = "commerce_0001_products"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("checkout_refunds", sa.Column("reversed_on", sa.Date, nullable=True))


def downgrade() -> None:
    op.drop_column("checkout_refunds", "reversed_on")
