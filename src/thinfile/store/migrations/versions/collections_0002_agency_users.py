"""Collections: the collectors who sign in for an agency, and notes on a case.

Revision ID: collections_0002_agency_users
Revises: collections_0001_cases
"""

import sqlalchemy as sa
from alembic import op

revision = "collections_0002_agency_users"
down_revision = "collections_0001_cases"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "collection_agency_users",
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column(
            "agency", sa.String(40), sa.ForeignKey("collection_agencies.code"), nullable=False
        ),
    )
    op.create_table(
        "collection_notes",
        sa.Column("id", _BIG, primary_key=True, autoincrement=True),
        sa.Column(
            "case_id", _BIG, sa.ForeignKey("collection_cases.id"), nullable=False, index=True
        ),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.String(1000), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("collection_notes")
    op.drop_table("collection_agency_users")
