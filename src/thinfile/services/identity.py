"""Identity use cases: sign up, sign in, staff accounts, API keys.

Each function is one unit of work: it opens one transaction (:class:`UnitOfWork`) and commits
once.
Applicant profiles (the borrower's sealed personal data) are in
:mod:`thinfile.services.applicants`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy.engine import Engine

from thinfile.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
)
from thinfile.security.apikeys import ApiKey, hash_api_key, new_api_key
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import COLLECTION_ROLES, STAFF_ROLES, Role
from thinfile.security.tokens import TokenClaims
from thinfile.services.audit import record_audit
from thinfile.services.conflicts import duplicate_is_conflict
from thinfile.services.identity_records import (
    PHONE_ACCOUNT_DOMAIN,
    Actor,
    UserRecord,
    as_utc,
    new_id,
    now_utc,
    shown_email,
)
from thinfile.services.uow import UnitOfWork, defer_token_check

__all__ = [
    "authenticate_api_key",
    "change_password",
    "create_api_key",
    "create_user",
    "deactivate_user",
    "get_user",
    "holder_of_token",
    "revoke_api_key",
    "sign_in",
    "sign_out",
    "sign_up",
    "staff_names",
]


def _email_taken() -> ConflictError:
    return ConflictError(
        "an account with this e-mail already exists",
        field="email",
        remedy="sign in, or use another e-mail address",
    )


def _own_address(email: str) -> str:
    """``email`` as stored (trimmed, lower case), refused when it is in the domain reserved for
    accounts opened by phone: such an account would be shown without an e-mail, as a phone
    account is, and could be taken for one."""
    email = email.strip().lower()
    if email.endswith(PHONE_ACCOUNT_DOMAIN):
        raise InvalidInputError(
            f"addresses ending {PHONE_ACCOUNT_DOMAIN} are reserved for accounts opened by phone",
            field="email",
            remedy="use an e-mail address of your own, or sign in by phone with an SMS code",
        )
    return email


def _user(row: Any) -> UserRecord:
    return UserRecord(
        id=str(row.id),
        email=shown_email(str(row.email)),
        role=Role(str(row.role)),
        created_at=as_utc(row.created_at),
        token_version=int(row.token_version),
    )


def create_user(
    engine: Engine,
    hasher: PasswordHasher,
    *,
    email: str,
    password: str,
    role: Role = Role.BORROWER,
    actor: Actor | None = None,
) -> UserRecord:
    """A new account; borrowers sign themselves up, staff and merchants are made by an admin.
    An address of the domain reserved for phone accounts is refused."""
    email = _own_address(email)
    password_hash = hasher.hash(password)
    with UnitOfWork(engine) as uow, duplicate_is_conflict(_email_taken):
        if uow.users.has_email(email):
            raise _email_taken()
        user_id = new_id()
        uow.users.add(
            {
                "id": user_id,
                "email": email,
                "password_hash": password_hash,
                "role": role.value,
                "is_active": True,
                "created_at": now_utc(),
            }
        )
        user = _user(uow.users.get(user_id))
        if actor is not None:
            record_audit(
                uow, actor.label, "staff.create_user", f"user:{user_id}", {"role": role.value}
            )
        uow.commit()
    return user


def sign_up(engine: Engine, hasher: PasswordHasher, *, email: str, password: str) -> bool:
    """A borrower opens an account; False, and nothing changed, when the e-mail is taken.

    Callers answer both cases alike (the account is ready, or the address already had one
    whose owner signs in with their own password), so that sign-up does not tell a stranger
    which addresses hold accounts. The password is hashed either way. An address of the
    domain reserved for phone accounts is refused (:class:`InvalidInputError`), whether or not
    it is taken: that says nothing about who has an account.
    """
    email = _own_address(email)
    password_hash = hasher.hash(password)
    with UnitOfWork(engine) as uow:
        if uow.users.has_email(email):
            return False
        uow.users.add(
            {
                "id": new_id(),
                "email": email,
                "password_hash": password_hash,
                "role": Role.BORROWER.value,
                "is_active": True,
                "created_at": now_utc(),
            }
        )
        uow.commit()
    return True


def get_user(engine: Engine, user_id: str) -> UserRecord:
    with UnitOfWork(engine) as uow:
        row = uow.users.get(user_id)
    if row is None:
        raise NotFoundError("no such user", field="user_id", value=user_id)
    return _user(row)


def staff_names(engine: Engine, labels: Iterable[str]) -> dict[str, str]:
    """The e-mail address of each staff member named by an audit label (``role:user_id``, as
    a review records its reviewer) or by a bare user id (as a hardship plan records who
    proposed it), for pages that show who did something. A value that names no staff
    account (a borrower, a deleted user, ``system``) is left out."""
    names: dict[str, str] = {}
    with UnitOfWork(engine) as uow:
        for label in set(labels):
            user_id = label.partition(":")[2] if ":" in label else label
            row = uow.users.get(user_id) if user_id else None
            if row is not None and Role(str(row.role)) in STAFF_ROLES | COLLECTION_ROLES:
                names[label] = str(row.email)
    return names


def sign_in(
    engine: Engine, hasher: PasswordHasher, *, email: str, password: str, client: str
) -> UserRecord:
    """The user whose password matches; every attempt, good or bad, is audited.

    An unknown address costs the same hash verification as a known one (see
    :meth:`PasswordHasher.verify`), and a hash made with weaker parameters than today's is
    replaced on a successful sign-in.
    """
    email = email.strip().lower()
    with UnitOfWork(engine) as uow:
        row = uow.users.active_by_email(email)
        stored = row.password_hash if row else None
        ok = hasher.verify(stored, password)
        if ok and row is not None:
            if stored and hasher.needs_rehash(stored):
                uow.users.set_password(row.id, hasher.hash(password), revoke_tokens=False)
            record_audit(
                uow, f"{row.role}:{row.id}", "auth.sign_in", f"user:{row.id}", {"client": client}
            )
            uow.commit()
            return _user(row)
        email_digest = hashlib.sha256(email.encode()).hexdigest()[:16]
        record_audit(
            uow, "anonymous", "auth.sign_in_failed", f"email:{email_digest}", {"client": client}
        )
        uow.commit()
    raise AuthenticationError("the e-mail or password is wrong", remedy="check both and retry")


def holder_of_token(engine: Engine, claims: TokenClaims, *, deferred: bool = False) -> Actor:
    """The caller a validly signed token speaks for, if its account still honours it: the
    account is active and its token version is the token's (deactivation and a password
    change raise it); :class:`AuthenticationError` otherwise.

    ``deferred``: check in the first unit of work the request opens anyway (see
    :mod:`thinfile.services.uow`) rather than in one of its own.
    """
    defer_token_check(claims.user_id, claims.version)
    if not deferred:
        with UnitOfWork(engine):
            pass  # the unit checks the token as it opens
    return Actor(user_id=claims.user_id, role=claims.role)


def sign_out(engine: Engine, *, actor: Actor) -> None:
    """End every session of the caller's account: its token version goes up, so each token
    issued before (this one, another device's, a copy of either) is refused from the next
    request on, rather than when it expires. An account opened by phone has no password to
    change; this is how it revokes a token. Audited."""
    with UnitOfWork(engine) as uow:
        if uow.users.revoke_tokens(actor.user_id):
            record_audit(uow, actor.label, "auth.sign_out", f"user:{actor.user_id}", {})
            uow.commit()


def deactivate_user(engine: Engine, *, user_id: str, actor: Actor) -> None:
    """Close an account: it can no longer sign in, and its tokens are refused at once."""
    with UnitOfWork(engine) as uow:
        if not uow.users.deactivate(user_id):
            raise NotFoundError("no such active user", field="user_id", value=user_id)
        record_audit(uow, actor.label, "staff.deactivate_user", f"user:{user_id}", {})
        uow.commit()


def change_password(
    engine: Engine,
    hasher: PasswordHasher,
    *,
    user_id: str,
    current_password: str,
    new_password: str,
) -> UserRecord:
    """Replace the caller's password after checking the current one; every token issued
    before is refused from now on (the caller signs in with the returned record's version)."""
    new_hash = hasher.hash(new_password)
    with UnitOfWork(engine) as uow:
        row = uow.users.get(user_id)
        active = row is not None and bool(row.is_active)
        stored = row.password_hash if row is not None and active else None
        if not hasher.verify(stored, current_password) or row is None:
            raise AuthenticationError(
                "the current password is wrong", field="current_password", remedy="retry"
            )
        uow.users.set_password(user_id, new_hash, revoke_tokens=True)
        record_audit(uow, f"{row.role}:{user_id}", "auth.change_password", f"user:{user_id}", {})
        user = _user(uow.users.get(user_id))
        uow.commit()
    return user


def create_api_key(engine: Engine, *, user_id: str, name: str, actor: Actor) -> tuple[str, ApiKey]:
    """A new API key for ``user_id``; the secret is returned here and never stored."""
    key = new_api_key()
    key_id = new_id()
    with UnitOfWork(engine) as uow:
        if not uow.users.exists(user_id):
            raise NotFoundError("no such user", field="user_id", value=user_id)
        uow.api_keys.add(
            {
                "id": key_id,
                "user_id": user_id,
                "name": name,
                "prefix": key.prefix,
                "key_hash": key.digest,
                "created_at": now_utc(),
            }
        )
        record_audit(
            uow,
            actor.label,
            "staff.create_api_key",
            f"api_key:{key_id}",
            {"user_id": user_id, "prefix": key.prefix},
        )
        uow.commit()
    return key_id, key


def revoke_api_key(engine: Engine, *, key_id: str, actor: Actor) -> None:
    with UnitOfWork(engine) as uow:
        if not uow.api_keys.revoke(key_id, at=now_utc()):
            raise NotFoundError("no such active API key", field="key_id", value=key_id)
        record_audit(uow, actor.label, "staff.revoke_api_key", f"api_key:{key_id}", {})
        uow.commit()


def authenticate_api_key(engine: Engine, secret: str) -> Actor:
    with UnitOfWork(engine) as uow:
        row = uow.api_keys.holder(hash_api_key(secret))
    if row is None:
        raise AuthenticationError("the API key is not valid", remedy="ask an admin for a key")
    return Actor(user_id=str(row.id), role=Role(str(row.role)))
