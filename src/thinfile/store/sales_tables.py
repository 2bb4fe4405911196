"""Tables of the merchant-sales feed and the working-capital decisions made from it.

``sales_days`` holds one row per business (applicant), day and channel — never updated once
written: the same figures sent again change nothing, other figures are refused. Each upload
is a ``sales_batches`` row naming the consents it was loaded under. Money is integer fen.
"""

from __future__ import annotations

import sqlalchemy as sa

from thinfile.store.db import metadata

__all__ = ["sales_batches", "sales_days", "working_capital_decisions"]

_ID = 32
_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_WHEN = sa.DateTime(timezone=True)
_APPLICANT = "applicants.id"

sales_batches = sa.Table(
    "sales_batches",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("applicant_id", sa.String(_ID), sa.ForeignKey(_APPLICANT), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("file_name", sa.String(200), nullable=True),
    sa.Column("rows_received", sa.Integer, nullable=False),
    sa.Column("rows_added", sa.Integer, nullable=False),
    sa.Column("rows_unchanged", sa.Integer, nullable=False),
    sa.Column("first_day", sa.Date, nullable=False),
    sa.Column("last_day", sa.Date, nullable=False),
    sa.Column("consent_ids", sa.String(200), nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("received_at", _WHEN, nullable=False),
    sa.Index("ix_sales_batches_applicant_id", "applicant_id"),
)
"""One upload of a feed (a file or an API call), with what it added."""

sales_days = sa.Table(
    "sales_days",
    metadata,
    sa.Column(
        "applicant_id",
        sa.String(_ID),
        sa.ForeignKey(_APPLICANT),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("day", sa.Date, primary_key=True, autoincrement=False),
    sa.Column("channel", sa.String(16), primary_key=True, autoincrement=False),
    sa.Column("gross_sales", sa.BigInteger, nullable=False),
    sa.Column("refunds", sa.BigInteger, nullable=False),
    sa.Column("transactions", sa.Integer, nullable=False),
    sa.Column("batch_id", _BIG, sa.ForeignKey("sales_batches.id"), nullable=False),
)
"""A business's sales of one day on one channel (``thinfile.scoring.sales_feed``)."""

working_capital_decisions = sa.Table(
    "working_capital_decisions",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("applicant_id", sa.String(_ID), sa.ForeignKey(_APPLICANT), nullable=False),
    sa.Column("decided_on", sa.Date, nullable=False),
    sa.Column("valid_until", sa.Date, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("grade", sa.String(4), nullable=True),
    sa.Column("credit_grade", sa.String(4), nullable=True),
    sa.Column("limit_amount", sa.BigInteger, nullable=False),
    sa.Column("daily_rate", sa.String(24), nullable=True),
    sa.Column("monthly_turnover", sa.BigInteger, nullable=False),
    sa.Column("reason_codes", sa.String(400), nullable=False),
    sa.Column("features_json", sa.Text, nullable=False),
    sa.Column("policy_version", sa.String(80), nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("created_at", _WHEN, nullable=False),
    sa.Index("ix_working_capital_decisions_applicant_id", "applicant_id"),
)
"""A working-capital decision with its inputs (``features_json``) and policy version."""
