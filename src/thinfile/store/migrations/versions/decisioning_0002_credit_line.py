"""Link an accepted revolving-line offer to its credit line.

Revision ID: decisioning_0002
Revises: decisioning_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "decisioning_0002"
down_revision = "decisioning_0001"
branch_labels = None
depends_on = ("servicing_0001",)


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("credit_line_id", sa.String(32), nullable=True))
        batch.create_index("ix_applications_loan_id", ["loan_id"])


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.drop_index("ix_applications_loan_id")
        batch.drop_column("credit_line_id")
