"""Working-capital lines (微乐贷): the borrower's own under ``/me``, a staff read under ``/staff``.

A borrower sees, draws on and repays only their own lines (another's is 404, like one that
does not exist). Draws and repayments need an ``Idempotency-Key`` and go on the current
business date; a draw answers with its cost statement, which ``draw-statement`` previews.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from thinfile.api.audited import posting_key
from thinfile.api.deps import require_roles
from thinfile.api.idempotency import Idempotent
from thinfile.api.models_applications import YUAN
from thinfile.api.models_working_capital import (
    WcDrawCreate,
    WcLineOpen,
    WcLinePublic,
    WcMonthlyStatementPublic,
    WcReceiptPublic,
    WcRepaymentCreate,
    WcStatementPublic,
    line_public,
    monthly_public,
    receipt_public,
    statement_public,
)
from thinfile.http import Context
from thinfile.http.ids import SERIAL_MAX
from thinfile.money import Money
from thinfile.security.roles import STAFF_ROLES, Role
from thinfile.services import working_capital as wc
from thinfile.services import working_capital_opening as opening
from thinfile.services import working_capital_statements as statements
from thinfile.services.audit import AuditDraft
from thinfile.services.identity_records import Actor

router = APIRouter(tags=["working capital"])

WcLineId = Annotated[int, Path(ge=1, le=SERIAL_MAX, description="A working-capital line's number")]
Borrower = Annotated[Actor, Depends(require_roles(Role.BORROWER))]
Staff = Annotated[Actor, Depends(require_roles(*STAFF_ROLES))]
_LINE = "/me/working-capital-lines/{wc_line_id}"


@router.get(
    "/me/working-capital-lines",
    response_model=list[WcLinePublic],
    summary="My working-capital lines",
)
def my_lines(borrower: Borrower, context: Context) -> list[WcLinePublic]:
    return [line_public(v) for v in wc.lines_of_owner(context.engine, borrower.user_id)]


@router.post(
    "/me/working-capital-lines",
    status_code=201,
    response_model=WcLinePublic,
    summary="Open my line from my approved decision, with exactly the terms it approved",
)
def open_line(body: WcLineOpen, borrower: Borrower, idem: Idempotent) -> Response:
    limit, rate = Money.of(body.limit), Decimal(body.daily_rate)

    return idem.once(
        lambda uow: opening.open_audited_in_unit(
            uow, borrower.label, borrower.user_id, body.decision_id, limit, rate, body.mode
        ),
        render=lambda o: line_public(wc.LineView(o.line, o.line.opened_on)),
        status_code=201,
    )


@router.get(
    _LINE,
    response_model=WcLinePublic,
    summary="My line: limit, drawn, available, today's interest, periods",
)
def my_line(wc_line_id: WcLineId, borrower: Borrower, context: Context) -> WcLinePublic:
    return line_public(wc.get_line(context.engine, wc_line_id, owner=borrower.user_id))


@router.get(
    _LINE + "/draw-statement",
    response_model=WcStatementPublic,
    summary="The cost statement a draw would have today (annualized rate, stated repayment path)",
)
def draw_statement(
    wc_line_id: WcLineId,
    borrower: Borrower,
    context: Context,
    amount: Annotated[str | None, Query(pattern=YUAN, description="Yuan to draw")] = None,
    term_days: Annotated[int, Query(ge=1, le=366, description="90 or 180 days")] = 90,
) -> WcStatementPublic:
    statement = wc.preview_draw(
        context.engine,
        borrower.user_id,
        wc_line_id,
        None if amount is None else Money.of(amount),
        term_days=term_days,
    )
    return statement_public(statement)


@router.get(
    _LINE + "/statements/{month}",
    response_model=WcMonthlyStatementPublic,
    summary="My line's monthly statement: drawn, repaid, each day's interest, fees (none)",
)
def monthly_statement(
    wc_line_id: WcLineId,
    month: Annotated[str, Path(pattern=r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$", description="YYYY-MM")],
    borrower: Borrower,
    context: Context,
) -> WcMonthlyStatementPublic:
    first = date.fromisoformat(f"{month}-01")
    return monthly_public(
        statements.monthly_statement(context.engine, wc_line_id, first, owner=borrower.user_id)
    )


@router.post(
    _LINE + "/draws",
    status_code=201,
    response_model=WcReceiptPublic,
    summary="Draw: disbursed at once",
)
def draw(
    wc_line_id: WcLineId, body: WcDrawCreate, borrower: Borrower, idem: Idempotent
) -> Response:
    amount, key = Money.of(body.amount), posting_key(idem)
    return idem.once(
        lambda uow: _audited(
            borrower,
            wc.draw_in_unit(
                uow, borrower.user_id, wc_line_id, amount, term_days=body.term_days, key=key
            ),
        ),
        render=receipt_public,
        status_code=201,
    )


@router.post(
    _LINE + "/repayments",
    status_code=201,
    response_model=WcReceiptPublic,
    summary="Repay up to what is owed, no fee: interest, then principal, oldest draw first",
)
def repay(
    wc_line_id: WcLineId, body: WcRepaymentCreate, borrower: Borrower, idem: Idempotent
) -> Response:
    amount, key = Money.of(body.amount), posting_key(idem)
    return idem.once(
        lambda uow: _audited(
            borrower, wc.repay_in_unit(uow, borrower.user_id, wc_line_id, amount, key=key)
        ),
        render=receipt_public,
        status_code=201,
    )


@router.get(
    "/staff/working-capital-lines/{wc_line_id}",
    response_model=WcLinePublic,
    summary="A working-capital line (staff)",
)
def staff_line(wc_line_id: WcLineId, _staff: Staff, context: Context) -> WcLinePublic:
    return line_public(wc.get_line(context.engine, wc_line_id))


def _audited(actor: Actor, receipt: wc.WcReceipt) -> tuple[wc.WcReceipt, AuditDraft | None]:
    return receipt, wc.receipt_audit(actor.label, receipt)
