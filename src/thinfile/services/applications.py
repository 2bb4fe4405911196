"""Apply for credit: decide and store an application, read it, review referrals, replay.

``apply_for_credit`` is one transaction: one statement reads the applicant's profile, their
consents, the lender's history for them (velocity counts, deny list); the decision runs with
the active policy book and model; the application is stored with its decision (personal data
sealed, masked copies only in the decision JSON); the audit row goes last. ``decide_in`` is the
same use case inside a caller's transaction (the API adds its idempotency key to it).

Accepting and declining offers live in :mod:`thinfile.services.acceptance`, the owner
resolvers and a user's loans and lines in :mod:`thinfile.services.ownership`; their names are
importable from here too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from thinfile.decisioning import (
    ChallengerDecision,
    History,
    parse_application,
    replay,
    same_as_stored,
)
from thinfile.errors import (
    ConflictError,
    ConsentRequiredError,
    InvalidInputError,
    NotFoundError,
)
from thinfile.security.crypto import PiiCipher
from thinfile.security.pii import (
    mask_id_number,
    mask_name,
    mask_phone,
    normalize_id_number,
    normalize_phone,
)
from thinfile.services.acceptance import (
    MIN_READING_SECONDS,
    OFFER_DECLINED,
    AcceptedOffer,
    accept_offer,
    decline_offer,
)
from thinfile.services.applications_records import (
    STATUS,
    ApplicationRecord,
    application_record,
    load_application,
)
from thinfile.services.audit import AuditDraft, Executor, record_audit
from thinfile.services.consent import DataCategory, Purpose, has_consent
from thinfile.services.identity_records import Actor, Sessions, new_id, now_utc
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
from thinfile.store.decisioning_tables import applications, deny_list
from thinfile.store.hot import Hot
from thinfile.store.identity_tables import applicants, consents

__all__ = [
    "ALT_DATA_CONSENTS",
    "CREDIT_CONSENT",
    "MIN_READING_SECONDS",
    "OFFER_DECLINED",
    "AcceptedOffer",
    "ApplicationRecord",
    "ConsentRequiredError",
    "accept_offer",
    "add_to_deny_list",
    "apply_for_credit",
    "consented_form",
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
    "replay_application",
    "review_referral",
    "submit_application",
]

_PII = ("name", "id_number", "phone")
_CONSENT_FLAGS = ("consent_credit", "consent_alt_data")


CREDIT_CONSENT = DataCategory.CREDIT_REPORT
"""Consent to this category for ``credit_assessment`` is required to apply."""
ALT_DATA_CONSENTS = (DataCategory.GIG_PLATFORM_INCOME, DataCategory.RENT_AND_UTILITIES)
"""Consent to any of these for ``credit_assessment`` lets the decision use alternative data."""


_WHEN = applications.c.submitted_at.type


def _since(column: sa.Column[str], value: sa.ColumnElement[str], since: str) -> sa.ScalarSelect[
        int]:
    return sa.select(sa.func.count()).select_from(applications).where(
        column == value, applications.c.submitted_at >= sa.bindparam(since, type_=_WHEN),
    ).scalar_subquery()


def _consented(*categories: DataCategory) -> sa.Exists:
    return sa.exists().where(
        consents.c.applicant_id == applicants.c.id,
        # One bound value per category: a list would be an "expanding" parameter, whose SQL
        # is rendered again on every execution of this hot statement.
        consents.c.data_category.in_([sa.literal(c.value) for c in categories]),
        consents.c.purpose == Purpose.CREDIT_ASSESSMENT.value, consents.c.revoked_at.is_(None))


def _facts(with_device: bool) -> sa.Select[tuple[object, ...]]:
    """One statement: the sealed profile, the consents, the velocity counts and the deny list
    (hashes of ID number and phone as stored with the profile). Built once, run with
    ``applicant_id``, ``since_30d``, ``since_1d`` and ``device``."""
    device = sa.bindparam("device", type_=sa.String)
    listed: list[sa.ColumnElement[str]] = [applicants.c.id_number_hash, applicants.c.phone_hash]
    if with_device:
        listed.append(device)
    by_device = (_since(applications.c.device_hash, device, "since_1d") if with_device
                 else sa.literal(0))
    return sa.select(
        applicants.c.id, applicants.c.name_enc, applicants.c.id_number_enc,
        applicants.c.phone_enc, applicants.c.id_number_hash, applicants.c.phone_hash,
        _since(applications.c.id_number_hash, applicants.c.id_number_hash,
               "since_30d").label("by_id"),
        _since(applications.c.phone_hash, applicants.c.phone_hash, "since_30d").label("by_phone"),
        by_device.label("by_device"),
        sa.exists().where(deny_list.c.lookup_hash.in_(listed)).label("denied"),
        _consented(CREDIT_CONSENT).label("credit"),
        _consented(*ALT_DATA_CONSENTS).label("alt"),
    ).where(applicants.c.id == sa.bindparam("applicant_id", type_=sa.String))


_FACTS = {False: Hot(_facts(False)), True: Hot(_facts(True))}


def _consent_flags(facts: sa.Row[tuple[object, ...]]) -> dict[str, object]:
    if not facts.credit:
        purpose = Purpose.CREDIT_ASSESSMENT
        raise ConsentRequiredError(
            "the applicant has not consented to a credit assessment",
            field="consent", value=f"{CREDIT_CONSENT.value}:{purpose.value}",
            remedy="grant consent to the credit_report category for credit_assessment, "
            "then apply again")
    return {"consent_credit": True, "consent_alt_data": bool(facts.alt)}


def _refuse(form: Mapping[str, object], *, consents_recorded: bool) -> None:
    for field in _PII:
        if field in form:
            raise InvalidInputError(f"{field} comes from the applicant profile", field=field,
                                    remedy="update the profile instead of the application form")
    for flag in _CONSENT_FLAGS if consents_recorded else ():
        if flag in form:
            raise InvalidInputError(f"{flag} comes from the recorded consents", field=flag,
                                    remedy="grant or revoke consent instead")


def decide_in(
    session: Executor, cipher: PiiCipher, runtime: DecisionRuntime, *, actor: Actor,
    applicant_id: str, form: Mapping[str, object], on: date | None = None,
    consents_recorded: bool = True, at: datetime | None = None,
) -> tuple[ApplicationRecord, AuditDraft]:
    """Decide and store one application in the caller's transaction; the caller appends the
    returned audit row as the transaction's last write, then commits.

    With ``consents_recorded`` (the default) the consent flags come from the applicant's
    recorded consents, never from the form, and an applicant without an active
    credit-assessment consent to their credit report is refused (:class:`ConsentRequiredError`).
    ``at`` is the submission moment when it is not now (loading a lender's history).
    """
    _refuse(form, consents_recorded=consents_recorded)
    now = at or now_utc()
    device = form.get("device_id")
    device_hash = cipher.lookup_hash("device", str(device)) if device else None
    facts = _FACTS[device_hash is not None].first(session, {
        "applicant_id": applicant_id, "since_30d": now - timedelta(days=30),
        "since_1d": now - timedelta(days=1), "device": device_hash})
    if facts is None:
        raise NotFoundError("no such applicant", field="applicant_id", value=applicant_id)
    if consents_recorded:
        form = {**form, **_consent_flags(facts)}
    identity = {f: cipher.decrypt(str(getattr(facts, f"{f}_enc")),
                                  context=f"applicant:{applicant_id}:{f}") for f in _PII}
    app = parse_application({**form, **identity, "applicant_id": applicant_id})
    history = History(applications_by_id_30d=int(str(facts.by_id)),
                      applications_by_phone_30d=int(str(facts.by_phone)),
                      applications_by_device_1d=int(str(facts.by_device)),
                      deny_listed=bool(facts.denied))
    result = runtime.book.decide(app, model=runtime.model, on=on or now.date(), history=history)
    hashes = {"id_number": str(facts.id_number_hash), "phone": str(facts.phone_hash),
              "device": device_hash}
    record = _store(session, cipher, new_id(), applicant_id, actor, now, result, identity,
                    hashes)
    decision = result.decision
    return record, AuditDraft(actor.label, "application.decide", f"application:{record.id}",
                              {"outcome": record.outcome, "policy": decision.policy_version,
                               "model": decision.model_version, "arm": result.arm.value})


def submit_application(
    sessions: Sessions, cipher: PiiCipher, runtime: DecisionRuntime, *, actor: Actor,
    applicant_id: str, form: Mapping[str, object], on: date | None = None,
    at: datetime | None = None,
) -> ApplicationRecord:
    """Decide and store one application, its consent flags as the form says (trusted callers:
    the API and the pages use :func:`apply_for_credit`)."""
    with sessions.begin() as session:
        record, audit = decide_in(session, cipher, runtime, actor=actor,
                                  applicant_id=applicant_id, form=form, on=on,
                                  consents_recorded=False, at=at)
        audit.append(session)
    return record


def apply_for_credit(
    sessions: Sessions, cipher: PiiCipher, runtime: DecisionRuntime, *, actor: Actor,
    applicant_id: str, form: Mapping[str, object], on: date | None = None,
) -> ApplicationRecord:
    """Check the applicant's consent, then decide and store the application, in one
    transaction; the consent flags come from the recorded consents, never from the form."""
    with sessions.begin() as session:
        record, audit = decide_in(session, cipher, runtime, actor=actor,
                                  applicant_id=applicant_id, form=form, on=on)
        audit.append(session)
    return record


def consented_form(sessions: Sessions, applicant_id: str,
                   form: Mapping[str, object]) -> dict[str, object]:
    """``form`` with the consent flags the applicant's recorded consents allow; refuses an
    applicant without an active credit-assessment consent to their credit report."""
    purpose = Purpose.CREDIT_ASSESSMENT
    with sessions.begin() as session:
        credit = has_consent(session, applicant_id, CREDIT_CONSENT, purpose)
        alt = any(has_consent(session, applicant_id, c, purpose) for c in ALT_DATA_CONSENTS)
    if not credit:
        raise ConsentRequiredError(
            "the applicant has not consented to a credit assessment",
            field="consent", value=f"{CREDIT_CONSENT.value}:{purpose.value}",
            remedy="grant consent to the credit_report category for credit_assessment, "
            "then apply again")
    return {**form, "consent_credit": True, "consent_alt_data": alt}


def _masked(decision: dict[str, object]) -> dict[str, object]:
    inputs = json.loads(json.dumps(decision["inputs"]))
    app = inputs["application"]
    app["id_number"] = mask_id_number(str(app["id_number"]))
    app["phone"] = mask_phone(str(app["phone"]))
    if "name" in app:
        app["name"] = mask_name(str(app["name"]))
    return {**decision, "inputs": inputs}


_INSERT = Hot(sa.insert(applications))  # built once: the values come as parameters


def _store(session: Executor, cipher: PiiCipher, application_id: str, applicant_id: str,
           actor: Actor, now: datetime, result: ChallengerDecision, identity: Mapping[str, str],
           hashes: Mapping[str, str | None]) -> ApplicationRecord:
    decision = result.decision
    full = result.as_dict()
    shadow = full.pop("shadow", None)
    app = decision.application
    _INSERT.run(session, dict(
        id=application_id, applicant_id=applicant_id, user_id=actor.user_id, submitted_at=now,
        decided_on=decision.decided_on, status=STATUS[decision.outcome],
        outcome=decision.outcome.value, purpose=app.purpose,
        segment=app.segment, requested_amount=app.requested_amount,
        grade=decision.grade, pd=repr(decision.pd), score=decision.score,
        model_version=decision.model_version, policy_version=decision.policy_version,
        arm=result.arm.value, id_number_hash=hashes["id_number"], phone_hash=hashes["phone"],
        device_hash=hashes["device"], decision_json=json.dumps(_masked(full), ensure_ascii=False),
        shadow_json=json.dumps(shadow) if shadow else None,
        pii_enc=cipher.encrypt(json.dumps(dict(identity)), context=f"application:{application_id}"),
        version=1,
    ))
    return ApplicationRecord(application_id, applicant_id, STATUS[decision.outcome],
                             decision.outcome.value, now, full, None, None,
                             schedules=tuple(o.schedule for o in decision.offers))


def _unmasked(row: sa.Row[tuple[object, ...]], cipher: PiiCipher) -> dict[str, object]:
    decision: dict[str, object] = json.loads(str(row.decision_json))
    identity = json.loads(cipher.decrypt(str(row.pii_enc), context=f"application:{row.id}"))
    inputs = decision["inputs"]
    assert isinstance(inputs, dict)
    inputs["application"].update(identity)
    return decision


def get_application(sessions: Sessions, cipher: PiiCipher, application_id: str, *,
                    reveal: bool) -> ApplicationRecord:
    """One application; ``reveal`` opens the sealed personal data (owner or audited staff)."""
    with sessions.begin() as session:
        row = load_application(session, application_id)
    decision = _unmasked(row, cipher) if reveal else json.loads(str(row.decision_json))
    return application_record(row, decision)


def list_applications(sessions: Sessions, *, status: str | None = None, user_id: str | None = None,
                      limit: int = 50) -> list[ApplicationRecord]:
    """Newest first, masked; filtered by status (the referral queue) or by owner."""
    query = sa.select(applications).order_by(applications.c.submitted_at.desc()).limit(limit)
    if status:
        query = query.where(applications.c.status == status)
    if user_id:
        query = query.where(applications.c.user_id == user_id)
    with sessions.begin() as session:
        rows = session.execute(query).all()
    return [application_record(r, json.loads(str(r.decision_json))) for r in rows]


def review_referral(sessions: Sessions, application_id: str, *, actor: Actor, approve: bool,
                    note: str) -> ApplicationRecord:
    """An underwriter's decision on a referred application."""
    with sessions.begin() as session:
        row = load_application(session, application_id, for_update=True)
        if row.status != "referred":
            raise ConflictError(f"the application is {row.status}, not referred",
                                field="application_id", value=application_id)
        status = "approved" if approve else "declined"
        changed = session.execute(sa.update(applications).where(
            applications.c.id == application_id, applications.c.version == row.version).values(
            status=status, reviewed_by=actor.label, reviewed_at=now_utc(), review_note=note[:500],
            version=row.version + 1))
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError("the application changed meanwhile; reload and try again")
        row = load_application(session, application_id)
        record_audit(session, actor.label, "application.review", f"application:{application_id}",
                     {"approve": approve})
    return application_record(row, json.loads(str(row.decision_json)))


def replay_application(sessions: Sessions, cipher: PiiCipher, runtime: DecisionRuntime,
                       application_id: str, *, actor: Actor) -> dict[str, object]:
    """Decide a stored application again with its own policy and model; report any difference."""
    with sessions.begin() as session:
        row = load_application(session, application_id)
        record_audit(session, actor.label, "application.replay",
                     f"application:{application_id}", {})
    stored = _unmasked(row, cipher)
    policy = runtime.policy(str(row.policy_version), sessions)
    again = replay(stored, policy=policy, model=runtime.model).as_dict()
    original = {k: v for k, v in stored.items() if k not in ("arm",)}
    return {"identical": same_as_stored(again, original), "original_outcome": row.outcome,
            "replayed_outcome": again["outcome"], "policy_version": row.policy_version,
            "model_version": row.model_version}


def add_to_deny_list(sessions: Sessions, cipher: PiiCipher, *, kind: str, value: str,
                     reason: str, actor: Actor) -> None:
    """Deny future applications with this ID number or phone (stored as a keyed hash)."""
    if kind not in ("id_number", "phone"):
        raise InvalidInputError("kind must be id_number or phone", field="kind", value=kind)
    normalized = normalize_id_number(value) if kind == "id_number" else normalize_phone(value)
    digest = cipher.lookup_hash(kind, normalized)
    with sessions.begin() as session:
        session.execute(sa.delete(deny_list).where(deny_list.c.lookup_hash == digest))
        session.execute(sa.insert(deny_list).values(lookup_hash=digest, kind=kind,
                                                    reason=reason[:200], added_at=now_utc()))
        record_audit(session, actor.label, "deny_list.add", f"deny_list:{kind}", {})
