"""Limit management: behaviour snapshots, limit policies, decisions, offers, notices,
temporary limits, maker-checker requests and review runs (#19).

Revision ID: decisioning_0004_limit_reviews
Revises: decisioning_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "decisioning_0004_limit_reviews"
down_revision = "decisioning_0003"
branch_labels = None
depends_on = "servicing_0001"

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_LINE = "servicing_credit_lines.id"


def _fen(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=False, server_default="0")


def _line(*, key: bool = False) -> sa.Column[int]:
    if key:
        return sa.Column(
            "line_id", _BIG, sa.ForeignKey(_LINE), primary_key=True, autoincrement=False
        )
    return sa.Column("line_id", _BIG, sa.ForeignKey(_LINE), nullable=False)


def upgrade() -> None:
    op.create_table(
        "limit_line_months",
        _line(key=True),
        sa.Column("day", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("month_end", sa.Integer(), nullable=False),
        sa.Column("opened_day", sa.Integer(), nullable=False),
        _fen("limit_amount"),
        _fen("balance"),
        sa.Column("days_past_due", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("worst_dpd", sa.Integer(), nullable=False, server_default="0"),
        _fen("amount_due"),
        _fen("amount_paid"),
        _fen("drawn"),
        _fen("prepaid"),
    )
    op.create_index("ix_limit_line_months_day", "limit_line_months", ["day"])
    op.create_table(
        "limit_line_incomes",
        _line(key=True),
        _fen("income"),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
    )
    op.create_table(
        "limit_policies",
        sa.Column("version", sa.String(80), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("settings_json", sa.Text(), nullable=False),
        sa.Column("graph_json", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("share", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_limit_policies_status", "limit_policies", ["status"])
    op.create_table(
        "limit_decisions",
        sa.Column("id", _BIG, primary_key=True, autoincrement=True),
        _line(),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("review_day", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("arm", sa.String(16), nullable=False),
        sa.Column("policy_version", sa.String(80), nullable=False),
        sa.Column("model_version", sa.String(80), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        _fen("old_limit"),
        _fen("new_limit"),
        sa.Column("reason_codes", sa.String(400), nullable=False),
        sa.Column("inputs_json", sa.Text(), nullable=False),
        sa.UniqueConstraint("line_id", "review_day", name="uq_limit_decisions_line_review"),
    )
    op.create_index("ix_limit_decisions_line_id", "limit_decisions", ["line_id"])
    op.create_table(
        "limit_offers",
        sa.Column("id", _BIG, primary_key=True, autoincrement=True),
        _line(),
        sa.Column("decision_id", _BIG, sa.ForeignKey("limit_decisions.id"), nullable=False),
        _fen("old_limit"),
        _fen("new_limit"),
        sa.Column("offered_day", sa.Integer(), nullable=False),
        sa.Column("expires_day", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_day", sa.Integer(), nullable=True),
    )
    op.create_index("ix_limit_offers_line_id", "limit_offers", ["line_id"])
    op.create_table(
        "limit_notices",
        sa.Column("id", _BIG, primary_key=True, autoincrement=True),
        _line(),
        sa.Column("decision_id", _BIG, sa.ForeignKey("limit_decisions.id"), nullable=True),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        _fen("old_limit"),
        _fen("new_limit"),
        sa.Column("reason_codes", sa.String(400), nullable=False),
    )
    op.create_index("ix_limit_notices_line_id", "limit_notices", ["line_id"])
    op.create_table(
        "limit_temporary",
        sa.Column("id", _BIG, primary_key=True, autoincrement=True),
        _line(),
        _fen("base_limit"),
        _fen("temporary_limit"),
        sa.Column("start_day", sa.Integer(), nullable=False),
        sa.Column("end_day", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
    )
    op.create_index("ix_limit_temporary_line_id", "limit_temporary", ["line_id"])
    op.create_index("ix_limit_temporary_end_day", "limit_temporary", ["end_day"])
    op.create_table(
        "limit_change_requests",
        sa.Column("id", _BIG, primary_key=True, autoincrement=True),
        _line(),
        _fen("new_limit"),
        sa.Column("end_day", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("requested_by", sa.String(32), nullable=False),
        sa.Column("requested_day", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.Column("decided_day", sa.Integer(), nullable=True),
    )
    op.create_index("ix_limit_change_requests_line_id", "limit_change_requests", ["line_id"])
    op.create_table(
        "limit_review_runs",
        sa.Column("business_day", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("counts_json", sa.Text(), nullable=False, server_default="{}"),
    )


def downgrade() -> None:
    for table in (
        "limit_review_runs",
        "limit_change_requests",
        "limit_temporary",
        "limit_notices",
        "limit_offers",
        "limit_decisions",
        "limit_policies",
        "limit_line_incomes",
        "limit_line_months",
    ):
        op.drop_table(table)
