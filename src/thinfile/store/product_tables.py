"""The installment mall's catalogue (migration branch ``commerce``, ``commerce_0001_products``).

A product belongs to one merchant: its name, its price in fen and a category (the merchant
categories' words); no images. ``active`` products are shown in the mall while their merchant
is active with a contract.
"""

from __future__ import annotations

import sqlalchemy as sa

from thinfile.store.db import metadata

__all__ = ["mall_products"]

_ID = 32

mall_products = sa.Table(
    "mall_products",
    metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column("merchant_id", sa.String(_ID), sa.ForeignKey("merchants.id"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("category", sa.String(40), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("price", sa.BigInteger, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("price > 0", name="mall_product_price"),
    sa.Index("ix_mall_products_merchant", "merchant_id"),
)
