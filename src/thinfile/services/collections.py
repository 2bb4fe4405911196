"""Collection cases (催收案件): opened and followed by close of business from the loans'
delinquency buckets, worked from worklists by strategy and bucket, assigned to collectors,
given to and recalled from outsourced agencies (agencies see a redacted case).

Close of business runs :func:`follow_cases_in_unit` (step ``cases``): every active delinquent
loan without a case gets one — its strategy from its bucket (M1 reminders and self-service,
M2 and later an agent queue) and its reminder arm (champion, challenger or control, by a hash
of the loan id) — open cases follow their loan's bucket, cured or closed loans' cases close and
a loan delinquent again reopens its case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from thinfile.collections import (
    DEFAULT_TIME_ZONE,
    AgencyCaseView,
    Arm,
    CaseFacts,
    CaseResult,
    Rates,
    Strategy,
    assign_arm,
    collection_rates,
    promise_kept_rate,
    redact_for_agency,
    strategy_for,
)
from thinfile.collections.strategy import AGENT_BUCKETS
from thinfile.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from thinfile.security.roles import COLLECTION_ROLES, SERVICING_ROLES, Role
from thinfile.services.audit import record_audit
from thinfile.services.business_date import business_date_in
from thinfile.services.identity_records import Actor
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import LoanStatus
from thinfile.store.servicing_codec import from_day, to_day

__all__ = [
    "CONTROL_SHARE",
    "REMINDER_ARMS",
    "REMINDER_SALT",
    "Agency",
    "CaseSummary",
    "Measures",
    "add_agency",
    "agency_case",
    "assign_agency",
    "assign_case",
    "case_facts_in",
    "check_collectable_in",
    "check_collector",
    "check_loan_in_reach_in",
    "collection_measures",
    "follow_cases_in_unit",
    "held_open",
    "list_agencies",
    "member_agency_in",
    "open_case_in",
    "published_agencies",
    "recall_agency",
    "worklist",
]

REMINDER_ARMS = (Arm("champion", Decimal("0.5")), Arm("challenger", Decimal("0.5")))
"""The reminder strategies competing (the champion first)."""
CONTROL_SHARE = Decimal("0.1")
"""The share of cases in the control group (no extra reminder)."""
REMINDER_SALT = "reminders-1"
"""Changing the salt starts a new experiment (every loan drawn again)."""


@dataclass(frozen=True, slots=True)
class CaseSummary:
    case_id: int
    loan_id: int
    bucket: str
    strategy: str
    arm: str
    days_past_due: int
    assignee: str | None
    agency: str | None
    opened_on: date


def check_collector(actor: Actor, roles: frozenset[Role] = COLLECTION_ROLES) -> None:
    if actor.role not in roles:
        raise PermissionDeniedError(
            f"a {actor.role.value} may not work collection cases",
            extra={"allowed_roles": sorted(r.value for r in roles)},
        )


def follow_cases_in_unit(uow: UnitOfWork, x: date) -> int:
    """Close of business step ``cases`` for business date ``x`` (set-based; a second run of
    the same date finds nothing to do)."""
    day = to_day(x)
    new = [
        {
            "loan_id": int(r.id),
            "status": "open",
            "bucket": str(r.bucket),
            "entry_bucket": str(r.bucket),
            "strategy": strategy_for(str(r.bucket)).value,
            "arm": assign_arm(int(r.id), REMINDER_ARMS, control=CONTROL_SHARE, salt=REMINDER_SALT),
            "time_zone": DEFAULT_TIME_ZONE,
            "opened_day": day,
        }
        for r in uow.collections.delinquent_without_case()
    ]
    return uow.collections.add_cases(new) + uow.collections.follow_buckets(day, AGENT_BUCKETS)


def _summary(r: Any, book: int | None) -> CaseSummary:
    since = r.overdue_since_day
    closed = int(r.cob_day) if book is None else max(int(r.cob_day), book)
    return CaseSummary(
        case_id=int(r.id),
        loan_id=int(r.loan_id),
        bucket=str(r.bucket),
        strategy=str(r.strategy),
        arm=str(r.arm),
        days_past_due=0 if since is None else max(closed - int(since), 0),
        assignee=r.assignee,
        agency=r.agency,
        opened_on=from_day(int(r.opened_day)),
    )


def worklist(
    engine: Engine,
    *,
    strategy: Strategy | None = None,
    bucket: str | None = None,
    assignee: str | None = None,
    agency: str | None = None,
    limit: int = 100,
) -> list[CaseSummary]:
    """Open cases, most days past due first, filtered by strategy, bucket, assignee, agency."""
    if not 1 <= limit <= 1000:
        raise InvalidInputError("limit is from 1 to 1000", field="limit", value=limit)
    filters = {
        "strategy": None if strategy is None else Strategy(strategy).value,
        "bucket": bucket,
        "assignee": assignee,
        "agency": agency,
    }
    with UnitOfWork(engine) as uow:
        book = uow.cob.book_day()
        return [_summary(r, book) for r in uow.collections.worklist(filters, limit)]


def member_agency_in(uow: UnitOfWork, actor: Actor) -> str | None:
    """The agency a collector signs in for (``collection_agency_users``); None in-house."""
    if actor.role is not Role.COLLECTOR:
        return None
    return uow.collections.agency_of_user(actor.user_id)


def open_case_in(
    uow: UnitOfWork, case_id: int, *, agency: str | None = None, actor: Actor | None = None
) -> Any:
    """The open case ``case_id``, locked; with ``agency``, only a case that agency holds.
    With ``actor``, a case placed elsewhere than the actor's own agency does not exist."""
    row = uow.collections.case(case_id, lock=True)
    member = None if actor is None else member_agency_in(uow, actor)
    if row is None or (member is not None and row.agency != member):
        raise NotFoundError("no such collection case", field="case_id", value=case_id)
    if row.status != "open":
        raise ConflictError(f"collection case {case_id} is closed", field="case_id", value=case_id)
    if agency is not None and row.agency != agency:
        raise PermissionDeniedError(
            "the case is not assigned to this agency", field="case_id", value=case_id
        )
    return row


