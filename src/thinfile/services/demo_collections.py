"""The demo's collections story (催收): cases that close of business opens as loans fall past
due, worked by a collector under the conduct rules, through a year.

- the first case of a borrower who pays late (an M1 case): the collector calls the borrower
  at 10:00 their time, the borrower promises to pay what is overdue on the day they will pay,
  and pays then: close of business marks the promise **kept**;
- the first case of a borrower who stops paying: a call, a promise to pay within a week that
  is never paid: close of business marks it **broken**;
- when that borrower reaches M3 (61-90 days past due), the collector proposes a restructure
  (re-age: the arrears spread over the installments not yet due) and a servicing agent — not
  the proposer — approves it: one hardship plan granted, the loan current again.

:func:`collections_story_day` runs before each day's close of business, after the day's
repayments; every service call takes the replayed business date from the database, so the
story's promises and plans fall on the replayed days.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from thinfile.collections import Channel, ContactOutcome, HardshipKind, Party, Purpose
from thinfile.errors import InvalidInputError
from thinfile.money import Money
from thinfile.security.crypto import PiiCipher
from thinfile.services.collection_contacts import (
    ContactRequest,
    log_contact,
    promises_of_case,
    record_promise,
)
from thinfile.services.collection_hardship import approve_plan, propose_plan
from thinfile.services.collections import CaseSummary, worklist
from thinfile.services.identity_records import Actor
from thinfile.services.loans import get_loan

__all__ = ["CollectionsStory", "Debtor", "collections_story_day", "story_outcome"]

LATE, DEFAULTS = "late", "defaults"
"""The behaviours of the demo borrowers the story works (``thinfile.services.demo``)."""
PAYS_DAYS_LATE = 12
"""How late the demo's late payer pays each installment."""
BROKEN_PROMISE_DAYS = 7
_CALL_HOUR = time(10)
_ZONE = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class Debtor:
    """What the story knows of a borrower with a loan: how they pay and their phone."""

    loan_id: int
    behaviour: str
    phone: str


@dataclass(slots=True)
class CollectionsStory:
    collector: Actor
    approver: Actor
    """A servicing agent: approves the plan the collector proposed (maker-checker)."""
    cipher: PiiCipher
    kept_case: int | None = None
    """The late payer's case with the promise made to be kept."""
    broken_case: int | None = None
    """The defaulter's case with the promise made to be broken."""
    plan_loan: int | None = None
    """The loan granted a restructure."""
    plan_id: int | None = None
    contacts: int = 0
    m3_cases: list[int] = field(default_factory=list)


def _call(
    engine: Engine, story: CollectionsStory, case_id: int, debtor: Debtor, day: date, why: str
) -> None:
    """A call to the borrower at 10:00 their time, answered with a promise."""
    at = datetime.combine(day, _CALL_HOUR, tzinfo=_ZONE).astimezone(UTC)
    request = ContactRequest(
        channel=Channel.PHONE,
        party=Party.BORROWER,
        phone=debtor.phone,
        purpose=Purpose.COLLECT,
        script="first-contact",
        reason=why,
        outcome=ContactOutcome.PROMISE,
        at=at,
    )
    log_contact(engine, case_id, request, cipher=story.cipher, actor=story.collector)
    story.contacts += 1


def _unpaid_dues(engine: Engine, loan_id: int, day: date) -> tuple[int, list[date]]:
    """fen fallen due before ``day`` and unpaid, and the due dates they fell due on."""
    account = get_loan(engine, loan_id).account
    rows = [row for row in account.installments if row.due < day and row.unpaid.total > 0]
    return sum(row.unpaid.total for row in rows), [row.due for row in rows]


def _promise_kept(
    engine: Engine, story: CollectionsStory, case: CaseSummary, debtor: Debtor, day: date
) -> None:
    owed, dues = _unpaid_dues(engine, debtor.loan_id, day)
    pays_on = min(dues, default=day) + timedelta(days=PAYS_DAYS_LATE)
    if owed <= 0 or not day <= pays_on <= day + timedelta(days=30):
        return
    _call(engine, story, case.case_id, debtor, day, "first missed installment")
    record_promise(engine, case.case_id, Money(owed), pays_on, actor=story.collector, today=day)
    story.kept_case = case.case_id


def _promise_broken(
    engine: Engine, story: CollectionsStory, case: CaseSummary, debtor: Debtor, day: date
) -> None:
    owed, _dues = _unpaid_dues(engine, debtor.loan_id, day)
    if owed <= 0:
        return
    _call(engine, story, case.case_id, debtor, day, "installment unpaid, first call")
    due = day + timedelta(days=BROKEN_PROMISE_DAYS)
    record_promise(engine, case.case_id, Money(owed), due, actor=story.collector, today=day)
    story.broken_case = case.case_id


def _restructure(engine: Engine, story: CollectionsStory, case: CaseSummary, day: date) -> None:
    """Propose a re-age for an M3 loan and have the servicing agent approve it; a loan with
    no installment left to spread the arrears over is passed by."""
    try:
        plan = propose_plan(
            engine,
            case.loan_id,
            HardshipKind.RESTRUCTURE,
            reason="income fell after an injury; borrower can pay the regular installment",
            actor=story.collector,
            today=day,
        )
    except InvalidInputError:
        return
    approve_plan(engine, plan.plan_id, approver=story.approver, today=day)
    story.plan_loan, story.plan_id = case.loan_id, plan.plan_id


def collections_story_day(
    engine: Engine, story: CollectionsStory, debtors: Mapping[int, Debtor], day: date
) -> None:
    """The collector's day, before close of business: the open cases of the borrowers the
    story follows (``debtors`` by loan), worked as the module says."""
    if story.kept_case is not None and story.plan_id is not None:
        return
    for case in worklist(engine, limit=1000):
        debtor = debtors.get(case.loan_id)
        if debtor is None:
            continue
        if debtor.behaviour == LATE and story.kept_case is None:
            _promise_kept(engine, story, case, debtor, day)
        elif debtor.behaviour == DEFAULTS and story.broken_case is None:
            _promise_broken(engine, story, case, debtor, day)
        elif debtor.behaviour == DEFAULTS and case.bucket == "M3" and story.plan_id is None:
            story.m3_cases.append(case.case_id)
            _restructure(engine, story, case, day)


def story_outcome(engine: Engine, story: CollectionsStory) -> dict[str, object]:
    """What the year showed: the promises as close of business settled them, the plan."""

    def status(case_id: int | None) -> str | None:
        if case_id is None:
            return None
        promises = promises_of_case(engine, case_id)
        return promises[0].status.value if promises else None

    return {
        "contacts": story.contacts,
        "kept_promise": status(story.kept_case),
        "broken_promise": status(story.broken_case),
        "hardship_plan": None if story.plan_id is None else f"loan {story.plan_loan}: restructure",
    }
