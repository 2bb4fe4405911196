"""The borrower's checkout (收银台), reached from the mall or from a merchant's shop (the
session's address the merchant redirects to): the plans for the order, one plan's cost
statement with a coupon to apply, the confirmation after the reading pause the service
enforces, and the answer — authorized, or declined with the reasons. The first borrower to
open a session owns it; another borrower finds no such page."""

from __future__ import annotations

import re
import secrets

from fastapi import APIRouter, Request
from starlette.responses import Response

from thinfile.errors import ConflictError, InvalidInputError, NotFoundError
from thinfile.http import AppContext, Context
from thinfile.services import checkout_borrower, checkout_pages
from thinfile.services.acceptance import MIN_READING_SECONDS
from thinfile.services.checkout_pages import Choice
from thinfile.services.identity_records import Actor
from thinfile.services.policies import decision_runtime
from thinfile.text import whole_number
from thinfile.web.access import Borrower, Form
from thinfile.web.config import get_web
from thinfile.web.forms import application_form, field_messages
from thinfile.web.i18n import language, translations
from thinfile.web.messages import page_message
from thinfile.web.pages import redirect, render

router = APIRouter(prefix="/checkout", include_in_schema=False)


@router.get("/{session_id}")
def plans(request: Request, session_id: str, actor: Borrower, context: Context) -> Response:
    page = checkout_pages.checkout_page(context.engine, actor, session_id)
    if page.session.status.value != "open":
        return redirect(f"/checkout/{session_id}/done")
    return render(request, "checkout/plans.html", {"page": page}, actor=actor)


def _statement(
    request: Request,
    actor: Actor,
    context: AppContext,
    session_id: str,
    periods: int,
    coupon: str,
    *,
    errors: dict[str, str] | None = None,
    fields: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    page = checkout_pages.checkout_page(context.engine, actor, session_id, coupon_id=coupon)
    plan = page.plan(periods)
    if plan is None:
        raise NotFoundError("no such plan", field="periods", value=periods)
    values = {
        "page": page,
        "plan": plan,
        "campaign": page.campaign_for(periods),
        "errors": errors or {},
        "fields": fields or {},
        "key": f"co-{secrets.token_hex(16)}",
        "min_seconds": MIN_READING_SECONDS,
    }
    return render(request, "checkout/statement.html", values, actor=actor, status=status)


@router.get("/{session_id}/plans/{periods}")
def statement(
    request: Request,
    session_id: str,
    periods: int,
    actor: Borrower,
    context: Context,
    coupon: str = "",
) -> Response:
    return _statement(request, actor, context, session_id, periods, coupon)


@router.post("/{session_id}/confirmation")
def confirm(
    request: Request, session_id: str, actor: Borrower, form: Form, context: Context
) -> Response:
    periods = whole_number(form.get("periods", ""), max_digits=3) or 0
    coupon = form.get("coupon_id", "")
    choice = Choice(periods, coupon or None, form.get("campaign_id") or None, "confirm" in form)
    runtime = decision_runtime(context.engine, get_web(request).load_model)
    key = form.get("idempotency_key", "")
    try:
        if not re.fullmatch(r"co-[0-9a-f]{32}", key):
            raise InvalidInputError("reload the page and confirm again", field="confirm")
        checkout_pages.confirm(
            context.engine,
            context.cipher,
            runtime,
            actor,
            session_id,
            choice,
            application_form(form, id_number=""),
            key=key,
        )
    except (InvalidInputError, ConflictError) as error:
        gettext = translations(language(request).code).gettext
        errors = (
            field_messages(error, gettext)
            if isinstance(error, InvalidInputError)
            else {"confirm": page_message(error, gettext)}
        )
        kept = {k: v for k, v in form.items() if k not in ("csrf_token", "idempotency_key")}
        code = 422 if isinstance(error, InvalidInputError) else 409
        return _statement(
            request,
            actor,
            context,
            session_id,
            periods,
            coupon,
            errors=errors,
            fields=kept,
            status=code,
        )
    return redirect(f"/checkout/{session_id}/done")


@router.get("/{session_id}/done")
def done(request: Request, session_id: str, actor: Borrower, context: Context) -> Response:
    record = checkout_borrower.get_for_borrower(context.engine, actor, session_id)
    return render(request, "checkout/done.html", {"session": record}, actor=actor)
