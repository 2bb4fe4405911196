"""Phone sign-in with one-time SMS codes, and real-name verification (实名认证).

``sms_codes`` keeps each code's keyed hash, never the code; ``user_phones`` links a phone
(its lookup hash) to the account that signs in with it; ``real_name_verifications`` marks an
applicant whose name and ID number a provider confirmed; ``sms_sandbox_outbox`` is where the
sandbox SMS provider keeps what it sends.

Revision ID: identity_0005_sms_codes
Revises: identity_0004_one_active_consent
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0005_sms_codes"
down_revision = "identity_0004_one_active_consent"
branch_labels = None
depends_on = None

_ID = 32
_HASH = 64
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sms_codes",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column("phone_hash", sa.String(_HASH), nullable=False),
        sa.Column("client_hash", sa.String(_HASH), nullable=False),
        sa.Column("code_hash", sa.String(_HASH), nullable=False),
        sa.Column("sent_at", _WHEN, nullable=False),
        sa.Column("expires_at", _WHEN, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("used_at", _WHEN, nullable=True),
    )
    op.create_index("ix_sms_codes_phone_sent", "sms_codes", ["phone_hash", "sent_at"])
    op.create_index("ix_sms_codes_client_sent", "sms_codes", ["client_hash", "sent_at"])
    op.create_table(
        "user_phones",
        sa.Column("phone_hash", sa.String(_HASH), primary_key=True),
        sa.Column(
            "user_id", sa.String(_ID), sa.ForeignKey("users.id"), nullable=False, unique=True
        ),
        sa.Column("created_at", _WHEN, nullable=False),
    )
    op.create_table(
        "real_name_verifications",
        sa.Column("applicant_id", sa.String(_ID), sa.ForeignKey("applicants.id"), primary_key=True),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("verified_at", _WHEN, nullable=False),
    )
    op.create_table(
        "sms_sandbox_outbox",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column("phone_hash", sa.String(_HASH), nullable=False),
        sa.Column("phone_masked", sa.String(20), nullable=False),
        sa.Column("template", sa.String(40), nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("sent_at", _WHEN, nullable=False),
    )
    op.create_index(
        "ix_sms_sandbox_outbox_phone_sent", "sms_sandbox_outbox", ["phone_hash", "sent_at"]
    )


def downgrade() -> None:
    op.drop_table("sms_sandbox_outbox")
    op.drop_table("real_name_verifications")
    op.drop_table("user_phones")
    op.drop_table("sms_codes")
