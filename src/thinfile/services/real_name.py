"""Real-name verification (实名认证): a provider confirms that the applicant profile's name
and resident ID number belong together, once, before the borrower's first application.

The check runs through the :class:`~thinfile.services.ports.RealNameVerifier` port; a match is
stored with the applicant (provider, its reference, when) and audited, a mismatch is audited and
refused with :class:`~thinfile.errors.RealNameMismatchError`. The application use case calls
:func:`ensure_real_name` in its unit of work, so the API, the pages and the commands refuse an
unverified first application alike (:class:`~thinfile.errors.RealNameRequiredError`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from thinfile.errors import (
    NotFoundError,
    PermissionDeniedError,
    RealNameMismatchError,
    RealNameRequiredError,
)
from thinfile.security.crypto import PiiCipher
from thinfile.services.audit import record_audit
from thinfile.services.identity_records import Actor, as_utc, now_utc
from thinfile.services.ports import RealNameVerifier
from thinfile.services.uow import UnitOfWork

__all__ = [
    "RealNameStatus",
    "ensure_real_name",
    "may_apply",
    "real_name_status",
    "refuse_unverified",
    "verify_real_name",
]


@dataclass(frozen=True, slots=True)
class RealNameStatus:
    applicant_id: str
    is_verified: bool
    provider: str | None = None
    reference: str | None = None
    verified_at: datetime | None = None


def _status(uow: UnitOfWork, applicant_id: str) -> RealNameStatus:
    row = uow.real_names.get(applicant_id)
    if row is None:
        return RealNameStatus(applicant_id, False)
    return RealNameStatus(
        applicant_id, True, str(row.provider), str(row.reference), as_utc(row.verified_at)
    )


def _owned(uow: UnitOfWork, applicant_id: str, actor: Actor, *, staff_may: bool) -> None:
    owner = uow.applicants.owner(applicant_id)
    if owner is None:
        raise NotFoundError("no such applicant", field="applicant_id", value=applicant_id)
    if owner != actor.user_id and not (staff_may and actor.is_staff):
        raise PermissionDeniedError("this is not your applicant profile", field="applicant_id")


def real_name_status(engine: Engine, *, applicant_id: str, actor: Actor) -> RealNameStatus:
    """Whether the applicant's real name is verified (their own, or any for staff)."""
    with UnitOfWork(engine) as uow:
        _owned(uow, applicant_id, actor, staff_may=True)
        return _status(uow, applicant_id)


def verify_real_name(
    engine: Engine,
    cipher: PiiCipher,
    verifier: RealNameVerifier,
    *,
    applicant_id: str,
    actor: Actor,
) -> RealNameStatus:
    """Check the profile's name and ID number with the provider and keep a match; verifying a
    verified applicant changes nothing. The provider is asked inside the unit of work, so
    the verification and its audit row are written together or not at all."""
    with UnitOfWork(engine) as uow:
        _owned(uow, applicant_id, actor, staff_may=False)
        known = _status(uow, applicant_id)
        if known.is_verified:
            return known
        row = uow.applicants.get(applicant_id)
        assert row is not None  # _owned found it in this transaction
        name = cipher.decrypt(str(row.name_enc), context=f"applicant:{applicant_id}:name")
        id_number = cipher.decrypt(
            str(row.id_number_enc), context=f"applicant:{applicant_id}:id_number"
        )
        answer = verifier.verify(name, id_number)
        details = {"provider": verifier.provider, "reference": answer.reference}
        subject = f"applicant:{applicant_id}"
        if not answer.is_match:
            record_audit(uow, actor.label, "applicant.real_name_mismatch", subject, details)
            uow.commit()
            raise RealNameMismatchError(
                "the identity provider says the name and the ID number do not match",
                field="name",
                remedy="check the name and the ID number on your ID card; if the profile is "
                "wrong, ask the lender to correct it",
                extra={"reference": answer.reference},
            )
        verified = RealNameStatus(
            applicant_id, True, verifier.provider, answer.reference, now_utc()
        )
        uow.real_names.add(
            applicant_id=applicant_id,
            provider=verifier.provider,
            reference=answer.reference,
            at=verified.verified_at or now_utc(),
        )
        record_audit(uow, actor.label, "applicant.real_name_verified", subject, details)
        uow.commit()
    return verified


def may_apply(engine: Engine, *, applicant_id: str) -> bool:
    """Whether the applicant may apply as far as real-name verification goes."""
    with UnitOfWork(engine) as uow:
        return uow.real_names.may_apply(applicant_id)


def ensure_real_name(uow: UnitOfWork, applicant_id: str) -> None:
    """Refuse a first application of an applicant whose real name is not verified."""
    refuse_unverified(applicant_id, may_apply=uow.real_names.may_apply(applicant_id))


def refuse_unverified(applicant_id: str, *, may_apply: bool) -> None:
    """:func:`ensure_real_name` where the rule was read already (with the applicant's facts)."""
    if not may_apply:
        raise RealNameRequiredError(
            "verify your real name before your first application",
            field="applicant_id",
            value=applicant_id,
            remedy=f"verify it with POST /v1/applicants/{applicant_id}/real-name "
            "(or on the page /real-name), then apply again",
        )
