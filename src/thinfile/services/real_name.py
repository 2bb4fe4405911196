"""Real-name verification (实名认证): a provider confirms that the applicant profile's name
and resident ID number belong together, once, before the borrower's first application.

The check runs through the :class:`~thinfile.services.ports.RealNameVerifier` port; a match is
stored with the applicant (provider, its reference, when) and audited, a mismatch is audited and
refused with :class:`~thinfile.errors.RealNameMismatchError`. The application use case calls
:func:`ensure_real_name` in its unit of work, so the API, the pages and the commands refuse an
unverified first application alike (:class:`~thinfile.errors.RealNameRequiredError`).

Each look-up is paid for, and the provider's answer about one name and ID number does not
change, so it is asked once: after a mismatch the same name and ID number are refused without
a look-up (the mismatch's audit row keeps their keyed hash), and whatever the names, an
applicant gets at most :data:`DAILY_LOOKUPS` look-ups in 24 hours
(:class:`~thinfile.errors.RateLimitedError`), counted from those audit rows. Two verifications
of one applicant at once take turns on the applicant's row, so the second finds the first's
answer instead of asking again (or inserting a second verification).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from thinfile.errors import (
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RealNameMismatchError,
    RealNameRequiredError,
)
from thinfile.security.crypto import PiiCipher
from thinfile.services.audit import record_audit
from thinfile.services.identity_records import Actor, as_utc, now_utc
from thinfile.services.ports import RealNameVerifier
from thinfile.services.uow import UnitOfWork
from thinfile.store.hot import HotRow

__all__ = [
    "DAILY_LOOKUPS",
    "RealNameStatus",
    "ensure_real_name",
    "may_apply",
    "real_name_status",
    "refuse_unverified",
    "verify_real_name",
]


DAILY_LOOKUPS = 5
"""The most provider look-ups of one applicant in :data:`LOOKUP_WINDOW`."""
LOOKUP_WINDOW = timedelta(hours=24)
_MISMATCH = "applicant.real_name_mismatch"
_REMEDY = (
    "check the name and the ID number on your ID card; if the profile is wrong, contact the "
    "lender's support to correct it"
)


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


@dataclass(frozen=True, slots=True)
class _Mismatch:
    """A look-up the provider answered "no match", as its audit row recorded it."""

    at: datetime
    reference: str
    checked: str | None
    """The keyed hash of the name and ID number asked about (None on rows from before)."""


def _mismatches(rows: Sequence[HotRow]) -> list[_Mismatch]:
    found = []
    for row in rows:
        details = json.loads(str(row.details))
        checked = details.get("checked")
        found.append(
            _Mismatch(
                as_utc(datetime.fromisoformat(str(row.occurred_at))),
                str(details.get("reference", "")),
                None if checked is None else str(checked),
            )
        )
    return found


def _checked(cipher: PiiCipher, name: str, id_number: str) -> str:
    """What a mismatch remembers of the name and ID number asked about: their keyed hash."""
    return cipher.lookup_hash("real_name", f"{name}\n{id_number}")


def _ensure_may_ask(mismatches: list[_Mismatch], checked: str, now: datetime) -> None:
    """Refuse a look-up whose answer is known already, or one over the daily cap.

    A mismatch recorded before the hash was kept counts as the same name and ID number: a
    profile cannot be edited, so it is."""
    for earlier in reversed(mismatches):
        if earlier.checked in (None, checked):
            raise RealNameMismatchError(
                "the identity provider said already that this name and ID number do not "
                "match; asking again gives the same answer",
                field="name",
                remedy=_REMEDY,
                extra={"reference": earlier.reference, "reason": "already_refused"},
            )
    recent = [m.at for m in mismatches if m.at > now - LOOKUP_WINDOW]
    if len(recent) >= DAILY_LOOKUPS:
        wait = max(1, int((min(recent) + LOOKUP_WINDOW - now).total_seconds()) + 1)
        raise RateLimitedError(
            "too many real-name checks of this applicant; try again later",
            field="applicant_id",
            remedy=f"wait {wait} seconds; if the profile is wrong, contact the lender's support",
            extra={"retry_after_seconds": wait, "limit": "real_name"},
        )


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
    the verification and its audit row are written together or not at all.

    The applicant's row is locked first, so a second verification at once waits and then
    finds the first's answer (no second look-up, no duplicate row). A name and ID number the
    provider refused are refused again without a look-up, and look-ups are capped per day
    (see the module)."""
    subject = f"applicant:{applicant_id}"
    with UnitOfWork(engine) as uow:
        _owned(uow, applicant_id, actor, staff_may=False)
        row = uow.applicants.get(applicant_id, lock=True)
        assert row is not None  # _owned found it in this transaction
        known = _status(uow, applicant_id)
        if known.is_verified:
            return known
        name = cipher.decrypt(str(row.name_enc), context=f"applicant:{applicant_id}:name")
        id_number = cipher.decrypt(
            str(row.id_number_enc), context=f"applicant:{applicant_id}:id_number"
        )
        checked = _checked(cipher, name, id_number)
        earlier = _mismatches(uow.audit.of_subject(subject, action=_MISMATCH))
        _ensure_may_ask(earlier, checked, now_utc())
        answer = verifier.verify(name, id_number)
        details = {"provider": verifier.provider, "reference": answer.reference}
        if not answer.is_match:
            record_audit(uow, actor.label, _MISMATCH, subject, details | {"checked": checked})
            uow.commit()
            raise RealNameMismatchError(
                "the identity provider says the name and the ID number do not match",
                field="name",
                remedy=_REMEDY,
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
