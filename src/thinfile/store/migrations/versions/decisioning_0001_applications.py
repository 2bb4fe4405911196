"""Applications and decisions, the deny list, the policy and model registry.

Revision ID: decisioning_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "decisioning_0001"
down_revision = None
branch_labels = ("decisioning",)
depends_on = ("identity_0001",)

_ID = 32
_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column(
            "applicant_id",
            sa.String(_ID),
            sa.ForeignKey("applicants.id"),
            nullable=False,
            index=True,
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
        sa.Column("id_number_hash", sa.String(64), nullable=False, index=True),
        sa.Column("phone_hash", sa.String(64), nullable=False, index=True),
        sa.Column("device_hash", sa.String(64), nullable=True, index=True),
        sa.Column("decision_json", sa.Text, nullable=False),
        sa.Column("shadow_json", sa.Text, nullable=True),
        sa.Column("pii_enc", sa.Text, nullable=False),
        sa.Column("accepted_offer", sa.Integer, nullable=True),
        sa.Column("statement_confirmed_at", _WHEN, nullable=True),
        sa.Column("loan_id", sa.String(_ID), nullable=True),
        sa.Column("reviewed_by", sa.String(100), nullable=True),
        sa.Column("reviewed_at", _WHEN, nullable=True),
        sa.Column("review_note", sa.String(500), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "deny_list",
        sa.Column("lookup_hash", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("added_at", _WHEN, nullable=False),
    )
    op.create_table(
        "policy_versions",
        sa.Column("version", sa.String(80), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("settings_json", sa.Text, nullable=False),
        sa.Column("graph_json", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("share", sa.String(16), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
    )
    op.create_table(
        "model_versions",
        sa.Column("version", sa.String(80), primary_key=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("created_at", _WHEN, nullable=False),
    )


def downgrade() -> None:
    for table in ("model_versions", "policy_versions", "deny_list", "applications"):
        op.drop_table(table)
