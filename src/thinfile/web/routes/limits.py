"""My credit limit (额度): a line's limit, used and available, the next review, the history of
changes with their reasons; ask for more (an instant answer with its reasons, at most once per
the policy's interval), accept or decline an offered increase, and draw from the line after
seeing the draw's annualized rate and all-in cost statement.

Only the borrower who opened the line sees it (``{line_id}`` is an owned resource, as for
loans); staff may look, only the borrower acts.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from thinfile.errors import ConflictError, InvalidInputError
from thinfile.http import AppContext, Context
from thinfile.http.ids import Serial
from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services import acceptance, applications, limits, line_draws
from thinfile.services.acceptance import MIN_READING_SECONDS
from thinfile.services.identity_records import Actor
from thinfile.services.limits import LimitAnswer
from thinfile.text import whole_number
from thinfile.web.access import Borrower, Form, OwnerOrStaff, OwningBorrower
from thinfile.web.config import get_web
from thinfile.web.formatting import fen
from thinfile.web.i18n import language, translations
from thinfile.web.limit_views import CLOSE_CONFIRM, draw_view, limit_message, reasons_in
from thinfile.web.loan_views import parse_amount
from thinfile.web.pages import redirect, render

router = APIRouter(prefix="/lines", include_in_schema=False)

Refusal = InvalidInputError | ConflictError


@router.get("")
def my_lines(request: Request, actor: Borrower, context: Context) -> Response:
    lines = [
        limits.line_limits(context.engine, line_id)
        for line_id in applications.lines_of_user(context.engine, actor.user_id)
    ]
    return render(request, "borrower/lines.html", {"lines": lines}, actor=actor)


def _term(form: dict[str, str]) -> int:
    """The chosen term in months (0, refused by the service, when it is not a number)."""
    text = form.get("term_months", "")
    return whole_number(text, max_digits=3) or 0


def _message(request: Request, error: Refusal, available: str = "") -> str:
    return limit_message(error, translations(language(request).code).gettext, available=available)


def _line(
    request: Request,
    actor: Actor,
    context: AppContext,
    line_id: int,
    *,
    answer: LimitAnswer | None = None,
    errors: dict[str, str] | None = None,
    fields: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "borrower/limit.html",
        {
            "view": limits.line_limits(context.engine, line_id),
            "reasons": reasons_in(language(request).code),
            "answer": answer,
            "answer_reasons": answer.reasons(language(request).code) if answer else [],
            "errors": errors or {},
            "fields": fields or {},
            "terms": line_draws.DRAW_TERMS,
            "done": request.query_params.get("done", ""),
            "is_borrower": actor.role is Role.BORROWER,
        },
        actor=actor,
        status=status,
    )


@router.get("/{line_id}")
def line(request: Request, line_id: Serial, actor: OwnerOrStaff, context: Context) -> Response:
    return _line(request, actor, context, line_id)


@router.post("/{line_id}/limit-requests")
def ask_for_more(
    request: Request, line_id: Serial, actor: OwningBorrower, _form: Form, context: Context
) -> Response:
    """An instant answer from the limit policy, shown with its reasons."""
    try:
        answer = limits.request_limit_increase(context.engine, line_id, actor=actor)
    except ConflictError as error:
        errors = {"request": _message(request, error)}
        return _line(request, actor, context, line_id, errors=errors, status=409)
    return _line(request, actor, context, line_id, answer=answer)


@router.post("/{line_id}/closure")
def close(
    request: Request, line_id: Serial, actor: OwningBorrower, form: Form, context: Context
) -> Response:
    """Close the line once the borrower has ticked that a closed line is not reopened."""
    if form.get("confirm") != "yes":
        gettext = translations(language(request).code).gettext
        errors = {"close": gettext(CLOSE_CONFIRM)}
        return _line(request, actor, context, line_id, errors=errors, status=422)
    try:
        limits.close_credit_line(context.engine, line_id, actor=actor)
    except ConflictError as error:
        errors = {"close": _message(request, error)}
        return _line(request, actor, context, line_id, errors=errors, status=409)
    return redirect(f"/lines/{line_id}?done=closed")


@router.post("/{line_id}/limit-offers/{offer}/acceptance")
def accept(
    request: Request,
    line_id: Serial,
    offer: Serial,
    actor: OwningBorrower,
    _form: Form,
    context: Context,
) -> Response:
    try:
        limits.accept_limit_offer(context.engine, line_id, offer, actor=actor)
    except ConflictError as error:
        errors = {"offer": _message(request, error)}
        return _line(request, actor, context, line_id, errors=errors, status=409)
    return redirect(f"/lines/{line_id}?done=accepted")


@router.post("/{line_id}/limit-offers/{offer}/refusal")
def decline(
    request: Request,
    line_id: Serial,
    offer: Serial,
    actor: OwningBorrower,
    _form: Form,
    context: Context,
) -> Response:
    try:
        limits.decline_limit_offer(context.engine, line_id, offer, actor=actor)
    except ConflictError as error:
        errors = {"offer": _message(request, error)}
        return _line(request, actor, context, line_id, errors=errors, status=409)
    return redirect(f"/lines/{line_id}?done=declined")


def _draw_page(
    request: Request,
    actor: Actor,
    context: AppContext,
    line_id: int,
    form: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The draw as it would open today, or the line again when it cannot be drawn."""
    try:
        amount = parse_amount(form.get("amount", ""), "CNY")
        quote = line_draws.quote_draw(
            context.engine, line_id, amount, _term(form), lender=context.settings.lender_name
        )
    except (InvalidInputError, ConflictError) as error:
        available = fen(limits.line_limits(context.engine, line_id).available)
        message = {"draw": _message(request, error, available)}
        code = 409 if isinstance(error, ConflictError) else 422
        return _line(request, actor, context, line_id, errors=message, fields=form, status=code)
    is_borrower = actor.role is Role.BORROWER
    terms = quote.offer.schedule.terms
    binding = _binding(actor, line_id, terms.periods, terms.principal.fen)
    receipt = get_web(request).receipts.issue(**binding) if is_borrower else ""
    values = {
        "line_id": line_id,
        "view": draw_view(quote),
        "quote": quote,
        "errors": errors or {},
        "is_borrower": is_borrower,
        "receipt": receipt,
        "min_seconds": MIN_READING_SECONDS,
    }
    return render(request, "borrower/draw.html", values, actor=actor, status=status)


