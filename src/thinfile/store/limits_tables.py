"""Tables of limit management (额度管理): behaviour snapshots, limit policies, decisions,
offers, notices, temporary limits, maker-checker requests and review runs.

Money is integer fen, dates are integer day numbers (as in ``servicing_tables``), so the
review's set-based SQL runs the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa

from thinfile.store.db import metadata

__all__ = [
    "limit_change_requests",
    "limit_decisions",
    "limit_line_incomes",
    "limit_line_months",
    "limit_notices",
    "limit_offers",
    "limit_policies",
    "limit_review_runs",
    "limit_temporary",
]

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_FEN = sa.BigInteger
_DAY = sa.Integer
_WHEN = sa.DateTime(timezone=True)
_LINE = "servicing_credit_lines.id"


def _fen(name: str) -> sa.Column[int]:
    return sa.Column(name, _FEN, nullable=False, server_default="0")


limit_line_months = sa.Table(
    "limit_line_months",
    metadata,
    sa.Column("line_id", _BIG, sa.ForeignKey(_LINE), primary_key=True, autoincrement=False),
    sa.Column("day", _DAY, primary_key=True, autoincrement=False),
    sa.Column("month_end", sa.Integer, nullable=False),
    sa.Column("opened_day", _DAY, nullable=False),
    _fen("limit_amount"),
    _fen("balance"),
    sa.Column("days_past_due", sa.Integer, nullable=False, server_default="0"),
    sa.Column("worst_dpd", sa.Integer, nullable=False, server_default="0"),
    _fen("amount_due"),
    _fen("amount_paid"),
    _fen("drawn"),
    _fen("prepaid"),
    sa.Index("ix_limit_line_months_day", "day"),
)
"""The line-month table (``thinfile.scoring.behaviour``): month-end and review-day snapshots."""

limit_line_incomes = sa.Table(
    "limit_line_incomes",
    metadata,
    sa.Column("line_id", _BIG, sa.ForeignKey(_LINE), primary_key=True, autoincrement=False),
    _fen("income"),
    sa.Column("source", sa.String(40), nullable=False),
    sa.Column("day", _DAY, nullable=False),
)
"""The borrower's current monthly income behind a line (after haircuts), for affordability."""

limit_policies = sa.Table(
    "limit_policies",
    metadata,
    sa.Column("version", sa.String(80), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("settings_json", sa.Text, nullable=False),
    sa.Column("graph_json", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("share", sa.String(16), nullable=False),
    sa.Column("created_at", _WHEN, nullable=False),
)

limit_decisions = sa.Table(
    "limit_decisions",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("line_id", _BIG, sa.ForeignKey(_LINE), nullable=False, index=True),
    sa.Column("day", _DAY, nullable=False),
    sa.Column("review_day", _DAY, nullable=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("arm", sa.String(16), nullable=False),
    sa.Column("policy_version", sa.String(80), nullable=False),
    sa.Column("model_version", sa.String(80), nullable=True),
    sa.Column("action", sa.String(16), nullable=False),
    _fen("old_limit"),
    _fen("new_limit"),
    sa.Column("reason_codes", sa.String(400), nullable=False),
    sa.Column("inputs_json", sa.Text, nullable=False),
    sa.Column("pd", sa.String(24), nullable=True),
    sa.Column("model_reasons", sa.Text, nullable=True),
    sa.UniqueConstraint("line_id", "review_day", name="uq_limit_decisions_line_review"),
)
"""Every limit decision with its inputs and versions (replayable); ``review_day`` is set for
the nightly review only, so a line is reviewed once per date. ``model_version``, ``pd`` and
``model_reasons`` (JSON) are the behaviour model's, empty when none was registered."""

limit_offers = sa.Table(
    "limit_offers",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("line_id", _BIG, sa.ForeignKey(_LINE), nullable=False, index=True),
    sa.Column("decision_id", _BIG, sa.ForeignKey("limit_decisions.id"), nullable=True),
    _fen("old_limit"),
    _fen("new_limit"),
    sa.Column("offered_day", _DAY, nullable=False),
    sa.Column("expires_day", _DAY, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("decided_day", _DAY, nullable=True),
    sa.Column("change_request_id", _BIG, sa.ForeignKey("limit_change_requests.id"), nullable=True),
    sa.Column("end_day", _DAY, nullable=True),
    sa.CheckConstraint("(decision_id IS NULL) <> (change_request_id IS NULL)", name="one_source"),
)
"""An increase offered to the borrower, which moves the limit only when accepted: from a
policy decision (the review's, a borrower's request's: ``decision_id``) or from a staff
member's change (``change_request_id``); ``end_day``: the offer is of a temporary limit
ending that night."""

limit_notices = sa.Table(
    "limit_notices",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("line_id", _BIG, sa.ForeignKey(_LINE), nullable=False, index=True),
    sa.Column("decision_id", _BIG, sa.ForeignKey("limit_decisions.id"), nullable=True),
    sa.Column("day", _DAY, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    _fen("old_limit"),
    _fen("new_limit"),
    sa.Column("reason_codes", sa.String(400), nullable=False),
)
"""What the borrower is told of a decrease, a freeze or the end of a temporary limit."""

limit_temporary = sa.Table(
    "limit_temporary",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("line_id", _BIG, sa.ForeignKey(_LINE), nullable=False, index=True),
    _fen("base_limit"),
    _fen("temporary_limit"),
    sa.Column("start_day", _DAY, nullable=False),
    sa.Column("end_day", _DAY, nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),
)

limit_change_requests = sa.Table(
    "limit_change_requests",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("line_id", _BIG, sa.ForeignKey(_LINE), nullable=False, index=True),
    _fen("new_limit"),
    sa.Column("end_day", _DAY, nullable=True),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("requested_by", sa.String(32), nullable=False),
    sa.Column("requested_day", _DAY, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("decided_by", sa.String(32), nullable=True),
    sa.Column("decided_day", _DAY, nullable=True),
)
"""A staff change above the threshold waits here for a second staff member (maker-checker)."""

limit_review_runs = sa.Table(
    "limit_review_runs",
    metadata,
    sa.Column("business_day", _DAY, primary_key=True, autoincrement=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("counts_json", sa.Text, nullable=False, server_default="{}"),
)
