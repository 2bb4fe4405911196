"""The console's loans: the list, one loan (balances, schedule, transactions, journal entries,
bucket history) and the servicing actions — reverse a payment, charge off, merchant refund,
waive fees, request and approve a write-off — for servicing agents and admins, each audited
in the posting's transaction. Every money form carries a one-time key, so the same rendered
form posted twice posts once (:mod:`thinfile.web.servicing_actions`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import APIRouter, Request
from starlette.responses import Response

from thinfile.errors import ConflictError, InvalidInputError, PermissionDeniedError, ThinfileError
from thinfile.http import AppContext, Context
from thinfile.http.ids import Serial
from thinfile.security.roles import SERVICING_ROLES
from thinfile.services import loan_adjustments, loans, payment_reversals, portfolio, write_offs
from thinfile.services.identity_records import Actor
from thinfile.services.reasons import REASON_MAX_CHARS, REASON_MIN_CHARS
from thinfile.servicing import LoanStatus
from thinfile.text import whole_number
from thinfile.web import servicing_actions
from thinfile.web.access import Form, Servicer, Staff
from thinfile.web.forms import N_, field_messages
from thinfile.web.i18n import language, translations
from thinfile.web.loan_views import business_date, loan_page, parse_amount
from thinfile.web.messages import page_message
from thinfile.web.pages import render, submit

router = APIRouter(prefix="/console/loans", include_in_schema=False)

STATUSES = tuple(s.value for s in LoanStatus)

LOSS_NEEDS_APPROVAL = N_(  # thinfile.services.loan_adjustments.check_loss_alone
    "This loan has not reached the charge-off days past due, so one person may not charge it "
    "off. Request a write-off below; another servicing agent or admin approves it."
)


@router.get("")
def loan_list(request: Request, actor: Staff, context: Context, status: str = "") -> Response:
    chosen = status if status in STATUSES else ""
    rows = portfolio.list_loans(context.engine, status=chosen or None)
    return render(
        request,
        "staff/loans.html",
        {"rows": rows, "status": chosen, "statuses": STATUSES},
        actor=actor,
    )


def _detail(
    request: Request,
    actor: Actor,
    context: AppContext,
    loan_id: int,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    on = business_date(context.engine)
    view = loans.get_loan(context.engine, loan_id)
    journal = portfolio.loan_journal(context.engine, loan_id)
    return render(
        request,
        "staff/loan.html",
        {
            "loan": loan_page(view, on, None),
            "journal": journal,
            "written_off": servicing_actions.written_off(journal),
            "new_key": lambda: servicing_actions.new_form_key(loan_id),
            "balanced": all(e.is_balanced for e in journal),
            "moves": portfolio.bucket_history_of(context.engine, loan_id),
            "reversible": payment_reversals.REVERSIBLE,
            "errors": errors or {},
            "reason_chars": (REASON_MIN_CHARS, REASON_MAX_CHARS),
            "may_act": actor.role in SERVICING_ROLES,
            "done": request.query_params.get("done", ""),
            "write_off_request": write_offs.pending_write_off(context.engine, loan_id),
            "loss_alone": loan_adjustments.may_write_off_alone(view.account, on),
            "merchant_refundable": loan_adjustments.may_record_merchant_refund(
                context.engine, view.account
            ),
        },
        actor=actor,
        status=status,
    )


@router.get("/{loan_id}")
def loan(request: Request, loan_id: Serial, actor: Staff, context: Context) -> Response:
    return _detail(request, actor, context, loan_id)


def _refused(
    request: Request,
    actor: Actor,
    context: AppContext,
    loan_id: int,
    error: ThinfileError,
    *,
    form_name: str = "",
) -> Response:
    gettext = translations(language(request).code).gettext
    if isinstance(error, PermissionDeniedError) and error.field == "loan_id":
        said = {"form": gettext(LOSS_NEEDS_APPROVAL)}  # a loss before the days-past-due rule
        return _detail(request, actor, context, loan_id, errors=said, status=error.status)
    if not isinstance(error, InvalidInputError):  # a conflict: the key sent with other values
        said = {"form": page_message(error, gettext)}
        return _detail(request, actor, context, loan_id, errors=said, status=error.status)
    errors = field_messages(error, gettext)
    if form_name:  # the same field name in two forms: say which form it belongs to
        errors = {f"{form_name}-{k}": v for k, v in errors.items()}
    return _detail(request, actor, context, loan_id, errors=errors, status=422)


def _key(form: Mapping[str, str], loan_id: int) -> str:
    """The one-time key the form was rendered with (:func:`servicing_actions.form_key`)."""
    return servicing_actions.form_key(form.get("idempotency_key", ""), loan_id)


def _submit(
    request: Request,
    actor: Actor,
    context: AppContext,
    loan_id: int,
    work: Callable[[], object],
    done: str,
    *,
    form_name: str = "",
) -> Response:
    """Run a servicing form's use case; back to the loan with ``done`` or with the refusal."""
    return submit(
        work,
        done=f"/console/loans/{loan_id}?done={done}",
        refused=lambda error: _refused(
            request, actor, context, loan_id, error, form_name=form_name
        ),
        catch=(InvalidInputError, ConflictError, PermissionDeniedError),
    )


