"""Signed loan documents on one connection (table ``loan_documents``): add and read, nothing
else — a signed document is never changed (the database refuses it too)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.document_tables import loan_documents

__all__ = ["DocumentRepository", "StoredDocument"]


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A signed document as stored: the sealed text, its SHA-256 and the signature."""

    loan_id: int
    kind: str
    application_id: str
    user_id: str
    template: str
    language: str
    body_enc: str
    sha256: str
    signed_at: datetime
    signer_ip: str | None
    signer_device: str | None


class DocumentRepository:
    """Documents: added once per loan and kind, read back; no update path."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, document: StoredDocument) -> None:
        self.conn.execute(
            loan_documents.insert().values(
                loan_id=document.loan_id,
                kind=document.kind,
                application_id=document.application_id,
                user_id=document.user_id,
                template=document.template,
                language=document.language,
                body_enc=document.body_enc,
                sha256=document.sha256,
                signed_at=document.signed_at,
                signer_ip=document.signer_ip,
                signer_device=document.signer_device,
            )
        )

    def get(self, loan_id: int, kind: str) -> StoredDocument | None:
        row = self.conn.execute(
            sa.select(loan_documents).where(
                loan_documents.c.loan_id == loan_id, loan_documents.c.kind == kind
            )
        ).first()
        if row is None:
            return None
        m = row._mapping
        signed = m["signed_at"]
        return StoredDocument(
            loan_id=int(m["loan_id"]),
            kind=m["kind"],
            application_id=m["application_id"],
            user_id=m["user_id"],
            template=m["template"],
            language=m["language"],
            body_enc=m["body_enc"],
            sha256=m["sha256"],
            signed_at=signed if signed.tzinfo else signed.replace(tzinfo=UTC),
            signer_ip=m["signer_ip"],
            signer_device=m["signer_device"],
        )
