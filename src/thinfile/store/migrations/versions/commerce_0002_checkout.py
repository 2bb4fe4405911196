"""Checkout sessions, their order lines, captures, refunds and the refunds' parts per capture.

Revision ID: commerce_0002_checkout
Revises: commerce_0004_webhooks
"""

import sqlalchemy as sa
from alembic import op

revision = "commerce_0002_checkout"
down_revision = "commerce_0004_webhooks"
branch_labels = None
depends_on = None

_ID = 32
_WHEN = sa.DateTime(timezone=True)


def _fen(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger, nullable=False, server_default="0")


def upgrade() -> None:
    op.create_table(
        "checkout_sessions",
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
        sa.Column("borrower_user_id", sa.String(_ID), nullable=True),
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
    op.create_table(
        "checkout_lines",
        sa.Column(
            "session_id", sa.String(_ID), sa.ForeignKey("checkout_sessions.id"), primary_key=True
        ),
        sa.Column("n", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_price", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "checkout_captures",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column(
            "session_id", sa.String(_ID), sa.ForeignKey("checkout_sessions.id"), nullable=False
        ),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("subsidy", sa.BigInteger, nullable=False),
        _fen("refunded"),
        sa.Column("loan_id", sa.Integer, nullable=False),
        sa.Column("captured_on", sa.Date, nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.UniqueConstraint("session_id", "n"),
    )
    op.create_table(
        "checkout_refunds",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column(
            "session_id", sa.String(_ID), sa.ForeignKey("checkout_sessions.id"), nullable=False
        ),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("reference", sa.String(64), nullable=True),
        sa.Column("refunded_on", sa.Date, nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.UniqueConstraint("session_id", "n"),
    )
    op.create_table(
        "checkout_refund_parts",
        sa.Column(
            "refund_id", sa.String(_ID), sa.ForeignKey("checkout_refunds.id"), primary_key=True
        ),
        sa.Column(
            "capture_id", sa.String(_ID), sa.ForeignKey("checkout_captures.id"), primary_key=True
        ),
        sa.Column("loan_id", sa.Integer, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("subsidy_unwound", sa.BigInteger, nullable=False),
        sa.Column("returned_to_borrower", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_checkout_sessions_borrower_user_id", "checkout_sessions", ["borrower_user_id"]
    )
    op.create_index("ix_checkout_captures_session_id", "checkout_captures", ["session_id"])
    op.create_index("ix_checkout_refunds_session_id", "checkout_refunds", ["session_id"])


def downgrade() -> None:
    for table in (
        "checkout_refund_parts",
        "checkout_refunds",
        "checkout_captures",
        "checkout_lines",
        "checkout_sessions",
    ):
        op.drop_table(table)
