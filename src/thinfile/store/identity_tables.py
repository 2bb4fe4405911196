"""Tables of identity, consent, the audit log and idempotency keys (migration branch ``identity``).

Personal data never sits here in plain text: ``*_enc`` columns hold AES-GCM ciphertexts
(``thinfile.security.crypto``) and ``*_hash`` columns hold keyed lookup hashes.
"""

from __future__ import annotations

import sqlalchemy as sa

from thinfile.store.db import metadata

__all__ = [
    "api_keys",
    "applicants",
    "audit_head",
    "audit_log",
    "consents",
    "idempotency_keys",
    "users",
]

_ID = 32  # uuid4 hex

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=True),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # Raised on deactivation and password change; tokens carrying an older one are refused.
    sa.Column("token_version", sa.Integer, nullable=False, default=0, server_default="0"),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column("user_id", sa.String(_ID), sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)

applicants = sa.Table(
    "applicants",
    metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column("user_id", sa.String(_ID), sa.ForeignKey("users.id"), nullable=False, unique=True),
    sa.Column("name_enc", sa.Text, nullable=False),
    sa.Column("id_number_enc", sa.Text, nullable=False),
    sa.Column("phone_enc", sa.Text, nullable=False),
    sa.Column("id_number_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("phone_hash", sa.String(64), nullable=False, index=True),
    sa.Column("key_id", sa.String(64), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

consents = sa.Table(
    "consents",
    metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column(
        "applicant_id", sa.String(_ID), sa.ForeignKey("applicants.id"), nullable=False, index=True
    ),
    sa.Column("data_category", sa.String(40), nullable=False),
    sa.Column("purpose", sa.String(40), nullable=False),
    sa.Column("is_sensitive", sa.Boolean, nullable=False),
    sa.Column("is_separate", sa.Boolean, nullable=False),
    sa.Column("notice_version", sa.String(40), nullable=False),
    sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)
# One active consent per applicant, data category and purpose (a grant repeated, even
# concurrently, finds the first); revoked records are kept beside it.
sa.Index(
    "uq_consents_one_active",
    consents.c.applicant_id,
    consents.c.data_category,
    consents.c.purpose,
    unique=True,
    sqlite_where=consents.c.revoked_at.is_(None),
    postgresql_where=consents.c.revoked_at.is_(None),
)

# Append-only: a trigger refuses UPDATE and DELETE. Sixteen hash chains: each row carries the
# hash of the row before it in its chain (``chain``, position ``chain_seq``); ``seq`` numbers
# rows across the whole log (a sequence on PostgreSQL, the rowid on SQLite).
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column(
        "seq",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("chain", sa.Integer, nullable=False),
    sa.Column("chain_seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
    sa.Column("occurred_at", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("action", sa.String(100), nullable=False, index=True),
    sa.Column("subject", sa.String(200), nullable=False, index=True),
    sa.Column("details", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("row_hash", sa.String(64), nullable=False),
    # The audit key that sealed the row (HMAC); NULL for rows from before keyed chains.
    sa.Column("key_id", sa.String(64), nullable=True),
    sa.Index("ix_audit_log_chain_position", "chain", "chain_seq", unique=True),
)

# One row per chain (id = chain): its newest position and hash. Locking it serializes the
# appends to that chain only.
audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last_seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
    sa.Column("last_hash", sa.String(64), nullable=False),
    # Where the chain's unkeyed rows (from before keyed chains) end, and that position's hash,
    # sealed with an audit key: no later row may be unkeyed.
    sa.Column("unkeyed_through", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=True),
    sa.Column("unkeyed_hash", sa.String(64), nullable=True),
    sa.Column("unkeyed_seal", sa.String(64), nullable=True),
    sa.Column("unkeyed_key_id", sa.String(64), nullable=True),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("scope", sa.String(200), primary_key=True),
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("response_body", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
