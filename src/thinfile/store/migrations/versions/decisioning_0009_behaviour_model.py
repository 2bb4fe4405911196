"""The behaviour model in the limit review (#19): registered models have a kind
(``application`` or ``behaviour``, one active of each), and a limit decision records the
behaviour model's probability of default and reasons beside its version, which is empty when
no behaviour model was registered and the policy's rules graded the line.

Revision ID: decisioning_0009_behaviour_model
Revises: decisioning_0008_coupon_booking
"""

import sqlalchemy as sa
from alembic import op

revision = "decisioning_0009_behaviour_model"
down_revision = "decisioning_0008_coupon_booking"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("model_versions") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(16), nullable=False, server_default="application")
        )
    with op.batch_alter_table("limit_decisions") as batch:
        batch.alter_column("model_version", existing_type=sa.String(80), nullable=True)
        batch.add_column(sa.Column("pd", sa.String(24), nullable=True))
        batch.add_column(sa.Column("model_reasons", sa.Text, nullable=True))
    op.execute(
        "UPDATE limit_decisions SET model_version = NULL "
        "WHERE model_version = 'behaviour-grade-rules-1'"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE limit_decisions SET model_version = 'behaviour-grade-rules-1' "
        "WHERE model_version IS NULL"
    )
    with op.batch_alter_table("limit_decisions") as batch:
        batch.drop_column("model_reasons")
        batch.drop_column("pd")
        batch.alter_column("model_version", existing_type=sa.String(80), nullable=False)
    with op.batch_alter_table("model_versions") as batch:
        batch.drop_column("kind")
