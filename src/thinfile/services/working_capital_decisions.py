"""Working-capital decisions (微乐贷审批) from a business's stored sales feed.

``decide_working_capital`` reads, in one unit of work, the stored feed of the applicant — only
the kinds of data they still consent to use for a credit assessment —, its features on ``on``
(``thinfile.scoring.sales``), and the grade of their latest credit decision; decides
(``thinfile.decisioning.working_capital``); and stores the decision with its inputs and policy
version, so it can be shown, explained and replayed. A decision is valid for the policy's
``valid_days``.

**The boundary with the line.** Opening the working-capital line is not done here: the
service that opens it calls :func:`approved_terms_in` inside its own unit of work with the
decision's id. It gets the applicant, the limit and the daily rate of an approved, unexpired
decision, or a typed error — and never re-decides.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from thinfile.decisioning.working_capital import (
    TurnoverFacts,
    WorkingCapitalDecision,
    WorkingCapitalOutcome,
    WorkingCapitalPolicy,
)
from thinfile.decisioning.working_capital import (
    decide_working_capital as decide,
)
from thinfile.errors import ConflictError, NotFoundError
from thinfile.money import Money
from thinfile.scoring.sales import READ_DAYS, SalesFeatures, sales_features
from thinfile.scoring.sales_feed import DailySales
from thinfile.services.audit import record_audit
from thinfile.services.consent import Purpose
from thinfile.services.identity_records import Actor, now_utc
from thinfile.services.sales_feed import category_of, checked_day, local_today
from thinfile.services.uow import UnitOfWork

__all__ = [
    "DEFAULT_POLICY",
    "StoredWorkingCapitalDecision",
    "WorkingCapitalTerms",
    "approved_terms_in",
    "decide_working_capital",
    "get_working_capital_decision",
    "replay_working_capital",
    "working_capital_decisions",
]

DEFAULT_POLICY = WorkingCapitalPolicy()


@dataclass(frozen=True, slots=True)
class StoredWorkingCapitalDecision:
    """A stored decision: its number, whose, when, until when, and the decision itself."""

    id: int
    applicant_id: str
    decided_on: date
    valid_until: date
    decision: WorkingCapitalDecision
    credit_grade: str | None
    features: dict[str, int | None]


@dataclass(frozen=True, slots=True)
class WorkingCapitalTerms:
    """What an approved decision lets a line be opened with."""

    decision_id: int
    applicant_id: str
    limit: Money
    daily_rate: Decimal
    policy_version: str


def _consented_rows(uow: UnitOfWork, applicant_id: str, on: date) -> tuple[list[DailySales], bool]:
    """The rows read for ``on`` whose kind of data is consented to, and whether any was left
    out for want of consent."""
    rows = [
        DailySales(*r)
        for r in uow.sales.days_since(applicant_id, on - timedelta(days=READ_DAYS))
        if r[0] < on
    ]
    purpose = Purpose.CREDIT_ASSESSMENT.value
    allowed = {
        c
        for c in {category_of(r.channel) for r in rows}
        if uow.consents.is_given(applicant_id, c.value, purpose)
    }
    kept = [r for r in rows if category_of(r.channel) in allowed]
    return kept, len(kept) < len(rows)


def _features(uow: UnitOfWork, applicant_id: str, on: date) -> tuple[SalesFeatures, bool]:
    rows, withheld = _consented_rows(uow, applicant_id, on)
    first = uow.sales.first_day(applicant_id) if rows else None
    return sales_features(rows, on, first_day=first), withheld


def decide_working_capital(
    engine: Engine,
    applicant_id: str,
    *,
    actor: Actor,
    on: date | None = None,
    policy: WorkingCapitalPolicy = DEFAULT_POLICY,
) -> StoredWorkingCapitalDecision:
    """Decide a working-capital line for ``applicant_id`` on ``on`` (default: today in China)
    from the stored feed, and store the decision."""
    on = checked_day(on or local_today())
    with UnitOfWork(engine) as uow:
        if not uow.applicants.exists(applicant_id):
            raise NotFoundError("no such applicant", field="applicant_id", value=applicant_id)
        features, withheld = _features(uow, applicant_id, on)
        credit_grade = uow.sales.latest_credit_grade(applicant_id)
        decision = decide(
            TurnoverFacts.from_context(features.as_context()),
            credit_grade=credit_grade,
            policy=policy,
            consent_withheld=withheld and features.history_days == 0,
        )
        context: dict[str, int | None] = {
            **features.as_context(),
            "consent_withheld": int(withheld and features.history_days == 0),
        }
        valid_until = on + timedelta(days=policy.valid_days)
        decision_id = uow.sales.add_decision(
            {
                "applicant_id": applicant_id,
                "decided_on": on,
                "valid_until": valid_until,
                "outcome": decision.outcome.value,
                "grade": decision.grade,
                "credit_grade": credit_grade,
                "limit_amount": decision.limit.fen,
                "daily_rate": None if decision.daily_rate is None else str(decision.daily_rate),
                "monthly_turnover": decision.monthly_turnover.fen,
                "reason_codes": ",".join(decision.reason_codes),
                "features_json": json.dumps(context, sort_keys=True, separators=(",", ":")),
                "policy_version": decision.policy_version,
                "actor": actor.label,
                "created_at": now_utc(),
            }
        )
        record_audit(
            uow,
            actor.label,
            "working_capital.decide",
            f"applicant:{applicant_id}",
            {
                "decision_id": decision_id,
                "outcome": decision.outcome.value,
                "limit_fen": decision.limit.fen,
            },
        )
        uow.commit()
    return StoredWorkingCapitalDecision(
        decision_id, applicant_id, on, valid_until, decision, credit_grade, context
    )


def _stored(row: dict[str, Any]) -> StoredWorkingCapitalDecision:
    rate = row["daily_rate"]
    codes = str(row["reason_codes"])
    decision = WorkingCapitalDecision(
        WorkingCapitalOutcome(str(row["outcome"])),
        None if row["grade"] is None else str(row["grade"]),
        Money(int(row["limit_amount"])),
        None if rate is None else Decimal(str(rate)),
        tuple(codes.split(",")) if codes else (),
        Money(int(row["monthly_turnover"])),
        str(row["policy_version"]),
    )
    return StoredWorkingCapitalDecision(
        int(row["id"]),
        str(row["applicant_id"]),
        _date(row["decided_on"]),
        _date(row["valid_until"]),
        decision,
        None if row["credit_grade"] is None else str(row["credit_grade"]),
        json.loads(str(row["features_json"])),
    )


def _date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def get_working_capital_decision(
    engine: Engine, applicant_id: str, decision_id: int
) -> StoredWorkingCapitalDecision:
    """One stored decision of ``applicant_id``."""
    with UnitOfWork(engine) as uow:
        row = uow.sales.decision(decision_id)
    if row is None or str(row["applicant_id"]) != applicant_id:
        raise NotFoundError(
            "no such working-capital decision", field="decision_id", value=decision_id
        )
    return _stored(row)


def working_capital_decisions(
    engine: Engine, applicant_id: str
) -> list[StoredWorkingCapitalDecision]:
    """The applicant's latest decisions, newest first."""
    with UnitOfWork(engine) as uow:
        if not uow.applicants.exists(applicant_id):
            raise NotFoundError("no such applicant", field="applicant_id", value=applicant_id)
        rows = uow.sales.decisions(applicant_id)
    return [_stored(r) for r in rows]


