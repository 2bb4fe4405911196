"""Applicant profiles: register one, show it to its owner or (masked) to staff, list them.

Each function is one unit of work: it opens one transaction (:class:`UnitOfWork`) and commits
once. Personal data is sealed with :class:`~thinfile.security.PiiCipher` before it reaches a
table; staff see it masked, and every staff view is written to the audit log.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.engine import Engine

from thinfile.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError
from thinfile.resident_id import validate_id_number, validate_mobile
from thinfile.security.crypto import PiiCipher
from thinfile.security.pii import mask_id_number, mask_name, mask_phone
from thinfile.services.audit import record_audit
from thinfile.services.business_date import lender_today
from thinfile.services.conflicts import duplicate_is_conflict
from thinfile.services.identity_records import Actor, ApplicantRecord, as_utc, new_id, now_utc
from thinfile.services.uow import UnitOfWork
from thinfile.text import person_name

__all__ = [
    "applicant_id_of_user",
    "get_applicant",
    "identity_of_user",
    "list_applicants",
    "owner_of_applicant",
    "register_applicant",
]

_FIELDS = ("name", "id_number", "phone")


def _already_registered() -> ConflictError:
    return ConflictError(
        "an applicant profile already exists for this account or ID",
        remedy="view the existing profile at /v1/me/applicant",
    )


def _phone_taken() -> ConflictError:
    return ConflictError(
        "this mobile number belongs to another account",
        field="phone",
        remedy="give your own mobile number (the one you sign in with, if you sign in by SMS); "
        "if this number is yours, contact the lender",
    )


def _profile_fields(name: str, id_number: str, phone: str, today: date) -> tuple[str, str, str]:
    """The three fields as stored; every bad one is reported at once, not the first alone."""
    checks = (
        ("name", name, person_name),
        ("id_number", id_number, lambda text: validate_id_number(text, on=today)),
        ("phone", phone, validate_mobile),
    )
    read: list[str] = []
    refused: list[tuple[str, InvalidInputError]] = []
    for field, text, check in checks:
        try:
            read.append(check(text))
        except InvalidInputError as error:
            refused.append((field, error))
    if len(refused) == 1:
        raise refused[0][1]
    if refused:
        raise InvalidInputError(
            "the profile is not valid",
            problems=[
                FieldProblem(error.field or field, error.message) for field, error in refused
            ],
            remedy="correct each field named and send the profile again",
        )
    return read[0], read[1], read[2]


def register_applicant(
    engine: Engine,
    cipher: PiiCipher,
    *,
    actor: Actor,
    name: str,
    id_number: str,
    phone: str,
    on: date | None = None,
) -> ApplicantRecord:
    """The borrower's applicant profile, sealed at rest; one per account and per ID number.

    Name, ID number and phone are read as typed anywhere (API, pages, command line): NFKC, then
    ASCII only for the numbers, so a full-width ID number is the same person and finds the same
    profile and deny-list entry. The ID's holder must be at least ``MIN_BORROWER_AGE`` on ``on``
    (default today in the lender's time zone). Bad input raises a typed
    :class:`~thinfile.errors.InvalidInputError` naming the field, before anything is written.

    Reminders go to the profile's phone and collections treat it as the borrower's own, so a
    phone that another account signs in with by SMS, or that another profile gives, is refused
    (:class:`~thinfile.errors.ConflictError` on ``phone``): nobody names a stranger's number,
    nor a number already proved to be someone else's, as their own."""
    today = on or lender_today()  # an 18th birthday counts from local midnight
    name, id_number, phone = _profile_fields(name, id_number, phone, today)
    applicant_id = new_id()
    sealed = {
        f: cipher.encrypt(v, context=f"applicant:{applicant_id}:{f}")
        for f, v in zip(_FIELDS, (name, id_number, phone), strict=True)
    }
    id_hash = cipher.lookup_hash("id_number", id_number)
    phone_hash = cipher.lookup_hash("phone", phone)
    with UnitOfWork(engine) as uow, duplicate_is_conflict(_already_registered):
        if uow.applicants.has_user_or_id_number(actor.user_id, id_hash):
            raise _already_registered()
        holders = {uow.applicants.holder_of_phone(phone_hash), uow.user_phones.user_of(phone_hash)}
        if holders - {None, actor.user_id}:
            raise _phone_taken()
        created = now_utc()
        uow.applicants.add(
            {
                "id": applicant_id,
                "user_id": actor.user_id,
                "name_enc": sealed["name"],
                "id_number_enc": sealed["id_number"],
                "phone_enc": sealed["phone"],
                "id_number_hash": id_hash,
                "phone_hash": phone_hash,
                "key_id": cipher.active_key_id,
                "created_at": created,
            }
        )
        record_audit(uow, actor.label, "applicant.register", f"applicant:{applicant_id}", {})
        uow.commit()
    return ApplicantRecord(applicant_id, actor.user_id, name, id_number, phone, created, False)


def _open(row: Any, cipher: PiiCipher, *, masked: bool) -> ApplicantRecord:
    plain = {
        f: cipher.decrypt(str(getattr(row, f"{f}_enc")), context=f"applicant:{row.id}:{f}")
        for f in _FIELDS
    }
    if masked:
        plain = {
            "name": mask_name(plain["name"]),
            "id_number": mask_id_number(plain["id_number"]),
            "phone": mask_phone(plain["phone"]),
        }
    return ApplicantRecord(
        str(row.id),
        str(row.user_id),
        plain["name"],
        plain["id_number"],
        plain["phone"],
        as_utc(row.created_at),
        masked,
    )


def get_applicant(
    engine: Engine, cipher: PiiCipher, *, applicant_id: str, actor: Actor
) -> ApplicantRecord:
    """The owner sees their own profile; staff see it masked, and the view is audited."""
    with UnitOfWork(engine) as uow:
        row = uow.applicants.get(applicant_id)
        if row is None:
            raise NotFoundError("no such applicant", field="applicant_id", value=applicant_id)
        is_owner = row.user_id == actor.user_id
        record = _open(row, cipher, masked=not is_owner)
        if not is_owner:
            record_audit(uow, actor.label, "staff.view_applicant", f"applicant:{row.id}", {})
            uow.commit()
    return record


def list_applicants(
    engine: Engine, cipher: PiiCipher, *, actor: Actor, limit: int, offset: int
) -> list[ApplicantRecord]:
    """A page of applicants for staff, masked; the listing is audited."""
    with UnitOfWork(engine) as uow:
        rows = uow.applicants.page(limit=limit, offset=offset)
        records = [_open(row, cipher, masked=True) for row in rows]
        record_audit(
            uow,
            actor.label,
            "staff.list_applicants",
            "applicants",
            {"limit": limit, "offset": offset, "count": len(rows)},
        )
        uow.commit()
    return records


def owner_of_applicant(uow: UnitOfWork, applicant_id: str) -> str | None:
    """The user id owning ``applicant_id``, or None when there is no such applicant."""
    return uow.applicants.owner(applicant_id)


def applicant_id_of_user(engine: Engine, user_id: str) -> str:
    with UnitOfWork(engine) as uow:
        found = uow.applicants.id_of_user(user_id)
    if found is None:
        raise NotFoundError(
            "you have no applicant profile yet", remedy="register one with POST /v1/applicants"
        )
    return found


def identity_of_user(uow: UnitOfWork, cipher: PiiCipher, user_id: str) -> ApplicantRecord | None:
    """Inside the caller's unit of work: the user's profile opened (name, ID number, phone),
    or None when they have none. For documents that name their borrower (the contract)."""
    row = uow.applicants.of_user(user_id)
    return None if row is None else _open(row, cipher, masked=False)
