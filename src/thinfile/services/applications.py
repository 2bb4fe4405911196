"""Apply for credit: store the application and its decision, review referrals, accept offers.

``submit_application`` is one unit of work: it reads the lender's history for the applicant
(velocity, deny list), runs the decision with the active policy book and model, stores the
application with its decision (personal data sealed, masked copies only in the decision JSON)
and writes the audit log — all in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from thinfile.decisioning import (
    ChallengerDecision,
    History,
    Outcome,
    parse_application,
    replay,
)
from thinfile.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from thinfile.loanmath import LoanTerms, RepaymentMethod
from thinfile.money import Money
from thinfile.security.crypto import PiiCipher
from thinfile.security.pii import (
    mask_id_number,
    mask_name,
    mask_phone,
    normalize_id_number,
    normalize_phone,
)
from thinfile.services.audit import record_audit
from thinfile.services.consent import DataCategory, Purpose, has_consent
from thinfile.services.credit_lines import open_line_in_unit
from thinfile.services.identity_records import Actor, Sessions, as_utc, new_id, now_utc
from thinfile.services.loans import open_in_unit
from thinfile.services.policies import DecisionRuntime
from thinfile.services.uow import UnitOfWork
from thinfile.store.decisioning_tables import applications, deny_list
from thinfile.store.identity_tables import applicants
from thinfile.store.servicing_tables import loans as servicing_loans

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
_STATUS = {Outcome.APPROVE: "approved", Outcome.REFER: "referred", Outcome.DECLINE: "declined"}
MIN_READING_SECONDS = 10
"""The forced reading time of the all-in cost statement before an offer can be accepted."""


@dataclass(frozen=True, slots=True)
class ApplicationRecord:
    id: str
    applicant_id: str
    status: str
    outcome: str
    submitted_at: datetime
    decision: dict[str, object]
    accepted_offer: int | None
    loan_id: str | None


def _applicant_identity(session: Session, cipher: PiiCipher, applicant_id: str) -> dict[str, str]:
    row = session.execute(sa.select(applicants).where(applicants.c.id == applicant_id)).first()
    if row is None:
        raise NotFoundError("no such applicant", field="applicant_id", value=applicant_id)
    return {f: cipher.decrypt(str(getattr(row, f"{f}_enc")), context=f"applicant:{row.id}:{f}")
            for f in _PII}


def _history(session: Session, hashes: Mapping[str, str | None], now: datetime) -> History:
    def count(column: sa.Column[str], value: str | None, since: datetime) -> int:
        if value is None:
            return 0
        return int(session.execute(sa.select(sa.func.count()).select_from(applications).where(
            column == value, applications.c.submitted_at >= since)).scalar_one())

    listed = session.execute(sa.select(sa.func.count()).select_from(deny_list).where(
        deny_list.c.lookup_hash.in_([h for h in hashes.values() if h]))).scalar_one()
    return History(
        applications_by_id_30d=count(applications.c.id_number_hash, hashes["id_number"],
                                     now - timedelta(days=30)),
        applications_by_phone_30d=count(applications.c.phone_hash, hashes["phone"],
                                        now - timedelta(days=30)),
        applications_by_device_1d=count(applications.c.device_hash, hashes["device"],
                                        now - timedelta(days=1)),
        deny_listed=bool(listed),
    )


def _masked(decision: dict[str, object]) -> dict[str, object]:
    inputs = json.loads(json.dumps(decision["inputs"]))
    app = inputs["application"]
    app["id_number"] = mask_id_number(str(app["id_number"]))
    app["phone"] = mask_phone(str(app["phone"]))
    if "name" in app:
        app["name"] = mask_name(str(app["name"]))
    return {**decision, "inputs": inputs}


def submit_application(
    sessions: Sessions, cipher: PiiCipher, runtime: DecisionRuntime, *, actor: Actor,
    applicant_id: str, form: Mapping[str, object], on: date | None = None,
) -> ApplicationRecord:
    """Decide and store one application for ``applicant_id`` (form fields as in the API)."""
    for field in _PII:
        if field in form:
            raise InvalidInputError(f"{field} comes from the applicant profile", field=field,
                                    remedy="update the profile instead of the application form")
    now = now_utc()
    day = on or now.date()
    application_id = new_id()
    with sessions.begin() as session:
        identity = _applicant_identity(session, cipher, applicant_id)
        app = parse_application({**form, **identity, "applicant_id": applicant_id})
        device = form.get("device_id")
        hashes = {"id_number": cipher.lookup_hash("id_number", identity["id_number"]),
                  "phone": cipher.lookup_hash("phone", identity["phone"]),
                  "device": cipher.lookup_hash("device", str(device)) if device else None}
        result = runtime.book.decide(app, model=runtime.model, on=day,
                                     history=_history(session, hashes, now))
        record = _store(session, cipher, application_id, applicant_id, actor, now, result,
                        identity, hashes)
        record_audit(session, actor.label, "application.decide", f"application:{application_id}",
                     {"outcome": record.outcome, "policy": result.decision.policy_version,
                      "model": result.decision.model_version, "arm": result.arm.value})
    return record


def _store(session: Session, cipher: PiiCipher, application_id: str, applicant_id: str,
           actor: Actor, now: datetime, result: ChallengerDecision, identity: Mapping[str, str],
           hashes: Mapping[str, str | None]) -> ApplicationRecord:
    decision = result.decision
    full = result.as_dict()
    shadow = full.pop("shadow", None)
    app = decision.application
    session.execute(sa.insert(applications).values(
        id=application_id, applicant_id=applicant_id, user_id=actor.user_id, submitted_at=now,
        decided_on=decision.decided_on, status=_STATUS[decision.outcome],
        outcome=decision.outcome.value, purpose=str(app.get("purpose")),
        segment=str(app.get("segment")), requested_amount=app.requested_amount,
        grade=decision.grade, pd=repr(decision.pd), score=decision.score,
        model_version=decision.model_version, policy_version=decision.policy_version,
        arm=result.arm.value, id_number_hash=hashes["id_number"], phone_hash=hashes["phone"],
        device_hash=hashes["device"], decision_json=json.dumps(_masked(full), ensure_ascii=False),
        shadow_json=json.dumps(shadow) if shadow else None,
        pii_enc=cipher.encrypt(json.dumps(dict(identity)), context=f"application:{application_id}"),
        version=1,
    ))
    return ApplicationRecord(application_id, applicant_id, _STATUS[decision.outcome],
                             decision.outcome.value, now, full, None, None)


def _load(session: Session, application_id: str, *, for_update: bool = False) -> sa.Row[
        tuple[object, ...]]:
    query = sa.select(applications).where(applications.c.id == application_id)
    row = session.execute(query.with_for_update() if for_update else query).first()
    if row is None:
        raise NotFoundError("no such application", field="application_id", value=application_id)
    return row


def _record(row: sa.Row[tuple[object, ...]], decision: dict[str, object]) -> ApplicationRecord:
    return ApplicationRecord(
        str(row.id), str(row.applicant_id), str(row.status), str(row.outcome),
        as_utc(row.submitted_at), decision,
        row.accepted_offer, row.loan_id,
    )


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
        row = _load(session, application_id)
    decision = _unmasked(row, cipher) if reveal else json.loads(str(row.decision_json))
    return _record(row, decision)


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
    return [_record(r, json.loads(str(r.decision_json))) for r in rows]


def owner_of_application(session: Session, application_id: str) -> str | None:
    row = session.execute(sa.select(applications.c.user_id).where(
        applications.c.id == application_id)).first()
    return None if row is None else str(row.user_id)


def review_referral(sessions: Sessions, application_id: str, *, actor: Actor, approve: bool,
                    note: str) -> ApplicationRecord:
    """An underwriter's decision on a referred application."""
    with sessions.begin() as session:
        row = _load(session, application_id, for_update=True)
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
        record_audit(session, actor.label, "application.review", f"application:{application_id}",
                     {"approve": approve})
        row = _load(session, application_id)
    return _record(row, json.loads(str(row.decision_json)))


