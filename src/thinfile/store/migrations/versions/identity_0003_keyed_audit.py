"""Audit rows are sealed with a key outside the database: each row records the key's id.

An unkeyed SHA-256 chain can be recomputed by anyone who can write the database, so an edited
row with its hash, the hashes after it and the head rewritten passed verification. New rows
are HMAC-SHA256 under an audit key derived from the personal-data keys (never stored here);
``key_id`` names the key, so keys can rotate. Existing rows keep ``key_id`` NULL and are
verified by the original rule (reported as unkeyed); the first keyed row of each chain seals
their last hash as its link, so they cannot be rewritten either once a keyed row follows.

Adding a column updates no row, so the append-only triggers stay in place.

Revision ID: identity_0003_keyed_audit
Revises: identity_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0003_keyed_audit"
down_revision = "identity_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("key_id", sa.String(64), nullable=True))


def downgrade() -> None:
    raise NotImplementedError(
        "keyed audit rows cannot be verified without their key id; restore from a backup instead"
    )
