"""Tables for loan servicing: loans, installments, transactions, the journal, COB runs.

Money is integer fen (BigInteger). Dates that close of business computes with are stored as
integer day numbers (days since 1970-01-01) so that the same SQL does date arithmetic on
SQLite and PostgreSQL. Rates live in JSON text (``terms_json``, ``rates_json`` in the narrow
side table ``servicing_loan_terms``) or as integer units of 1e-8 (``penalty_rate_units``) —
never float.
"""

from __future__ import annotations

import sqlalchemy as sa

from thinfile.store.db import metadata

__all__ = [
    "bucket_history",
    "bucket_ranges",
    "cob_runs",
    "cob_steps",
    "credit_lines",
    "installments",
    "journal_entries",
    "journal_lines",
    "limit_changes",
    "loan_terms",
    "loans",
    "subsidy_periods",
    "transactions",
    "write_off_requests",
]

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_FEN = sa.BigInteger
_DAY = sa.Integer


def _money(name: str) -> sa.Column[int]:
    return sa.Column(name, _FEN, nullable=False, server_default="0")


credit_lines = sa.Table(
    "servicing_credit_lines",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("currency", sa.String(3), nullable=False),
    _money("limit_amount"),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("annual_rate", sa.String(24), nullable=False),
    sa.Column("product_json", sa.Text, nullable=False),
    sa.Column("opened_day", _DAY, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
)

limit_changes = sa.Table(
    "servicing_limit_changes",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column(
        "line_id", _BIG, sa.ForeignKey("servicing_credit_lines.id"), nullable=False, index=True
    ),
    sa.Column("day", _DAY, nullable=False),
    _money("old_limit"),
    _money("new_limit"),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("single_handed_by", sa.String(64), nullable=True),
)

loans = sa.Table(
    "servicing_loans",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("product_code", sa.String(40), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    _money("principal"),
    _money("down_payment"),
    sa.Column("disbursed_day", _DAY, nullable=False),
    sa.Column("cob_day", _DAY, nullable=False),
    sa.Column("overdue_since_day", _DAY, nullable=True),
    sa.Column("bucket", sa.String(16), nullable=False),
    _money("late_fees_charged"),
    _money("credit"),
    _money("subsidy"),
    _money("subsidy_recognized"),
    _money("lender_subsidy"),
    sa.Column("subsidy_end_day", _DAY, nullable=False),
    _money("co_principal"),
    _money("co_interest"),
    _money("co_fee"),
    _money("co_penalty"),
    _money("recovered"),
    _money("merchant_refunded"),
    sa.Column("closed_day", _DAY, nullable=True),
    sa.Column("merchant", sa.String(64), nullable=True),
    sa.Column(
        "credit_line_id",
        _BIG,
        sa.ForeignKey("servicing_credit_lines.id"),
        nullable=True,
        index=True,
    ),
    sa.Column("grace_days", sa.Integer, nullable=False),
    sa.Column("penalty_rate_units", _FEN, nullable=False),
    sa.Column("day_basis", sa.Integer, nullable=False),
    sa.Column("leap_basis", sa.Integer, nullable=False),
    sa.Column("all_in_cap_units", _FEN, nullable=False),
    _money("late_fee"),
    _money("late_fee_cap"),
    sa.Column("charge_off_days", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Index("ix_servicing_loans_overdue_since_day", "overdue_since_day"),
)
"""The hot row: close of business updates it in place. ``cob_day`` is the loan's own
closed-to date; an active loan is closed at least to the book's last finished business date."""

loan_terms = sa.Table(
    "servicing_loan_terms",
    metadata,
    sa.Column("loan_id", _BIG, sa.ForeignKey("servicing_loans.id"), primary_key=True),
    sa.Column("terms_json", sa.Text, nullable=False),
    sa.Column("product_json", sa.Text, nullable=False),
    sa.Column("rates_json", sa.Text, nullable=False),
)
"""What never changes after opening: terms, product rules and period rates (JSON)."""

installments = sa.Table(
    "servicing_installments",
    metadata,
    sa.Column("loan_id", _BIG, sa.ForeignKey("servicing_loans.id"), primary_key=True),
    sa.Column("n", sa.Integer, primary_key=True),
    sa.Column("start_day", _DAY, nullable=False),
    sa.Column("due_day", _DAY, nullable=False, index=True),
    _money("principal_due"),
    _money("interest_due"),
    _money("fee_due"),
    _money("penalty_due"),
    _money("principal_paid"),
    _money("interest_paid"),
    _money("fee_paid"),
    _money("penalty_paid"),
    _money("interest_accrued"),
    _money("fee_accrued"),
    _money("default_allowance"),
    _money("default_charged"),
    _money("fee_waived"),
    _money("interest_carried"),
    _money("fee_carried"),
    _money("principal_carried"),
    # an amount-off coupon's share moved onto or off the row by a re-plan: may be negative
    sa.Column("relief_moved", _FEN, nullable=False, server_default="0"),
    # days a dispute paused the row's ageing (InstallmentState.paused_days)
    sa.Column("paused_days", _DAY, nullable=False, server_default="0"),
    sa.Index(
        "ix_servicing_installments_paused",
        "loan_id",
        postgresql_where=sa.text("paused_days > 0"),
        sqlite_where=sa.text("paused_days > 0"),
    ),
)

subsidy_periods = sa.Table(
    "servicing_subsidy_periods",
    metadata,
    sa.Column("loan_id", _BIG, sa.ForeignKey("servicing_loans.id"), primary_key=True),
    sa.Column("n", sa.Integer, primary_key=True),
    sa.Column("start_day", _DAY, nullable=False),
    sa.Column("due_day", _DAY, nullable=False),
    _money("amount"),
    _money("recognized_before"),
)
"""A subsidised loan's recognition plan (``servicing.subsidy``): ``amount`` fen recognised
linearly by days over ``(start_day, due_day]`` after ``recognized_before``. Written when the
loan opens and when a prepayment re-plans it; close of business reads it by date. Loans
opened before plans have no rows and keep the straight line."""

transactions = sa.Table(
    "servicing_transactions",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("loan_id", _BIG, sa.ForeignKey("servicing_loans.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("day", _DAY, nullable=False),
    _money("amount"),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("mode", sa.String(24), nullable=True),
    sa.Column("idempotency_key", sa.String(128), nullable=True, unique=True),
    sa.Column("entry_id", _BIG, nullable=True),
    sa.Column("reversed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("reversal_of", _BIG, nullable=True),
    _money("paid_principal"),
    _money("paid_interest"),
    _money("paid_fee"),
    _money("paid_penalty"),
    _money("overpayment"),
    sa.Column("subsidy_unwound", _FEN, nullable=True),
    sa.Column("lender_unwound", _FEN, nullable=True),
    sa.Column("booked_day", _DAY, nullable=True),
)
"""``booked_day``: the business date a posting was booked on, when after its own ``day`` (a
card debit booked at its value date, ``services.value_dated``); NULL otherwise."""

# A write-off below the charge-off threshold (days past due) needs a second staff member:
# one requests it, another approves it, and only the approval posts it (maker-checker).
write_off_requests = sa.Table(
    "servicing_write_off_requests",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("loan_id", _BIG, sa.ForeignKey("servicing_loans.id"), nullable=False, index=True),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("requested_by", sa.String(32), nullable=False),
    sa.Column("requested_day", _DAY, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("decided_by", sa.String(32), nullable=True),
    sa.Column("decided_day", _DAY, nullable=True),
    sa.Column("txn_id", _BIG, nullable=True),
)

journal_entries = sa.Table(
    "servicing_journal_entries",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("day", _DAY, nullable=False),
    sa.Column("loan_id", _BIG, nullable=True, index=True),
    sa.Column("txn_id", _BIG, nullable=True),
    sa.Column("cob_day", _DAY, nullable=True),
    sa.Column("reverses", _BIG, nullable=True),
    sa.Column("memo", sa.Text, nullable=False, server_default=""),
)

journal_lines = sa.Table(
    "servicing_journal_lines",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column(
        "entry_id", _BIG, sa.ForeignKey("servicing_journal_entries.id"), nullable=False, index=True
    ),
    sa.Column("account", sa.String(40), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("amount", _FEN, nullable=False),
)

bucket_history = sa.Table(
    "servicing_bucket_history",
    metadata,
    sa.Column("id", _BIG, primary_key=True, autoincrement=True),
    sa.Column("loan_id", _BIG, nullable=False, index=True),
    sa.Column("day", _DAY, nullable=False),
    sa.Column("from_bucket", sa.String(16), nullable=False),
    sa.Column("to_bucket", sa.String(16), nullable=False),
    sa.Column("days_past_due", sa.Integer, nullable=False),
)

month_ends = sa.Table(
    "servicing_month_ends",
    metadata,
    # no foreign-key trigger (migration servicing_0014): a row per loan every month-end
    sa.Column("loan_id", _BIG, primary_key=True, autoincrement=False),
    sa.Column("month_end_day", _DAY, primary_key=True, autoincrement=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("days_past_due", sa.Integer, nullable=False),
    _money("principal_balance"),
)
"""A loan as it stood at a month-end (月末快照), written by close of business on the last day
of each month: every loan on the book that day, and every loan that ended during the month —
the rows of the loan-month table ``thinfile portfolio export`` writes. Days past due count
from the overdue date for an active loan and for one charged off (a charge-off at 60 days
past due is 60+ at its month-end, and ever-60+ counts it); 0 otherwise."""

bucket_ranges = sa.Table(
    "servicing_bucket_ranges",
    metadata,
    sa.Column("product_code", sa.String(40), primary_key=True),
    sa.Column("label", sa.String(16), primary_key=True),
    sa.Column("min_days", sa.Integer, nullable=False),
    sa.Column("max_days", sa.Integer, nullable=True),
)

cob_runs = sa.Table(
    "servicing_cob_runs",
    metadata,
    sa.Column("business_day", _DAY, primary_key=True, autoincrement=False),
    sa.Column("status", sa.String(16), nullable=False),
)

cob_steps = sa.Table(
    "servicing_cob_steps",
    metadata,
    sa.Column("business_day", _DAY, primary_key=True, autoincrement=False),
    sa.Column("step", sa.String(24), primary_key=True),
    sa.Column("rows", sa.BigInteger, nullable=False, server_default="0"),
)
