"""Tables of working-capital lines (``thinfile.servicing.working_capital``).

Money is integer fen; days are day numbers (days since 1970-01-01, as in
``servicing_tables``); rates and shares are integer units of 1e-8 (``*_units``), never float.
Close of business updates ``wc_draws`` (interest), ``wc_periods`` (checks, next period),
``wc_shortfalls`` (breaches) and ``wc_lines`` (oldest unmet obligation, closed-to day) set-based.
"""

from __future__ import annotations

import sqlalchemy as sa

from thinfile.store.db import metadata

__all__ = ["wc_draws", "wc_lines", "wc_periods", "wc_sales", "wc_shortfalls", "wc_transactions"]

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_FEN = sa.BigInteger
_DAY = sa.Integer


def _money(name: str) -> sa.Column[int]:
    return sa.Column(name, _FEN, nullable=False, server_default="0")


wc_lines = sa.Table(
    "wc_lines",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("owner_user_id", sa.String(64), nullable=False, index=True),
    sa.Column("currency", sa.String(3), nullable=False),
    _money("limit_amount"),
    sa.Column("rate_units", _FEN, nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("sales_share_units", _FEN, nullable=False),
    sa.Column("minimum_share_units", _FEN, nullable=False),
    sa.Column("period_days", sa.Integer, nullable=False),
    sa.Column("near_breach_days", sa.Integer, nullable=False),
    sa.Column("shortfall_days", sa.Integer, nullable=False),
    sa.Column("cap", sa.String(24), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("opened_day", _DAY, nullable=False),
    sa.Column("cob_day", _DAY, nullable=False, index=True),
    sa.Column("overdue_since_day", _DAY, nullable=True),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
)

wc_draws = sa.Table(
    "wc_draws",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("line_id", _BIG, sa.ForeignKey("wc_lines.id"), nullable=False, index=True),
    sa.Column("drawn_day", _DAY, nullable=False),
    sa.Column("maturity_day", _DAY, nullable=False),
    sa.Column("rate_units", _FEN, nullable=False),
    _money("principal"),
    _money("principal_paid"),
    _money("interest_accrued"),
    _money("interest_paid"),
)

wc_periods = sa.Table(
    "wc_periods",
    metadata,
    sa.Column("line_id", _BIG, sa.ForeignKey("wc_lines.id"), primary_key=True),
    sa.Column("n", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("start_day", _DAY, nullable=False),
    sa.Column("end_day", _DAY, nullable=False, index=True),
    _money("minimum"),
    _money("repaid"),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("flagged_day", _DAY, nullable=True),
    _money("shortfall"),
)

wc_shortfalls = sa.Table(
    "wc_shortfalls",
    metadata,
    sa.Column("line_id", _BIG, sa.ForeignKey("wc_lines.id"), primary_key=True),
    sa.Column("n", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("period_n", sa.Integer, nullable=False),
    sa.Column("due_day", _DAY, nullable=False),
    _money("amount"),
    _money("paid"),
)

wc_transactions = sa.Table(
    "wc_transactions",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("line_id", _BIG, sa.ForeignKey("wc_lines.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("day", _DAY, nullable=False),
    _money("amount"),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("idempotency_key", sa.String(128), nullable=True, unique=True),
    sa.Column("draw_id", _BIG, nullable=True),
    sa.Column("entry_id", _BIG, nullable=True),
    _money("paid_interest"),
    _money("paid_principal"),
)

wc_sales = sa.Table(
    "wc_sales",
    metadata,
    sa.Column("line_id", _BIG, sa.ForeignKey("wc_lines.id"), primary_key=True),
    sa.Column("day", _DAY, primary_key=True, autoincrement=False),
    _money("sales"),
    _money("collected"),
    sa.Column("txn_id", _BIG, nullable=True),
)
"""A day's sales collected through the acquiring partner, and what the line took of them."""
