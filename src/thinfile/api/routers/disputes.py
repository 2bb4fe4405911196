"""Disputes of financed purchases: the borrower opens one on their checkout session
(``POST /v1/me/checkout/{session_id}/disputes``); staff list them and resolve one with
``refund`` or ``reject`` and a reason (``/v1/staff/disputes``). State changes take an
``Idempotency-Key``. Another borrower's session is a 404."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from thinfile.api.deps import require_roles
from thinfile.api.idempotency import Idempotent
from thinfile.api.mappers import money
from thinfile.api.models_disputes import (
    DisputeCreate,
    DisputeListPublic,
    DisputePublic,
    DisputeResolution,
)
from thinfile.http import Context
from thinfile.security.roles import Role
from thinfile.services import disputes
from thinfile.services.identity_records import Actor

router = APIRouter(tags=["disputes"])

SessionId = Annotated[str, Path(min_length=1, max_length=32, description="A checkout session")]
DisputeId = Annotated[str, Path(min_length=1, max_length=32, description="A dispute")]
Borrower = Annotated[Actor, Depends(require_roles(Role.BORROWER))]
StatusText = Literal["open", "resolved-refunded", "resolved-rejected"]
Agent = Annotated[Actor, Depends(require_roles(Role.SERVICING_AGENT, Role.ADMIN))]


def dispute_public(record: disputes.DisputeRecord) -> DisputePublic:
    return DisputePublic(
        id=record.id,
        session_id=record.session_id,
        merchant_id=record.merchant_id,
        status=record.status.value,
        reason=record.reason,
        opened_on=record.opened_on,
        opened_at=record.opened_at,
        resolved_on=record.resolved_on,
        resolved_by=record.resolved_by,
        staff_reason=record.staff_reason,
        refunded=money(record.refunded.fen),
        loan_ids=list(record.loan_ids),
    )


@router.post(
    "/me/checkout/{session_id}/disputes",
    status_code=201,
    response_model=DisputePublic,
    summary="Dispute my purchase: no penalty and no aging while it is open",
)
def open_dispute(
    session_id: SessionId, body: DisputeCreate, borrower: Borrower, idem: Idempotent
) -> Response:
    return idem.once(
        lambda uow: disputes.open_in_unit(uow, borrower, session_id, body.reason),
        render=dispute_public,
        status_code=201,
    )


@router.get("/staff/disputes", response_model=DisputeListPublic, summary="Disputes, oldest first")
def list_disputes(
    agent: Agent,
    context: Context,
    status: Annotated[
        Literal["open", "resolved-refunded", "resolved-rejected"] | None, Query()
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DisputeListPublic:
    chosen = None if status is None else disputes.DisputeStatus(status)
    rows = disputes.list_for_staff(context.engine, chosen, limit)
    return DisputeListPublic(items=[dispute_public(r) for r in rows])


@router.post(
    "/staff/disputes/{dispute_id}/resolution",
    response_model=DisputePublic,
    summary="Resolve a dispute: refund the captured remainder, or reject (aging resumes)",
)
def resolve_dispute(
    dispute_id: DisputeId, body: DisputeResolution, agent: Agent, idem: Idempotent
) -> Response:
    return idem.once(
        lambda uow: disputes.resolve_in_unit(uow, agent, dispute_id, body.outcome, body.reason),
        render=dispute_public,
    )
