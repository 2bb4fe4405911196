"""A code asked for from a device that signed in before is that device's (``device_hash``):
only a try from the same device is checked against it, and its sends and wrong tries are
counted apart from the number's other codes (``thinfile.security.otp``). Codes sent before
belong to no device.

Revision ID: identity_0007_sms_devices
Revises: identity_0006_token_revocation
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0007_sms_devices"
down_revision = "identity_0006_token_revocation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sms_codes", sa.Column("device_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sms_codes") as batch:
        batch.drop_column("device_hash")
