"""Users, API keys and applicant profiles (personal data arrives sealed, never in plain text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.hot import Hot
from thinfile.store.identity_tables import api_keys, applicants, users

__all__ = [
    "ApiKeyRepository",
    "ApplicantRepository",
    "KeyHolder",
    "StoredApplicant",
    "StoredUser",
    "UserRepository",
]


@dataclass(frozen=True, slots=True)
class StoredUser:
    """An account as stored (``password_hash`` None for an account that signs in otherwise)."""

    id: str
    email: str
    password_hash: str | None
    role: str
    is_active: bool
    created_at: datetime
    token_version: int
    """Raised when the account is deactivated or its password changed: older tokens stop."""


@dataclass(frozen=True, slots=True)
class KeyHolder:
    """The active user holding an API key."""

    id: str
    role: str


@dataclass(frozen=True, slots=True)
class StoredApplicant:
    """An applicant profile: name, ID number and phone sealed (``*_enc``, under ``key_id``)
    and looked up by keyed hashes."""

    id: str
    user_id: str
    name_enc: str
    id_number_enc: str
    phone_enc: str
    id_number_hash: str
    phone_hash: str
    key_id: str
    created_at: datetime


_USER = sa.select(*(users.c[n] for n in StoredUser.__dataclass_fields__))
_APPLICANT = sa.select(*(applicants.c[n] for n in StoredApplicant.__dataclass_fields__))

_KEY_HOLDER = Hot(
    sa.select(users.c.id, users.c.role)
    .join(api_keys, api_keys.c.user_id == users.c.id)
    .where(
        api_keys.c.key_hash == sa.bindparam("key_hash"),
        api_keys.c.revoked_at.is_(None),
        users.c.is_active.is_(True),
    )
)  # every merchant API call authenticates with it
_APPLICANT_OF_USER = Hot(
    sa.select(applicants.c.id).where(applicants.c.user_id == sa.bindparam("user_id"))
)
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

    def get(self, user_id: str) -> StoredUser | None:
        row = self.conn.execute(_USER.where(users.c.id == user_id)).first()
        return None if row is None else StoredUser(*row)

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

    def active_by_email(self, email: str) -> StoredUser | None:
        row = self.conn.execute(
            _USER.where(users.c.email == email, users.c.is_active.is_(True))
        ).first()
        return None if row is None else StoredUser(*row)

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

    def revoke_tokens(self, user_id: str) -> bool:
        """Raise the account's token version, so every token issued before is refused (signing
        out); False when there is no such account."""
        done = self.conn.execute(
            sa.update(users)
            .where(users.c.id == user_id)
            .values(token_version=users.c.token_version + 1)
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

    def holder(self, key_hash: str) -> KeyHolder | None:
        """The active user holding the unrevoked key with ``key_hash``."""
        row = _KEY_HOLDER.first(self.conn, {"key_hash": key_hash})
        return None if row is None else KeyHolder(*row)


class ApplicantRepository:
    """Applicant profiles, sealed, on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, values: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(applicants).values(values))

    def get(self, applicant_id: str, *, lock: bool = False) -> StoredApplicant | None:
        """The profile; ``lock`` holds it to the end of the transaction against another
        locking reader (PostgreSQL ``FOR NO KEY UPDATE``: rows that merely refer to the
        profile, its consents and applications, are still written meanwhile; SQLite already
        serialises writers with ``BEGIN IMMEDIATE``)."""
        query = _APPLICANT.where(applicants.c.id == applicant_id)
        row = self.conn.execute(query.with_for_update(key_share=True) if lock else query).first()
        return None if row is None else StoredApplicant(*row)

    def of_user(self, user_id: str) -> StoredApplicant | None:
        """The profile of account ``user_id`` (one statement; a user has at most one)."""
        row = self.conn.execute(_APPLICANT.where(applicants.c.user_id == user_id)).first()
        return None if row is None else StoredApplicant(*row)

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

    def holder_of_phone(self, phone_hash: str) -> str | None:
        """The user whose profile gives this (hashed) phone, if any.

        On PostgreSQL the phone is locked first, to the end of the transaction (a transaction
        advisory lock), so two registrations giving one phone at once cannot both find it
        free; SQLite already serialises writers with ``BEGIN IMMEDIATE``."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(
                sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                {"key": f"applicant:phone:{phone_hash}"},
            )
        found = self.conn.execute(
            sa.select(applicants.c.user_id).where(applicants.c.phone_hash == phone_hash).limit(1)
        ).scalar()
        return None if found is None else str(found)

    def page(self, *, limit: int, offset: int) -> list[StoredApplicant]:
        """Oldest first."""
        rows = self.conn.execute(
            _APPLICANT.order_by(applicants.c.created_at, applicants.c.id)
            .limit(limit)
            .offset(offset)
        )
        return [StoredApplicant(*r) for r in rows]

    def owner(self, applicant_id: str) -> str | None:
        owner = self.conn.execute(
            sa.select(applicants.c.user_id).where(applicants.c.id == applicant_id)
        ).scalar()
        return None if owner is None else str(owner)

    def id_of_user(self, user_id: str) -> str | None:
        found = _APPLICANT_OF_USER.scalar(self.conn, {"user_id": user_id})
        return None if found is None else str(found)

    def not_under_key(self, key_id: str, *, limit: int) -> list[StoredApplicant]:
        """Up to ``limit`` profiles sealed under a key other than ``key_id``, by id."""
        rows = self.conn.execute(
            _APPLICANT.where(applicants.c.key_id != key_id).order_by(applicants.c.id).limit(limit)
        )
        return [StoredApplicant(*r) for r in rows]

    def reseal(self, applicant_id: str, *, key_id: str, sealed: dict[str, str]) -> None:
        """Store a profile's ciphertexts (``name_enc`` …) sealed again under ``key_id``."""
        self.conn.execute(
            sa.update(applicants)
            .where(applicants.c.id == applicant_id)
            .values(key_id=key_id, **sealed)
        )
