"""My loans: the borrower's loans, one loan with its schedule and history, pay now, the payoff
quote and prepayment. Only the borrower who accepted the offer sees a loan (``{loan_id}`` is an
owned resource); staff may look, only the borrower pays."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from starlette.responses import Response

from thinfile.errors import InvalidInputError
from thinfile.http import AppContext, Context
from thinfile.money import Money
from thinfile.services import applications, loan_receipts, loans, payments
from thinfile.services.identity_records import Actor
from thinfile.servicing import LoanStatus, PrepaymentMode
from thinfile.web.access import Borrower, Form, OwnerOrStaff, OwningBorrower
from thinfile.web.forms import field_messages
from thinfile.web.i18n import language, translations
from thinfile.web.loan_views import (
    as_of,
    business_date,
    loan_page,
    new_payment_key,
    parse_amount,
    payment_key,
)
from thinfile.web.pages import redirect, render

router = APIRouter(include_in_schema=False)

MODES = tuple(m.value for m in PrepaymentMode)


@router.get("/loans")
def my_loans(request: Request, actor: Borrower, context: Context) -> Response:
    on = business_date(context.engine)
    pages = [
        loan_page(as_of(loans.get_loan(context.engine, loan_id), on), on, None)
        for loan_id in applications.loan_ids_of_user(context.engine, actor.user_id)
    ]
    return render(request, "borrower/loans.html", {"loans": pages}, actor=actor)


def _loan(
    request: Request,
    actor: Actor,
    context: AppContext,
    loan_id: int,
    *,
    errors: dict[str, str] | None = None,
    fields: dict[str, str] | None = None,
    status: int = 200,
    preview: payments.PaymentPreview | None = None,
) -> Response:
    on = business_date(context.engine)
    view = as_of(loans.get_loan(context.engine, loan_id), on)
    payoff = (
        loans.quote_payoff(context.engine, loan_id, on)
        if view.account.status is LoanStatus.ACTIVE
        else None
    )
    return render(
        request,
        "borrower/loan.html",
        {
            "loan": loan_page(
                view, on, payoff, loan_receipts.payment_receipts(context.engine, loan_id)
            ),
            "modes": MODES,
            "errors": errors or {},
            "fields": fields or {},
            "pay_key": new_payment_key(loan_id),
            "prepay_key": new_payment_key(loan_id),
            "paid": "paid" in request.query_params,
            "preview": preview,
        },
        actor=actor,
        status=status,
    )


@router.get("/loans/{loan_id}")
def loan(request: Request, loan_id: int, actor: OwnerOrStaff, context: Context) -> Response:
    return _loan(request, actor, context, loan_id)


def _refused(
    request: Request,
    actor: Actor,
    context: AppContext,
    loan_id: int,
    error: InvalidInputError,
    form: dict[str, str],
    name: str,
) -> Response:
    messages = field_messages(error, translations(language(request).code).gettext)
    errors = {f"{name}-{k}" if k == "amount" else name: v for k, v in messages.items()}
    return _loan(request, actor, context, loan_id, errors=errors, fields=form, status=422)


@router.post("/loans/{loan_id}/payments")
def pay(
    request: Request, loan_id: int, actor: OwningBorrower, form: Form, context: Context
) -> Response:
    """Pay now — or, with ``action=preview``, show what the payment would do and post
    nothing. The form's idempotency key makes a double submit post once."""
    view = loans.get_loan(context.engine, loan_id)
    try:
        amount = parse_amount(form.get("amount", ""), view.account.currency)
        if form.get("action") == "preview":
            preview = payments.preview_payment(
                context.engine, loan_id, amount, business_date(context.engine)
            )
            return _loan(request, actor, context, loan_id, fields=form, preview=preview)
        key = payment_key(form.get("idempotency_key", ""), loan_id)
        receipt = payments.post_payment(
            context.engine,
            loan_id,
            amount,
            business_date(context.engine),
            idempotency_key=key,
            actor=actor.label,
        )
    except InvalidInputError as error:
        return _refused(request, actor, context, loan_id, error, form, "pay")
    return redirect(f"/loans/{loan_id}?paid={receipt.txn_id}")


def _check_quote(context: AppContext, loan_id: int, amount: Money, on: date) -> None:
    """Repaying everything pays the quote the borrower saw, and only while it still holds."""
    if loans.get_loan(context.engine, loan_id).account.status is not LoanStatus.ACTIVE:
        return  # settled already: a repeated submit finds its first posting by its key
    if loans.quote_payoff(context.engine, loan_id, on) != amount:
        raise InvalidInputError("the payoff amount has changed", field="amount")


@router.post("/loans/{loan_id}/prepayments")
def prepay(
    request: Request, loan_id: int, actor: OwningBorrower, form: Form, context: Context
) -> Response:
    """Repay early: all of it (the payoff quote shown) or part, re-amortized by ``mode``."""
    on = business_date(context.engine)
    view = loans.get_loan(context.engine, loan_id)
    try:
        key = payment_key(form.get("idempotency_key", ""), loan_id)
        amount = parse_amount(form.get("amount", ""), view.account.currency)
        if form.get("whole") == "all":
            _check_quote(context, loan_id, amount, on)
        mode = form.get("mode", "")
        receipt = payments.prepay_loan(
            context.engine,
            loan_id,
            amount,
            on,
            idempotency_key=key,
            mode=PrepaymentMode(mode) if mode in MODES else None,
            actor=actor.label,
        )
    except InvalidInputError as error:
        return _refused(request, actor, context, loan_id, error, form, "prepay")
    return redirect(f"/loans/{loan_id}?paid={receipt.txn_id}")
