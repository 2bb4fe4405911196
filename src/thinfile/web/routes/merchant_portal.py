"""The merchant portal, for users with the ``merchant`` role: their merchant's orders
(checkout sessions) with capture, void and refund, its settlements and their CSV files, the
budgets of the campaigns naming it, and its webhook deliveries with replay. Another
merchant's order or event looks like none."""

from __future__ import annotations

import re
import secrets
from datetime import date

from fastapi import APIRouter, Request
from starlette.responses import Response

from thinfile.errors import ConflictError, InvalidInputError, NotFoundError, ThinfileError
from thinfile.http import AppContext, Context
from thinfile.services import checkout, merchant_portal
from thinfile.services.identity_records import Actor
from thinfile.web.access import Form, MerchantUser
from thinfile.web.forms import field_messages
from thinfile.web.i18n import language, translations
from thinfile.web.loan_views import parse_amount
from thinfile.web.messages import page_message
from thinfile.web.pages import redirect, render, submit

router = APIRouter(prefix="/merchant", include_in_schema=False)


@router.get("")
def orders(request: Request, actor: MerchantUser, context: Context) -> Response:
    portal = merchant_portal.orders(context.engine, actor)
    return render(request, "merchant/orders.html", {"portal": portal}, actor=actor)


def _order(
    request: Request,
    actor: Actor,
    context: AppContext,
    session_id: str,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    record = checkout.get_for_merchant(context.engine, actor, session_id)
    values = {
        "s": record,
        "errors": errors or {},
        "key": f"mp-{secrets.token_hex(16)}",
        "done": request.query_params.get("done", ""),
    }
    return render(request, "merchant/order.html", values, actor=actor, status=status)


@router.get("/orders/{session_id}")
def order(request: Request, session_id: str, actor: MerchantUser, context: Context) -> Response:
    return _order(request, actor, context, session_id)


def _form_key(form: dict[str, str], field: str) -> str:
    """The form's key (one per page shown), so a double submit acts once."""
    key = form.get("idempotency_key", "")
    if not re.fullmatch(r"mp-[0-9a-f]{32}", key):
        raise InvalidInputError("reload the page and try again", field=field)
    return key


def _said(request: Request, error: ThinfileError) -> str:
    return page_message(error, translations(language(request).code).gettext)


def _act(
    request: Request,
    actor: Actor,
    context: AppContext,
    session_id: str,
    form: dict[str, str],
    what: str,
) -> Response:
    try:
        key = form.get("idempotency_key", "")
        if not re.fullmatch(r"mp-[0-9a-f]{32}", key):
            raise InvalidInputError("reload the page and try again", field="amount")
        amount = parse_amount(form.get("amount", ""), "CNY")
        act = merchant_portal.capture if what == "capture" else merchant_portal.refund
        act(context.engine, actor, session_id, amount, key=key)
    except (InvalidInputError, ConflictError) as error:
        gettext = translations(language(request).code).gettext
        if isinstance(error, ConflictError):
            errors, code = {what: page_message(error, gettext)}, 409
        else:
            errors, code = {what: " ".join(field_messages(error, gettext).values())}, 422
        return _order(request, actor, context, session_id, errors=errors, status=code)
    return redirect(f"/merchant/orders/{session_id}?done={what}")


@router.post("/orders/{session_id}/captures")
def capture(
    request: Request, session_id: str, actor: MerchantUser, form: Form, context: Context
) -> Response:
    return _act(request, actor, context, session_id, form, "capture")


@router.post("/orders/{session_id}/void")
def void(
    request: Request, session_id: str, actor: MerchantUser, form: Form, context: Context
) -> Response:
    def refused(error: ThinfileError) -> Response:
        errors = {"void": _said(request, error)}
        return _order(request, actor, context, session_id, errors=errors, status=error.status)

    return submit(
        lambda: merchant_portal.void(
            context.engine, actor, session_id, key=_form_key(form, "void")
        ),
        done=f"/merchant/orders/{session_id}?done=void",
        refused=refused,
        catch=(InvalidInputError, ConflictError),
    )


@router.post("/orders/{session_id}/refunds")
def refund(
    request: Request, session_id: str, actor: MerchantUser, form: Form, context: Context
) -> Response:
    return _act(request, actor, context, session_id, form, "refund")


@router.get("/settlements")
def settlements(request: Request, actor: MerchantUser, context: Context) -> Response:
    found = merchant_portal.settlements(context.engine, actor)
    return render(request, "merchant/settlements.html", {"settlements": found}, actor=actor)


@router.get("/settlements/{day}.csv")
def settlement_file(day: str, actor: MerchantUser, context: Context) -> Response:
    try:
        on = date.fromisoformat(day)
    except ValueError:
        raise NotFoundError("no settlement on that date", field="date", value=day) from None
    name, text = merchant_portal.settlement_file(context.engine, actor, on)
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/campaigns")
def campaigns(request: Request, actor: MerchantUser, context: Context) -> Response:
    found = merchant_portal.campaigns_of(context.engine, actor)
    return render(request, "merchant/campaigns.html", {"campaigns": found}, actor=actor)


@router.get("/webhooks")
def deliveries(request: Request, actor: MerchantUser, context: Context) -> Response:
    log = merchant_portal.webhook_deliveries(context.engine, actor)
    return render(request, "merchant/webhooks.html", {"log": log}, actor=actor)


def _delivery(
    request: Request,
    actor: Actor,
    context: AppContext,
    event_id: str,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    found, detail = merchant_portal.delivery(context.engine, actor, event_id)
    values = {
        "d": found,
        "detail": detail,
        "errors": errors or {},
        "key": f"mp-{secrets.token_hex(16)}",
        "done": request.query_params.get("done", ""),
    }
    return render(request, "merchant/webhook.html", values, actor=actor, status=status)


@router.get("/webhooks/{event_id}")
def delivery(request: Request, event_id: str, actor: MerchantUser, context: Context) -> Response:
    return _delivery(request, actor, context, event_id)


@router.post("/webhooks/{event_id}/replay")
def replay(
    request: Request, event_id: str, actor: MerchantUser, form: Form, context: Context
) -> Response:
    def refused(error: ThinfileError) -> Response:
        errors = {"replay": _said(request, error)}
        return _delivery(request, actor, context, event_id, errors=errors, status=error.status)

    return submit(
        lambda: merchant_portal.replay(
            context.engine, actor, event_id, key=_form_key(form, "replay")
        ),
        done=f"/merchant/webhooks/{event_id}?done=replay",
        refused=refused,
        catch=(InvalidInputError, ConflictError),
    )
