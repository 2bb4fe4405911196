"""A checkout refund records what it gave back to its campaign's budget.

A refund releases the subsidy it freed (the whole unwound share when the merchant is paid it
back, the lender's part of it when the lender keeps the merchant's), and a full refund of an
ended order what the reservation held beyond the subsidy still in use. Reversing the refund
takes back exactly that (``checkout_refunds.budget_released``, fen). Refunds made before have
none recorded (NULL): their reversal takes back what the purchases still use.

Revision ID: commerce_0009_refund_budget
Revises: commerce_0008_lender_share
"""

import sqlalchemy as sa
from alembic import op

revision = "commerce_0009_refund_budget"
down_revision = "commerce_0008_lender_share"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("checkout_refunds", sa.Column("budget_released", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("checkout_refunds") as batch:
        batch.drop_column("budget_released")
