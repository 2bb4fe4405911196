"""The installment mall's catalogue: merchant-owned products, priced in fen.

Revision ID: commerce_0001_products
Revises: commerce_0006_disputes
"""

import sqlalchemy as sa
from alembic import op

revision = "commerce_0001_products"
down_revision = "commerce_0006_disputes"
branch_labels = None
depends_on = None

_ID = 32


def upgrade() -> None:
    op.create_table(
        "mall_products",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column("merchant_id", sa.String(_ID), sa.ForeignKey("merchants.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("price", sa.BigInteger, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("price > 0", name="mall_product_price"),
    )
    op.create_index("ix_mall_products_merchant", "mall_products", ["merchant_id"])


def downgrade() -> None:
    op.drop_index("ix_mall_products_merchant", "mall_products")
    op.drop_table("mall_products")
