"""Daily merchant settlements: one per merchant and settlement date, with its lines.

Revision ID: commerce_0005_settlements
Revises: commerce_0003_campaigns
"""

import sqlalchemy as sa
from alembic import op

revision = "commerce_0005_settlements"
down_revision = "commerce_0003_campaigns"
branch_labels = None
depends_on = None

_ID = 32
_WHEN = sa.DateTime(timezone=True)


def _fen(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger, nullable=False)


def upgrade() -> None:
    op.create_table(
        "merchant_settlements",
        sa.Column("merchant_id", sa.String(_ID), sa.ForeignKey("merchants.id"), primary_key=True),
        sa.Column("settlement_date", sa.Date, primary_key=True),
        sa.Column("currency", sa.String(3), nullable=False),
        _fen("captured"),
        _fen("refunded"),
        _fen("subsidy"),
        _fen("subsidy_returned"),
        _fen("coupons"),
        _fen("net"),
        sa.Column("event_id", sa.String(40), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
    )
    op.create_table(
        "merchant_settlement_lines",
        sa.Column("merchant_id", sa.String(_ID), primary_key=True),
        sa.Column("settlement_date", sa.Date, primary_key=True),
        sa.Column("n", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("session_id", sa.String(_ID), nullable=False),
        sa.Column("merchant_order_id", sa.String(64), nullable=False),
        sa.Column("loan_id", sa.Integer, nullable=False),
        _fen("amount"),
        _fen("subsidy"),
        _fen("net"),
        sa.ForeignKeyConstraint(
            ["merchant_id", "settlement_date"],
            ["merchant_settlements.merchant_id", "merchant_settlements.settlement_date"],
        ),
    )


def downgrade() -> None:
    op.drop_table("merchant_settlement_lines")
    op.drop_table("merchant_settlements")
