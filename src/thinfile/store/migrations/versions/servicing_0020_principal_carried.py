"""An installment keeps apart the principal a re-age moved onto it.

A re-age (重组) spreads the arrears' principal over the installments not yet due without
interest on it; a prepayment, a merchant refund or a term extension afterwards re-planned the
rows with interest on all the principal left, the moved part included (a borrower who
prepaid 3,000 after a re-age was asked 12.55 more interest in the next period alone), and a
payoff after a part prepayment counted the moved principal as lent for the rest of the
period. ``principal_carried`` keeps the amount: it is repaid with its installment and bears
no interest (``InstallmentState.bearing``). Rows written before hold 0, as they were then
counted.

Revision ID: servicing_0020_principal_carried
Revises: servicing_0019_carried
"""

import sqlalchemy as sa
from alembic import op

revision = "servicing_0020_principal_carried"
down_revision = "servicing_0019_carried"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "servicing_installments",
        sa.Column("principal_carried", sa.BigInteger(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("servicing_installments", "principal_carried")