def replay_application(sessions: Sessions, cipher: PiiCipher, runtime: DecisionRuntime,
                       application_id: str, *, actor: Actor) -> dict[str, object]:
    """Decide a stored application again with its own policy and model; report any difference."""
    with sessions.begin() as session:
        row = _load(session, application_id)
        record_audit(session, actor.label, "application.replay",
                     f"application:{application_id}", {})
    stored = _unmasked(row, cipher)
    policy = runtime.policy(str(row.policy_version), sessions)
    again = replay(stored, policy=policy, model=runtime.model).as_dict()
    original = {k: v for k, v in stored.items() if k not in ("arm",)}
    return {"identical": again == original, "original_outcome": row.outcome,
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


@dataclass(frozen=True, slots=True)
class AcceptedOffer:
    application_id: str
    loan_id: int
    credit_line_id: int | None
    terms: LoanTerms


def _offer_terms(offer: Mapping[str, object], on: date) -> LoanTerms:
    """The contract terms of a stored offer, starting on the acceptance date."""
    return LoanTerms(
        principal=Money.of(str(offer["amount"])), annual_rate=Decimal(str(offer["annual_rate"])),
        periods=int(str(offer["term_months"])), method=RepaymentMethod(str(offer["method"])),
        start=on, monthly_fee_rate=Decimal(str(offer["monthly_fee_rate"])),
        upfront_fee=Money.of(str(offer["upfront_fee"])),
    )


def _acceptable(row: sa.Row[tuple[object, ...]], actor: Actor, offer: int,
                seconds_read: float) -> dict[str, object]:
    if row.user_id != actor.user_id:
        raise NotFoundError("no such application", field="application_id", value=row.id)
    if row.status != "approved" or row.accepted_offer is not None:
        raise ConflictError("this application has no open offer to accept",
                            field="application_id", value=row.id)
    if seconds_read < MIN_READING_SECONDS:
        raise InvalidInputError(
            f"the cost statement must be read for at least {MIN_READING_SECONDS} seconds",
            field="seconds_read", value=round(seconds_read, 1),
            remedy="read the statement, then confirm again")
    offers = json.loads(str(row.decision_json))["offers"]
    if not 0 <= offer < len(offers):
        raise InvalidInputError(f"choose an offer from 0 to {len(offers) - 1}", field="offer",
                                value=offer)
    chosen: dict[str, object] = offers[offer]
    return chosen


def accept_offer(engine: Engine, application_id: str, *, actor: Actor, offer: int,
                 seconds_read: float, on: date) -> AcceptedOffer:
    """The borrower confirms the cost statement and accepts ``offer``: the loan is opened and
    disbursed (a revolving line is opened and the amount drawn) in the same transaction."""
    with UnitOfWork(engine) as uow:
        row = uow.conn.execute(sa.select(applications).where(
            applications.c.id == application_id).with_for_update()).first()
        if row is None:
            raise NotFoundError("no such application", field="application_id",
                                value=application_id)
        chosen = _acceptable(row, actor, offer, seconds_read)
        terms = _offer_terms(chosen, on)
        line_id = None
        if chosen.get("credit_line") is not None or chosen["product"] == "revolving_line":
            limit = Money.of(str(chosen.get("credit_limit") or chosen["amount"]))
            line_id = open_line_in_unit(uow, limit, terms.annual_rate, on).line.line_id
        loan = open_in_unit(uow, terms, credit_line_id=line_id)
        changed = uow.conn.execute(sa.update(applications).where(
            applications.c.id == application_id, applications.c.version == row.version).values(
            status="accepted", accepted_offer=offer, statement_confirmed_at=now_utc(),
            loan_id=str(loan.loan_id), credit_line_id=None if line_id is None else str(line_id),
            version=row.version + 1))
        if changed.rowcount != 1:
            raise ConflictError("the application changed meanwhile; reload and try again")
        with Session(bind=uow.conn) as session:
            record_audit(session, actor.label, "application.accept_offer",
                         f"application:{application_id}",
                         {"offer": offer, "loan": loan.loan_id,
                          "statement_read_seconds": round(seconds_read, 1)})
        uow.commit()
    return AcceptedOffer(application_id, loan.loan_id, line_id, terms)


def owner_of_loan(session: Session, loan_id: str) -> str | None:
    """The user who accepted the offer that opened ``loan_id``."""
    row = session.execute(sa.select(applications.c.user_id).where(
        applications.c.loan_id == str(loan_id))).first()
    return None if row is None else str(row.user_id)


def loans_of_user(engine: Engine, user_id: str) -> list[tuple[str, int]]:
    """(application id, loan id) of every loan the user has, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(applications.c.id, applications.c.loan_id).where(
            applications.c.user_id == user_id, applications.c.loan_id.is_not(None))
            .order_by(applications.c.submitted_at.desc())).all()
    return [(str(r.id), int(r.loan_id)) for r in rows]


class ConsentRequiredError(PermissionDeniedError):
    """The applicant has not consented to the use of their data for a credit assessment."""

    code = "consent_required"


CREDIT_CONSENT = DataCategory.CREDIT_REPORT
"""Consent to this category for ``credit_assessment`` is required to apply."""
ALT_DATA_CONSENTS = (DataCategory.GIG_PLATFORM_INCOME, DataCategory.RENT_AND_UTILITIES)
"""Consent to any of these for ``credit_assessment`` lets the decision use alternative data."""


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


def apply_for_credit(
    sessions: Sessions, cipher: PiiCipher, runtime: DecisionRuntime, *, actor: Actor,
    applicant_id: str, form: Mapping[str, object], on: date | None = None,
) -> ApplicationRecord:
    """Check the applicant's consent, then decide and store the application; the consent
    flags come from the recorded consents, never from the form."""
    for flag in ("consent_credit", "consent_alt_data"):
        if flag in form:
            raise InvalidInputError(f"{flag} comes from the recorded consents", field=flag,
                                    remedy="grant or revoke consent instead")
    return submit_application(sessions, cipher, runtime, actor=actor, applicant_id=applicant_id,
                              form=consented_form(sessions, applicant_id, form), on=on)


def decline_offer(sessions: Sessions, application_id: str, *, actor: Actor) -> ApplicationRecord:
    """The applicant turns down every offer of an approved application (once)."""
    with sessions.begin() as session:
        row = _load(session, application_id, for_update=True)
        if row.user_id != actor.user_id:
            raise NotFoundError("no such application", field="application_id",
                                value=application_id)
        if row.status != "approved" or row.accepted_offer is not None:
            raise ConflictError("this application has no open offer to decline",
                                field="application_id", value=application_id)
        changed = session.execute(sa.update(applications).where(
            applications.c.id == application_id, applications.c.version == row.version).values(
            status=OFFER_DECLINED, version=row.version + 1))
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError("the application changed meanwhile; reload and try again")
        record_audit(session, actor.label, "application.decline_offer",
                     f"application:{application_id}", {})
        row = _load(session, application_id)
    return _record(row, json.loads(str(row.decision_json)))


OFFER_DECLINED = "offer_declined"
"""Status of an approved application whose offers the applicant turned down."""
_MAX_SERIAL = 2**31 - 1


def _serial(value: str) -> int | None:
    return int(value) if value.isdigit() and 0 < int(value) <= _MAX_SERIAL else None


def owner_of_line(session: Session, line_id: str) -> str | None:
    """The user who accepted the offer that opened credit line ``line_id``."""
    row = session.execute(sa.select(applications.c.user_id).where(
        applications.c.credit_line_id == str(line_id))).first()
    return None if row is None else str(row.user_id)


def owner_of_any_loan(session: Session, loan_id: str) -> str | None:
    """The owner of ``loan_id``: opened by accepting an offer, or drawn from their line."""
    owner = owner_of_loan(session, loan_id)
    serial = _serial(str(loan_id))
    if owner is not None or serial is None:
        return owner
    line = session.execute(sa.select(servicing_loans.c.credit_line_id).where(
        servicing_loans.c.id == serial)).scalar()
    return None if line is None else owner_of_line(session, str(line))


def lines_of_user(engine: Engine, user_id: str) -> list[int]:
    """The credit lines the user opened by accepting offers, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(applications.c.credit_line_id).where(
            applications.c.user_id == user_id, applications.c.credit_line_id.is_not(None))
            .order_by(applications.c.submitted_at.desc())).all()
    return [int(r.credit_line_id) for r in rows]


def loan_ids_of_user(engine: Engine, user_id: str) -> list[int]:
    """Every loan the user has — opened from an offer or drawn from a line — newest first."""
    opened = [loan for _, loan in loans_of_user(engine, user_id)]
    lines = lines_of_user(engine, user_id)
    drawn: list[int] = []
    if lines:
        with engine.connect() as conn:
            drawn = [int(i) for i in conn.execute(sa.select(servicing_loans.c.id).where(
                servicing_loans.c.credit_line_id.in_(lines))).scalars()]
    return sorted(set(opened) | set(drawn), reverse=True)
