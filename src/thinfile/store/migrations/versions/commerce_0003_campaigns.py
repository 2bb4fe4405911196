"""Campaigns with their merchants, terms and budget reservations; coupons, the coupons
borrowers hold and their redemptions. CHECK constraints keep every budget's used sum within it.

Revision ID: commerce_0003_campaigns
Revises: commerce_0002_checkout
"""

import sqlalchemy as sa
from alembic import op

revision = "commerce_0003_campaigns"
down_revision = "commerce_0002_checkout"
branch_labels = None
depends_on = None

_ID = 32
_REF = 100
_WHEN = sa.DateTime(timezone=True)
_FEN = sa.BigInteger


def _campaigns() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("min_order_fen", _FEN, nullable=False),
        sa.Column("max_order_fen", _FEN, nullable=False),
        sa.Column("merchant_share", sa.String(24), nullable=False),
        sa.Column("budget_fen", _FEN, nullable=False),
        sa.Column("warning_fen", _FEN, nullable=False),
        sa.Column("spent_fen", _FEN, nullable=False, server_default="0"),
        sa.Column("warned_at", _WHEN, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.CheckConstraint(
            "spent_fen >= 0 AND spent_fen <= budget_fen", name="ck_campaigns_spent_within_budget"
        ),
    )
    op.create_index("ix_campaigns_status", "campaigns", ["status"])
    op.create_table(
        "campaign_merchants",
        sa.Column("campaign_id", sa.String(_ID), sa.ForeignKey("campaigns.id"), primary_key=True),
        sa.Column("merchant_id", sa.String(_ID), sa.ForeignKey("merchants.id"), primary_key=True),
    )
    op.create_index("ix_campaign_merchants_merchant_id", "campaign_merchants", ["merchant_id"])
    op.create_table(
        "campaign_terms",
        sa.Column("campaign_id", sa.String(_ID), sa.ForeignKey("campaigns.id"), primary_key=True),
        sa.Column("periods", sa.Integer, primary_key=True, autoincrement=False),
    )
    op.create_table(
        "campaign_budget_uses",
        sa.Column("reference", sa.String(_REF), primary_key=True),
        sa.Column("campaign_id", sa.String(_ID), sa.ForeignKey("campaigns.id"), nullable=False),
        sa.Column("amount_fen", _FEN, nullable=False),
        sa.Column("released_fen", _FEN, nullable=False, server_default="0"),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.CheckConstraint(
            "released_fen >= 0 AND released_fen <= amount_fen",
            name="ck_campaign_budget_uses_released_within_reserved",
        ),
    )
    op.create_index("ix_campaign_budget_uses_campaign_id", "campaign_budget_uses", ["campaign_id"])


def _coupons() -> None:
    op.create_table(
        "coupons",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("amount_off_fen", _FEN, nullable=False),
        sa.Column("threshold_fen", _FEN, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=False),
        sa.Column("per_borrower_limit", sa.Integer, nullable=False),
        sa.Column("budget_fen", _FEN, nullable=False),
        sa.Column("issued_fen", _FEN, nullable=False, server_default="0"),
        sa.Column("redeemed_fen", _FEN, nullable=False, server_default="0"),
        sa.Column("funded_by", sa.String(16), nullable=False),
        sa.Column("campaign_id", sa.String(_ID), sa.ForeignKey("campaigns.id"), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.CheckConstraint(
            "issued_fen >= 0 AND issued_fen <= budget_fen", name="ck_coupons_issued_within_budget"
        ),
        sa.CheckConstraint(
            "redeemed_fen >= 0 AND redeemed_fen <= issued_fen",
            name="ck_coupons_redeemed_within_issued",
        ),
    )
    op.create_table(
        "coupon_merchants",
        sa.Column("coupon_id", sa.String(_ID), sa.ForeignKey("coupons.id"), primary_key=True),
        sa.Column("merchant_id", sa.String(_ID), sa.ForeignKey("merchants.id"), primary_key=True),
    )
    op.create_table(
        "borrower_coupons",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column("coupon_id", sa.String(_ID), sa.ForeignKey("coupons.id"), nullable=False),
        sa.Column("borrower_id", sa.String(_ID), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("order_reference", sa.String(_REF), nullable=True),
        sa.Column("issue_reference", sa.String(_REF), nullable=True),
        sa.Column("issued_at", _WHEN, nullable=False),
        sa.Column("issued_by", sa.String(100), nullable=False),
        sa.UniqueConstraint("coupon_id", "issue_reference", name="uq_borrower_coupons_issue"),
    )
    op.create_index("ix_borrower_coupons_borrower_id", "borrower_coupons", ["borrower_id"])
    op.create_index(
        "ix_borrower_coupons_coupon_borrower", "borrower_coupons", ["coupon_id", "borrower_id"]
    )
    op.create_table(
        "coupon_redemptions",
        sa.Column(
            "borrower_coupon_id",
            sa.String(_ID),
            sa.ForeignKey("borrower_coupons.id"),
            primary_key=True,
        ),
        sa.Column("order_reference", sa.String(_REF), primary_key=True),
        sa.Column("amount_fen", _FEN, nullable=False),
        sa.Column("order_amount_fen", _FEN, nullable=False),
        sa.Column("merchant_id", sa.String(_ID), nullable=True),
        sa.Column("redeemed_on", sa.Date, nullable=False),
        sa.Column("returned_on", sa.Date, nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
    )


def upgrade() -> None:
    _campaigns()
    _coupons()


def downgrade() -> None:
    for table in (
        "coupon_redemptions",
        "borrower_coupons",
        "coupon_merchants",
        "coupons",
        "campaign_budget_uses",
        "campaign_terms",
        "campaign_merchants",
        "campaigns",
    ):
        op.drop_table(table)
