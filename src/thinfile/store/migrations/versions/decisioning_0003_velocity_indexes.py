"""Velocity counts read one index range: (hash, submitted_at) instead of the hash alone.

An application counts the applications with the same ID number or phone in the last 30 days
(and the same device in the last day). With an index on the hash alone, PostgreSQL combined it
with the ``submitted_at`` index — reading every application of the whole book submitted in
the window for each new application, a cost that grew with the book. With the hash and the
time in one index the count reads only that person's recent applications.

Revision ID: decisioning_0003
Revises: decisioning_0002
"""

from alembic import op

revision = "decisioning_0003"
down_revision = "decisioning_0002"
branch_labels = None
depends_on = None

_HASHES = ("id_number_hash", "phone_hash", "device_hash")


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        for column in _HASHES:
            batch.drop_index(f"ix_applications_{column}")
            batch.create_index(f"ix_applications_{column}_submitted_at", [column, "submitted_at"])


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        for column in _HASHES:
            batch.drop_index(f"ix_applications_{column}_submitted_at")
            batch.create_index(f"ix_applications_{column}", [column])
