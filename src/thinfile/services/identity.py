"""Identity use cases: sign up, sign in, staff accounts, API keys, applicant profiles.

Each function is one unit of work: it opens one transaction from ``sessions`` and commits once.
Personal data is sealed with :class:`~thinfile.security.PiiCipher` before it reaches a table;
staff see it masked, and every staff view is written to the audit log.
"""

from __future__ import annotations

import hashlib
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from thinfile.errors import AuthenticationError, ConflictError, NotFoundError
from thinfile.security.apikeys import ApiKey, hash_api_key, new_api_key
from thinfile.security.crypto import PiiCipher
from thinfile.security.passwords import PasswordHasher
from thinfile.security.pii import (
    mask_id_number,
    mask_name,
    mask_phone,
    normalize_id_number,
    normalize_phone,
)
from thinfile.security.roles import Role
from thinfile.services.audit import record_audit
from thinfile.services.identity_records import (
    Actor,
    ApplicantRecord,
    Sessions,
    UserRecord,
    as_utc,
    new_id,
    now_utc,
)
from thinfile.store.identity_tables import api_keys, applicants, users

__all__ = [
    "applicant_id_of_user",
    "authenticate_api_key",
    "create_api_key",
    "create_user",
    "get_applicant",
    "get_user",
    "list_applicants",
    "owner_of_applicant",
    "register_applicant",
    "revoke_api_key",
    "sign_in",
]

_FIELDS = ("name", "id_number", "phone")


def _user(row: sa.Row[tuple[object, ...]]) -> UserRecord:
    return UserRecord(id=str(row.id), email=str(row.email), role=Role(str(row.role)),
                      created_at=as_utc(row.created_at))


def create_user(sessions: Sessions, hasher: PasswordHasher, *, email: str, password: str,
                role: Role = Role.BORROWER, actor: Actor | None = None) -> UserRecord:
    """A new account; borrowers sign themselves up, staff and merchants are made by an admin."""
    email = email.strip().lower()
    password_hash = hasher.hash(password)
    with sessions.begin() as session:
        if session.execute(sa.select(users.c.id).where(users.c.email == email)).first():
            raise ConflictError("an account with this e-mail already exists", field="email",
                                remedy="sign in, or use another e-mail address")
        user_id = new_id()
        session.execute(sa.insert(users).values(
            id=user_id, email=email, password_hash=password_hash, role=role.value,
            is_active=True, created_at=now_utc()))
        if actor is not None:
            record_audit(session, actor.label, "staff.create_user", f"user:{user_id}",
                         {"role": role.value})
        row = session.execute(sa.select(users).where(users.c.id == user_id)).one()
        return _user(row)


def get_user(sessions: Sessions, user_id: str) -> UserRecord:
    with sessions.begin() as session:
        row = session.execute(sa.select(users).where(users.c.id == user_id)).first()
    if row is None:
        raise NotFoundError("no such user", field="user_id", value=user_id)
    return _user(row)


def sign_in(sessions: Sessions, hasher: PasswordHasher, *, email: str, password: str,
            client: str) -> UserRecord:
    """The user whose password matches; every attempt, good or bad, is audited."""
    email = email.strip().lower()
    with sessions.begin() as session:
        row = session.execute(
            sa.select(users).where(users.c.email == email, users.c.is_active.is_(True))
        ).first()
        ok = hasher.verify(row.password_hash if row else None, password)
        if ok and row is not None:
            record_audit(session, f"{row.role}:{row.id}", "auth.sign_in", f"user:{row.id}",
                         {"client": client})
            return _user(row)
        email_digest = hashlib.sha256(email.encode()).hexdigest()[:16]
        record_audit(session, "anonymous", "auth.sign_in_failed", f"email:{email_digest}",
                     {"client": client})
    raise AuthenticationError("the e-mail or password is wrong", remedy="check both and retry")


def create_api_key(sessions: Sessions, *, user_id: str, name: str,
                   actor: Actor) -> tuple[str, ApiKey]:
    """A new API key for ``user_id``; the secret is returned here and never stored."""
    key = new_api_key()
    key_id = new_id()
    with sessions.begin() as session:
        if not session.execute(sa.select(users.c.id).where(users.c.id == user_id)).first():
            raise NotFoundError("no such user", field="user_id", value=user_id)
        session.execute(sa.insert(api_keys).values(
            id=key_id, user_id=user_id, name=name, prefix=key.prefix, key_hash=key.digest,
            created_at=now_utc()))
        record_audit(session, actor.label, "staff.create_api_key", f"api_key:{key_id}",
                     {"user_id": user_id, "prefix": key.prefix})
    return key_id, key


def revoke_api_key(sessions: Sessions, *, key_id: str, actor: Actor) -> None:
    with sessions.begin() as session:
        result = session.execute(
            sa.update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now_utc())
        )
        done = cast("sa.CursorResult[tuple[()]]", result).rowcount
        if not done:
            raise NotFoundError("no such active API key", field="key_id", value=key_id)
        record_audit(session, actor.label, "staff.revoke_api_key", f"api_key:{key_id}", {})


