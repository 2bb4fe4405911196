"""Apply for credit: decide and store an application, read it back.

``apply_for_credit`` is one unit of work: one statement reads the applicant's profile, their
consents, the lender's history for them (velocity counts, deny list — ``uow.applications``);
the decision runs with the active policy book and model; the application is stored with its
decision (personal data sealed, masked copies only in the decision JSON); the audit row goes
last. ``decide_in`` is the same use case inside a caller's unit of work, returning its audit
row for the caller to append last (the API runs it with its idempotency key,
``services.idempotency.run_once``).

Staff work on stored applications (reviewing referrals, replaying a decision, the deny
list) lives in :mod:`thinfile.services.application_reviews`. Accepting and declining offers
live in :mod:`thinfile.services.acceptance`, the owner
resolvers and a user's loans and lines in :mod:`thinfile.services.ownership`; their names are
importable from here too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, cast

import orjson
from sqlalchemy.engine import Engine

from thinfile.decisioning import (
    ChallengerDecision,
    History,
    parse_application,
)
from thinfile.errors import (
    ConsentRequiredError,
    InvalidInputError,
    NotFoundError,
)
from thinfile.resident_id import validate_birth_date
from thinfile.security.crypto import PiiCipher
from thinfile.security.pii import (
    mask_id_number,
    mask_name,
    mask_phone,
)
from thinfile.services.acceptance import (
    MIN_READING_SECONDS,
    OFFER_DECLINED,
    AcceptedOffer,
    accept_offer,
    accept_today,
    decline_offer,
    quote_offer,
    quote_offers_today,
    quote_today,
)
from thinfile.services.applications_records import (
    STATUS,
    ApplicationRecord,
    ApplicationStatus,
    application_record,
    load_application,
    unmasked_decision,
)
from thinfile.services.audit import AuditDraft
from thinfile.services.business_date import lender_date
from thinfile.services.consent import DataCategory, Purpose
from thinfile.services.identity_records import Actor, new_id, now_utc
from thinfile.services.ownership import (
    lines_of_user,
    loan_ids_of_user,
    loans_of_user,
    owner_of_any_loan,
    owner_of_application,
    owner_of_line,
    owner_of_loan,
)
from thinfile.services.policies import DecisionRuntime
from thinfile.services.real_name import refuse_unverified
from thinfile.services.uow import UnitOfWork
from thinfile.store.applications_repo import ConsentScope
from thinfile.text import ascii_text

__all__ = [
    "ALT_DATA_CONSENTS",
    "CREDIT_CONSENT",
    "MIN_READING_SECONDS",
    "OFFER_DECLINED",
    "AcceptedOffer",
    "ApplicationRecord",
    "ApplicationStatus",
    "ConsentRequiredError",
    "accept_offer",
    "accept_today",
    "apply_for_credit",
    "decide_in",
    "decline_offer",
    "get_application",
    "lines_of_user",
    "list_applications",
    "loan_ids_of_user",
    "loans_of_user",
    "owner_of_any_loan",
    "owner_of_application",
    "owner_of_line",
    "owner_of_loan",
    "quote_offer",
    "quote_offers_today",
    "quote_today",
]

_PII = ("name", "id_number", "phone")
_CONSENT_FLAGS = ("consent_credit", "consent_alt_data")


CREDIT_CONSENT = DataCategory.CREDIT_REPORT
"""Consent to this category for ``credit_assessment`` is required to apply."""
ALT_DATA_CONSENTS = (DataCategory.GIG_PLATFORM_INCOME, DataCategory.RENT_AND_UTILITIES)
"""Consent to any of these for ``credit_assessment`` lets the decision use alternative data."""


_PURPOSE = Purpose.CREDIT_ASSESSMENT.value
_CREDIT_SCOPE: ConsentScope = ((CREDIT_CONSENT.value,), _PURPOSE)
_ALT_SCOPE: ConsentScope = (tuple(c.value for c in ALT_DATA_CONSENTS), _PURPOSE)


def _consent_flags(facts: Any) -> dict[str, object]:
    if not facts.credit:
        purpose = Purpose.CREDIT_ASSESSMENT
        raise ConsentRequiredError(
            "the applicant has not consented to a credit assessment",
            field="consent",
            value=f"{CREDIT_CONSENT.value}:{purpose.value}",
            remedy="grant consent to the credit_report category for credit_assessment, "
            "then apply again",
        )
    return {"consent_credit": True, "consent_alt_data": bool(facts.alt)}


def _refuse(form: Mapping[str, object], *, consents_recorded: bool) -> None:
    for field in _PII:
        if field in form:
            raise InvalidInputError(
                f"{field} comes from the applicant profile",
                field=field,
                remedy="update the profile instead of the application form",
            )
    for flag in _CONSENT_FLAGS if consents_recorded else ():
        if flag in form:
            raise InvalidInputError(
                f"{flag} comes from the recorded consents",
                field=flag,
                remedy="grant or revoke consent instead",
            )


def decide_in(
    uow: UnitOfWork,
    cipher: PiiCipher,
    runtime: DecisionRuntime,
    *,
    actor: Actor,
    applicant_id: str,
    form: Mapping[str, object],
    on: date | None = None,
    consents_recorded: bool = True,
    at: datetime | None = None,
) -> tuple[ApplicationRecord, AuditDraft]:
    """Decide and store one application in the caller's unit of work; the caller appends the
    returned audit row as the transaction's last write, then commits.

    With ``consents_recorded`` (the default) the consent flags come from the applicant's
    recorded consents, never from the form, and an applicant without an active
    credit-assessment consent to their credit report is refused (:class:`ConsentRequiredError`).
    A first application needs the applicant's real name verified (``RealNameRequiredError``,
    :func:`thinfile.services.real_name.ensure_real_name`, read with the facts).
    ``at`` is the submission moment when it is not now (loading a lender's history).
    A birth date no applicant can have (before 1900, or after the decision day) is refused
    where it is entered, before anything is decided or written. Being under
    :data:`~thinfile.resident_id.MIN_BORROWER_AGE` on the decision day is the policy's
    knock-out (``KO_AGE_MIN``), a recorded decision: the profile already refused an ID number
    of someone under that age today, and a birth date that differs from the ID's is
    ``KO_ID_BIRTH_MISMATCH``.
    """
    _refuse(form, consents_recorded=consents_recorded)
    now = at or now_utc()
    device = form.get("device_id")
    device = device and ascii_text(
        str(device),
        field="device_id",
        message="a device id is written in plain ASCII characters only",
        remedy="send the device id the app reports, in ASCII",
    )
    device_hash = cipher.lookup_hash("device", str(device)) if device else None
    facts = uow.applications.facts(
        applicant_id,
        since_30d=now - timedelta(days=30),
        since_1d=now - timedelta(days=1),
        device=device_hash,
        credit=_CREDIT_SCOPE,
        alt=_ALT_SCOPE,
    )
    if facts is None:
        raise NotFoundError("no such applicant", field="applicant_id", value=applicant_id)
    if consents_recorded:
        form = {**form, **_consent_flags(facts)}
    refuse_unverified(applicant_id, may_apply=bool(facts.may_apply))
    identity = {
        f: cipher.decrypt(str(getattr(facts, f"{f}_enc")), context=f"applicant:{applicant_id}:{f}")
        for f in _PII
    }
    app = parse_application({**form, **identity, "applicant_id": applicant_id})
    day = on or lender_date(now)  # Beijing's date: an 18th birthday begins at its midnight
    validate_birth_date(app.birth_date, on=day, minimum_age=None)
    history = History(
        applications_by_id_30d=int(str(facts.by_id)),
        applications_by_phone_30d=int(str(facts.by_phone)),
        applications_by_device_1d=int(str(facts.by_device)),
        deny_listed=bool(facts.denied),
    )
    result = runtime.book.decide(app, model=runtime.model, on=day, history=history)
    hashes = {
        "id_number": str(facts.id_number_hash),
        "phone": str(facts.phone_hash),
        "device": device_hash,
    }
    record = _store(uow, cipher, new_id(), applicant_id, actor, now, result, identity, hashes)
    decision = result.decision
    return record, AuditDraft(
        actor.label,
        "application.decide",
        f"application:{record.id}",
        {
            "outcome": record.outcome,
            "policy": decision.policy_version,
            "model": decision.model_version,
            "arm": result.arm.value,
        },
    )


def apply_for_credit(
    engine: Engine,
    cipher: PiiCipher,
    runtime: DecisionRuntime,
    *,
    actor: Actor,
    applicant_id: str,
    form: Mapping[str, object],
    on: date | None = None,
    consents_recorded: bool = True,
    at: datetime | None = None,
) -> ApplicationRecord:
    """Check the applicant's consent, then decide and store the application, in one unit of
    work (:func:`decide_in`, as the API runs it): the consent flags come from the recorded
    consents, never from the form. Trusted callers loading a lender's history (the demo) pass
    ``consents_recorded=False``, the flags in ``form``, and ``at``, the moment it was made."""
    with UnitOfWork(engine) as uow:
        record, audit = decide_in(
            uow,
            cipher,
            runtime,
            actor=actor,
            applicant_id=applicant_id,
            form=form,
            on=on,
            consents_recorded=consents_recorded,
            at=at,
        )
        audit.append(uow)
        uow.commit()
    return record


def _masked(decision: dict[str, object]) -> dict[str, object]:
    """The decision to store: its inputs' identity masked (copies: ``decision`` is the
    response's)."""
    inputs = cast(dict[str, object], decision["inputs"])
    app = {**cast(dict[str, object], inputs["application"])}
    app["id_number"] = mask_id_number(str(app["id_number"]))
    app["phone"] = mask_phone(str(app["phone"]))
    if "name" in app:
        app["name"] = mask_name(str(app["name"]))
    return {**decision, "inputs": {**inputs, "application": app}}


def _store(
    uow: UnitOfWork,
    cipher: PiiCipher,
    application_id: str,
    applicant_id: str,
    actor: Actor,
    now: datetime,
    result: ChallengerDecision,
    identity: Mapping[str, str],
    hashes: Mapping[str, str | None],
) -> ApplicationRecord:
    decision = result.decision
    full = result.as_dict()
    shadow = full.pop("shadow", None)
    app = decision.application
    uow.applications.add(
        dict(
            id=application_id,
            applicant_id=applicant_id,
            user_id=actor.user_id,
            submitted_at=now,
            decided_on=decision.decided_on,
            status=STATUS[decision.outcome].value,
            outcome=decision.outcome.value,
            purpose=app.purpose,
            segment=app.segment,
            requested_amount=app.requested_amount,
            grade=decision.grade,
            pd=repr(decision.pd),
            score=decision.score,
            model_version=decision.model_version,
            policy_version=decision.policy_version,
            arm=result.arm.value,
            id_number_hash=hashes["id_number"],
            phone_hash=hashes["phone"],
            device_hash=hashes["device"],
            # about 9 KB a decision: orjson encodes it in a tenth of the stdlib's time
            decision_json=orjson.dumps(_masked(full)).decode(),
            shadow_json=json.dumps(shadow) if shadow else None,
            pii_enc=cipher.encrypt(
                json.dumps(dict(identity)), context=f"application:{application_id}"
            ),
            version=1,
        )
    )
    return ApplicationRecord(
        application_id,
        applicant_id,
        STATUS[decision.outcome],
        decision.outcome,
        now,
        full,
        None,
        None,
        schedules=tuple(o.schedule for o in decision.offers),
    )


def get_application(
    engine: Engine, cipher: PiiCipher, application_id: str, *, reveal: bool
) -> ApplicationRecord:
    """One application; ``reveal`` opens the sealed personal data (owner or audited staff)."""
    with UnitOfWork(engine) as uow:
        row = load_application(uow, application_id)
    decision = unmasked_decision(row, cipher) if reveal else json.loads(row.decision_json)
    return application_record(row, decision)


def list_applications(
    engine: Engine, *, status: str | None = None, user_id: str | None = None, limit: int = 50
) -> list[ApplicationRecord]:
    """Newest first, masked; filtered by status (the referral queue) or by owner."""
    with UnitOfWork(engine) as uow:
        rows = uow.applications.newest(status=status, user_id=user_id, limit=limit)
    return [application_record(r, json.loads(r.decision_json)) for r in rows]
