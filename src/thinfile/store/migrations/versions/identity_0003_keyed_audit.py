"""Audit rows are sealed with a key outside the database: each row records the key's id.

An unkeyed SHA-256 chain can be recomputed by anyone who can write the database, so an edited
row with its hash, the hashes after it and the head rewritten passed verification. New rows
are HMAC-SHA256 under an audit key derived from the personal-data keys (never stored here);
``key_id`` names the key, so keys can rotate. Existing rows keep ``key_id`` NULL and are
verified by the original rule (reported as unkeyed). So that nobody can pass off rewritten
rows as old unkeyed ones, each chain's head records where its unkeyed rows end and that
position's hash, sealed with the active audit key (``unkeyed_*``); the first keyed row of
each chain also seals that hash as its link.

Adding columns updates no row of ``audit_log``, so its append-only triggers stay in place.

Revision ID: identity_0003_keyed_audit
Revises: identity_0002
"""

import sqlalchemy as sa
from alembic import op

from thinfile.store.audit_keys import keys_of
from thinfile.store.audit_repo import unkeyed_seal

revision = "identity_0003_keyed_audit"
down_revision = "identity_0002"
branch_labels = None
depends_on = None

_POSITION = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("key_id", sa.String(64), nullable=True))
    op.add_column("audit_head", sa.Column("unkeyed_through", _POSITION, nullable=True))
    for name in ("unkeyed_hash", "unkeyed_seal", "unkeyed_key_id"):
        op.add_column("audit_head", sa.Column(name, sa.String(64), nullable=True))
    bind = op.get_bind()
    keys = keys_of(bind.engine)
    key_id = keys.active_key_id
    heads = bind.execute(sa.text("SELECT id, last_seq, last_hash FROM audit_head")).all()
    for chain, position, digest in heads:
        bind.execute(
            sa.text(
                "UPDATE audit_head SET unkeyed_through = :position, unkeyed_hash = :digest, "
                "unkeyed_seal = :seal, unkeyed_key_id = :key_id WHERE id = :chain"
            ),
            {
                "chain": chain,
                "position": position,
                "digest": digest,
                "seal": unkeyed_seal(keys, key_id, int(chain), int(position), str(digest)),
                "key_id": key_id,
            },
        )


def downgrade() -> None:
    raise NotImplementedError(
        "keyed audit rows cannot be verified without their key id; restore from a backup instead"
    )