def approved_terms_in(
    uow: UnitOfWork, decision_id: int, on: date, *, owner: str
) -> WorkingCapitalTerms:
    """The terms of ``owner``'s approved decision still valid on ``on``, inside the caller's
    unit of work (the line-opening service's); a declined, expired or unknown decision raises,
    and another borrower's reads as unknown before anything is said of it (its outcome is
    theirs)."""
    row = uow.sales.decision(decision_id)
    stored = None if row is None else _stored(row)
    if stored is None or uow.applicants.owner(stored.applicant_id) != owner:
        raise NotFoundError(
            "no such working-capital decision", field="decision_id", value=decision_id
        )
    d = stored.decision
    if not d.is_approved or d.daily_rate is None:
        raise ConflictError(
            "this working-capital decision was a decline",
            field="decision_id",
            value=decision_id,
            remedy="ask for a new decision once the reasons given no longer apply",
        )
    if on > stored.valid_until:
        raise ConflictError(
            f"this working-capital decision expired on {stored.valid_until.isoformat()}",
            field="decision_id",
            value=decision_id,
            remedy="ask for a new decision",
        )
    return WorkingCapitalTerms(
        decision_id, stored.applicant_id, d.limit, d.daily_rate, d.policy_version
    )


def replay_working_capital(
    engine: Engine,
    decision_id: int,
    *,
    policies: Mapping[str, WorkingCapitalPolicy] | None = None,
) -> tuple[StoredWorkingCapitalDecision, WorkingCapitalDecision]:
    """The stored decision and the same decision made again from its stored inputs under its
    policy version (``policies``: by version; the default policy when not given)."""
    known = {DEFAULT_POLICY.version: DEFAULT_POLICY} if policies is None else policies
    with UnitOfWork(engine) as uow:
        row = uow.sales.decision(decision_id)
    if row is None:
        raise NotFoundError(
            "no such working-capital decision", field="decision_id", value=decision_id
        )
    stored = _stored(row)
    policy = known.get(stored.decision.policy_version)
    if policy is None:
        raise ConflictError(
            f"the policy {stored.decision.policy_version} is not known here",
            field="policy_version",
            value=stored.decision.policy_version,
            remedy="replay with the policy the decision was made under",
        )
    again = decide(
        TurnoverFacts.from_context(stored.features),
        credit_grade=stored.credit_grade,
        policy=policy,
        consent_withheld=bool(stored.features.get("consent_withheld")),
    )
    return stored, again
