"""Captures are found by the loan they booked.

Staff ask whether a loan was booked by a checkout (its refunds then go through the
checkout), and close of business asks, for each loan, whether its purchase is disputed: both
look a capture up by ``loan_id``, which had no index.

Revision ID: commerce_0010_capture_loan
Revises: commerce_0009_refund_budget
"""

from alembic import op

revision = "commerce_0010_capture_loan"
down_revision = "commerce_0009_refund_budget"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_checkout_captures_loan_id", "checkout_captures", ["loan_id"])


def downgrade() -> None:
    op.drop_index("ix_checkout_captures_loan_id", table_name="checkout_captures")
