"""Collections: cases, registered parties, contacts (made and refused), call counts, promises
to pay, hardship plans, the agency white list and agency assignments.

Revision ID: collections_0001_cases
Revises:
Depends on: servicing_0010_subsidy_eir
"""

import sqlalchemy as sa
from alembic import op

revision = "collections_0001_cases"
down_revision = None
branch_labels = ("collections",)
depends_on = "servicing_0010_subsidy_eir"

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_DAY = sa.Integer
_WHEN = sa.DateTime(timezone=True)
_LOAN = "servicing_loans.id"
_TABLES = (
    "collection_agency_assignments",
    "collection_agencies",
    "collection_hardship_plans",
    "collection_promises",
    "collection_call_counts",
    "collection_contacts",
    "collection_parties",
    "collection_cases",
)


def upgrade() -> None:

    op.create_table(
        "collection_cases",
        sa.Column("id", _BIG, primary_key=True, autoincrement=True),
        sa.Column("loan_id", _BIG, sa.ForeignKey(_LOAN), nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("bucket", sa.String(16), nullable=False),
        sa.Column("entry_bucket", sa.String(16), nullable=False),
        sa.Column("strategy", sa.String(16), nullable=False),
        sa.Column("arm", sa.String(32), nullable=False),
        sa.Column("assignee", sa.String(32), nullable=True, index=True),
        sa.Column("agency", sa.String(40), nullable=True, index=True),
        sa.Column("time_zone", sa.String(40), nullable=False),
        sa.Column("opened_day", _DAY, nullable=False),
        sa.Column("closed_day", _DAY, nullable=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    )

    op.create_table(
        "collection_parties",
        sa.Column("id", _BIG, primary_key=True, autoincrement=True),
        sa.Column("loan_id", _BIG, sa.ForeignKey(_LOAN), nullable=False, index=True),
        sa.Column("party", sa.String(24), nullable=False),
        sa.Column("number_hash", sa.String(64), nullable=False),
        sa.Column("number_masked", sa.String(20), nullable=False),
        sa.Column("name_masked", sa.String(40), nullable=False),
        sa.UniqueConstraint("loan_id", "party", "number_hash", name="uq_collection_parties_number"),
    )

    op.create_table(
        "collection_contacts",
        sa.Column("id", _BIG, primary_key=True, autoincrement=True),
        sa.Column(
            "case_id", _BIG, sa.ForeignKey("collection_cases.id"), nullable=False, index=True
        ),
        sa.Column("at", _WHEN, nullable=False),
        sa.Column("local_day", _DAY, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("party", sa.String(24), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("number_hash", sa.String(64), nullable=False),
        sa.Column("number_masked", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=True),
        sa.Column("script", sa.String(40), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("agency", sa.String(40), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rule", sa.String(48), nullable=True),
    )

    op.create_table(
        "collection_call_counts",
        sa.Column("number_hash", sa.String(64), primary_key=True),
        sa.Column("local_day", _DAY, primary_key=True),
        sa.Column("unanswered", sa.Integer, nullable=False, server_default="0"),
    )

    op.create_table(
        "collection_promises",
        sa.Column("id", _BIG, primary_key=True, autoincrement=True),
        sa.Column(
            "case_id", _BIG, sa.ForeignKey("collection_cases.id"), nullable=False, index=True
        ),
        sa.Column("loan_id", _BIG, sa.ForeignKey(_LOAN), nullable=False, index=True),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("made_day", _DAY, nullable=False),
        sa.Column("due_day", _DAY, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("paid", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("settled_day", _DAY, nullable=True),
        sa.Column("actor", sa.String(64), nullable=False),
    )

    op.create_table(
        "collection_hardship_plans",
        sa.Column("id", _BIG, primary_key=True, autoincrement=True),
        sa.Column("loan_id", _BIG, sa.ForeignKey(_LOAN), nullable=False, index=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("months", sa.Integer, nullable=False, server_default="0"),
        sa.Column("amount", sa.BigInteger, nullable=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("proposed_by", sa.String(32), nullable=False),
        sa.Column("proposed_day", _DAY, nullable=False),
        sa.Column("approved_by", sa.String(32), nullable=True),
        sa.Column("approved_day", _DAY, nullable=True),
        sa.Column("txn_id", _BIG, nullable=True),
    )

    op.create_table(
        "collection_agencies",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    )

    op.create_table(
        "collection_agency_assignments",
        sa.Column("id", _BIG, primary_key=True, autoincrement=True),
        sa.Column(
            "case_id", _BIG, sa.ForeignKey("collection_cases.id"), nullable=False, index=True
        ),
        sa.Column(
            "agency", sa.String(40), sa.ForeignKey("collection_agencies.code"), nullable=False
        ),
        sa.Column("assigned_day", _DAY, nullable=False),
        sa.Column("recalled_day", _DAY, nullable=True),
        sa.Column("actor", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for table in _TABLES:
        op.drop_table(table)
