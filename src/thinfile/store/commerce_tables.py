"""Tables of merchants, their contracts and their users (migration branch ``commerce``).

A merchant's settlement account number and its contact's phone are sealed like personal data:
``*_enc`` columns hold AES-GCM ciphertexts (``thinfile.security.crypto``, under ``key_id``),
``*_masked`` columns the form staff see (``6222 **** **** 1234``). Contracts are versioned:
replacing one adds a version, and each version keeps its term pricing (rates as decimal text,
so no float ever touches them).
"""

from __future__ import annotations

import sqlalchemy as sa

from thinfile.store.db import metadata

__all__ = ["merchant_contract_terms", "merchant_contracts", "merchant_users", "merchants"]

_ID = 32  # uuid4 hex
_WHEN = sa.DateTime(timezone=True)

merchants = sa.Table(
    "merchants",
    metadata,
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
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("created_at", _WHEN, nullable=False),
    sa.Column("updated_at", _WHEN, nullable=False),
)

merchant_contracts = sa.Table(
    "merchant_contracts",
    metadata,
    sa.Column("merchant_id", sa.String(_ID), sa.ForeignKey("merchants.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("unearned_subsidy", sa.String(24), nullable=False),
    sa.Column("settlement_days", sa.Integer, nullable=False),
    sa.Column("rounding", sa.String(16), nullable=False),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("created_at", _WHEN, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
)

merchant_contract_terms = sa.Table(
    "merchant_contract_terms",
    metadata,
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

# A user acts for at most one merchant.
merchant_users = sa.Table(
    "merchant_users",
    metadata,
    sa.Column("user_id", sa.String(_ID), sa.ForeignKey("users.id"), primary_key=True),
    sa.Column(
        "merchant_id", sa.String(_ID), sa.ForeignKey("merchants.id"), nullable=False, index=True
    ),
    sa.Column("created_at", _WHEN, nullable=False),
)
