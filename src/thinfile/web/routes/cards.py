"""The borrower's bank cards page: bind a card (the bank's SMS code as a second step), choose
the default card, unbind. The rules live in :mod:`thinfile.services.cards`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from thinfile.errors import (
    CardVerificationFailedError,
    ConflictError,
    ConsentRequiredError,
    InvalidInputError,
)
from thinfile.http import AppContext, Context
from thinfile.services import cards
from thinfile.services.identity_records import Actor
from thinfile.web.access import Borrower, Form, OwningBorrower
from thinfile.web.i18n import language, translations
from thinfile.web.messages import page_message
from thinfile.web.pages import redirect, render

router = APIRouter(include_in_schema=False)

CARDS_PAGE = "account/cards.html"


def _page(
    request: Request,
    actor: Actor,
    context: AppContext,
    *,
    error: str = "",
    pending: cards.BindingStarted | None = None,
    status: int = 200,
) -> Response:
    values = {
        "cards": cards.list_cards(context.engine, actor=actor),
        "error": error,
        "pending": pending,
    }
    return render(request, CARDS_PAGE, values, actor=actor, status=status)


def _refusal(request: Request, error: InvalidInputError | CardVerificationFailedError) -> str:
    _ = translations(language(request).code).gettext
    if isinstance(error, InvalidInputError):
        return _("Check the card number and the mobile number.")
    if error.extra.get("reason") == "sms_code_rejected":
        return _("The code is wrong or has expired. Start again to get a new one.")
    return _(
        "The bank did not verify this card: it must be a debit card in your own name, "
        "with the mobile number you gave the bank."
    )


@router.get("/cards")
def cards_page(request: Request, actor: Borrower, context: Context) -> Response:
    return _page(request, actor, context)


@router.post("/cards")
def start_binding(request: Request, actor: Borrower, form: Form, context: Context) -> Response:
    try:
        pending = cards.start_card_binding(
            context.engine,
            context.cipher,
            context.gateway,
            actor=actor,
            card_number=form.get("card_number", ""),
            phone=form.get("phone", ""),
        )
    except (InvalidInputError, CardVerificationFailedError) as error:
        return _page(request, actor, context, error=_refusal(request, error), status=error.status)
    except (ConflictError, ConsentRequiredError) as refused:  # bound already, or no consent
        said = page_message(refused, translations(language(request).code).gettext)
        return _page(request, actor, context, error=said, status=refused.status)
    return _page(request, actor, context, pending=pending)


@router.post("/cards/{card_id}/confirm")
def confirm_binding(
    request: Request, card_id: str, actor: OwningBorrower, form: Form, context: Context
) -> Response:
    try:
        cards.confirm_card_binding(
            context.engine,
            context.gateway,
            actor=actor,
            card_id=card_id,
            sms_code=form.get("sms_code", ""),
        )
    except CardVerificationFailedError as error:
        return _page(request, actor, context, error=_refusal(request, error), status=error.status)
    return redirect("/cards")


@router.post("/cards/{card_id}/default")
def make_default(
    request: Request, card_id: str, actor: OwningBorrower, _form: Form, context: Context
) -> Response:
    cards.set_default_card(context.engine, actor=actor, card_id=card_id)
    return redirect("/cards")


@router.post("/cards/{card_id}/unbind")
def unbind(
    request: Request, card_id: str, actor: OwningBorrower, _form: Form, context: Context
) -> Response:
    cards.unbind_card(context.engine, context.gateway, actor=actor, card_id=card_id)
    return redirect("/cards")
