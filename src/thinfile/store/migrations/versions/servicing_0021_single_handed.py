"""A limit change keeps the staff member who made it alone.

A staff member may change a limit alone when the change is within the policy's
``manual_approval_above_fen``; above it a second staff member approves. Changes made alone were
not told apart from the policy's, so a raise above the threshold could be made alone in steps
below it. ``single_handed_by`` names the staff member of a change made without a second one
(None for the policy's changes, accepted offers and approved requests), and the changes made
alone in the last 30 days count towards the threshold. Rows written before hold None.

Revision ID: servicing_0021_single_handed
Revises: servicing_0020_principal_carried
"""

import sqlalchemy as sa
from alembic import op

revision = "servicing_0021_single_handed"
down_revision = "servicing_0020_principal_carried"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "servicing_limit_changes",
        sa.Column("single_handed_by", sa.String(64), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("servicing_limit_changes", "single_handed_by")
