"""The borrower's message centre (``/messages``: reminders, notices, receipts, newest first;
mark one read) and delivery status in the staff console (``/console/notifications``). The
rules live in :mod:`thinfile.services.notifications`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from thinfile.errors import InvalidInputError
from thinfile.http import Context
from thinfile.services import message_centre, notifications
from thinfile.web.access import Borrower, Form, Staff
from thinfile.web.i18n import LANGUAGES, language, translations
from thinfile.web.pages import redirect, render

router = APIRouter(include_in_schema=False)

MESSAGES_PAGE = "account/messages.html"
DELIVERIES_PAGE = "staff/notifications.html"
_PAGE = 50


@router.get("/messages")
def messages_page(request: Request, actor: Borrower, context: Context) -> Response:
    engine, user, code = context.engine, actor.user_id, language(request).code
    values = {
        "messages": message_centre.messages_in_language(
            engine, user, language=code, gettext=translations(code).gettext, limit=_PAGE, offset=0
        ),
        "unread": notifications.unread_count(engine, user),
    }
    return render(request, MESSAGES_PAGE, values, actor=actor)


@router.post("/messages/{message_id}/read")
def read_message(
    request: Request, message_id: int, actor: Borrower, form: Form, context: Context
) -> Response:
    notifications.mark_message_read(context.engine, actor.user_id, message_id)
    return redirect("/messages")


@router.get("/console/notifications")
def deliveries_page(
    request: Request, actor: Staff, context: Context, status: str | None = None
) -> Response:
    chosen = status if status in ("pending", "delivered", "failed", "skipped") else None
    values = {
        "deliveries": notifications.list_deliveries(
            context.engine, limit=_PAGE, offset=0, status=chosen
        ),
        "counts": notifications.delivery_counts(context.engine),
        "status": chosen,
    }
    return render(request, DELIVERIES_PAGE, values, actor=actor)


PREFERENCES_PAGE = "account/message_preferences.html"
_LANGUAGES = [(code, language.label) for code, language in LANGUAGES.items()]


@router.get("/messages/preferences")
def preferences_page(request: Request, actor: Borrower, context: Context) -> Response:
    values = {
        "prefs": notifications.get_preferences(context.engine, actor.user_id),
        "error": "",
        "language_choices": _LANGUAGES,
    }
    return render(request, PREFERENCES_PAGE, values, actor=actor)


@router.post("/messages/preferences")
def save_preferences(request: Request, actor: Borrower, form: Form, context: Context) -> Response:
    try:
        notifications.set_preferences(
            context.engine,
            actor,
            actor.user_id,
            language=form.get("language", ""),
            time_zone=form.get("time_zone", "").strip(),
            in_app_only=form.get("in_app_only") == "on",
        )
    except InvalidInputError as error:
        values = {
            "prefs": notifications.get_preferences(context.engine, actor.user_id),
            "error": error.field or "",
            "language_choices": _LANGUAGES,
        }
        return render(request, PREFERENCES_PAGE, values, actor=actor, status=error.status)
    return redirect("/messages")
