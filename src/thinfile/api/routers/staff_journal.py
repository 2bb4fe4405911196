"""A loan's journal entries, for staff: what the ledger holds for it, oldest first.

Close of business posts some steps as one aggregated entry for the whole book; those carry no
loan and are not listed here (``GET /v1/staff/ledger/verify`` checks the whole ledger).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from thinfile.api.deps import require_roles
from thinfile.api.mappers import money
from thinfile.api.models_journal import JournalEntryPublic, JournalLinePublic
from thinfile.http import Context
from thinfile.security.roles import STAFF_ROLES
from thinfile.services import portfolio
from thinfile.services.identity_records import Actor
from thinfile.servicing.ledger import Account

router = APIRouter(prefix="/staff", tags=["staff: servicing"])

Staff = Annotated[Actor, Depends(require_roles(*STAFF_ROLES))]
LoanId = Annotated[int, Path(ge=1, le=2**31 - 1, description="A loan's number")]


@router.get(
    "/loans/{loan_id}/journal",
    response_model=list[JournalEntryPublic],
    summary="A loan's journal entries, oldest first, each with its lines",
)
def loan_journal(loan_id: LoanId, _staff: Staff, context: Context) -> list[JournalEntryPublic]:
    """The double-entry journal of one loan: every entry posted for it (disbursement,
    allocations of payments, accruals and other close-of-business steps, reversals), with
    its lines by account. 404 `not_found` when there is no such loan."""
    return [
        JournalEntryPublic(
            id=e.entry_id,
            kind=e.kind,
            on=e.on,
            txn_id=e.txn_id,
            reverses=e.reverses,
            memo=e.memo,
            balanced=e.is_balanced,
            lines=[
                JournalLinePublic(
                    account=Account(x.account), currency=x.currency, amount=money(x.amount)
                )
                for x in e.lines
            ],
        )
        for e in portfolio.loan_journal(context.engine, loan_id)
    ]
