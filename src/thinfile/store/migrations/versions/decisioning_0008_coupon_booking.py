"""How the lender books an interest coupon (#25): each batch says whether a redeemed coupon's
value is marketing expense (the loan defers it as income, as before: the default for every
existing batch) or reduced interest income (nothing booked; the loan earns less interest).

Revision ID: decisioning_0008_coupon_booking
Revises: decisioning_0007_coupon_limits
"""

import sqlalchemy as sa
from alembic import op

revision = "decisioning_0008_coupon_booking"
down_revision = "decisioning_0007_coupon_limits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("interest_coupon_batches") as batch:
        batch.add_column(
            sa.Column(
                "cost_booking", sa.String(24), nullable=False, server_default="marketing_expense"
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("interest_coupon_batches") as batch:
        batch.drop_column("cost_booking")