def check_loan_in_reach_in(uow: UnitOfWork, loan_id: int, actor: Actor) -> None:
    """An outsourced agency's collector acts only on a loan whose open case their agency
    holds (in-house staff on any loan): any other loan does not exist for them, as
    :func:`open_case_in` treats a case placed elsewhere."""
    member = member_agency_in(uow, actor)
    if member is None:
        return
    row = uow.collections.case_of_loan(loan_id)
    if row is None or row.status != "open" or row.agency != member:
        raise NotFoundError(
            "no such loan among the cases your agency holds",
            field="loan_id",
            value=loan_id,
            remedy="act only on loans whose case is assigned to your agency",
        )


def check_collectable_in(uow: UnitOfWork, loan_id: int, on: date) -> None:
    """Refuse collecting (a contact, a promise) on a loan with nothing to collect on ``on``:
    not active (repaid, charged off, written off), nothing past due (arrears cured before the
    case closes at close of business), or its purchase under an open dispute (DOMAIN §11:
    collection pauses until the dispute is resolved)."""
    loan = uow.loans.get(loan_id).account
    if loan.status is not LoanStatus.ACTIVE:
        raise ConflictError(
            f"loan {loan_id} is {loan.status.value}: there is nothing to collect",
            field="loan_id",
            value=loan_id,
            remedy="make no collection contact or promise; the case closes at close of business",
        )
    if not any(i.arrears > 0 for i in loan.installments if i.due < on):
        raise ConflictError(
            f"loan {loan_id} has nothing past due on {on.isoformat()}: there is nothing to collect",
            field="loan_id",
            value=loan_id,
            remedy="make no collection contact or promise; the case closes at close of business",
        )
    if any(end is None for _start, end in uow.disputes.held_of_loan(loan_id)):
        raise ConflictError(
            f"loan {loan_id} finances a purchase under an open dispute: collection pauses",
            field="loan_id",
            value=loan_id,
            remedy="wait until the dispute is resolved",
        )


