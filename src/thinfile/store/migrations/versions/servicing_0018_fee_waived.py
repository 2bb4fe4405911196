"""An installment keeps the scheduled fee waived while its period ran.

A waiver takes the fee earned so far off ``fee_due`` and ``fee_accrued``; close of business
and the payoff then earned the smaller fee in a straight line from the period's start, so the
days the waiver covered were charged again (15.73 of a 72.00 monthly fee, paid off the day
after half of it was waived). ``fee_waived`` keeps the amount: the fee earned by a day is the
straight line of the whole fee less it (``InstallmentState.fee_earned``). Rows written before
it hold 0, as every waiver then did not count.

Revision ID: servicing_0018_fee_waived
Revises: servicing_0017_refund_unwound
"""

import sqlalchemy as sa
from alembic import op

revision = "servicing_0018_fee_waived"
down_revision = "servicing_0017_refund_unwound"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "servicing_installments",
        sa.Column("fee_waived", sa.BigInteger(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("servicing_installments", "fee_waived")
