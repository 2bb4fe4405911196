"""The staff's case page and queue in one read each, and who may see which case.

* :func:`case_view` — a case's facts, the loan's schedule and payments, its contacts (made and
  refused), notes, promises and the loan's hardship plans.
* :func:`case_queue` — open cases to work, for the caller.
* Agency users (collectors signed in for an outsourced agency, ``collection_agency_users``)
  see only the cases placed with their agency: any other case is "no such case" (404), in the
  service, whichever surface asks. Their case page is cut to what an agency needs
  (``collections.agency``): the borrower's masked name and numbers, the overdue amount and
  installments, their agency's own contacts and the promises — no ID number, no third
  party's number, no payments, no hardship plans, no in-house notes.
* The borrower to call (:class:`BorrowerContact`), read from their applicant profile through
  the PII cipher when the caller passes it: an in-house collector, who dials, reads the name
  and phone in full; anyone else (a servicing agent, an admin, an agency) reads them masked.
  Every read of the profile is audited (``collection.view_borrower``), as staff reads of a
  profile are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from thinfile.collections import CaseFacts, Strategy
from thinfile.errors import ConflictError, InvalidInputError, NotFoundError
from thinfile.security.crypto import PiiCipher
from thinfile.security.pii import mask_name, mask_phone
from thinfile.security.roles import Role
from thinfile.services.applicants import identity_of_user
from thinfile.services.audit import record_audit
from thinfile.services.collection_contacts import (
    LoggedContact,
    PromiseRecord,
    contacts_of_case,
    promises_of_case,
)
from thinfile.services.collection_hardship import (
    HardshipPlan,
    approve_plan,
    decline_plan,
    plans_of_loan,
)
from thinfile.services.collections import (
    CaseSummary,
    case_facts_in,
    check_collector,
    held_open,
    member_agency_in,
    worklist,
)
from thinfile.services.identity_records import Actor, now_utc
from thinfile.services.loans import TransactionView
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import InstallmentState
from thinfile.store.servicing_codec import from_day

__all__ = [
    "DIALLING_ROLES",
    "NOTE_MAX_CHARS",
    "BorrowerContact",
    "CaseNote",
    "CaseView",
    "add_agency_user",
    "add_note",
    "agency_of",
    "approve_plan_of_case",
    "case_queue",
    "case_view",
    "decline_plan_of_case",
    "visible_case_in",
]

NOTE_MAX_CHARS = 1000
DIALLING_ROLES = frozenset({Role.COLLECTOR})
"""In-house, these roles call borrowers from the case page: they read the number in full."""


@dataclass(frozen=True, slots=True)
class BorrowerContact:
    """The borrower of a case as the caller may see them (``revealed``: name and phone in
    full; otherwise both masked)."""

    name: str
    phone: str
    revealed: bool


@dataclass(frozen=True, slots=True)
class CaseNote:
    note_id: int
    author: str
    at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class CaseView:
    facts: CaseFacts
    status: str
    strategy: str
    arm: str
    contacts: tuple[LoggedContact, ...]
    promises: tuple[PromiseRecord, ...]
    plans: tuple[HardshipPlan, ...]
    schedule: tuple[InstallmentState, ...] = ()
    payments: tuple[TransactionView, ...] = ()
    notes: tuple[CaseNote, ...] = ()
    for_agency: str | None = None
    """The agency the view was cut for (None: in-house staff see everything)."""
    borrower: BorrowerContact | None = None
    """The borrower's name and phone (None: no cipher was given, or no profile)."""


def agency_of(uow: UnitOfWork, actor: Actor) -> str | None:
    """The agency ``actor`` signs in for (only a collector can); None for in-house staff."""
    return member_agency_in(uow, actor)


def visible_case_in(uow: UnitOfWork, case_id: int, actor: Actor) -> tuple[Any, str | None]:
    """The case row and the caller's agency; a case the caller may not see does not exist:
    for an agency, any case it does not hold open (a closed case's borrower is no longer
    the agency's to read, PIPL's necessity; it still counts in the agency's measures)."""
    check_collector(actor)
    agency = agency_of(uow, actor)
    row = uow.collections.case(case_id)
    if row is None or (agency is not None and not held_open(row, agency)):
        raise NotFoundError("no such collection case", field="case_id", value=case_id)
    return row, agency


def _cut(facts: CaseFacts, agency: str) -> CaseFacts:
    return replace(
        facts,
        outstanding_fen=facts.overdue_fen,
        id_number_masked="",
        numbers_masked=tuple((p, n) for p, n in facts.numbers_masked if p == "borrower"),
        assignee=None,
        agency=agency,
    )


def _borrower_in(
    uow: UnitOfWork, cipher: PiiCipher, case_id: int, loan_id: int, actor: Actor | None,
    agency: str | None,
) -> BorrowerContact | None:  # fmt: skip
    user_id = uow.applications.owner_of_loan(str(loan_id))
    profile = None if user_id is None else identity_of_user(uow, cipher, user_id)
    if profile is None:
        return None
    reveal = agency is None and actor is not None and actor.role in DIALLING_ROLES
    if actor is not None:
        record_audit(
            uow, actor.label, "collection.view_borrower", f"case:{case_id}",
            {"revealed": reveal, "agency": agency},
        )  # fmt: skip
    if reveal:
        return BorrowerContact(profile.name, profile.phone, True)
    return BorrowerContact(mask_name(profile.name), mask_phone(profile.phone), False)


