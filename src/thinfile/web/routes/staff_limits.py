"""The console's credit limits: a line's limit with the history of changes (staff's own words
included), its behaviour features and limit decisions; a change with a reason — above the
live policy's threshold it waits for a second servicing agent or admin (maker-checker) — and
its approval; the registered limit-policy versions, and a simulation of one against another
over a synthetic book (underwriters and admins). Any staff member looks; servicing agents and
admins act, as the API allows."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import HTMLResponse, Response

from thinfile.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from thinfile.http import AppContext, Context
from thinfile.http.ids import Serial
from thinfile.money import Money
from thinfile.security.roles import UNDERWRITING_ROLES
from thinfile.services import limit_changes, limit_policies, limit_policy_simulations
from thinfile.services.identity_records import Actor
from thinfile.services.limit_policy_simulations import (
    MAX_SIMULATED_APPLICANTS,
    MIN_SIMULATED_APPLICANTS,
)
from thinfile.services.limit_simulation_report import render_limit_simulation_html
from thinfile.services.reasons import REASON_MAX_CHARS, REASON_MIN_CHARS
from thinfile.services.write_offs import APPROVER_ROLES
from thinfile.web.access import Form, Staff, Underwriter, web_roles
from thinfile.web.i18n import language, translations
from thinfile.web.limit_views import limit_message
from thinfile.web.messages import page_message
from thinfile.web.pages import redirect, render

router = APIRouter(prefix="/console", include_in_schema=False)

Agent = Annotated[Actor, Depends(web_roles(*APPROVER_ROLES))]
"""Who may change a limit or approve a change: servicing agents and admins."""

Refusal = InvalidInputError | ConflictError | PermissionDeniedError


def _detail(
    request: Request,
    actor: Actor,
    context: AppContext,
    line_id: int,
    *,
    errors: dict[str, str] | None = None,
    fields: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "staff/line.html",
        {
            "line": limit_changes.staff_line_view(context.engine, line_id),
            "may_act": actor.role in APPROVER_ROLES,
            "errors": errors or {},
            "fields": fields or {},
            "done": request.query_params.get("done", ""),
            "reason_chars": (REASON_MIN_CHARS, REASON_MAX_CHARS),
        },
        actor=actor,
        status=status,
    )


def _refused(
    request: Request, actor: Actor, context: AppContext, line_id: int, error: Refusal, form: Form
) -> Response:
    gettext = translations(language(request).code).gettext
    errors = {"change": limit_message(error, gettext)}
    return _detail(
        request, actor, context, line_id, errors=errors, fields=form, status=error.status
    )


@router.get("/lines/{line_id}")
def line(request: Request, line_id: Serial, actor: Staff, context: Context) -> Response:
    return _detail(request, actor, context, line_id)


def _until(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        raise InvalidInputError(
            "an end date is written YYYY-MM-DD", field="until", value=text
        ) from None


@router.post("/lines/{line_id}/limit-changes")
def change(
    request: Request, line_id: Serial, actor: Agent, form: Form, context: Context
) -> Response:
    """Lower the limit now or offer an increase, or (above the threshold) ask a second staff
    member."""
    try:
        done = limit_changes.change_limit_by_staff(
            context.engine,
            line_id,
            Money.of(form.get("limit", "").strip()),
            reason=form.get("reason", ""),
            actor=actor,
            until=_until(form.get("until", "")),
            verified_income=_income(form.get("verified_income", "")),
        )
    except (InvalidInputError, ConflictError, PermissionDeniedError) as error:
        return _refused(request, actor, context, line_id, error, form)
    return redirect(f"/console/lines/{line_id}?done={_done(done)}")


def _done(done: limit_changes.StaffLimitChange) -> str:
    if done.offer_id is not None:
        return "offered"
    return "changed" if done.applied else "requested"


def _income(text: str) -> Money | None:
    return Money.of(text.strip(), field="verified_income") if text.strip() else None


@router.post("/lines/{line_id}/limit-change-requests/{request_id}/approval")
def approve(
    request: Request,
    line_id: Serial,
    request_id: Serial,
    actor: Agent,
    form: Form,
    context: Context,
) -> Response:
    """Approve another staff member's change: only now does the limit move (a decrease) or
    the borrower get the offer (an increase)."""
    try:
        done = limit_changes.approve_limit_change(
            context.engine, request_id, approver=actor, line_id=line_id
        )
    except (InvalidInputError, ConflictError, PermissionDeniedError) as error:
        return _refused(request, actor, context, line_id, error, form)
    return redirect(f"/console/lines/{line_id}?done={_done(done)}")


def _policies_page(
    request: Request,
    actor: Actor,
    context: AppContext,
    *,
    fields: dict[str, str] | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    values = {
        "versions": limit_policies.limit_policy_versions(context.engine),
        "may_simulate": actor.role in UNDERWRITING_ROLES,
        "fields": fields or {},
        "error": error,
        "bounds": (MIN_SIMULATED_APPLICANTS, MAX_SIMULATED_APPLICANTS),
    }
    return render(request, "staff/limit_policies.html", values, actor=actor, status=status)


@router.get("/limit-policies")
def policies(request: Request, actor: Staff, context: Context) -> Response:
    return _policies_page(request, actor, context)


def _whole(form: dict[str, str], field: str, default: int) -> int:
    text = form.get(field, "").strip() or str(default)
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise InvalidInputError("a whole number is needed", field=field, value=text[:20])
    return int(text)


@router.post("/limit-policies/simulations")
def simulate(request: Request, actor: Underwriter, form: Form, context: Context) -> Response:
    """A limit policy (and a baseline) over a synthetic book: the report page, or the
    policies page again saying what to change."""
    try:
        report = limit_policy_simulations.simulate_limit_versions(
            context.engine,
            applicants=_whole(form, "applicants", 1000),
            seed=_whole(form, "seed", 7),
            actor=actor,
            version=form.get("policy_version") or None,
            baseline=form.get("baseline_version") or None,
        )
    except (InvalidInputError, NotFoundError) as error:
        message = page_message(error, translations(language(request).code).gettext)
        code = 404 if isinstance(error, NotFoundError) else 422
        return _policies_page(request, actor, context, fields=form, error=message, status=code)
    return HTMLResponse(render_limit_simulation_html(report))
