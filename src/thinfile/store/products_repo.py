"""The mall's products on one connection (never commits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.commerce_tables import merchants
from thinfile.store.product_tables import mall_products

__all__ = ["ProductRepository", "StoredProduct"]


@dataclass(frozen=True, slots=True)
class StoredProduct:
    id: str
    merchant_id: str
    name: str
    category: str
    currency: str
    price: int
    """Fen."""
    active: bool
    created_at: datetime
    merchant_name: str


_PRODUCT = sa.select(
    *(mall_products.c[n] for n in StoredProduct.__dataclass_fields__ if n != "merchant_name"),
    merchants.c.legal_name,
).join(merchants, merchants.c.id == mall_products.c.merchant_id)


def _stored(row: Any) -> StoredProduct:
    return StoredProduct(*row)


class ProductRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, values: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(mall_products).values(values))

    def get(self, product_id: str) -> StoredProduct | None:
        row = self.conn.execute(_PRODUCT.where(mall_products.c.id == product_id)).first()
        return None if row is None else _stored(row)

    def on_sale(self, *, merchant_status: str, limit: int = 200) -> list[StoredProduct]:
        """Active products of merchants in ``merchant_status``, by category then name."""
        rows = self.conn.execute(
            _PRODUCT.where(mall_products.c.active.is_(True), merchants.c.status == merchant_status)
            .order_by(mall_products.c.category, mall_products.c.name, mall_products.c.id)
            .limit(limit)
        )
        return [_stored(r) for r in rows]

    def of_merchant(self, merchant_id: str, *, limit: int = 500) -> list[StoredProduct]:
        """Every product of one merchant, on sale or not, by name."""
        rows = self.conn.execute(
            _PRODUCT.where(mall_products.c.merchant_id == merchant_id)
            .order_by(mall_products.c.name, mall_products.c.id)
            .limit(limit)
        )
        return [_stored(r) for r in rows]

    def update(self, product_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(
            sa.update(mall_products).where(mall_products.c.id == product_id).values(values)
        )
