"""Tables of campaigns and coupons (migration branch ``commerce``, ``commerce_0003_campaigns``).

Budgets are integer fen with the sum used kept beside them on the same row, and a CHECK
constraint keeps the sum within the budget, so the database itself refuses an overspend: the
repositories add to it with one conditional ``UPDATE … WHERE used + amount <= budget``.
A campaign's reservations are keyed by the purchase's reference (one per purchase, released
in parts by voids and refunds); a borrower's coupon is redeemed by one order at a time, each
redemption kept with the day it was given back, if it was.
"""

from __future__ import annotations

import sqlalchemy as sa

from thinfile.store.db import metadata

__all__ = [
    "borrower_coupons",
    "campaign_budget_uses",
    "campaign_merchants",
    "campaign_terms",
    "campaigns",
    "coupon_merchants",
    "coupon_redemptions",
    "coupons",
]

_ID = 32  # uuid4 hex
_REF = 100
_WHEN = sa.DateTime(timezone=True)
_FEN = sa.BigInteger

campaigns = sa.Table(
    "campaigns",
    metadata,
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
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("created_at", _WHEN, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("updated_at", _WHEN, nullable=False),
    sa.CheckConstraint("spent_fen >= 0 AND spent_fen <= budget_fen", name="spent_within_budget"),
)

campaign_merchants = sa.Table(
    "campaign_merchants",
    metadata,
    sa.Column("campaign_id", sa.String(_ID), sa.ForeignKey("campaigns.id"), primary_key=True),
    sa.Column(
        "merchant_id", sa.String(_ID), sa.ForeignKey("merchants.id"), primary_key=True, index=True
    ),
)

campaign_terms = sa.Table(
    "campaign_terms",
    metadata,
    sa.Column("campaign_id", sa.String(_ID), sa.ForeignKey("campaigns.id"), primary_key=True),
    sa.Column("periods", sa.Integer, primary_key=True, autoincrement=False),
)

# One reservation per purchase (its reference), released in parts.
campaign_budget_uses = sa.Table(
    "campaign_budget_uses",
    metadata,
    sa.Column("reference", sa.String(_REF), primary_key=True),
    sa.Column(
        "campaign_id", sa.String(_ID), sa.ForeignKey("campaigns.id"), nullable=False, index=True
    ),
    sa.Column("amount_fen", _FEN, nullable=False),
    sa.Column("released_fen", _FEN, nullable=False, server_default="0"),
    sa.Column("created_at", _WHEN, nullable=False),
    sa.Column("updated_at", _WHEN, nullable=False),
    sa.CheckConstraint(
        "released_fen >= 0 AND released_fen <= amount_fen", name="released_within_reserved"
    ),
)

coupons = sa.Table(
    "coupons",
    metadata,
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
    sa.CheckConstraint("issued_fen >= 0 AND issued_fen <= budget_fen", name="issued_within_budget"),
    sa.CheckConstraint(
        "redeemed_fen >= 0 AND redeemed_fen <= issued_fen", name="redeemed_within_issued"
    ),
)

coupon_merchants = sa.Table(
    "coupon_merchants",
    metadata,
    sa.Column("coupon_id", sa.String(_ID), sa.ForeignKey("coupons.id"), primary_key=True),
    sa.Column("merchant_id", sa.String(_ID), sa.ForeignKey("merchants.id"), primary_key=True),
)

# A coupon one borrower holds; ``issue_reference`` makes issuing idempotent.
borrower_coupons = sa.Table(
    "borrower_coupons",
    metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column("coupon_id", sa.String(_ID), sa.ForeignKey("coupons.id"), nullable=False),
    sa.Column("borrower_id", sa.String(_ID), sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("order_reference", sa.String(_REF), nullable=True),
    sa.Column("issue_reference", sa.String(_REF), nullable=True),
    sa.Column("issued_at", _WHEN, nullable=False),
    sa.Column("issued_by", sa.String(100), nullable=False),
    sa.UniqueConstraint("coupon_id", "issue_reference", name="uq_borrower_coupons_issue"),
    sa.Index("ix_borrower_coupons_coupon_borrower", "coupon_id", "borrower_id"),
)

coupon_redemptions = sa.Table(
    "coupon_redemptions",
    metadata,
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
