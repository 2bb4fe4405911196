"""The daily payment reconciliation for staff: the reconciled dates, a date's report with its
breaks, and resolving a break with a reason (``thinfile payments reconcile`` makes them)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path

from thinfile.api.deps import require_roles
from thinfile.api.mappers import money_or_none
from thinfile.api.models_reconciliation import (
    ReconciliationItemPublic,
    ReconciliationPublic,
    ReconciliationsPublic,
    ResolutionCreate,
)
from thinfile.http import Context
from thinfile.security.roles import Role
from thinfile.services.identity_records import Actor
from thinfile.services.payment_intents import IntentStatus
from thinfile.services.reconciliation import (
    BREAKS,
    Reconciliation,
    ReconOutcome,
    reconciled_days,
    reconciliation_of,
    resolve_break,
)
from thinfile.store.reconciliation_repo import StoredReconItem

__all__ = ["router"]

router = APIRouter(prefix="/staff/reconciliations", tags=["staff: reconciliation"])

Agent = Annotated[Actor, Depends(require_roles(Role.SERVICING_AGENT, Role.ADMIN))]
_KINDS: dict[str, Literal["debit", "refund"]] = {"debit": "debit", "refund": "refund"}
_FINAL: dict[str, Literal["succeeded", "failed"]] = {"succeeded": "succeeded", "failed": "failed"}
Day = Annotated[date, Path(description="The reconciled date (China Standard Time).")]


def _item(i: StoredReconItem) -> ReconciliationItemPublic:
    return ReconciliationItemPublic(
        n=i.n,
        outcome=ReconOutcome(i.outcome),
        is_break=i.outcome in BREAKS,
        gateway_txn_id=i.gateway_txn_id,
        request_id=i.request_id,
        kind=_KINDS[i.kind],
        file_status=None if i.file_status is None else _FINAL[i.file_status],
        file_amount=money_or_none(i.file_amount),
        book_status=None if i.book_status is None else IntentStatus(i.book_status),
        book_amount=money_or_none(i.book_amount),
        loan_id=i.loan_id,
        resolution=i.resolution,
        resolved_by=i.resolved_by,
        resolved_at=i.resolved_at,
    )


def reconciliation_public(done: Reconciliation) -> ReconciliationPublic:
    run = done.run
    return ReconciliationPublic(
        day=run.day,
        file_sha256=run.file_sha256,
        file_rows=run.file_rows,
        counts=done.counts,
        open_breaks=len(done.open_breaks),
        items=[_item(i) for i in run.items],
    )


@router.get("", response_model=ReconciliationsPublic, summary="The reconciled dates")
def reconciled(_agent: Agent, context: Context) -> ReconciliationsPublic:
    return ReconciliationsPublic(days=reconciled_days(context.engine))


@router.get(
    "/{day}",
    response_model=ReconciliationPublic,
    summary="A date's reconciliation: each transaction's outcome and the breaks",
)
def reconciliation(day: Day, _agent: Agent, context: Context) -> ReconciliationPublic:
    return reconciliation_public(reconciliation_of(context.engine, day))


@router.post(
    "/{day}/breaks/{n}/resolution",
    response_model=ReconciliationPublic,
    summary="Resolve a break, saying what was done (audited; once)",
)
def resolve(
    day: Day,
    n: Annotated[int, Path(ge=1, le=10_000_000)],
    body: ResolutionCreate,
    agent: Agent,
    context: Context,
) -> ReconciliationPublic:
    done = resolve_break(context.engine, day, n, body.reason, actor=agent.label)
    return reconciliation_public(done)
