"""Loan servicing: loans, installments, transactions, journal, buckets, COB runs, lines.

Revision ID: servicing_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "servicing_0001"
down_revision = None
branch_labels = ("servicing",)
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "servicing_bucket_history",
        sa.Column("id", _BIG, autoincrement=True, nullable=False),
        sa.Column("loan_id", _BIG, nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("from_bucket", sa.String(length=16), nullable=False),
        sa.Column("to_bucket", sa.String(length=16), nullable=False),
        sa.Column("days_past_due", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_servicing_bucket_history")),
    )
    op.create_index(
        op.f("ix_servicing_bucket_history_loan_id"),
        "servicing_bucket_history",
        ["loan_id"],
        unique=False,
    )
    op.create_table(
        "servicing_bucket_ranges",
        sa.Column("product_code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=16), nullable=False),
        sa.Column("min_days", sa.Integer(), nullable=False),
        sa.Column("max_days", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("product_code", "label", name=op.f("pk_servicing_bucket_ranges")),
    )
    op.create_table(
        "servicing_cob_runs",
        sa.Column("business_day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("business_day", name=op.f("pk_servicing_cob_runs")),
    )
    op.create_table(
        "servicing_cob_steps",
        sa.Column("business_day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("step", sa.String(length=24), nullable=False),
        sa.Column("rows", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("business_day", "step", name=op.f("pk_servicing_cob_steps")),
    )
    op.create_table(
        "servicing_credit_lines",
        sa.Column("id", _BIG, autoincrement=True, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("limit_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("annual_rate", sa.String(length=24), nullable=False),
        sa.Column("product_json", sa.Text(), nullable=False),
        sa.Column("opened_day", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_servicing_credit_lines")),
    )
    op.create_table(
        "servicing_journal_entries",
        sa.Column("id", _BIG, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("loan_id", _BIG, nullable=True),
        sa.Column("txn_id", _BIG, nullable=True),
        sa.Column("cob_day", sa.Integer(), nullable=True),
        sa.Column("reverses", _BIG, nullable=True),
        sa.Column("memo", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_servicing_journal_entries")),
    )
    op.create_index(
        op.f("ix_servicing_journal_entries_loan_id"),
        "servicing_journal_entries",
        ["loan_id"],
        unique=False,
    )
    op.create_table(
        "servicing_journal_lines",
        sa.Column("id", _BIG, autoincrement=True, nullable=False),
        sa.Column("entry_id", _BIG, nullable=False),
        sa.Column("account", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["servicing_journal_entries.id"],
            name=op.f("fk_servicing_journal_lines_entry_id_servicing_journal_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_servicing_journal_lines")),
    )
    op.create_index(
        op.f("ix_servicing_journal_lines_entry_id"),
        "servicing_journal_lines",
        ["entry_id"],
        unique=False,
    )
    op.create_table(
        "servicing_limit_changes",
        sa.Column("id", _BIG, autoincrement=True, nullable=False),
        sa.Column("line_id", _BIG, nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("old_limit", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("new_limit", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["servicing_credit_lines.id"],
            name=op.f("fk_servicing_limit_changes_line_id_servicing_credit_lines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_servicing_limit_changes")),
    )
    op.create_index(
        op.f("ix_servicing_limit_changes_line_id"),
        "servicing_limit_changes",
        ["line_id"],
        unique=False,
    )
    op.create_table(
        "servicing_loans",
        sa.Column("id", _BIG, autoincrement=True, nullable=False),
        sa.Column("product_code", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("principal", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("down_payment", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("disbursed_day", sa.Integer(), nullable=False),
        sa.Column("cob_day", sa.Integer(), nullable=False),
        sa.Column("overdue_since_day", sa.Integer(), nullable=True),
        sa.Column("bucket", sa.String(length=16), nullable=False),
        sa.Column("late_fees_charged", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("credit", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("subsidy", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("subsidy_recognized", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("subsidy_end_day", sa.Integer(), nullable=False),
        sa.Column("co_principal", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("co_interest", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("co_fee", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("co_penalty", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("recovered", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("closed_day", sa.Integer(), nullable=True),
        sa.Column("merchant", sa.String(length=64), nullable=True),
        sa.Column("credit_line_id", _BIG, nullable=True),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("penalty_rate_units", sa.BigInteger(), nullable=False),
        sa.Column("day_basis", sa.Integer(), nullable=False),
        sa.Column("late_fee", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("late_fee_cap", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("charge_off_days", sa.Integer(), nullable=False),
        sa.Column("terms_json", sa.Text(), nullable=False),
        sa.Column("product_json", sa.Text(), nullable=False),
        sa.Column("rates_json", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["credit_line_id"],
            ["servicing_credit_lines.id"],
            name=op.f("fk_servicing_loans_credit_line_id_servicing_credit_lines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_servicing_loans")),
    )
    op.create_index(
        op.f("ix_servicing_loans_credit_line_id"),
        "servicing_loans",
        ["credit_line_id"],
        unique=False,
    )
    op.create_index(
        "ix_servicing_loans_overdue_since_day",
        "servicing_loans",
        ["overdue_since_day"],
        unique=False,
    )
    op.create_index(
        "ix_servicing_loans_status_cob_day", "servicing_loans", ["status", "cob_day"], unique=False
    )
    op.create_table(
        "servicing_installments",
        sa.Column("loan_id", _BIG, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("start_day", sa.Integer(), nullable=False),
        sa.Column("due_day", sa.Integer(), nullable=False),
        sa.Column("principal_due", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("interest_due", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("fee_due", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("penalty_due", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("principal_paid", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("interest_paid", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("fee_paid", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("penalty_paid", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("interest_accrued", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("fee_accrued", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["loan_id"],
            ["servicing_loans.id"],
            name=op.f("fk_servicing_installments_loan_id_servicing_loans"),
        ),
        sa.PrimaryKeyConstraint("loan_id", "n", name=op.f("pk_servicing_installments")),
    )
    op.create_index(
        op.f("ix_servicing_installments_due_day"),
        "servicing_installments",
        ["due_day"],
        unique=False,
    )
    op.create_table(
        "servicing_transactions",
        sa.Column("id", _BIG, autoincrement=True, nullable=False),
        sa.Column("loan_id", _BIG, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("mode", sa.String(length=24), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("entry_id", _BIG, nullable=True),
        sa.Column("reversed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("reversal_of", _BIG, nullable=True),
        sa.Column("paid_principal", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("paid_interest", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("paid_fee", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("paid_penalty", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("overpayment", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["loan_id"],
            ["servicing_loans.id"],
            name=op.f("fk_servicing_transactions_loan_id_servicing_loans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_servicing_transactions")),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_servicing_transactions_idempotency_key")
        ),
    )
    op.create_index(
        op.f("ix_servicing_transactions_loan_id"),
        "servicing_transactions",
        ["loan_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_servicing_transactions_loan_id"), table_name="servicing_transactions")
    op.drop_table("servicing_transactions")
    op.drop_index(op.f("ix_servicing_installments_due_day"), table_name="servicing_installments")
    op.drop_table("servicing_installments")
    op.drop_index("ix_servicing_loans_status_cob_day", table_name="servicing_loans")
    op.drop_index("ix_servicing_loans_overdue_since_day", table_name="servicing_loans")
    op.drop_index(op.f("ix_servicing_loans_credit_line_id"), table_name="servicing_loans")
    op.drop_table("servicing_loans")
    op.drop_index(op.f("ix_servicing_limit_changes_line_id"), table_name="servicing_limit_changes")
    op.drop_table("servicing_limit_changes")
    op.drop_index(op.f("ix_servicing_journal_lines_entry_id"), table_name="servicing_journal_lines")
    op.drop_table("servicing_journal_lines")
    op.drop_index(
        op.f("ix_servicing_journal_entries_loan_id"), table_name="servicing_journal_entries"
    )
    op.drop_table("servicing_journal_entries")
    op.drop_table("servicing_credit_lines")
    op.drop_table("servicing_cob_steps")
    op.drop_table("servicing_cob_runs")
    op.drop_table("servicing_bucket_ranges")
    op.drop_index(
        op.f("ix_servicing_bucket_history_loan_id"), table_name="servicing_bucket_history"
    )
    op.drop_table("servicing_bucket_history")
