"""Loans and credit lines, as their borrower sees them: list, detail, payoff quote, pay,
prepay, draw. Money-moving POSTs need an ``Idempotency-Key``; postings go on the current
business date (the first date close of business has not closed).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from thinfile.api.audited import posted, posting_key
from thinfile.api.deps import require_owner_or_role, require_roles
from thinfile.api.idempotency import Idempotent
from thinfile.api.mappers import (
    line_public,
    loan_public,
    loan_summary,
    money,
    new_loan_summary,
    preview_public,
)
from thinfile.api.models_applications import YUAN
from thinfile.api.models_loans import (
    DrawCreate,
    LinePublic,
    LoanPublic,
    LoanSummaryPublic,
    PaymentCreate,
    PaymentPreviewPublic,
    PayoffPublic,
    PrepaymentCreate,
    ReceiptPublic,
)
from thinfile.http import Context
from thinfile.http.ids import SERIAL_MAX
from thinfile.money import Money
from thinfile.security.roles import STAFF_ROLES, Role
from thinfile.services import applications, credit_lines, loans, payments
from thinfile.services.business_date import current_business_date
from thinfile.services.identity_records import Actor
from thinfile.servicing import PrepaymentMode

router = APIRouter(tags=["loans"])

LoanId = Annotated[int, Path(ge=1, le=SERIAL_MAX, description="A loan's number")]
LineId = Annotated[int, Path(ge=1, le=SERIAL_MAX, description="A credit line's number")]
Owner = Annotated[Actor, Depends(require_owner_or_role())]
OwnerOrStaff = Annotated[Actor, Depends(require_owner_or_role(*STAFF_ROLES))]
Payer = Annotated[Actor, Depends(require_owner_or_role(Role.SERVICING_AGENT, Role.ADMIN))]
"""Who may record money received on a loan: its borrower, a servicing agent, an admin."""
Borrower = Annotated[Actor, Depends(require_roles(Role.BORROWER))]


@router.get("/me/loans", response_model=list[LoanSummaryPublic], summary="My loans")
def my_loans(borrower: Borrower, context: Context) -> list[LoanSummaryPublic]:
    ids = applications.loan_ids_of_user(context.engine, borrower.user_id)
    return [loan_summary(loans.get_loan(context.engine, i)) for i in ids[:100]]


@router.get(
    "/loans/{loan_id}",
    response_model=LoanPublic,
    summary="A loan: schedule as serviced, balances and transactions",
)
def get_loan(loan_id: LoanId, _caller: OwnerOrStaff, context: Context) -> LoanPublic:
    """The loan as serviced: status, delinquency bucket, balances, the installments with what is
    due and paid, and the transactions."""
    return loan_public(loans.get_loan(context.engine, loan_id))


@router.get(
    "/loans/{loan_id}/payoff",
    response_model=PayoffPublic,
    summary="What pays the loan off on a date (default: the current business date)",
)
def payoff_quote(
    loan_id: LoanId,
    _caller: OwnerOrStaff,
    context: Context,
    on: Annotated[date | None, Query(description="Payoff date")] = None,
) -> PayoffPublic:
    """What pays the loan off on a date: dues, interest for the days used, all principal. Nothing
    is written. Send this amount to `POST /v1/loans/{loan_id}/prepayments` to close the loan."""
    day = on or current_business_date(context.engine)
    quote = loans.quote_payoff(context.engine, loan_id, day)
    return PayoffPublic(loan_id=loan_id, on=day, amount=money(quote.fen, quote.currency))


@router.get(
    "/loans/{loan_id}/payment-preview",
    response_model=PaymentPreviewPublic,
    summary="What a payment would do before it is made: dues, interest cut, principal "
    "cut, what is held or refunded, what is owed next",
)
def preview_payment(
    loan_id: LoanId,
    _caller: OwnerOrStaff,
    context: Context,
    amount: Annotated[str, Query(pattern=YUAN, description="Yuan the borrower would pay")],
    kind: Annotated[Literal["payment", "prepayment"], Query()] = "payment",
    mode: Annotated[Literal["reduce-installment", "shorten-term"] | None, Query()] = None,
) -> PaymentPreviewPublic:
    return preview_public(
        payments.preview_payment(
            context.engine,
            loan_id,
            Money.of(amount),
            current_business_date(context.engine),
            prepayment=kind == "prepayment",
            mode=PrepaymentMode(mode) if mode else None,
        )
    )


@router.post(
    "/loans/{loan_id}/payments",
    status_code=201,
    response_model=ReceiptPublic,
    summary="Pay: allocated to what is due by the product's waterfall",
)
def make_payment(
    loan_id: LoanId, body: PaymentCreate, payer: Payer, idem: Idempotent, context: Context
) -> Response:
    """Record money received, in yuan; it is allocated to what is due by the product's
    waterfall, on the current business date. Staff record what arrived outside the card rail
    (a bank transfer); a borrower's own call is refused (403, `details.field` = `card`) unless
    the server records borrowers' payments (`THINFILE_RECORD_BORROWER_PAYMENTS`, development
    only by default) — a borrower pays by card: `POST /v1/me/loans/{loan_id}/payment-intents`.
    While close of business runs, 503 `close_of_business_running` with `Retry-After`."""
    payments.ensure_may_record(payer, borrowers_may=context.settings.records_borrower_payments)
    amount, key = Money.of(body.amount), posting_key(idem)
    return posted(idem, payer, lambda uow, on: payments.pay_in_unit(uow, loan_id, amount, on, key))


@router.post(
    "/loans/{loan_id}/prepayments",
    status_code=201,
    response_model=ReceiptPublic,
    summary="Prepay part of the principal, or pay the loan off",
)
def prepay(
    loan_id: LoanId, body: PrepaymentCreate, payer: Payer, idem: Idempotent, context: Context
) -> Response:
    """Record a prepayment of part of the principal (`mode` says how the schedule
    re-amortizes), or the loan paid off with the payoff quote; who may call as for
    `POST /v1/loans/{loan_id}/payments`. While close of business runs, 503 with `Retry-After`."""
    payments.ensure_may_record(payer, borrowers_may=context.settings.records_borrower_payments)
    amount, key = Money.of(body.amount), posting_key(idem)
    mode = PrepaymentMode(body.mode) if body.mode else None
    return posted(
        idem,
        payer,
        lambda uow, on: payments.prepay_in_unit(uow, loan_id, amount, on, mode=mode, key=key),
    )


@router.get("/me/credit-lines", response_model=list[LinePublic], summary="My credit lines")
def my_lines(borrower: Borrower, context: Context) -> list[LinePublic]:
    ids = applications.lines_of_user(context.engine, borrower.user_id)
    return [line_public(credit_lines.get_line(context.engine, i)) for i in ids[:100]]


@router.get(
    "/credit-lines/{line_id}",
    response_model=LinePublic,
    summary="A credit line: limit, outstanding principal, available",
)
def get_line(line_id: LineId, _caller: OwnerOrStaff, context: Context) -> LinePublic:
    return line_public(credit_lines.get_line(context.engine, line_id))


@router.post(
    "/credit-lines/{line_id}/draws",
    status_code=201,
    response_model=LoanSummaryPublic,
    summary="Draw on a credit line: a new installment loan, disbursed at once",
)
def draw(line_id: LineId, body: DrawCreate, owner: Owner, idem: Idempotent) -> Response:
    """Draw on my credit line: a new installment loan, disbursed at once, within the line's
    available amount. To show the borrower the draw's schedule, annualized rate and cost
    statement first (as a borrower's app should), quote it with `GET
    /v1/credit-lines/{line_id}/draw-quote` and draw it with `POST
    /v1/credit-lines/{line_id}/quoted-draws`."""
    amount = Money.of(body.amount)
    return idem.once(
        lambda uow: credit_lines.draw_today(uow, owner.label, line_id, amount, body.term_months),
        render=new_loan_summary,
        status_code=201,
    )