def _binding(actor: Actor, line_id: int, periods: int, principal_fen: int) -> dict[str, Any]:
    """What a draw's reading receipt binds: this borrower, this line, this term and amount
    (issued with the quote, checked against the form)."""
    return {
        "user_id": actor.user_id,
        "application_id": f"line:{line_id}",
        "offer": periods,
        "price": str(principal_fen),
    }


def _seconds_read(request: Request, actor: Actor, line_id: int, form: dict[str, str]) -> float:
    """How long the draw's statement has been shown, from the form's signed receipt, which
    names the amount and term drawn (a receipt of another draw is refused)."""
    receipts = get_web(request).receipts
    amount = parse_amount(form.get("amount", ""), "CNY")
    binding = _binding(actor, line_id, _term(form), amount.fen)
    shown = receipts.shown_at(form.get("receipt", ""), **binding)
    return acceptance.seconds_read(shown_at=shown, now=receipts.now())


@router.get("/{line_id}/draw")
def draw_quote(
    request: Request, line_id: Serial, actor: OwnerOrStaff, context: Context
) -> Response:
    """What drawing the amount over the term would cost, before the borrower confirms."""
    return _draw_page(request, actor, context, line_id, dict(request.query_params))


@router.post("/{line_id}/draws")
def draw(
    request: Request, line_id: Serial, actor: OwningBorrower, form: Form, context: Context
) -> Response:
    """Draw as quoted, once: the new loan's page follows."""
    try:
        loan = line_draws.draw_from_line(
            context.engine,
            line_id,
            parse_amount(form.get("amount", ""), "CNY"),
            _term(form),
            seen_available=Money.of(form.get("available", "")),
            confirmed=form.get("confirm") == "yes",
            seconds_read=_seconds_read(request, actor, line_id, form),
            actor=actor,
        )
    except (InvalidInputError, ConflictError) as error:
        errors = {"confirm": _message(request, error)}
        code = 409 if isinstance(error, ConflictError) else 422
        return _draw_page(request, actor, context, line_id, form, errors=errors, status=code)
    return redirect(f"/loans/{loan.loan_id}")
