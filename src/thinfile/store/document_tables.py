"""Tables of the borrower's documents: the signed loan contracts, kept exactly as signed.

A row is the rendered text the borrower signed (sealed: it names the borrower; the seal is
authenticated, so a changed byte fails to open), the SHA-256 of that text's UTF-8 bytes, the
template version and language, and the electronic signature (电子签名法 art. 13): when, from
which address and with which device. Rows are written once, at acceptance; the database refuses
any UPDATE or DELETE (triggers added by the migration), and no repository has an update path.
"""

from __future__ import annotations

import sqlalchemy as sa

from thinfile.store.db import metadata

__all__ = ["loan_documents"]

_ID = 32

loan_documents = sa.Table(
    "loan_documents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "loan_id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        sa.ForeignKey("servicing_loans.id"),
        nullable=False,
    ),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("application_id", sa.String(_ID), nullable=False),
    sa.Column("user_id", sa.String(_ID), nullable=False, index=True),
    sa.Column("template", sa.String(40), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("body_enc", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("signer_ip", sa.String(64), nullable=True),
    sa.Column("signer_device", sa.String(400), nullable=True),
    sa.UniqueConstraint("loan_id", "kind", name="uq_loan_documents_loan_id_kind"),
)
