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

from thinfile.commerce import CheckoutStatus
from thinfile.errors import ConflictError, InvalidInputError, NotFoundError
from thinfile.http import AppContext, Context
from thinfile.services import applications, checkout_borrower, checkout_pages
from thinfile.services.acceptance import MIN_READING_SECONDS
from thinfile.services.checkout_pages import Choice
from thinfile.services.checkout_records import CheckoutRecord
from thinfile.services.identity_records import Actor
from thinfile.services.policies import decision_runtime
from thinfile.text import whole_number
from thinfile.web.access import Borrower, Form
from thinfile.web.checkout_views import checkout_schedule
from thinfile.web.config import get_web
from thinfile.web.forms import N_, application_form, field_messages
from thinfile.web.i18n import language, translations
from thinfile.web.loan_views import business_date
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
        "schedule": checkout_schedule(plan, business_date(context.engine)),
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
            _on_the_form(field_messages(error, gettext))
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


_ASKED_ON_THE_FORM = (
    "segment",
    "declared_monthly_income",
    "existing_debt_payment_monthly",
    "months_in_city",
)
"""The fields of the confirmation form besides its box (asked when there is no line)."""


def _on_the_form(messages: dict[str, str]) -> dict[str, str]:
    """Each message keyed by a field the form has: one about the reading pause, the plan or
    anything else the borrower does not type goes beside the confirmation box."""
    placed: dict[str, str] = {}
    for name, message in messages.items():
        placed.setdefault(name if name in _ASKED_ON_THE_FORM else "confirm", message)
    return placed


_NOT_FOR_THE_AMOUNT = "NOT_APPROVED_FOR_AMOUNT"
_NOT_FOR_THE_AMOUNT_TEXT = N_("We cannot lend the whole price of this purchase.")
_NOT_FOR_THE_AMOUNT_ADVICE = N_("Choose a lower-priced item and check out again.")


Reason = dict[str, str]
"""A reason of a decline in plain words: ``code``, ``text`` and ``advice``."""


def _decided_reasons(
    request: Request, context: AppContext, application_id: str | None
) -> list[Reason]:
    """The plain words of the credit decision behind a declined checkout, as the loan
    decision page shows them, in the reader's language."""
    if application_id is None:
        return []
    record = applications.get_application(
        context.engine, context.cipher, application_id, reveal=False
    )
    stored = record.decision.get("reasons_zh" if language(request).code == "zh" else "reasons")
    return [dict(r) for r in stored if isinstance(r, dict)] if isinstance(stored, list) else []


def _decline_reasons(request: Request, context: AppContext, record: CheckoutRecord) -> list[Reason]:
    reasons = _decided_reasons(request, context, record.row.application_id)
    if _NOT_FOR_THE_AMOUNT in record.decline_reasons:
        gettext = translations(language(request).code).gettext
        reasons.append(
            {
                "code": _NOT_FOR_THE_AMOUNT,
                "text": gettext(_NOT_FOR_THE_AMOUNT_TEXT),
                "advice": gettext(_NOT_FOR_THE_AMOUNT_ADVICE),
            }
        )
    return reasons


@router.get("/{session_id}/done")
def done(request: Request, session_id: str, actor: Borrower, context: Context) -> Response:
    record = checkout_borrower.get_for_borrower(context.engine, actor, session_id)
    declined = record.status is CheckoutStatus.DECLINED
    reasons = _decline_reasons(request, context, record) if declined else []
    values = {"session": record, "reasons": reasons}
    return render(request, "checkout/done.html", values, actor=actor)
