"""Each account carries a token version, so deactivating it or changing its password revokes
every access token issued before, at once.

Access tokens carry the version they were issued under (``ver``); every request compares it
with the stored one. Existing accounts start at 0.

Revision ID: identity_0006_token_revocation
Revises: identity_0005_sms_codes
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0006_token_revocation"
down_revision = "identity_0005_sms_codes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("token_version", sa.Integer, nullable=False, server_default="0")
    )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("token_version")
