"""Default terms as the cost statement discloses them: the all-in cap, leap-year day basis,
and merchant refunds counted against the amount financed.

- ``servicing_installments.default_allowance`` / ``default_charged``: each overdue
  installment's all-in allowance (interest, penalty and fees on the overdue amount within the
  cap a year) and the late fee and penalty charged within it.
- ``servicing_loans.all_in_cap_units`` (the cap in 1e-8 a year), ``leap_basis`` (the year
  basis on a day of a leap year: 366 for actual/actual loans, else the day basis) and
  ``merchant_refunded`` (refunds so far; a refund may not pass the amount financed).

Existing loans keep their history: allowances start at zero on the next close of business,
the cap is 24%, actual/actual loans are found from their stored terms.

Revision ID: servicing_0004
Revises: servicing_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "servicing_0004"
down_revision = "servicing_0003"
branch_labels = None
depends_on = None


def _zero(name: str, kind: type[sa.Integer] = sa.BigInteger) -> sa.Column[int]:
    return sa.Column(name, kind(), server_default="0", nullable=False)


def upgrade() -> None:
    for column in ("default_allowance", "default_charged"):
        op.add_column("servicing_installments", _zero(column))
    op.add_column("servicing_loans", _zero("merchant_refunded"))
    op.add_column(
        "servicing_loans",
        sa.Column("all_in_cap_units", sa.BigInteger(), server_default="24000000", nullable=False),
    )
    op.add_column("servicing_loans", _zero("leap_basis", sa.Integer))
    op.execute("UPDATE servicing_loans SET leap_basis = day_basis")
    op.execute(
        "UPDATE servicing_loans SET leap_basis = 366 WHERE id IN (SELECT loan_id FROM "
        'servicing_loan_terms WHERE terms_json LIKE \'%"day_count": "actual/actual"%\')'
    )


def downgrade() -> None:
    for column in ("leap_basis", "all_in_cap_units", "merchant_refunded"):
        op.drop_column("servicing_loans", column)
    for column in ("default_charged", "default_allowance"):
        op.drop_column("servicing_installments", column)
