"""Disputes of financed purchases (migration branch ``commerce``, ``commerce_0006_disputes``).

One dispute per checkout session (the purchase: every loan its captures booked), ever: the
unique ``session_id`` refuses a second one even under a race. ``status`` is ``open``,
``resolved-refunded`` or ``resolved-rejected``. ``opened_day`` and ``resolved_day`` are the
business dates of the opening and of the resolution as day numbers
(``servicing_codec.to_day``): close of business holds the default steps of the purchase's
loans on the dates ``opened_day <= x < resolved_day`` (``store.cob_statements``'s ``NOT
EXISTS`` on this table joined to ``checkout_captures``; the Python twin gets the same spans
from ``DisputeRepository.held_of_loan``), so a run and a replay agree whenever they run.
"""

from __future__ import annotations

import sqlalchemy as sa

from thinfile.store.db import metadata

__all__ = ["checkout_disputes"]

_ID = 32
_WHEN = sa.DateTime(timezone=True)

checkout_disputes = sa.Table(
    "checkout_disputes",
    metadata,
    sa.Column("id", sa.String(_ID), primary_key=True),
    sa.Column(
        "session_id",
        sa.String(_ID),
        sa.ForeignKey("checkout_sessions.id"),
        nullable=False,
        unique=True,
    ),
    sa.Column("borrower_user_id", sa.String(_ID), nullable=False),
    sa.Column("merchant_id", sa.String(_ID), nullable=False),
    sa.Column("reason", sa.String(1000), nullable=False),
    sa.Column("status", sa.String(24), nullable=False, index=True),
    sa.Column("opened_day", sa.Integer, nullable=False),
    sa.Column("opened_at", _WHEN, nullable=False),
    sa.Column("resolved_day", sa.Integer, nullable=True),
    sa.Column("resolved_at", _WHEN, nullable=True),
    sa.Column("resolved_by", sa.String(100), nullable=True),
    sa.Column("staff_reason", sa.String(1000), nullable=True),
    sa.Column("refunded_fen", sa.BigInteger, nullable=False, server_default="0"),
    sa.CheckConstraint(
        "status IN ('open', 'resolved-refunded', 'resolved-rejected')", name="dispute_status"
    ),
)
