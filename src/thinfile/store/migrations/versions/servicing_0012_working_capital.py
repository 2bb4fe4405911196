"""Working-capital lines: lines, draws, periods, shortfall installments, postings, sales.

Revision ID: servicing_0012_working_capital
Revises: servicing_0011_reconciliation
"""

import sqlalchemy as sa
from alembic import op

revision = "servicing_0012_working_capital"
down_revision = "servicing_0011_reconciliation"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def _money(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), server_default="0", nullable=False)


def upgrade() -> None:
    op.create_table(
        "wc_lines",
        sa.Column("id", _BIG, primary_key=True, autoincrement=True),
        sa.Column("owner_user_id", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        _money("limit_amount"),
        sa.Column("rate_units", sa.BigInteger(), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("sales_share_units", sa.BigInteger(), nullable=False),
        sa.Column("minimum_share_units", sa.BigInteger(), nullable=False),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("near_breach_days", sa.Integer(), nullable=False),
        sa.Column("shortfall_days", sa.Integer(), nullable=False),
        sa.Column("cap", sa.String(24), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_day", sa.Integer(), nullable=False),
        sa.Column("cob_day", sa.Integer(), nullable=False),
        sa.Column("overdue_since_day", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
    )
    op.create_index("ix_wc_lines_owner_user_id", "wc_lines", ["owner_user_id"])
    op.create_index("ix_wc_lines_cob_day", "wc_lines", ["cob_day"])
    op.create_table(
        "wc_draws",
        sa.Column("id", _BIG, primary_key=True, autoincrement=True),
        sa.Column("line_id", _BIG, sa.ForeignKey("wc_lines.id"), nullable=False),
        sa.Column("drawn_day", sa.Integer(), nullable=False),
        sa.Column("maturity_day", sa.Integer(), nullable=False),
        sa.Column("rate_units", sa.BigInteger(), nullable=False),
        _money("principal"),
        _money("principal_paid"),
        _money("interest_accrued"),
        _money("interest_paid"),
    )
    op.create_index("ix_wc_draws_line_id", "wc_draws", ["line_id"])
    op.create_table(
        "wc_periods",
        sa.Column("line_id", _BIG, sa.ForeignKey("wc_lines.id"), primary_key=True),
        sa.Column("n", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("start_day", sa.Integer(), nullable=False),
        sa.Column("end_day", sa.Integer(), nullable=False),
        _money("minimum"),
        _money("repaid"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("flagged_day", sa.Integer(), nullable=True),
        _money("shortfall"),
    )
    op.create_index("ix_wc_periods_end_day", "wc_periods", ["end_day"])
    op.create_table(
        "wc_shortfalls",
        sa.Column("line_id", _BIG, sa.ForeignKey("wc_lines.id"), primary_key=True),
        sa.Column("n", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("period_n", sa.Integer(), nullable=False),
        sa.Column("due_day", sa.Integer(), nullable=False),
        _money("amount"),
        _money("paid"),
    )
    op.create_table(
        "wc_transactions",
        sa.Column("id", _BIG, primary_key=True, autoincrement=True),
        sa.Column("line_id", _BIG, sa.ForeignKey("wc_lines.id"), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        _money("amount"),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=True, unique=True),
        sa.Column("draw_id", _BIG, nullable=True),
        sa.Column("entry_id", _BIG, nullable=True),
        _money("paid_interest"),
        _money("paid_principal"),
    )
    op.create_index("ix_wc_transactions_line_id", "wc_transactions", ["line_id"])
    op.create_table(
        "wc_sales",
        sa.Column("line_id", _BIG, sa.ForeignKey("wc_lines.id"), primary_key=True),
        sa.Column("day", sa.Integer(), primary_key=True, autoincrement=False),
        _money("sales"),
        _money("collected"),
        sa.Column("txn_id", _BIG, nullable=True),
    )


def downgrade() -> None:
    for name in ("wc_sales", "wc_transactions", "wc_shortfalls", "wc_periods", "wc_draws"):
        op.drop_table(name)
    op.drop_table("wc_lines")
