"""Consent records: one data category for one purpose each, revoked by a stamp, never deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.identity_tables import applicants, consents

__all__ = ["ConsentRepository", "StoredConsent"]


@dataclass(frozen=True, slots=True)
class StoredConsent:
    """One consent: a data category for a purpose, under a notice version; ``revoked_at``
    None while it stands."""

    id: str
    applicant_id: str
    data_category: str
    purpose: str
    is_sensitive: bool
    is_separate: bool
    notice_version: str
    granted_at: datetime
    revoked_at: datetime | None


_CONSENT = sa.select(*(consents.c[n] for n in StoredConsent.__dataclass_fields__))


class ConsentRepository:
    """Consents on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, values: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(consents).values(values))

    def get(self, consent_id: str, *, applicant_id: str | None = None) -> StoredConsent | None:
        """A consent (of ``applicant_id``, when given)."""
        query = _CONSENT.where(consents.c.id == consent_id)
        if applicant_id is not None:
            query = query.where(consents.c.applicant_id == applicant_id)
        row = self.conn.execute(query).first()
        return None if row is None else StoredConsent(*row)

    def active(self, applicant_id: str, category: str, purpose: str) -> StoredConsent | None:
        """The unrevoked consent covering ``category`` for ``purpose`` (at most one)."""
        row = self.conn.execute(
            _CONSENT.where(
                consents.c.applicant_id == applicant_id,
                consents.c.data_category == category,
                consents.c.purpose == purpose,
                consents.c.revoked_at.is_(None),
            )
        ).first()
        return None if row is None else StoredConsent(*row)

    def revoke(self, consent_id: str, *, at: datetime) -> None:
        self.conn.execute(
            sa.update(consents).where(consents.c.id == consent_id).values(revoked_at=at)
        )

    def of_applicant(self, applicant_id: str) -> list[StoredConsent]:
        """An applicant's consents, oldest first."""
        rows = self.conn.execute(
            _CONSENT.where(consents.c.applicant_id == applicant_id).order_by(
                consents.c.granted_at, consents.c.id
            )
        )
        return [StoredConsent(*r) for r in rows]

    def is_given(self, applicant_id: str, category: str, purpose: str) -> bool:
        """True when an unrevoked consent covers ``category`` for ``purpose``."""
        return (
            self.conn.execute(
                sa.select(consents.c.id)
                .where(
                    consents.c.applicant_id == applicant_id,
                    consents.c.data_category == category,
                    consents.c.purpose == purpose,
                    consents.c.revoked_at.is_(None),
                )
                .limit(1)
            ).first()
            is not None
        )

    def owner(self, consent_id: str) -> str | None:
        """The user owning the applicant that gave ``consent_id``."""
        owner = self.conn.execute(
            sa.select(applicants.c.user_id)
            .join(consents, consents.c.applicant_id == applicants.c.id)
            .where(consents.c.id == consent_id)
        ).scalar()
        return None if owner is None else str(owner)
