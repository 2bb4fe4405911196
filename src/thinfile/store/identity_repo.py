"""Users, API keys and applicant profiles (personal data arrives sealed, never in plain text)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.db import StoredRow
from thinfile.store.hot import Hot
from thinfile.store.identity_tables import api_keys, applicants, users

__all__ = ["ApiKeyRepository", "ApplicantRepository", "UserRepository"]

_TOKEN_VERSION = Hot(
    sa.select(users.c.token_version).where(
        users.c.id == sa.bindparam("user_id"), users.c.is_active.is_(True)
    )
)
"""Read on every authenticated request: the version an active account's tokens must carry."""


class UserRepository:
    """Accounts on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, values: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(users).values(values))

    def get(self, user_id: str) -> StoredRow | None:
        return self.conn.execute(sa.select(users).where(users.c.id == user_id)).first()

    def exists(self, user_id: str) -> bool:
        return (
            self.conn.execute(sa.select(users.c.id).where(users.c.id == user_id)).first()
            is not None
        )

    def has_email(self, email: str) -> bool:
        return (
            self.conn.execute(sa.select(users.c.id).where(users.c.email == email)).first()
            is not None
        )

    def active_by_email(self, email: str) -> StoredRow | None:
        return self.conn.execute(
            sa.select(users).where(users.c.email == email, users.c.is_active.is_(True))
        ).first()

    def token_version(self, user_id: str) -> int | None:
        """The token version of an active account; None when it is inactive or unknown."""
        found = _TOKEN_VERSION.scalar(self.conn, {"user_id": user_id})
        return None if found is None else int(found)

    def deactivate(self, user_id: str) -> bool:
        """Close an active account and revoke its tokens; False when there is none."""
        done = self.conn.execute(
            sa.update(users)
            .where(users.c.id == user_id, users.c.is_active.is_(True))
            .values(is_active=False, token_version=users.c.token_version + 1)
        )
        return bool(done.rowcount)

    def set_password(self, user_id: str, password_hash: str, *, revoke_tokens: bool) -> None:
        """Store a new hash; ``revoke_tokens`` for a new password (not for a re-hash)."""
        values: dict[str, Any] = {"password_hash": password_hash}
        if revoke_tokens:
            values["token_version"] = users.c.token_version + 1
        self.conn.execute(sa.update(users).where(users.c.id == user_id).values(values))


class ApiKeyRepository:
    """API keys (their hashes, never the secrets) on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, values: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(api_keys).values(values))

    def revoke(self, key_id: str, *, at: datetime) -> bool:
        """Stamp an active key revoked; False when there is no such active key."""
        done = self.conn.execute(
            sa.update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return bool(done.rowcount)

    def holder(self, key_hash: str) -> StoredRow | None:
        """The active user (``id``, ``role``) holding the unrevoked key with ``key_hash``."""
        return self.conn.execute(
            sa.select(users.c.id, users.c.role)
            .join(api_keys, api_keys.c.user_id == users.c.id)
            .where(
                api_keys.c.key_hash == key_hash,
                api_keys.c.revoked_at.is_(None),
                users.c.is_active.is_(True),
            )
        ).first()


class ApplicantRepository:
    """Applicant profiles, sealed, on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, values: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(applicants).values(values))

    def get(self, applicant_id: str) -> StoredRow | None:
        return self.conn.execute(
            sa.select(applicants).where(applicants.c.id == applicant_id)
        ).first()

    def exists(self, applicant_id: str) -> bool:
        return (
            self.conn.execute(
                sa.select(applicants.c.id).where(applicants.c.id == applicant_id)
            ).first()
            is not None
        )

    def has_user_or_id_number(self, user_id: str, id_number_hash: str) -> bool:
        """Whether a profile exists for this account or this (hashed) ID number."""
        return (
            self.conn.execute(
                sa.select(applicants.c.id).where(
                    sa.or_(
                        applicants.c.user_id == user_id,
                        applicants.c.id_number_hash == id_number_hash,
                    )
                )
            ).first()
            is not None
        )

    def page(self, *, limit: int, offset: int) -> Sequence[StoredRow]:
        """Oldest first."""
        return self.conn.execute(
            sa.select(applicants)
            .order_by(applicants.c.created_at, applicants.c.id)
            .limit(limit)
            .offset(offset)
        ).all()

    def owner(self, applicant_id: str) -> str | None:
        owner = self.conn.execute(
            sa.select(applicants.c.user_id).where(applicants.c.id == applicant_id)
        ).scalar()
        return None if owner is None else str(owner)

    def id_of_user(self, user_id: str) -> str | None:
        found = self.conn.execute(
            sa.select(applicants.c.id).where(applicants.c.user_id == user_id)
        ).scalar()
        return None if found is None else str(found)

    def not_under_key(self, key_id: str, *, limit: int) -> Sequence[StoredRow]:
        """Up to ``limit`` profiles sealed under a key other than ``key_id``, by id."""
        return self.conn.execute(
            sa.select(applicants)
            .where(applicants.c.key_id != key_id)
            .order_by(applicants.c.id)
            .limit(limit)
        ).all()

    def reseal(self, applicant_id: str, *, key_id: str, sealed: dict[str, str]) -> None:
        """Store a profile's ciphertexts (``name_enc`` …) sealed again under ``key_id``."""
        self.conn.execute(
            sa.update(applicants)
            .where(applicants.c.id == applicant_id)
            .values(key_id=key_id, **sealed)
        )