def case_view(
    engine: Engine, case_id: int, *, actor: Actor | None = None, cipher: PiiCipher | None = None
) -> CaseView:
    """Everything about case ``case_id`` the caller may see (``actor`` None: a trusted
    caller inside thinfile); with ``cipher``, the borrower to call as well."""
    with UnitOfWork(engine) as uow:
        if actor is None:
            row, agency = uow.collections.case(case_id), None
            if row is None:
                raise NotFoundError("no such collection case", field="case_id", value=case_id)
        else:
            row, agency = visible_case_in(uow, case_id, actor)
        facts = case_facts_in(uow, row)
        status, strategy, arm = str(row.status), str(row.strategy), str(row.arm)
        stored = uow.loans.get(facts.loan_id)
        txns = uow.transactions.of_loan(facts.loan_id)
        notes = tuple(
            CaseNote(int(n.id), str(n.author), n.at, str(n.text))
            for n in uow.collections.notes_of(case_id)
        )
        borrower = None
        if cipher is not None:
            borrower = _borrower_in(uow, cipher, case_id, facts.loan_id, actor, agency)
            uow.commit()
    schedule = tuple(i for i in stored.account.installments if i.n > 0 or i.principal_due)
    payments = tuple(
        TransactionView(r.id, r.kind, from_day(r.day), r.amount, r.reversed) for r in txns
    )
    contacts = tuple(contacts_of_case(engine, case_id))
    promises = tuple(promises_of_case(engine, case_id))
    if agency is not None:
        on = max(i.due for i in schedule if i.arrears > 0) if schedule else None
        return CaseView(
            _cut(facts, agency),
            status,
            strategy,
            arm,
            tuple(c for c in contacts if c.agency == agency),
            promises,
            (),
            tuple(i for i in schedule if i.arrears > 0 and on is not None and i.due <= on),
            for_agency=agency,
            borrower=borrower,
        )
    plans = tuple(plans_of_loan(engine, facts.loan_id))
    return CaseView(
        facts, status, strategy, arm, contacts, promises, plans, schedule, payments, notes,
        borrower=borrower,
    )  # fmt: skip


def case_queue(
    engine: Engine,
    actor: Actor,
    *,
    strategy: Strategy | None = None,
    bucket: str | None = None,
    assignee: str | None = None,
    limit: int = 100,
) -> list[CaseSummary]:
    """Open cases for the caller to work: an agency user's only their agency's."""
    check_collector(actor)
    with UnitOfWork(engine) as uow:
        agency = agency_of(uow, actor)
    return worklist(
        engine,
        strategy=Strategy.AGENCY if agency is not None else strategy,
        bucket=bucket,
        assignee=None if agency is not None else assignee,
        agency=agency,
        limit=limit,
    )


def add_note(engine: Engine, case_id: int, text: str, *, actor: Actor) -> CaseNote:
    """A note on a case by in-house staff (audited ``collection.note``)."""
    text = text.strip()
    if not 1 <= len(text) <= NOTE_MAX_CHARS:
        raise InvalidInputError(
            f"a note is 1 to {NOTE_MAX_CHARS} characters", field="text", value=len(text)
        )
    with UnitOfWork(engine) as uow:
        _row, agency = visible_case_in(uow, case_id, actor)
        if agency is not None:
            raise NotFoundError("no such collection case", field="case_id", value=case_id)
        at = now_utc()
        note_id = uow.collections.add_note(case_id, actor.user_id, at, text)
        record_audit(uow, actor.label, "collection.note", f"case:{case_id}", {"note": note_id})
        uow.commit()
    return CaseNote(note_id, actor.user_id, at, text)


def approve_plan_of_case(
    engine: Engine, case_id: int, plan_id: int, *, actor: Actor
) -> HardshipPlan:
    """Approve plan ``plan_id`` of the loan of case ``case_id`` (:func:`approve_plan`)."""
    with UnitOfWork(engine) as uow:
        row, _agency = visible_case_in(uow, case_id, actor)
        plan = uow.collections.plan(plan_id)
        if plan is None or int(plan.loan_id) != int(row.loan_id):
            raise NotFoundError("no such hardship plan", field="plan_id", value=plan_id)
    return approve_plan(engine, plan_id, approver=actor)


def decline_plan_of_case(
    engine: Engine, case_id: int, plan_id: int, *, reason: str, actor: Actor
) -> HardshipPlan:
    """Decline or withdraw plan ``plan_id`` of the loan of case ``case_id``
    (:func:`decline_plan`)."""
    with UnitOfWork(engine) as uow:
        row, _agency = visible_case_in(uow, case_id, actor)
        plan = uow.collections.plan(plan_id)
        if plan is None or int(plan.loan_id) != int(row.loan_id):
            raise NotFoundError("no such hardship plan", field="plan_id", value=plan_id)
    return decline_plan(engine, plan_id, reason=reason, actor=actor)


def add_agency_user(engine: Engine, agency: str, user_id: str, *, actor: Actor) -> None:
    """Let collector ``user_id`` sign in for ``agency`` (admins only; audited)."""
    check_collector(actor, frozenset({Role.ADMIN}))
    with UnitOfWork(engine) as uow:
        listed = uow.collections.agency(agency)
        if listed is None or not listed.active:
            raise NotFoundError("no such listed agency", field="agency", value=agency)
        user = uow.users.get(user_id)
        if user is None:
            raise NotFoundError("no such user", field="user_id", value=user_id)
        if Role(user.role) is not Role.COLLECTOR:
            raise InvalidInputError(
                "only a collector can sign in for an agency", field="user_id", value=user_id
            )
        if uow.collections.agency_of_user(user_id) is not None:
            raise ConflictError("the user already works for an agency", field="user_id")
        uow.collections.add_agency_user(user_id, agency)
        record_audit(
            uow, actor.label, "collection.agency_user", f"agency:{agency}", {"user": user_id}
        )
        uow.commit()
