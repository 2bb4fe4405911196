"""Tables for applications, their decisions, the deny list and the policy and model registry.

Personal data never sits here in plain text: the application's name, ID number and phone are
sealed in ``pii_enc`` and looked up by keyed hashes; ``decision_json`` carries masked values.
"""

from __future__ import annotations

import sqlalchemy as sa

from thinfile.store.db import metadata

__all__ = ["applications", "deny_list", "model_versions", "policy_versions"]

_ID = 32
_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_WHEN = sa.DateTime(timezone=True)

applications = sa.Table(
    "applications",
    metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column(
        "applicant_id", sa.String(_ID), sa.ForeignKey("applicants.id"), nullable=False, index=True
    ),
    sa.Column("user_id", sa.String(_ID), nullable=False, index=True),
    sa.Column("submitted_at", _WHEN, nullable=False, index=True),
    sa.Column("decided_on", sa.Date, nullable=False),
    sa.Column("status", sa.String(24), nullable=False, index=True),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("purpose", sa.String(40), nullable=False),
    sa.Column("segment", sa.String(40), nullable=False),
    sa.Column("requested_amount", _BIG, nullable=False),
    sa.Column("grade", sa.String(4), nullable=False),
    sa.Column("pd", sa.String(24), nullable=False),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("model_version", sa.String(80), nullable=False),
    sa.Column("policy_version", sa.String(80), nullable=False),
    sa.Column("arm", sa.String(16), nullable=False),
    sa.Column("id_number_hash", sa.String(64), nullable=False),
    sa.Column("phone_hash", sa.String(64), nullable=False),
    sa.Column("device_hash", sa.String(64), nullable=True),
    sa.Column("decision_json", sa.Text, nullable=False),
    sa.Column("shadow_json", sa.Text, nullable=True),
    sa.Column("pii_enc", sa.Text, nullable=False),
    sa.Column("accepted_offer", sa.Integer, nullable=True),
    sa.Column("statement_confirmed_at", _WHEN, nullable=True),
    sa.Column("loan_id", sa.String(_ID), nullable=True, index=True),
    sa.Column("credit_line_id", sa.String(_ID), nullable=True),
    sa.Column("reviewed_by", sa.String(100), nullable=True),
    sa.Column("reviewed_at", _WHEN, nullable=True),
    sa.Column("review_note", sa.String(500), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    # Velocity checks count one person's (or device's) applications since a moment: the hash
    # and the time in one index keep that count to their own rows, whatever the book's size.
    *(
        sa.Index(f"ix_applications_{column}_submitted_at", column, "submitted_at")
        for column in ("id_number_hash", "phone_hash", "device_hash")
    ),
)

deny_list = sa.Table(
    "deny_list",
    metadata,
    sa.Column("lookup_hash", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Column("added_at", _WHEN, nullable=False),
)

policy_versions = sa.Table(
    "policy_versions",
    metadata,
    sa.Column("version", sa.String(80), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("settings_json", sa.Text, nullable=False),
    sa.Column("graph_json", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("share", sa.String(16), nullable=False),
    sa.Column("created_at", _WHEN, nullable=False),
)

model_versions = sa.Table(
    "model_versions",
    metadata,
    sa.Column("version", sa.String(80), primary_key=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("created_at", _WHEN, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False, server_default="application"),
)
"""Model artifacts by ``kind``: ``application`` (the decision's score) or ``behaviour`` (the
limit review's); one of each kind is active."""
