"""Collections results as API models (never a table row)."""

from __future__ import annotations

from typing import Literal

from thinfile.api.mappers import money
from thinfile.api.models_collections import (
    CasePublic,
    CaseSummaryPublic,
    ContactPublic,
    HardshipPlanPublic,
    MeasurePublic,
    NotePublic,
    PromisePublic,
)
from thinfile.collections import ContactOutcome
from thinfile.services.collection_contacts import LoggedContact, PromiseRecord
from thinfile.services.collection_hardship import HardshipPlan
from thinfile.services.collection_views import CaseNote, CaseView
from thinfile.services.collections import CaseSummary, Measures
from thinfile.services.identity_records import as_utc

__all__ = [
    "case_public",
    "contact_public",
    "measures_public",
    "note_public",
    "plan_public",
    "promise_public",
    "summary_public",
]

_CONTACT_STATUS: dict[str, Literal["made", "refused"]] = {"made": "made", "refused": "refused"}
_CASE_STATUS: dict[str, Literal["open", "closed"]] = {"open": "open", "closed": "closed"}


def summary_public(c: CaseSummary) -> CaseSummaryPublic:
    return CaseSummaryPublic(
        case_id=c.case_id,
        loan_id=c.loan_id,
        bucket=c.bucket,
        strategy=c.strategy,
        arm=c.arm,
        days_past_due=c.days_past_due,
        assignee=c.assignee,
        agency=c.agency,
        opened_on=c.opened_on,
    )


def contact_public(c: LoggedContact) -> ContactPublic:
    return ContactPublic(
        contact_id=c.contact_id,
        at=c.at,
        channel=c.channel,
        party=c.party,
        number_masked=c.number_masked,
        outcome=None if c.outcome is None else ContactOutcome(c.outcome),
        script=c.script,
        reason=c.reason,
        actor=c.actor,
        agency=c.agency,
        status=_CONTACT_STATUS[c.status],
        rule=c.rule,
    )


def promise_public(p: PromiseRecord) -> PromisePublic:
    return PromisePublic(
        promise_id=p.promise_id,
        amount=money(p.amount.fen),
        made_on=p.made_on,
        due=p.due,
        status=p.status,
        paid=money(p.paid.fen),
    )


def plan_public(p: HardshipPlan) -> HardshipPlanPublic:
    return HardshipPlanPublic(
        plan_id=p.plan_id,
        loan_id=p.loan_id,
        kind=p.kind,
        months=p.months,
        amount=None if p.amount is None else money(p.amount),
        status=p.status,
        proposed_by=p.proposed_by,
        proposed_on=p.proposed_on,
        approved_by=p.approved_by,
        txn_id=p.txn_id,
    )


def case_public(v: CaseView) -> CasePublic:
    f = v.facts
    return CasePublic(
        case_id=f.case_id,
        loan_id=f.loan_id,
        status=_CASE_STATUS[v.status],
        bucket=f.bucket,
        strategy=v.strategy,
        arm=v.arm,
        days_past_due=f.days_past_due,
        overdue=money(f.overdue_fen),
        outstanding=money(f.outstanding_fen),
        currency=f.currency,
        borrower_name_masked=f.borrower_name_masked,
        numbers_masked=list(f.numbers_masked),
        assignee=f.assignee,
        agency=f.agency,
        contacts=[contact_public(c) for c in v.contacts],
        promises=[promise_public(p) for p in v.promises],
        plans=[plan_public(p) for p in v.plans],
        notes=[note_public(n) for n in v.notes],
    )


def note_public(n: CaseNote) -> NotePublic:
    return NotePublic(note_id=n.note_id, author=n.author, at=as_utc(n.at), text=n.text)


def measures_public(m: Measures) -> list[MeasurePublic]:
    return [
        MeasurePublic(
            strategy=strategy,
            bucket=bucket,
            cases=r.cases,
            cure_rate=str(round(r.cure_rate, 4)),
            roll_forward_rate=str(round(r.roll_forward_rate, 4)),
            promise_kept_rate=(
                None
                if (strategy, bucket) not in m.promise_kept
                else str(round(m.promise_kept[(strategy, bucket)], 4))
            ),
        )
        for (strategy, bucket), r in m.rates.items()
    ]
