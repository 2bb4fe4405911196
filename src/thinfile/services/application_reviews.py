"""Staff work on stored applications: an underwriter's review of a referral, replaying a
stored decision, the deny list.

Each use case is one unit of work with its audit row appended last, committed once.
"""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine

from thinfile.decisioning import replay, same_as_stored
from thinfile.errors import ConflictError, InvalidInputError
from thinfile.security.crypto import PiiCipher
from thinfile.security.pii import normalize_id_number, normalize_phone
from thinfile.services.applications_records import (
    ApplicationRecord,
    ApplicationStatus,
    application_record,
    load_application,
    unmasked_decision,
)
from thinfile.services.audit import record_audit
from thinfile.services.identity_records import Actor, now_utc
from thinfile.services.policies import DecisionRuntime
from thinfile.services.reasons import review_note
from thinfile.services.uow import UnitOfWork

__all__ = ["add_to_deny_list", "replay_application", "review_referral"]


def review_referral(
    engine: Engine, application_id: str, *, actor: Actor, approve: bool, note: str
) -> ApplicationRecord:
    """An underwriter's decision on a referred application, with a note for the file
    (:func:`~thinfile.services.reasons.review_note`)."""
    note = review_note(note)
    with UnitOfWork(engine) as uow:
        row = load_application(uow, application_id, lock=True)
        if row.status != ApplicationStatus.REFERRED:
            raise ConflictError(
                f"the application is {row.status}, not referred",
                field="application_id",
                value=application_id,
            )
        status = ApplicationStatus.APPROVED if approve else ApplicationStatus.DECLINED
        if not uow.applications.update(
            application_id,
            row.version,
            status=status.value,
            reviewed_by=actor.label,
            reviewed_at=now_utc(),
            review_note=note,
        ):
            raise ConflictError("the application changed meanwhile; reload and try again")
        row = load_application(uow, application_id)
        record_audit(
            uow,
            actor.label,
            "application.review",
            f"application:{application_id}",
            {"approve": approve},
        )
        uow.commit()
    return application_record(row, json.loads(row.decision_json))


def replay_application(
    engine: Engine,
    cipher: PiiCipher,
    runtime: DecisionRuntime,
    application_id: str,
    *,
    actor: Actor,
) -> dict[str, object]:
    """Decide a stored application again with its own policy and model; report any difference."""
    with UnitOfWork(engine) as uow:
        row = load_application(uow, application_id)
        record_audit(uow, actor.label, "application.replay", f"application:{application_id}", {})
        uow.commit()
    stored = unmasked_decision(row, cipher)
    policy = runtime.policy(row.policy_version, engine)
    again = replay(stored, policy=policy, model=runtime.model).as_dict()
    original = {k: v for k, v in stored.items() if k not in ("arm",)}
    return {
        "identical": same_as_stored(again, original),
        "original_outcome": row.outcome,
        "replayed_outcome": again["outcome"],
        "policy_version": row.policy_version,
        "model_version": row.model_version,
    }


def add_to_deny_list(
    engine: Engine, cipher: PiiCipher, *, kind: str, value: str, reason: str, actor: Actor
) -> None:
    """Deny future applications with this ID number or phone (stored as a keyed hash)."""
    if kind not in ("id_number", "phone"):
        raise InvalidInputError("kind must be id_number or phone", field="kind", value=kind)
    normalized = normalize_id_number(value) if kind == "id_number" else normalize_phone(value)
    digest = cipher.lookup_hash(kind, normalized)
    with UnitOfWork(engine) as uow:
        uow.deny_list.put(digest, kind=kind, reason=reason[:200], added_at=now_utc())
        record_audit(uow, actor.label, "deny_list.add", f"deny_list:{kind}", {})
        uow.commit()
