"""Consent (同意): what data, for which purpose, when — revocable, recorded one by one.

PIPL art. 14 wants consent informed, voluntary and explicit; art. 29 wants **separate
consent** (单独同意) for sensitive personal information (art. 28: financial accounts, location
tracks, biometrics). Every record covers exactly one data category and one purpose; for a
sensitive category the client must confirm it showed a standalone notice (``separate=True``).
Granting is idempotent: at most one active record per applicant, category and purpose (a
partial unique index holds it even under concurrent requests); a grant on a newer notice
supersedes the active one. Revoking keeps the record and stamps ``revoked_at``. Other use
cases ask :func:`has_consent` inside their own unit of work before using a category of data
for a purpose; a use made at a stated moment (a collection contact) asks :func:`has_consent_at`,
so that a consent given after that moment, or revoked before it, never covers it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from thinfile.errors import ConflictError, InvalidInputError, NotFoundError
from thinfile.services.audit import record_audit
from thinfile.services.identity_records import (
    Actor,
    ConsentRecord,
    as_utc,
    new_id,
    now_utc,
)
from thinfile.services.uow import UnitOfWork

__all__ = [
    "SENSITIVE_CATEGORIES",
    "DataCategory",
    "Purpose",
    "grant_consent",
    "has_consent",
    "has_consent_at",
    "list_consents",
    "owner_of_consent",
    "revoke_consent",
]


class DataCategory(StrEnum):
    IDENTITY = "identity"
    CONTACT = "contact"
    EMPLOYMENT = "employment"
    GIG_PLATFORM_INCOME = "gig_platform_income"
    MERCHANT_SALES = "merchant_sales"
    RENT_AND_UTILITIES = "rent_and_utilities"
    CREDIT_REPORT = "credit_report"
    BANK_ACCOUNT = "bank_account"
    LOCATION = "location"
    BIOMETRIC = "biometric"


class Purpose(StrEnum):
    KYC = "kyc"
    CREDIT_ASSESSMENT = "credit_assessment"
    LOAN_SERVICING = "loan_servicing"
    MARKETING = "marketing"
    COLLECTION_OUT_OF_HOURS = "collection_out_of_hours"
    """Being contacted about a repayment past due between 22:00 and 08:00 in the borrower's
    time (DOMAIN §5.6: never without the debtor's consent), on ``contact``. Only the borrower
    gives it, on their own consents; a collector saying the borrower agreed is no consent."""


SENSITIVE_CATEGORIES = frozenset(
    {DataCategory.BANK_ACCOUNT, DataCategory.LOCATION, DataCategory.BIOMETRIC}
)


def _record(row: Any) -> ConsentRecord:
    return ConsentRecord(
        id=str(row.id),
        applicant_id=str(row.applicant_id),
        data_category=str(row.data_category),
        purpose=str(row.purpose),
        is_sensitive=bool(row.is_sensitive),
        is_separate=bool(row.is_separate),
        notice_version=str(row.notice_version),
        granted_at=as_utc(row.granted_at),
        revoked_at=as_utc(row.revoked_at) if row.revoked_at else None,
    )


def grant_consent(
    engine: Engine,
    *,
    applicant_id: str,
    category: DataCategory,
    purpose: Purpose,
    notice_version: str,
    separate: bool,
    actor: Actor,
) -> ConsentRecord:
    sensitive = category in SENSITIVE_CATEGORIES
    if sensitive and not separate:
        raise InvalidInputError(
            f"{category.value} is sensitive personal information and needs separate consent",
            field="separate_consent",
            value=separate,
            remedy="show the standalone notice for this category alone and send "
            "separate_consent=true (PIPL art. 29)",
        )
    grant = _Grant(applicant_id, category, purpose, notice_version, separate, sensitive)
    for _attempt in range(_ATTEMPTS):
        try:
            return _grant_once(engine, grant, actor)
        except IntegrityError:  # the same consent was granted concurrently: read it back
            continue
    raise ConflictError(
        "this consent is being changed by another request",
        field="data_category",
        value=category.value,
        remedy="try again",
    )


_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class _Grant:
    applicant_id: str
    category: DataCategory
    purpose: Purpose
    notice_version: str
    separate: bool
    sensitive: bool


def _grant_once(engine: Engine, grant: _Grant, actor: Actor) -> ConsentRecord:
    """One attempt: the active consent when it already says the same, else a new record
    (superseding an active one given on another notice). The database's one-active index
    turns a concurrent duplicate into an ``IntegrityError``, and the caller tries again."""
    category, purpose = grant.category.value, grant.purpose.value
    with UnitOfWork(engine) as uow:
        current = uow.consents.active(grant.applicant_id, category, purpose)
        if current is not None:
            record = _record(current)
            if (record.notice_version, record.is_separate) == (
                grant.notice_version,
                grant.separate,
            ):
                return record  # granting again changes nothing
            uow.consents.revoke(record.id, at=now_utc())
        consent_id = new_id()
        uow.consents.add(
            {
                "id": consent_id,
                "applicant_id": grant.applicant_id,
                "data_category": category,
                "purpose": purpose,
                "is_sensitive": grant.sensitive,
                "is_separate": grant.separate,
                "notice_version": grant.notice_version,
                "granted_at": now_utc(),
                "revoked_at": None,
            }
        )
        record = _record(uow.consents.get(consent_id))
        record_audit(
            uow,
            actor.label,
            "consent.grant",
            f"applicant:{grant.applicant_id}",
            {
                "consent_id": consent_id,
                "category": category,
                "purpose": purpose,
                "notice_version": grant.notice_version,
                "supersedes": None if current is None else str(current.id),
            },
        )
        uow.commit()
    return record


def revoke_consent(
    engine: Engine, *, applicant_id: str, consent_id: str, actor: Actor
) -> ConsentRecord:
    """Stamp ``revoked_at``; revoking twice keeps the first time."""
    with UnitOfWork(engine) as uow:
        row = uow.consents.get(consent_id, applicant_id=applicant_id)
        if row is None:
            raise NotFoundError("no such consent", field="consent_id", value=consent_id)
        record = _record(row)
        if record.is_active:
            revoked = now_utc()
            uow.consents.revoke(consent_id, at=revoked)
            record = replace(record, revoked_at=revoked)
            record_audit(
                uow,
                actor.label,
                "consent.revoke",
                f"applicant:{applicant_id}",
                {"consent_id": consent_id, "category": row.data_category, "purpose": row.purpose},
            )
            if (row.data_category, row.purpose) == _CARD_USE:
                _end_card_agreements(uow, applicant_id, actor, at=revoked)
            uow.commit()
    return record


_CARD_USE = (DataCategory.BANK_ACCOUNT.value, Purpose.LOAN_SERVICING.value)
"""The separate consent a bound bank card rests on (``services.cards``)."""


def _end_card_agreements(uow: UnitOfWork, applicant_id: str, actor: Actor, *, at: datetime) -> None:
    """The applicant's bank cards unbound here when the consent they rest on is revoked: no
    auto-debit is queued or sent on them (a debit already queued fails as the agreement's),
    nor a payment made with them; binding a card again asks for the consent again. The
    agreement is not called off at the gateway (no gateway is at hand here): its token is
    never used again."""
    profile = uow.applicants.get(applicant_id)
    if profile is None:
        return
    cards = uow.payment_cards.of_user(profile.user_id, lock=True)
    for card in cards:
        uow.payment_cards.unbind(card.id, at=at)
        record_audit(uow, actor.label, "card.unbound", f"card:{card.id}", {"consent": "revoked"})
    if cards:
        uow.payment_cards.set_default(profile.user_id, None)


def list_consents(engine: Engine, *, applicant_id: str, actor: Actor) -> list[ConsentRecord]:
    """An applicant's consents, newest last; a staff member's look is audited."""
    with UnitOfWork(engine) as uow:
        rows = uow.consents.of_applicant(applicant_id)
        if not rows and not uow.applicants.exists(applicant_id):
            raise NotFoundError("no such applicant", field="applicant_id", value=applicant_id)
        if actor.is_staff:
            record_audit(
                uow,
                actor.label,
                "staff.view_consents",
                f"applicant:{applicant_id}",
                {"count": len(rows)},
            )
            uow.commit()
    return [_record(row) for row in rows]


def has_consent(
    uow: UnitOfWork, applicant_id: str, category: DataCategory, purpose: Purpose
) -> bool:
    """True when an unrevoked consent covers ``category`` for ``purpose``."""
    return uow.consents.is_given(applicant_id, category.value, purpose.value)


def has_consent_at(
    uow: UnitOfWork, applicant_id: str, category: DataCategory, purpose: Purpose, at: datetime
) -> bool:
    """True when a consent covering ``category`` for ``purpose`` stood at ``at`` (time-zone
    aware): granted at or before it and not revoked by then. The moments are compared in
    Python, not in SQL, because SQLite hands them back as naive UTC text."""
    moment = as_utc(at)
    return any(
        as_utc(c.granted_at) <= moment and (c.revoked_at is None or moment < as_utc(c.revoked_at))
        for c in uow.consents.of_applicant(applicant_id)
        if (c.data_category, c.purpose) == (category.value, purpose.value)
    )


def owner_of_consent(uow: UnitOfWork, consent_id: str) -> str | None:
    """The user id owning the applicant that gave ``consent_id``, or None."""
    return uow.consents.owner(consent_id)