def authenticate_api_key(sessions: Sessions, secret: str) -> Actor:
    with sessions.begin() as session:
        row = session.execute(
            sa.select(users.c.id, users.c.role).join(api_keys, api_keys.c.user_id == users.c.id)
            .where(api_keys.c.key_hash == hash_api_key(secret), api_keys.c.revoked_at.is_(None),
                   users.c.is_active.is_(True))
        ).first()
    if row is None:
        raise AuthenticationError("the API key is not valid", remedy="ask an admin for a key")
    return Actor(user_id=str(row.id), role=Role(str(row.role)))


def register_applicant(sessions: Sessions, cipher: PiiCipher, *, actor: Actor, name: str,
                       id_number: str, phone: str) -> ApplicantRecord:
    """The borrower's applicant profile, sealed at rest; one per account and per ID number."""
    id_number, phone, name = normalize_id_number(id_number), normalize_phone(phone), name.strip()
    applicant_id = new_id()
    sealed = {f: cipher.encrypt(v, context=f"applicant:{applicant_id}:{f}")
              for f, v in zip(_FIELDS, (name, id_number, phone), strict=True)}
    id_hash = cipher.lookup_hash("id_number", id_number)
    with sessions.begin() as session:
        if session.execute(sa.select(applicants.c.id).where(
                sa.or_(applicants.c.user_id == actor.user_id,
                       applicants.c.id_number_hash == id_hash))).first():
            raise ConflictError("an applicant profile already exists for this account or ID",
                                remedy="view the existing profile at /v1/me/applicant")
        created = now_utc()
        session.execute(sa.insert(applicants).values(
            id=applicant_id, user_id=actor.user_id, name_enc=sealed["name"],
            id_number_enc=sealed["id_number"], phone_enc=sealed["phone"],
            id_number_hash=id_hash, phone_hash=cipher.lookup_hash("phone", phone),
            key_id=cipher.active_key_id, created_at=created))
        record_audit(session, actor.label, "applicant.register", f"applicant:{applicant_id}", {})
    return ApplicantRecord(applicant_id, actor.user_id, name, id_number, phone, created, False)


def _open(row: sa.Row[tuple[object, ...]], cipher: PiiCipher, *, masked: bool) -> ApplicantRecord:
    plain = {f: cipher.decrypt(str(getattr(row, f"{f}_enc")), context=f"applicant:{row.id}:{f}")
             for f in _FIELDS}
    if masked:
        plain = {"name": mask_name(plain["name"]), "id_number": mask_id_number(plain["id_number"]),
                 "phone": mask_phone(plain["phone"])}
    return ApplicantRecord(str(row.id), str(row.user_id), plain["name"], plain["id_number"],
                           plain["phone"], as_utc(row.created_at), masked)


def get_applicant(sessions: Sessions, cipher: PiiCipher, *, applicant_id: str,
                  actor: Actor) -> ApplicantRecord:
    """The owner sees their own profile; staff see it masked, and the view is audited."""
    with sessions.begin() as session:
        row = session.execute(sa.select(applicants).where(applicants.c.id == applicant_id)).first()
        if row is None:
            raise NotFoundError("no such applicant", field="applicant_id", value=applicant_id)
        is_owner = row.user_id == actor.user_id
        if not is_owner:
            record_audit(session, actor.label, "staff.view_applicant", f"applicant:{row.id}", {})
        return _open(row, cipher, masked=not is_owner)


def list_applicants(sessions: Sessions, cipher: PiiCipher, *, actor: Actor, limit: int,
                    offset: int) -> list[ApplicantRecord]:
    """A page of applicants for staff, masked; the listing is audited."""
    with sessions.begin() as session:
        rows = session.execute(sa.select(applicants).order_by(applicants.c.created_at,
                                                              applicants.c.id)
                               .limit(limit).offset(offset)).all()
        record_audit(session, actor.label, "staff.list_applicants", "applicants",
                     {"limit": limit, "offset": offset, "count": len(rows)})
        return [_open(row, cipher, masked=True) for row in rows]


def owner_of_applicant(session: Session, applicant_id: str) -> str | None:
    """The user id owning ``applicant_id``, or None when there is no such applicant."""
    owner = session.execute(
        sa.select(applicants.c.user_id).where(applicants.c.id == applicant_id)).scalar()
    return None if owner is None else str(owner)


def applicant_id_of_user(sessions: Sessions, user_id: str) -> str:
    with sessions.begin() as session:
        found = session.execute(
            sa.select(applicants.c.id).where(applicants.c.user_id == user_id)).scalar()
    if found is None:
        raise NotFoundError("you have no applicant profile yet",
                            remedy="register one with POST /v1/applicants")
    return str(found)
