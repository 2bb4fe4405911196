"""Tables of daily merchant settlements (商户结算, branch ``commerce``).

One settlement per merchant and settlement date (its primary key makes a second one
impossible): the totals in fen, and one line per capture and per refund part it pays for,
in the order of the merchant's settlement file. Written once; never updated.
"""

from __future__ import annotations

import sqlalchemy as sa

from thinfile.store.db import metadata

__all__ = ["merchant_settlement_lines", "merchant_settlements"]

_ID = 32  # uuid4 hex
_WHEN = sa.DateTime(timezone=True)


def _fen(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger, nullable=False)


merchant_settlements = sa.Table(
    "merchant_settlements",
    metadata,
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

merchant_settlement_lines = sa.Table(
    "merchant_settlement_lines",
    metadata,
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
    sa.Column("reference", sa.String(64), nullable=True),
    sa.ForeignKeyConstraint(
        ["merchant_id", "settlement_date"],
        ["merchant_settlements.merchant_id", "merchant_settlements.settlement_date"],
    ),
)
