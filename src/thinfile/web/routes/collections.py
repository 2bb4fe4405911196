"""The console's collections (催收): the case queue and a case's page — schedule, payments,
contacts, notes, promises, hardship plans proposed and approved, assignment to an agent.
Collectors, servicing agents and admins; an agency's collectors see only their agency's cases
(the service decides: any other case is "not found")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi import APIRouter, Request
from starlette.responses import Response

from thinfile.collections import HardshipKind, Strategy
from thinfile.collections.hardship import MAX_HOLIDAY_MONTHS
from thinfile.errors import ConflictError, InvalidInputError, ThinfileError
from thinfile.http import AppContext, Context
from thinfile.http.ids import Serial
from thinfile.security.roles import SERVICING_ROLES
from thinfile.services import collection_contacts, collection_hardship, collection_views
from thinfile.services import collections as cases
from thinfile.services.identity_records import Actor
from thinfile.text import whole_number
from thinfile.web.access import Collector, Form, MaybeSignedIn, Servicer
from thinfile.web.forms import field_messages
from thinfile.web.i18n import language, translations
from thinfile.web.loan_views import parse_amount
from thinfile.web.pages import render, submit
from thinfile.web.people import staff_namer

router = APIRouter(prefix="/console/collections", include_in_schema=False)
public = APIRouter(include_in_schema=False)
"""Pages anyone may read: the published list of collection agencies."""

STRATEGIES = tuple(s.value for s in Strategy)
KINDS = tuple(k.value for k in HardshipKind)
_WITH_MONTHS = (HardshipKind.PAYMENT_HOLIDAY, HardshipKind.TERM_EXTENSION)
"""The plans that take a number of months (``thinfile.collections.hardship.check_months``)."""


@public.get("/collection-agencies")
def agencies_page(request: Request, actor: MaybeSignedIn, context: Context) -> Response:
    """The outsourced collection agencies the lender works with (DOMAIN §5.6: published)."""
    found = cases.published_agencies(context.engine)
    return render(request, "collection_agencies.html", {"agencies": found}, actor=actor)


@router.get("")
def queue(
    request: Request, actor: Collector, context: Context, strategy: str = "", bucket: str = ""
) -> Response:
    chosen = strategy if strategy in STRATEGIES else ""
    rows = collection_views.case_queue(
        context.engine, actor, strategy=Strategy(chosen) if chosen else None,
        bucket=bucket[:16] or None,
    )  # fmt: skip
    who = staff_namer(context.engine, (r.assignee for r in rows))
    return render(
        request,
        "staff/cases.html",
        {
            "rows": rows, "strategy": chosen, "strategies": STRATEGIES, "bucket": bucket[:16],
            "who": who,
        },
        actor=actor,
    )  # fmt: skip


def _page(
    request: Request,
    actor: Actor,
    context: AppContext,
    case_id: int,
    *,
    error: ThinfileError | None = None,
) -> Response:
    view = collection_views.case_view(context.engine, case_id, actor=actor, cipher=context.cipher)
    errors: dict[str, str] = {}
    if isinstance(error, InvalidInputError):
        errors = field_messages(error, translations(language(request).code).gettext)
    elif error is not None:
        errors = {"form": error.message}
    people = [view.facts.assignee, *(n.author for n in view.notes)]
    people += [who for p in view.plans for who in (p.proposed_by, p.approved_by)]
    return render(
        request,
        "staff/case.html",
        {
            "case": view,
            "kinds": KINDS,
            "errors": errors,
            "may_approve": actor.role in SERVICING_ROLES,
            "me": actor.user_id,
            "who": staff_namer(context.engine, people),
            "done": request.query_params.get("done", ""),
        },
        actor=actor,
        status=422 if error is not None else 200,
    )


@router.get("/{case_id}")
def case_page(request: Request, case_id: Serial, actor: Collector, context: Context) -> Response:
    return _page(request, actor, context, case_id)


_REFUSALS = (InvalidInputError, ConflictError)


def _submit(
    request: Request,
    actor: Actor,
    context: AppContext,
    case_id: int,
    work: Callable[[], object],
    done: str,
) -> Response:
    """Run a case form's use case; back to the case with ``done`` or with the refusal."""
    return submit(
        work,
        done=f"/console/collections/{case_id}?done={done}",
        refused=lambda error: _page(request, actor, context, case_id, error=error),
        catch=_REFUSALS,
    )


@router.post("/{case_id}/notes")
def note(
    request: Request, case_id: Serial, actor: Collector, form: Form, context: Context
) -> Response:
    def work() -> None:
        collection_views.add_note(context.engine, case_id, form.get("text", ""), actor=actor)

    return _submit(request, actor, context, case_id, work, "noted")


@router.post("/{case_id}/promises")
def promise(
    request: Request, case_id: Serial, actor: Collector, form: Form, context: Context
) -> Response:
    def work() -> None:
        due = _date(form.get("due", ""))
        amount = parse_amount(form.get("amount", ""), "CNY")
        collection_contacts.record_promise(context.engine, case_id, amount, due, actor=actor)

    return _submit(request, actor, context, case_id, work, "promised")


@router.post("/{case_id}/assignee")
def assign(
    request: Request, case_id: Serial, actor: Servicer, form: Form, context: Context
) -> Response:
    def work() -> None:
        who = form.get("assignee", "").strip() or None
        cases.assign_case(context.engine, case_id, who, actor=actor)

    return _submit(request, actor, context, case_id, work, "assigned")


@router.post("/{case_id}/hardship-plans")
def propose(
    request: Request, case_id: Serial, actor: Collector, form: Form, context: Context
) -> Response:
    def work() -> None:
        kind = form.get("kind", "")
        if kind not in KINDS:
            raise InvalidInputError("choose a hardship plan", field="kind", value=kind)
        months, amount = form.get("months", "").strip(), form.get("amount", "").strip()
        loan_id = collection_views.case_view(context.engine, case_id, actor=actor).facts.loan_id
        collection_hardship.propose_plan(
            context.engine, loan_id, HardshipKind(kind), reason=form.get("reason", ""),
            actor=actor, months=_months(HardshipKind(kind), months),
            amount=parse_amount(amount, "CNY") if amount else None,
        )  # fmt: skip

    return _submit(request, actor, context, case_id, work, "proposed")


@router.post("/{case_id}/hardship-plans/{plan_id}/approval")
def approve(
    request: Request,
    case_id: Serial,
    plan_id: Serial,
    actor: Servicer,
    _form: Form,
    context: Context,
) -> Response:
    def work() -> None:
        collection_views.approve_plan_of_case(context.engine, case_id, plan_id, actor=actor)

    return _submit(request, actor, context, case_id, work, "approved")


@router.post("/{case_id}/hardship-plans/{plan_id}/decline")
def decline(
    request: Request,
    case_id: Serial,
    plan_id: Serial,
    actor: Collector,
    form: Form,
    context: Context,
) -> Response:
    def work() -> None:
        collection_views.decline_plan_of_case(
            context.engine, case_id, plan_id, reason=form.get("reason", ""), actor=actor
        )

    return _submit(request, actor, context, case_id, work, "declined")


def _months(kind: HardshipKind, text: str) -> int | None:
    """The months typed for a plan: for a holiday or an extension, empty or anything but the
    digits 0-9 is refused as the API refuses a month count out of range."""
    months = whole_number(text, max_digits=3)
    if months is None and kind in _WITH_MONTHS:
        raise InvalidInputError(
            f"months are from 1 to {MAX_HOLIDAY_MONTHS}", field="months", value=text[:8]
        )
    return months


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInputError("a date like 2025-01-31", field="due", value=text[:20]) from None
