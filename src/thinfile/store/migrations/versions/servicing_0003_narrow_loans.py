"""Narrow loan rows: terms, product and period rates move to ``servicing_loan_terms``.

Close of business rewrites loan rows every night; the JSON terms (about 1.2 KB a loan) never
change after opening, so they live in a side table keyed by loan and the hot row shrinks to
its numbers and dates. The per-loan closed-to date no longer advances every night either (the
book's last finished business date stands in for it; see ``thinfile.services.cob``).

Revision ID: servicing_0003
Revises: servicing_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "servicing_0003"
down_revision = "servicing_0002"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_COLUMNS = ("terms_json", "product_json", "rates_json")


def upgrade() -> None:
    op.create_table(
        "servicing_loan_terms",
        sa.Column("loan_id", _BIG, nullable=False),
        sa.Column("terms_json", sa.Text(), nullable=False),
        sa.Column("product_json", sa.Text(), nullable=False),
        sa.Column("rates_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["loan_id"],
            ["servicing_loans.id"],
            name=op.f("fk_servicing_loan_terms_loan_id_servicing_loans"),
        ),
        sa.PrimaryKeyConstraint("loan_id", name=op.f("pk_servicing_loan_terms")),
    )
    op.execute(
        "INSERT INTO servicing_loan_terms (loan_id, terms_json, product_json, rates_json) "
        "SELECT id, terms_json, product_json, rates_json FROM servicing_loans"
    )
    for column in _COLUMNS:  # SQLite >= 3.35 and PostgreSQL both drop columns in place
        op.execute(f"ALTER TABLE servicing_loans DROP COLUMN {column}")


def downgrade() -> None:
    for column in _COLUMNS:
        op.add_column("servicing_loans", sa.Column(column, sa.Text(), nullable=True))
    for column in _COLUMNS:
        op.execute(
            f"UPDATE servicing_loans SET {column} = (SELECT t.{column} FROM "
            "servicing_loan_terms t WHERE t.loan_id = servicing_loans.id)"
        )
    op.drop_table("servicing_loan_terms")
