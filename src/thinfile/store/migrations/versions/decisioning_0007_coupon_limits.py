"""Interest-coupon batches (#25): the coupon staff define once — terms, validity, how many one
borrower may hold, the budget its redeemed coupons may cost — and issue to one borrower or to
a segment; each coupon issued from a batch names it and the issue that gave it. A CHECK
constraint keeps a batch's redeemed value within its budget, a unique index one coupon per
borrower and issue.

Revision ID: decisioning_0007_coupon_limits
Revises: decisioning_0006_sales_feed
"""

import sqlalchemy as sa
from alembic import op

revision = "decisioning_0007_coupon_limits"
down_revision = "decisioning_0006_sales_feed"
branch_labels = None
depends_on = None

_ID = 32
_WHEN = sa.DateTime(timezone=True)
_FEN = sa.BigInteger


def upgrade() -> None:
    op.create_table(
        "interest_coupon_batches",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("terms_json", sa.Text, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=False),
        sa.Column("per_borrower_limit", sa.Integer, nullable=False),
        sa.Column("budget_fen", _FEN, nullable=False),
        sa.Column("spent_fen", _FEN, nullable=False, server_default="0"),
        sa.Column("issued", sa.Integer, nullable=False, server_default="0"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.CheckConstraint(
            "spent_fen >= 0 AND spent_fen <= budget_fen", name="coupon_batch_spent_within_budget"
        ),
        sa.CheckConstraint("per_borrower_limit >= 1", name="coupon_batch_limit_positive"),
    )
    with op.batch_alter_table("interest_coupons") as batch:
        batch.add_column(sa.Column("batch_id", sa.String(_ID), nullable=True))
        batch.add_column(sa.Column("issue_reference", sa.String(100), nullable=True))
    op.create_index(
        "ux_interest_coupons_batch_issue",
        "interest_coupons",
        ["batch_id", "borrower_id", "issue_reference"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ux_interest_coupons_batch_issue", table_name="interest_coupons")
    with op.batch_alter_table("interest_coupons") as batch:
        batch.drop_column("issue_reference")
        batch.drop_column("batch_id")
    op.drop_table("interest_coupon_batches")
