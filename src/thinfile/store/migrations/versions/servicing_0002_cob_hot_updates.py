"""Let close of business update loans and installments in place.

The (status, cob_day) index matched every active loan, so it never helped the batch, and it
stopped PostgreSQL from updating ``cob_day`` in place (HOT updates). Free space in each page
(fillfactor) lets the nightly accrual and day advance rewrite rows without touching indexes.

Revision ID: servicing_0002
Revises: servicing_0001
"""

from alembic import op

revision = "servicing_0002"
down_revision = "servicing_0001"
branch_labels = None
depends_on = None

_TABLES = ("servicing_loans", "servicing_installments")


def upgrade() -> None:
    op.drop_index("ix_servicing_loans_status_cob_day", table_name="servicing_loans")
    if op.get_bind().dialect.name == "postgresql":
        for table in _TABLES:
            op.execute(f"ALTER TABLE {table} SET (fillfactor = 70)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _TABLES:
            op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
    op.create_index(
        "ix_servicing_loans_status_cob_day", "servicing_loans", ["status", "cob_day"], unique=False
    )
