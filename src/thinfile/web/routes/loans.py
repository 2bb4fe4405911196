"""My loans: the borrower's loans, one loan with its schedule and history, pay now, the payoff
quote and prepayment. Only the borrower who accepted the offer sees a loan (``{loan_id}`` is an
owned resource); staff may look, only the borrower pays.

A borrower with a bound bank card pays from it: pay now, repay everything and repay part each
create a payment intent (:mod:`thinfile.services.payment_intents`) and the page shows it
pending, succeeded, or failed with the bank's reason (``?intent=<id>``). Without a card the
payment is recorded as typed, as before cards existed."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Request
from starlette.responses import Response

from thinfile.errors import ConflictError, InvalidInputError, PermissionDeniedError
from thinfile.http import AppContext, Context
from thinfile.http.ids import Serial
from thinfile.money import Money
from thinfile.services import (
    applications,
    cards,
    documents,
    loan_receipts,
    loans,
    payment_intents,
    payment_status_queries,
    payments,
)
from thinfile.services.identity_records import Actor
from thinfile.services.payment_intents import IntentKind, IntentRequest, IntentView
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
from thinfile.web.messages import page_message
from thinfile.web.pages import redirect, render

router = APIRouter(include_in_schema=False)

MODES = tuple(m.value for m in PrepaymentMode)
QUERY_AFTER = timedelta(seconds=15)
"""How long a card payment may wait for the bank's notification before the page asks."""


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
    intent: IntentView | None = None,
) -> Response:
    on = business_date(context.engine)
    is_borrower = actor.role.value == "borrower"
    card = (
        next((c for c in cards.list_cards(context.engine, actor=actor) if c.is_default), None)
        if is_borrower
        else None
    )
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
            "payoff_key": new_payment_key(loan_id),  # its own: another payment than "part"
            "paid": "paid" in request.query_params,
            "preview": preview,
            "card": card,
            "intent": intent,
            "intents": payment_intents.list_payment_intents(context.engine, loan_id)[:10],
            "has_contract": is_borrower and documents.has_signed_contract(context.engine, loan_id),
        },
        actor=actor,
        status=status,
    )


@router.get("/loans/{loan_id}")
def loan(request: Request, loan_id: Serial, actor: OwnerOrStaff, context: Context) -> Response:
    intent_id = request.query_params.get("intent", "")
    intent = (
        payment_status_queries.check_payment_intent(
            context.engine, context.gateway, loan_id, intent_id, query_after=QUERY_AFTER
        )
        if intent_id
        else None
    )
    return _loan(request, actor, context, loan_id, intent=intent)


def _refused(
    request: Request,
    actor: Actor,
    context: AppContext,
    loan_id: int,
    error: InvalidInputError | ConflictError | PermissionDeniedError,
    form: dict[str, str],
    name: str,
) -> Response:
    gettext = translations(language(request).code).gettext
    if isinstance(error, (ConflictError, PermissionDeniedError)):
        said = {name: page_message(error, gettext)}
        return _loan(
            request, actor, context, loan_id, errors=said, fields=form, status=error.status
        )
    messages = field_messages(error, gettext)
    errors = {f"{name}-{k}" if k == "amount" else name: v for k, v in messages.items()}
    return _loan(request, actor, context, loan_id, errors=errors, fields=form, status=422)


@router.post("/loans/{loan_id}/payments")
def pay(
    request: Request, loan_id: Serial, actor: OwningBorrower, form: Form, context: Context
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
        if _has_card(context, actor):
            request_ = IntentRequest(loan_id, IntentKind.PAYMENT, amount, key)
            return _sent(context, actor, request_)
        payments.ensure_may_record(actor, borrowers_may=context.settings.records_borrower_payments)
        receipt = payments.post_payment(
            context.engine,
            loan_id,
            amount,
            business_date(context.engine),
            idempotency_key=key,
            actor=actor.label,
        )
    except (InvalidInputError, ConflictError, PermissionDeniedError) as error:
        return _refused(request, actor, context, loan_id, error, form, "pay")
    return redirect(f"/loans/{loan_id}?paid={receipt.txn_id}")


def _has_card(context: AppContext, actor: Actor) -> bool:
    return any(c.is_default for c in cards.list_cards(context.engine, actor=actor))


def _sent(context: AppContext, actor: Actor, request: IntentRequest) -> Response:
    """Create the card payment (a repeated form finds the first) and show how it stands."""
    intent = payment_intents.create_payment_intent(
        context.engine, context.gateway, actor=actor, request=request
    )
    return redirect(f"/loans/{request.loan_id}?intent={intent.id}")


def _check_quote(context: AppContext, loan_id: int, amount: Money, on: date) -> None:
    """Repaying everything pays the quote the borrower saw, and only while it still holds."""
    if loans.get_loan(context.engine, loan_id).account.status is not LoanStatus.ACTIVE:
        return  # settled already: a repeated submit finds its first posting by its key
    if loans.quote_payoff(context.engine, loan_id, on) != amount:
        raise InvalidInputError("the payoff amount has changed", field="amount")


@router.post("/loans/{loan_id}/prepayments")
def prepay(
    request: Request, loan_id: Serial, actor: OwningBorrower, form: Form, context: Context
) -> Response:
    """Repay early: all of it (the payoff quote shown) or part, re-amortized by ``mode``."""
    on = business_date(context.engine)
    view = loans.get_loan(context.engine, loan_id)
    try:
        key = payment_key(form.get("idempotency_key", ""), loan_id)
        amount = parse_amount(form.get("amount", ""), view.account.currency)
        whole = form.get("whole") == "all"
        mode = form.get("mode", "")
        if _has_card(context, actor):
            kind = IntentKind.PAYOFF if whole else IntentKind.PREPAYMENT
            chosen = PrepaymentMode(mode) if mode in MODES and not whole else None
            return _sent(context, actor, IntentRequest(loan_id, kind, amount, key, chosen))
        payments.ensure_may_record(actor, borrowers_may=context.settings.records_borrower_payments)
        if whole:
            _check_quote(context, loan_id, amount, on)
        receipt = payments.prepay_loan(
            context.engine,
            loan_id,
            amount,
            on,
            idempotency_key=key,
            mode=PrepaymentMode(mode) if mode in MODES else None,
            actor=actor.label,
        )
    except (InvalidInputError, ConflictError, PermissionDeniedError) as error:
        form_name = "payoff" if form.get("whole") == "all" else "prepay"
        return _refused(request, actor, context, loan_id, error, form, form_name)
    return redirect(f"/loans/{loan_id}?paid={receipt.txn_id}")