def assign_case(engine: Engine, case_id: int, assignee: str | None, *, actor: Actor) -> None:
    """Give an agent-queue case to a collector (``None``: back to the queue)."""
    check_collector(actor, SERVICING_ROLES)
    with UnitOfWork(engine) as uow:
        row = open_case_in(uow, case_id)
        if row.agency is not None:
            raise ConflictError(
                "the case is with an agency",
                field="case_id",
                value=case_id,
                remedy="recall it from the agency first",
            )
        if assignee is not None:
            user = uow.users.get(assignee)
            if user is None:
                raise NotFoundError("no such user", field="assignee", value=assignee)
            if Role(user.role) not in COLLECTION_ROLES:
                raise InvalidInputError(
                    f"a {user.role} does not work collection cases",
                    field="assignee",
                    value=assignee,
                    remedy="assign the case to a collector or a collections manager",
                )
        uow.collections.update_case(case_id, assignee=assignee)
        action = "collection.assign" if assignee else "collection.unassign"
        record_audit(uow, actor.label, action, f"case:{case_id}", {"assignee": assignee})
        uow.commit()


def add_agency(engine: Engine, code: str, name: str, *, actor: Actor) -> None:
    """Put an agency on the published white list (委外机构名单)."""
    check_collector(actor, frozenset({Role.ADMIN}))
    if not code.strip() or len(code) > 40 or not name.strip():
        raise InvalidInputError("an agency needs a code (≤ 40) and a name", field="code")
    with UnitOfWork(engine) as uow:
        if uow.collections.agency(code) is not None:
            raise ConflictError("the agency is already listed", field="code", value=code)
        uow.collections.add_agency(code, name.strip())
        record_audit(uow, actor.label, "collection.agency_add", f"agency:{code}", {})
        uow.commit()


@dataclass(frozen=True, slots=True)
class Agency:
    """An outsourced collection agency on the white list (委外催收机构名单, DOMAIN §5.6)."""

    code: str
    name: str
    active: bool


def list_agencies(engine: Engine, *, actor: Actor) -> list[Agency]:
    """The white list of outsourced collection agencies, by code, for staff who work or
    place collection cases (collectors, agencies' included, servicing agents, admins); §5.6
    asks the lender to publish it."""
    check_collector(actor)
    return _white_list(engine)


def published_agencies(engine: Engine) -> list[Agency]:
    """The outsourced collection agencies the lender works with now (the active ones of the
    white list), by name, for anyone to read: DOMAIN §5.6 asks the lender to publish them."""
    listed = [a for a in _white_list(engine) if a.active]
    return sorted(listed, key=lambda a: (a.name, a.code))


def _white_list(engine: Engine) -> list[Agency]:
    """Every agency of the white list, by code."""
    with UnitOfWork(engine) as uow:
        rows = uow.collections.agencies()
    return [Agency(str(r.code), str(r.name), bool(r.active)) for r in rows]


def assign_agency(engine: Engine, case_id: int, agency: str, *, actor: Actor) -> None:
    """Give a case to a white-listed agency (its strategy becomes ``agency``)."""
    check_collector(actor, SERVICING_ROLES)
    with UnitOfWork(engine) as uow:
        row = open_case_in(uow, case_id)
        listed = uow.collections.agency(agency)
        if listed is None or not listed.active:
            raise NotFoundError("no such listed agency", field="agency", value=agency)
        if row.agency is not None:
            raise ConflictError("the case is already with an agency", field="case_id")
        on = to_day(business_date_in(uow))
        uow.collections.assign_agency(case_id, agency, on, actor.label)
        uow.collections.update_case(
            case_id, agency=agency, assignee=None, strategy=Strategy.AGENCY.value
        )
        record_audit(
            uow, actor.label, "collection.agency_assign", f"case:{case_id}", {"agency": agency}
        )
        uow.commit()