@router.post("/{loan_id}/reversals")
def reverse(
    request: Request, loan_id: Serial, actor: Servicer, form: Form, context: Context
) -> Response:
    def work() -> None:
        txn = whole_number(form.get("txn_id", ""))
        if txn is None:
            raise InvalidInputError("choose a payment", field="txn_id")
        servicing_actions.reverse(
            context.engine,
            loan_id,
            txn,
            actor=actor,
            reason=form.get("reason", ""),
            key=_key(form, loan_id),
        )

    return _submit(request, actor, context, loan_id, work, "reversed")


@router.post("/{loan_id}/charge-off")
def charge_off(
    request: Request, loan_id: Serial, actor: Servicer, form: Form, context: Context
) -> Response:
    def work() -> None:
        servicing_actions.charge_off(
            context.engine,
            loan_id,
            actor=actor,
            reason=form.get("reason", ""),
            key=_key(form, loan_id),
        )

    return _submit(request, actor, context, loan_id, work, "charged-off")


@router.post("/{loan_id}/write-off-requests")
def request_write_off(
    request: Request, loan_id: Serial, actor: Servicer, form: Form, context: Context
) -> Response:
    """Ask for a write-off; another servicing agent or admin approves it. Sent again (a
    double click) while this staff member's request waits, it is answered as the first was."""

    def work() -> None:
        try:
            servicing_actions.request_write_off(
                context.engine, loan_id, actor=actor, reason=form.get("reason", "")
            )
        except ConflictError:
            waiting = write_offs.pending_write_off(context.engine, loan_id)
            if waiting is None or waiting.requested_by != actor.user_id:
                raise

    return _submit(
        request, actor, context, loan_id, work, "write-off-requested", form_name="write-off"
    )


@router.post("/{loan_id}/write-off-requests/{request_id}/approval")
def approve_write_off(
    request: Request,
    loan_id: Serial,
    request_id: Serial,
    actor: Servicer,
    form: Form,
    context: Context,
) -> Response:
    """Approve another staff member's write-off request: the write-off is posted."""

    def work() -> None:
        servicing_actions.approve_write_off(
            context.engine,
            loan_id,
            request_id,
            actor=actor,
            key=_key(form, loan_id),
        )

    return _submit(request, actor, context, loan_id, work, "written-off")


@router.post("/{loan_id}/merchant-refunds")
def merchant_refund(
    request: Request, loan_id: Serial, actor: Servicer, form: Form, context: Context
) -> Response:
    def work() -> None:
        currency = loans.get_loan(context.engine, loan_id).account.currency
        amount = parse_amount(form.get("amount", ""), currency)
        servicing_actions.merchant_refund(
            context.engine,
            loan_id,
            amount,
            actor=actor,
            reason=form.get("reason", ""),
            key=_key(form, loan_id),
        )

    return _submit(request, actor, context, loan_id, work, "refunded", form_name="refund")


@router.post("/{loan_id}/fee-waivers")
def waive_fees(
    request: Request, loan_id: Serial, actor: Servicer, form: Form, context: Context
) -> Response:
    def work() -> None:
        currency = loans.get_loan(context.engine, loan_id).account.currency
        amount = parse_amount(form.get("amount", ""), currency)
        servicing_actions.waive_fees(
            context.engine,
            loan_id,
            amount,
            actor=actor,
            reason=form.get("reason", ""),
            key=_key(form, loan_id),
            kind=form.get("kind", ""),
        )

    return _submit(request, actor, context, loan_id, work, "waived", form_name="waiver")
