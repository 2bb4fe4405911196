"""The console's merchants: the list, one merchant with its contract, and the onboarding
form. The same services as the API (``thinfile.services.merchants``) hold every rule."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from thinfile.commerce import MerchantCategory, MerchantStatus
from thinfile.errors import InvalidInputError
from thinfile.http import Context
from thinfile.services import merchants
from thinfile.services.identity_records import Actor
from thinfile.services.merchant_records import MerchantDraft
from thinfile.web.access import Form, Staff
from thinfile.web.forms import field_messages
from thinfile.web.i18n import language, translations
from thinfile.web.pages import redirect, render

router = APIRouter(prefix="/console/merchants", include_in_schema=False)

FIELDS = (
    "legal_name",
    "credit_code",
    "settlement_bank",
    "settlement_account",
    "contact_name",
    "contact_phone",
)


@router.get("")
def merchant_list(request: Request, actor: Staff, context: Context, status: str = "") -> Response:
    chosen = status if status in tuple(MerchantStatus) else ""
    rows = merchants.list_merchants(
        context.engine, limit=200, offset=0, status=MerchantStatus(chosen) if chosen else None
    )
    return render(
        request,
        "staff/merchants.html",
        {"rows": rows, "status": chosen, "statuses": tuple(MerchantStatus)},
        actor=actor,
    )


def _form(
    request: Request,
    actor: Actor,
    *,
    errors: dict[str, str] | None = None,
    fields: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "staff/merchant_new.html",
        {"errors": errors or {}, "fields": fields or {}, "categories": tuple(MerchantCategory)},
        actor=actor,
        status=status,
    )


@router.get("/new")
def new_merchant(request: Request, actor: Staff) -> Response:
    return _form(request, actor)


@router.post("")
def onboard(request: Request, actor: Staff, form: Form, context: Context) -> Response:
    fields = {name: form.get(name, "") for name in (*FIELDS, "category")}
    try:
        category = MerchantCategory(fields["category"])
    except ValueError:
        error = InvalidInputError("choose a category", field="category")
        return _refused(request, actor, error, fields)
    draft = MerchantDraft(category=category, **{name: fields[name] for name in FIELDS})
    try:
        merchant = merchants.onboard(context.engine, context.cipher, actor, draft)
    except InvalidInputError as error:
        return _refused(request, actor, error, fields)
    return redirect(f"/console/merchants/{merchant.id}?onboarded=1")


def _refused(
    request: Request, actor: Actor, error: InvalidInputError, fields: dict[str, str]
) -> Response:
    errors = field_messages(error, translations(language(request).code).gettext)
    fields.pop("settlement_account", None)  # never echoed into the page
    return _form(request, actor, errors=errors, fields=fields, status=422)


@router.get("/{merchant_id}")
def merchant_detail(request: Request, merchant_id: str, actor: Staff, context: Context) -> Response:
    return render(
        request,
        "staff/merchant.html",
        {
            "m": merchants.get_merchant(context.engine, merchant_id),
            "contract": merchants.current_contract(context.engine, merchant_id),
            "onboarded": "onboarded" in request.query_params,
            "done": "done" in request.query_params,
        },
        actor=actor,
    )


@router.post("/{merchant_id}/activation")
def activate(merchant_id: str, actor: Staff, _form: Form, context: Context) -> Response:
    merchants.activate(context.engine, actor, merchant_id)
    return redirect(f"/console/merchants/{merchant_id}?done=1")


@router.post("/{merchant_id}/suspension")
def suspend(merchant_id: str, actor: Staff, _form: Form, context: Context) -> Response:
    merchants.suspend(context.engine, actor, merchant_id)
    return redirect(f"/console/merchants/{merchant_id}?done=1")
