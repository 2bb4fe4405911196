"""Staff collections (催收): the worklist, a case, contacts under the conduct rules, promises
to pay, hardship plans (proposed by one, approved by another), agencies, and the measures.
Contact times are the server's clock, never the client's."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query

from thinfile.api.deps import require_roles
from thinfile.api.mappers_collections import (
    case_public,
    contact_public,
    measures_public,
    note_public,
    plan_public,
    promise_public,
    summary_public,
)
from thinfile.api.models_collections import (
    AgencyCreate,
    AgencyPublic,
    AgencyUserCreate,
    AssigneeCreate,
    CasePublic,
    CaseSummaryPublic,
    ContactCreate,
    ContactPublic,
    HardshipPlanPublic,
    MeasurePublic,
    NoteCreate,
    NotePublic,
    PartyCreate,
    PlanCreate,
    PlanDecline,
    PromiseCreate,
    PromisePublic,
)
from thinfile.collections import Channel, ContactOutcome, HardshipKind, Party, Purpose, Strategy
from thinfile.http import Context
from thinfile.http.ids import SERIAL_MAX
from thinfile.money import Money
from thinfile.security.roles import COLLECTION_ROLES, SERVICING_ROLES, Role
from thinfile.services import (
    collection_contacts,
    collection_hardship,
    collection_views,
    collections,
)
from thinfile.services.identity_records import Actor, now_utc

router = APIRouter(prefix="/staff/collections", tags=["staff: collections"])

Collector = Annotated[Actor, Depends(require_roles(*COLLECTION_ROLES))]
Agent = Annotated[Actor, Depends(require_roles(*SERVICING_ROLES))]
Admin = Annotated[Actor, Depends(require_roles(Role.ADMIN))]
CaseId = Annotated[int, Path(ge=1, le=SERIAL_MAX, description="A collection case's number")]
LoanId = Annotated[int, Path(ge=1, le=SERIAL_MAX)]
PlanId = Annotated[int, Path(ge=1, le=SERIAL_MAX, description="A hardship plan's number")]


@router.get("/worklist", response_model=list[CaseSummaryPublic], summary="Open cases to work")
def worklist(
    caller: Collector,
    context: Context,
    strategy: Literal["self_service", "agent", "agency"] | None = None,
    bucket: Annotated[str | None, Query(max_length=16)] = None,
    assignee: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[CaseSummaryPublic]:
    found = collection_views.case_queue(
        context.engine,
        caller,
        strategy=None if strategy is None else Strategy(strategy),
        bucket=bucket,
        assignee=assignee,
        limit=limit,
    )
    return [summary_public(c) for c in found]


@router.get("/cases/{case_id}", response_model=CasePublic, summary="A case and its history")
def get_case(case_id: CaseId, caller: Collector, context: Context) -> CasePublic:
    return case_public(collection_views.case_view(context.engine, case_id, actor=caller))


@router.post(
    "/cases/{case_id}/contacts",
    status_code=201,
    response_model=ContactPublic,
    summary="Log a contact (refused and logged when it breaks a conduct rule)",
)
def log_contact(
    case_id: CaseId, body: ContactCreate, collector: Collector, context: Context
) -> ContactPublic:
    """Log one contact attempt; one that breaks a conduct rule is refused (403
    `conduct_rule_broken`, the rule named) and logged as refused. From 22:00 to 08:00 in the
    borrower's time zone only the borrower is contacted, and only while their own consent to
    `contact` for `collection_out_of_hours` stands (they give and revoke it on their consents);
    `consented_out_of_hours` in the body is ignored."""
    request = collection_contacts.ContactRequest(
        Channel(body.channel), Party(body.party), body.phone, Purpose(body.purpose), body.script,
        body.reason, ContactOutcome(body.outcome), now_utc(),
    )  # fmt: skip
    logged = collection_contacts.log_contact(
        context.engine, case_id, request, cipher=context.cipher, actor=collector
    )
    return contact_public(logged)


@router.post(
    "/cases/{case_id}/promises",
    status_code=201,
    response_model=PromisePublic,
    summary="Record a promise to pay",
)
def record_promise(
    case_id: CaseId, body: PromiseCreate, collector: Collector, context: Context
) -> PromisePublic:
    promise = collection_contacts.record_promise(
        context.engine, case_id, Money.of(body.amount), body.due, actor=collector
    )
    return promise_public(promise)


@router.post(
    "/cases/{case_id}/notes",
    status_code=201,
    response_model=NotePublic,
    summary="Add a note to a case",
    description="In-house staff only: a case an agency holds is not found for its notes.",
)
def add_note(
    case_id: CaseId, body: NoteCreate, collector: Collector, context: Context
) -> NotePublic:
    return note_public(
        collection_views.add_note(context.engine, case_id, body.text, actor=collector)
    )


@router.put("/cases/{case_id}/assignee", status_code=204, summary="Assign or unassign a case")
def assign(case_id: CaseId, body: AssigneeCreate, agent: Agent, context: Context) -> None:
    collections.assign_case(context.engine, case_id, body.assignee, actor=agent)


@router.put("/cases/{case_id}/agency", status_code=204, summary="Give a case to an agency")
def assign_agency(case_id: CaseId, body: AgencyCreate, agent: Agent, context: Context) -> None:
    collections.assign_agency(context.engine, case_id, body.code, actor=agent)


@router.delete("/cases/{case_id}/agency", status_code=204, summary="Recall from the agency")
def recall_agency(case_id: CaseId, agent: Agent, context: Context) -> None:
    collections.recall_agency(context.engine, case_id, actor=agent)


@router.post("/agencies", status_code=204, summary="Add an agency to the white list")
def add_agency(body: AgencyCreate, admin: Admin, context: Context) -> None:
    collections.add_agency(context.engine, body.code, body.name, actor=admin)


@router.get(
    "/agencies",
    response_model=list[AgencyPublic],
    summary="The white list of outsourced collection agencies",
    description="Every agency, by code, active or not (DOMAIN §5.6: the list is published).",
)
def list_agencies(caller: Collector, context: Context) -> list[AgencyPublic]:
    found = collections.list_agencies(context.engine, actor=caller)
    return [AgencyPublic(code=a.code, name=a.name, active=a.active) for a in found]


@router.post(
    "/agencies/{code}/users", status_code=204, summary="Let a collector sign in for an agency"
)
def add_agency_user(
    code: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$", description="An agency code")],
    body: AgencyUserCreate,
    admin: Admin,
    context: Context,
) -> None:
    collection_views.add_agency_user(context.engine, code, body.user_id, actor=admin)


@router.post(
    "/loans/{loan_id}/parties", status_code=204, summary="Register a number that may be called"
)
def register_party(
    loan_id: LoanId, body: PartyCreate, collector: Collector, context: Context
) -> None:
    collection_contacts.register_party(
        context.engine, loan_id, Party(body.party), phone=body.phone, name=body.name,
        cipher=context.cipher, actor=collector,
    )  # fmt: skip


@router.post(
    "/loans/{loan_id}/hardship-plans",
    status_code=201,
    response_model=HardshipPlanPublic,
    summary="Propose a hardship plan (another staff member approves it)",
)
def propose_plan(
    loan_id: LoanId, body: PlanCreate, collector: Collector, context: Context
) -> HardshipPlanPublic:
    plan = collection_hardship.propose_plan(
        context.engine, loan_id, HardshipKind(body.kind), reason=body.reason, actor=collector,
        months=body.months, amount=None if body.amount is None else Money.of(body.amount),
    )  # fmt: skip
    return plan_public(plan)


@router.post(
    "/hardship-plans/{plan_id}/approval",
    response_model=HardshipPlanPublic,
    summary="Approve a hardship plan and post it (not by its proposer)",
)
def approve_plan(plan_id: PlanId, agent: Agent, context: Context) -> HardshipPlanPublic:
    return plan_public(collection_hardship.approve_plan(context.engine, plan_id, approver=agent))


@router.post(
    "/hardship-plans/{plan_id}/decline",
    response_model=HardshipPlanPublic,
    summary="Decline a proposed hardship plan (an approver) or withdraw it (its proposer)",
)
def decline_plan(
    plan_id: PlanId, body: PlanDecline, collector: Collector, context: Context
) -> HardshipPlanPublic:
    plan = collection_hardship.decline_plan(
        context.engine, plan_id, reason=body.reason, actor=collector
    )
    return plan_public(plan)


@router.get(
    "/measures",
    response_model=list[MeasurePublic],
    summary="Cure, roll, promise rates",
    description="An outsourced agency's collector measures only the cases their agency holds.",
)
def measures(caller: Collector, context: Context) -> list[MeasurePublic]:
    return measures_public(collections.collection_measures(context.engine, actor=caller))
