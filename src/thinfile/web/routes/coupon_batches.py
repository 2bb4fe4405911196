"""The console's interest-coupon batches (券批次): each batch with its coupons issued, redeemed
and expired and its budget's use, and a form issuing one of a batch to a borrower or to every
borrower of a segment. Underwriters and admins only, as the API; the service
(``thinfile.services.interest_coupons``) holds every rule."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from thinfile.errors import (
    ConflictError,
    CouponBudgetExhaustedError,
    CouponUnavailableError,
    InvalidInputError,
    NotFoundError,
    ThinfileError,
)
from thinfile.http import AppContext, Context
from thinfile.services import interest_coupons
from thinfile.services.coupon_batch_views import batch_overview
from thinfile.services.identity_records import Actor
from thinfile.web.access import Form, Underwriter
from thinfile.web.forms import Gettext, field_messages
from thinfile.web.i18n import language, translations
from thinfile.web.pages import render, submit

router = APIRouter(prefix="/console/coupon-batches", include_in_schema=False)

FIELDS = ("batch_id", "borrower_id", "segment", "reference")


def _page(
    request: Request,
    actor: Actor,
    context: AppContext,
    *,
    errors: dict[str, str] | None = None,
    fields: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    zh = language(request).code == "zh"
    rows = batch_overview(context.engine)
    return render(
        request,
        "staff/coupon_batches.html",
        {
            "rows": rows,
            "words": {
                r.batch.id: (r.terms.describe_zh() if zh else r.terms.describe()) for r in rows
            },
            "errors": errors or {},
            "fields": fields or {},
            "done": request.query_params.get("done", ""),
        },
        actor=actor,
        status=status,
    )


@router.get("")
def batch_list(request: Request, actor: Underwriter, context: Context) -> Response:
    return _page(request, actor, context)


def _message(error: ThinfileError, gettext: Gettext) -> dict[str, str]:
    if isinstance(error, InvalidInputError):
        known = {
            "reference": gettext(
                "A reference has 1 to 100 characters; a segment's issue needs one."
            ),
            "borrower_id": gettext("Give a borrower's account id, or choose a segment."),
            "segment": gettext("Choose a segment from the list."),
        }
        if error.field in known and not error.problems:
            return {error.field: known[error.field]}
        return field_messages(error, gettext)
    if isinstance(error, CouponBudgetExhaustedError):
        return {"batch_id": gettext("This batch's budget is spent: it issues no more.")}
    if isinstance(error, NotFoundError) and error.field == "borrower_id":
        return {"borrower_id": gettext("No active borrower account has this id.")}
    if isinstance(error, NotFoundError):
        return {"batch_id": gettext("Choose a batch from the list.")}
    if isinstance(error, CouponUnavailableError) and error.field == "borrower_id":
        return {"borrower_id": gettext("This borrower holds as many of this batch as allowed.")}
    return {"batch_id": gettext("This batch no longer issues coupons (ended or expired).")}


@router.post("/issues")
def issue(request: Request, actor: Underwriter, form: Form, context: Context) -> Response:
    """One coupon of the batch to one borrower, or (a segment chosen) to every borrower of the
    segment once per reference."""
    fields = {name: form.get(name, "").strip() for name in FIELDS}
    gettext = translations(language(request).code).gettext
    reference = fields["reference"] or None

    def work() -> object:
        if fields["segment"]:
            if reference is None:
                raise InvalidInputError("a segment's issue needs a reference", field="reference")
            return interest_coupons.issue_to_segment(
                context.engine,
                actor,
                fields["batch_id"],
                segment=fields["segment"],
                reference=reference,
            )
        if not fields["borrower_id"]:
            raise InvalidInputError("give a borrower id or choose a segment", field="borrower_id")
        return interest_coupons.issue_batch_coupon(
            context.engine, actor, fields["batch_id"], fields["borrower_id"], reference=reference
        )

    return submit(
        work,
        done=f"/console/coupon-batches?done={'segment' if fields['segment'] else 'one'}",
        refused=lambda error: _page(
            request,
            actor,
            context,
            errors=_message(error, gettext),
            fields=fields,
            status=error.status,
        ),
        catch=(InvalidInputError, NotFoundError, ConflictError),
    )