def recall_agency(engine: Engine, case_id: int, *, actor: Actor) -> None:
    """Take a case back from its agency (back to its bucket's strategy)."""
    check_collector(actor, SERVICING_ROLES)
    with UnitOfWork(engine) as uow:
        row = open_case_in(uow, case_id)
        if row.agency is None:
            raise ConflictError("the case is not with an agency", field="case_id")
        uow.collections.recall_agency(case_id, to_day(business_date_in(uow)))
        uow.collections.update_case(
            case_id, agency=None, strategy=strategy_for(str(row.bucket)).value
        )
        record_audit(
            uow, actor.label, "collection.agency_recall", f"case:{case_id}", {"agency": row.agency}
        )
        uow.commit()


def case_facts_in(uow: UnitOfWork, row: Any) -> CaseFacts:
    """Everything staff see of a case (names and numbers masked)."""
    stored = uow.loans.get(int(row.loan_id))
    loan = stored.account
    book = uow.cob.book_day()
    on = loan.cob_date if book is None else max(loan.cob_date, from_day(book))
    overdue = sum(i.arrears for i in loan.installments if i.due <= on)
    parties = uow.collections.parties_of(int(row.loan_id))
    borrower = [p for p in parties if p.party == "borrower"]
    return CaseFacts(
        case_id=int(row.id),
        loan_id=loan.loan_id,
        bucket=str(row.bucket),
        days_past_due=loan.days_past_due(on),
        overdue_fen=overdue,
        outstanding_fen=loan.outstanding.total,
        currency=loan.currency,
        borrower_name_masked=str(borrower[0].name_masked) if borrower else "",
        id_number_masked="",
        numbers_masked=tuple((str(p.party), str(p.number_masked)) for p in parties),
        assignee=row.assignee,
        agency=row.agency,
    )


def held_open(row: Any, agency: str) -> bool:
    """Whether ``agency`` holds case ``row`` and the case is open: an agency reads a case and
    its borrower only then."""
    return bool(row.agency == agency and row.status == "open")


def agency_case(engine: Engine, case_id: int, *, agency: str) -> AgencyCaseView:
    """The case as ``agency`` may see it (only while it holds the case open)."""
    with UnitOfWork(engine) as uow:
        row = uow.collections.case(case_id)
        if row is None or not held_open(row, agency):
            raise NotFoundError("no such case for this agency", field="case_id", value=case_id)
        return redact_for_agency(case_facts_in(uow, row))


def _later(status: str, bucket: str) -> str:
    return bucket if status == "active" else status


@dataclass(frozen=True, slots=True)
class Measures:
    rates: dict[tuple[str, str], Rates]
    promise_kept: dict[tuple[str, str], Decimal]


def collection_measures(engine: Engine, *, actor: Actor | None = None) -> Measures:
    """Cure and roll-forward rates of every case (the bucket it opened in, its strategy now,
    against its loan's bucket now) and promise-kept rates, by strategy and bucket. An
    outsourced agency's collector (``actor``, :func:`member_agency_in`) measures only the
    cases their agency holds (or held when they closed): never in-house or other agencies'."""
    with UnitOfWork(engine) as uow:
        agency = None if actor is None else member_agency_in(uow, actor)
        cases = uow.collections.case_rows(agency=agency)
        promises = uow.collections.promise_rows(agency=agency)
    results = [
        CaseResult(str(c.strategy), str(c.entry_bucket), _later(str(c.ls), str(c.loan_bucket)))
        for c in cases
    ]
    kept = promise_kept_rate([(str(s), str(b), str(st)) for s, b, st in promises])
    return Measures(collection_rates(results), kept)
