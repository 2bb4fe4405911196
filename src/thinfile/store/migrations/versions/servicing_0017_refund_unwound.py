"""A checkout's merchant refund keeps the subsidy it unwound on its transaction.

A refund unwinds the share of the deferred subsidy its principal carried, and the merchant is
settled on it. When an earlier payment is reversed, the loan's later transactions are replayed
on the changed balances; the refund's share worked out again would differ from the one the
merchant was settled on, and the ledger from the settlement. The transaction now keeps what
it unwound (``subsidy_unwound``) and the lender's part (``lender_unwound``), and a replay
unwinds the same. Refunds posted before keep NULL and are worked out again, as they were.

Revision ID: servicing_0017_refund_unwound
Revises: servicing_0016_lender_subsidy
"""

import sqlalchemy as sa
from alembic import op

revision = "servicing_0017_refund_unwound"
down_revision = "servicing_0016_lender_subsidy"
branch_labels = None
depends_on = None

_COLUMNS = ("subsidy_unwound", "lender_unwound")


def upgrade() -> None:
    for column in _COLUMNS:
        op.add_column("servicing_transactions", sa.Column(column, sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("servicing_transactions") as batch:
        for column in _COLUMNS:
            batch.drop_column(column)
