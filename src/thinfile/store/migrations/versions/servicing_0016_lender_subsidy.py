"""A campaign's lender share of the subsidy (平台贴息) is recorded where it is paid.

A campaign says what share of an interest-free plan's subsidy the merchant pays; the lender
pays the rest as marketing expense, and the merchant is paid that much more. The loan keeps
its lender part (``servicing_loans.lender_subsidy``): its opening books it, a refund unwinds
its share of what is still deferred, and a rebooking from the loan's transactions needs it.
Loans opened before were all merchant-paid: 0.

Revision ID: servicing_0016_lender_subsidy
Revises: servicing_0015_open_intents
"""

import sqlalchemy as sa
from alembic import op

revision = "servicing_0016_lender_subsidy"
down_revision = "servicing_0015_open_intents"
branch_labels = None
depends_on = None

_COLUMNS = (("servicing_loans", "lender_subsidy"),)


def upgrade() -> None:
    for table, column in _COLUMNS:
        op.add_column(table, sa.Column(column, sa.BigInteger, nullable=False, server_default="0"))


def downgrade() -> None:
    for table, column in _COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
