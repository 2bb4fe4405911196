"""Each installment keeps the days a dispute paused its ageing.

While a dispute of the purchase is open, arrears do not age: each held night moved the
loan's ``overdue_since_day`` a day later. One clock per loan lost the pause of a later
installment when the oldest was paid (the loan then aged from the later due date, or from
the moved day if later, whichever was later, not from that installment's own paused count),
and an installment falling due inside a dispute on a loan already late had no grace after
it. ``paused_days`` counts the held days per installment; the loan ages from the earliest
unpaid installment's due date plus its count.

Rows written before are counted from the disputes' dates: an installment unpaid today was
unpaid on every day since its due date, so its paused days are the dates from its due date to
its loan's last closed day on which a dispute of the purchase was open. A loan in arrears then
ages from the earliest of its unpaid installments' moved days (younger than the one clock
made it when its oldest installment was paid after a dispute).

Revision ID: servicing_0025_paused_days
Revises: servicing_0024_claimed_at
"""

import sqlalchemy as sa
from alembic import op

revision = "servicing_0025_paused_days"
down_revision = "servicing_0024_claimed_at"
branch_labels = None
depends_on = None

_HI = (
    "CASE WHEN d.resolved_day IS NULL OR d.resolved_day > l.cob_day THEN l.cob_day "
    "ELSE d.resolved_day - 1 END"
)
_LO = "CASE WHEN d.opened_day > i.due_day THEN d.opened_day ELSE i.due_day END"
_ARREARS = (
    "i.principal_due - i.principal_paid + i.interest_due - i.interest_paid + i.fee_due - i.fee_paid"
)

_DISPUTED = (
    "SELECT c.loan_id FROM checkout_captures c JOIN checkout_disputes d "
    "ON d.session_id = c.session_id WHERE c.loan_id IS NOT NULL"
)
"""The loans financing a purchase that was ever disputed."""

_PAUSED = f"""
UPDATE servicing_installments AS i SET paused_days = (
  SELECT COALESCE(SUM(CASE WHEN {_HI} >= {_LO} THEN {_HI} - {_LO} + 1 ELSE 0 END), 0)
  FROM checkout_disputes d JOIN servicing_loans l ON l.id = i.loan_id
  WHERE d.session_id IN (SELECT c.session_id FROM checkout_captures c WHERE c.loan_id = i.loan_id))
WHERE {_ARREARS} > 0
  AND i.loan_id IN ({_DISPUTED})
"""

_SINCE = f"""
UPDATE servicing_loans SET overdue_since_day = (
  SELECT MIN(i.due_day + i.paused_days) FROM servicing_installments i
  WHERE i.loan_id = servicing_loans.id AND i.due_day <= servicing_loans.cob_day AND {_ARREARS} > 0)
WHERE status = 'active' AND overdue_since_day IS NOT NULL
  AND id IN ({_DISPUTED})
"""


def upgrade() -> None:
    op.add_column(
        "servicing_installments",
        sa.Column("paused_days", sa.Integer(), server_default="0", nullable=False),
    )
    tables = set(sa.inspect(op.get_bind()).get_table_names())
    if {"checkout_disputes", "checkout_captures"} <= tables:  # else no dispute was ever open
        op.execute(_PAUSED)
        op.execute(_SINCE)
    op.create_index(
        "ix_servicing_installments_paused",
        "servicing_installments",
        ["loan_id"],
        postgresql_where=sa.text("paused_days > 0"),
        sqlite_where=sa.text("paused_days > 0"),
    )


def downgrade() -> None:
    op.drop_index("ix_servicing_installments_paused", table_name="servicing_installments")
    op.drop_column("servicing_installments", "paused_days")
