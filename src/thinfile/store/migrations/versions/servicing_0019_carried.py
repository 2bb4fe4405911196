"""An installment keeps apart the interest and fees a restructure carried onto it.

A re-age (重组) moves the arrears' interest and fees, already earned, onto the installments
not yet due; close of business and the payoff then spread them over each period's days as if
they were earned again, so a re-aged loan paid off mid-period was asked too little (0.78 to
10.91 short in a review's cases) and the books recognised the carried part late.
``interest_carried`` and ``fee_carried`` keep the amounts: the installment earns them whole
from its start and the rest in a straight line (``InstallmentState.interest_earned``,
``fee_earned``). Rows written before hold 0, as they were then counted.

Revision ID: servicing_0019_carried
Revises: servicing_0018_fee_waived
"""

import sqlalchemy as sa
from alembic import op

revision = "servicing_0019_carried"
down_revision = "servicing_0018_fee_waived"
branch_labels = None
depends_on = None

_COLUMNS = ("interest_carried", "fee_carried")


def upgrade() -> None:
    for name in _COLUMNS:
        op.add_column(
            "servicing_installments",
            sa.Column(name, sa.BigInteger(), server_default="0", nullable=False),
        )


def downgrade() -> None:
    for name in reversed(_COLUMNS):
        op.drop_column("servicing_installments", name)
