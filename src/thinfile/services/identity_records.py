"""What the identity, consent and audit use cases hand back: frozen records, never table rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from thinfile.security.roles import STAFF_ROLES, Role

__all__ = [
    "PHONE_ACCOUNT_DOMAIN",
    "SYSTEM",
    "Actor",
    "ApplicantRecord",
    "ConsentRecord",
    "UserRecord",
    "as_utc",
    "new_id",
    "now_utc",
    "shown_email",
]

PHONE_ACCOUNT_DOMAIN = "@phone.invalid"
"""An account opened by phone has no e-mail address; its e-mail column (required since the
first schema) holds ``<user id>@phone.invalid`` — a reserved domain that never receives mail —
and the account is shown without an e-mail."""


def shown_email(stored: str) -> str | None:
    """The account's e-mail address, or None for an account opened by phone."""
    return None if stored.endswith(PHONE_ACCOUNT_DOMAIN) else stored


def new_id() -> str:
    return uuid.uuid4().hex


def now_utc() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored moment is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who performs a use case; ``label`` is how the audit log names them."""

    user_id: str
    role: Role

    @property
    def label(self) -> str:
        return f"{self.role.value}:{self.user_id}"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


SYSTEM = Actor(user_id="system", role=Role.ADMIN)


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: str
    email: str | None
    role: Role
    created_at: datetime
    token_version: int = 0
    """Tokens for this account carry it (:class:`~thinfile.security.tokens.TokenClaims`)."""


@dataclass(frozen=True, slots=True)
class ApplicantRecord:
    """An applicant's profile; ``is_masked`` says whether the identifiers are masked."""

    id: str
    user_id: str
    name: str
    id_number: str
    phone: str
    created_at: datetime
    is_masked: bool


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    id: str
    applicant_id: str
    data_category: str
    purpose: str
    is_sensitive: bool
    is_separate: bool
    notice_version: str
    granted_at: datetime
    revoked_at: datetime | None

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
