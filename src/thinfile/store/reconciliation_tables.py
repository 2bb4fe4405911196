"""Tables of the daily payment reconciliation (对账): one row per reconciled date with the
digest of the gateway file it compared, and one row per transaction of that file or of the books
with what the comparison found (``outcome``) and, for a break, how staff resolved it."""

from __future__ import annotations

import sqlalchemy as sa

from thinfile.store.db import metadata

__all__ = ["payment_reconciliation_items", "payment_reconciliations"]

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")

payment_reconciliations = sa.Table(
    "payment_reconciliations",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("file_sha256", sa.String(64), nullable=False),
    sa.Column("file_rows", sa.Integer, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

payment_reconciliation_items = sa.Table(
    "payment_reconciliation_items",
    metadata,
    sa.Column("day", sa.Date, sa.ForeignKey("payment_reconciliations.day"), primary_key=True),
    sa.Column("n", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("outcome", sa.String(24), nullable=False),
    sa.Column("gateway_txn_id", sa.String(64), nullable=True, index=True),
    sa.Column("request_id", sa.String(64), nullable=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("file_status", sa.String(16), nullable=True),
    sa.Column("file_amount", _BIG, nullable=True),
    sa.Column("book_status", sa.String(16), nullable=True),
    sa.Column("book_amount", _BIG, nullable=True),
    sa.Column("loan_id", _BIG, nullable=True),
    sa.Column("resolution", sa.String(500), nullable=True),
    sa.Column("resolved_by", sa.String(100), nullable=True),
    sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
)
