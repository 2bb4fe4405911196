"""Tables of checkout sessions, their order lines, captures and refunds (branch ``commerce``).

A session belongs to one merchant (its order id unique per merchant) and, once a borrower
opens it, to that borrower. Money columns are fen; the chosen term's rates are decimal text
copied from the merchant's contract version when the borrower confirms, so later contract
changes never touch a session. Each capture books one loan (``loan_id``); each refund is shared
over the captures (``checkout_refund_parts``), newest first.
"""

from __future__ import annotations

import sqlalchemy as sa

from thinfile.store.db import metadata

__all__ = [
    "checkout_captures",
    "checkout_lines",
    "checkout_refund_parts",
    "checkout_refunds",
    "checkout_sessions",
]

_ID = 32  # uuid4 hex
_WHEN = sa.DateTime(timezone=True)


def _fen(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger, nullable=False, server_default="0")


checkout_sessions = sa.Table(
    "checkout_sessions",
    metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column("merchant_id", sa.String(_ID), sa.ForeignKey("merchants.id"), nullable=False),
    sa.Column("merchant_order_id", sa.String(64), nullable=False),
    sa.Column("contract_version", sa.Integer, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("total", sa.BigInteger, nullable=False),
    sa.Column("allowed_terms", sa.String(64), nullable=False),
    sa.Column("success_url", sa.String(2000), nullable=False),
    sa.Column("cancel_url", sa.String(2000), nullable=False),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("expires_at", _WHEN, nullable=False),
    sa.Column("created_at", _WHEN, nullable=False),
    sa.Column("updated_at", _WHEN, nullable=False),
    sa.Column("borrower_user_id", sa.String(_ID), nullable=True, index=True),
    sa.Column("plans_shown_at", _WHEN, nullable=True),
    sa.Column("periods", sa.Integer, nullable=True),
    sa.Column("subsidy_rate", sa.String(24), nullable=True),
    sa.Column("monthly_fee_rate", sa.String(24), nullable=True),
    sa.Column("unearned_subsidy", sa.String(24), nullable=True),
    sa.Column("application_id", sa.String(_ID), nullable=True),
    sa.Column("credit_line_id", sa.Integer, nullable=True),
    sa.Column("decline_reasons", sa.Text, nullable=True),
    sa.Column("confirmed_at", _WHEN, nullable=True),
    _fen("authorized"),
    _fen("captured"),
    _fen("refunded"),
    _fen("voided"),
    sa.UniqueConstraint("merchant_id", "merchant_order_id"),
)

checkout_lines = sa.Table(
    "checkout_lines",
    metadata,
    sa.Column(
        "session_id", sa.String(_ID), sa.ForeignKey("checkout_sessions.id"), primary_key=True
    ),
    sa.Column("n", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_price", sa.BigInteger, nullable=False),
)

checkout_captures = sa.Table(
    "checkout_captures",
    metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column(
        "session_id",
        sa.String(_ID),
        sa.ForeignKey("checkout_sessions.id"),
        nullable=False,
        index=True,
    ),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("subsidy", sa.BigInteger, nullable=False),
    _fen("refunded"),
    sa.Column("loan_id", sa.Integer, nullable=False, index=True),
    sa.Column("captured_on", sa.Date, nullable=False),
    sa.Column("created_at", _WHEN, nullable=False),
    _fen("lender_subsidy"),
    sa.UniqueConstraint("session_id", "n"),
)

checkout_refunds = sa.Table(
    "checkout_refunds",
    metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column(
        "session_id",
        sa.String(_ID),
        sa.ForeignKey("checkout_sessions.id"),
        nullable=False,
        index=True,
    ),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("reference", sa.String(64), nullable=True),
    sa.Column("refunded_on", sa.Date, nullable=False),
    sa.Column("created_at", _WHEN, nullable=False),
    sa.Column("reversed_on", sa.Date, nullable=True),
    sa.Column("budget_released", sa.BigInteger, nullable=True),
    sa.UniqueConstraint("session_id", "n"),
)

checkout_refund_parts = sa.Table(
    "checkout_refund_parts",
    metadata,
    sa.Column("refund_id", sa.String(_ID), sa.ForeignKey("checkout_refunds.id"), primary_key=True),
    sa.Column(
        "capture_id", sa.String(_ID), sa.ForeignKey("checkout_captures.id"), primary_key=True
    ),
    sa.Column("loan_id", sa.Integer, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("subsidy_unwound", sa.BigInteger, nullable=False),
    sa.Column("returned_to_borrower", sa.BigInteger, nullable=False),
    _fen("lender_unwound"),
)
