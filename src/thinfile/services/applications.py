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

import sqlalchemy as sa
from sqlalchemy.orm import Session

from thinfile.decisioning import (
    ChallengerDecision,
    History,
    Outcome,
    parse_application,
    replay,
)
from thinfile.errors import ConflictError, InvalidInputError, NotFoundError
from thinfile.security.crypto import PiiCipher
from thinfile.security.pii import (
    mask_id_number,
    mask_name,
    mask_phone,
    normalize_id_number,
    normalize_phone,
)
from thinfile.services.audit import record_audit
from thinfile.services.identity_records import Actor, Sessions, as_utc, new_id, now_utc
from thinfile.services.policies import DecisionRuntime
from thinfile.store.decisioning_tables import applications, deny_list
from thinfile.store.identity_tables import applicants

__all__ = [
    "ApplicationRecord",
    "add_to_deny_list",
    "get_application",
    "list_applications",
    "owner_of_application",
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
