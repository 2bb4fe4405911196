"""Merchants, their versioned contracts with term pricing, and the users acting for them.

The settlement account number and the contact's phone are stored sealed (``*_enc``) beside a
masked form; a merchant's unified social credit code is unique.

Revision ID: commerce_0001_merchants
Revises:
Depends on: identity_0006_token_revocation
"""

import sqlalchemy as sa
from alembic import op

revision = "commerce_0001_merchants"
down_revision = None
branch_labels = ("commerce",)
depends_on = "identity_0006_token_revocation"

_ID = 32
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "merchants",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column("legal_name", sa.String(200), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False, unique=True),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("settlement_bank", sa.String(100), nullable=False),
        sa.Column("settlement_account_enc", sa.Text, nullable=False),
        sa.Column("settlement_account_masked", sa.String(40), nullable=False),
        sa.Column("contact_name", sa.String(100), nullable=False),
        sa.Column("contact_phone_enc", sa.Text, nullable=False),
        sa.Column("contact_phone_masked", sa.String(20), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
    )
    op.create_index("ix_merchants_status", "merchants", ["status"])
    op.create_table(
        "merchant_contracts",
        sa.Column("merchant_id", sa.String(_ID), sa.ForeignKey("merchants.id"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("unearned_subsidy", sa.String(24), nullable=False),
        sa.Column("settlement_days", sa.Integer, nullable=False),
        sa.Column("rounding", sa.String(16), nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
    )
    op.create_table(
        "merchant_contract_terms",
        sa.Column("merchant_id", sa.String(_ID), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("periods", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("subsidy_rate", sa.String(24), nullable=False),
        sa.Column("monthly_fee_rate", sa.String(24), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id", "version"],
            ["merchant_contracts.merchant_id", "merchant_contracts.version"],
            name="fk_merchant_contract_terms_contract",
        ),
    )
    op.create_table(
        "merchant_users",
        sa.Column("user_id", sa.String(_ID), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("merchant_id", sa.String(_ID), sa.ForeignKey("merchants.id"), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
    )
    op.create_index("ix_merchant_users_merchant_id", "merchant_users", ["merchant_id"])


def downgrade() -> None:
    op.drop_table("merchant_users")
    op.drop_table("merchant_contract_terms")
    op.drop_table("merchant_contracts")
    op.drop_table("merchants")
