"""An installment keeps the part of an amount-off interest coupon a re-plan moved onto it.

An amount-off coupon (减息券) is shared out over the first installments when the loan opens.
A prepayment or a merchant refund re-plans them on less principal; a row left too little
interest to take its share passes the rest to the rows after it. That was not kept: a second
re-plan started again from the shares at opening, and what the first had moved was lost (a
borrower given 300.00 off who prepaid on two due dates was charged 90.00 of it back).
``relief_moved`` keeps, per row, what it now takes beyond its share at opening (negative when
short of it). Rows written before hold 0: their shares at opening, as they were counted.

Revision ID: servicing_0022_relief_moved
Revises: servicing_0021_single_handed
"""

import sqlalchemy as sa
from alembic import op

revision = "servicing_0022_relief_moved"
down_revision = "servicing_0021_single_handed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "servicing_installments",
        sa.Column("relief_moved", sa.BigInteger(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("servicing_installments", "relief_moved")
