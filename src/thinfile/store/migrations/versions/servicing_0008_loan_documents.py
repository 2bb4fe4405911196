"""Signed loan documents: the contract text as signed (sealed), its SHA-256 and the signature.

The database refuses any change to a stored document (UPDATE, DELETE; TRUNCATE on
PostgreSQL), as it does for the audit log.

Revision ID: servicing_0008_loan_documents
Revises: servicing_0007_month_ends
"""

import sqlalchemy as sa
from alembic import op

revision = "servicing_0008_loan_documents"
down_revision = "servicing_0007_month_ends"
branch_labels = None
depends_on = None

_SQLITE_GUARDS = [
    f"CREATE TRIGGER loan_documents_no_{verb.lower()} BEFORE {verb} ON loan_documents "
    f"BEGIN SELECT RAISE(ABORT, 'loan_documents are immutable'); END"
    for verb in ("UPDATE", "DELETE")
]
_POSTGRES_GUARDS = [
    "CREATE FUNCTION loan_documents_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'loan_documents are immutable'; END $$",
    "CREATE TRIGGER loan_documents_immutable BEFORE UPDATE OR DELETE OR TRUNCATE "
    "ON loan_documents FOR EACH STATEMENT EXECUTE FUNCTION loan_documents_immutable()",
]


def upgrade() -> None:
    op.create_table(
        "loan_documents",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "loan_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.ForeignKey("servicing_loans.id"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("application_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("template", sa.String(40), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("body_enc", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signer_ip", sa.String(64), nullable=True),
        sa.Column("signer_device", sa.String(400), nullable=True),
        sa.UniqueConstraint("loan_id", "kind", name="uq_loan_documents_loan_id_kind"),
    )
    op.create_index("ix_loan_documents_user_id", "loan_documents", ["user_id"])
    guards = _POSTGRES_GUARDS if op.get_bind().dialect.name == "postgresql" else _SQLITE_GUARDS
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS loan_documents_immutable ON loan_documents")
        op.execute("DROP FUNCTION IF EXISTS loan_documents_immutable()")
    op.drop_index("ix_loan_documents_user_id", "loan_documents")
    op.drop_table("loan_documents")
