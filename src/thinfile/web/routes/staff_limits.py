"""The console's credit limits: a line's limit with the history of changes (staff's own words
included), its behaviour features and limit decisions; a change with a reason — above the
live policy's threshold it waits for a second servicing agent or admin (maker-checker) — and
its approval; the registered limit-policy versions. Any staff member looks; servicing agents
and admins act, as the API allows."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from thinfile.errors import ConflictError, InvalidInputError, PermissionDeniedError
from thinfile.http import AppContext, Context
from thinfile.money import Money
from thinfile.services import limit_changes, limit_policies
from thinfile.services.identity_records import Actor
from thinfile.services.reasons import REASON_MAX_CHARS, REASON_MIN_CHARS
from thinfile.services.write_offs import APPROVER_ROLES
from thinfile.web.access import Form, Staff, web_roles
from thinfile.web.i18n import language, translations
from thinfile.web.limit_views import limit_message
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
def line(request: Request, line_id: int, actor: Staff, context: Context) -> Response:
    return _detail(request, actor, context, line_id)


def _until(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        raise InvalidInputError(
            "an end date is written YYYY-MM-DD", field="until", value=text
        ) from None


@router.post("/lines/{line_id}/limit-changes")
def change(request: Request, line_id: int, actor: Agent, form: Form, context: Context) -> Response:
    """Change the limit now, or (above the threshold) ask a second staff member."""
    try:
        done = limit_changes.change_limit_by_staff(
            context.engine,
            line_id,
            Money.of(form.get("limit", "").strip()),
            reason=form.get("reason", ""),
            actor=actor,
            until=_until(form.get("until", "")),
        )
    except (InvalidInputError, ConflictError, PermissionDeniedError) as error:
        return _refused(request, actor, context, line_id, error, form)
    return redirect(f"/console/lines/{line_id}?done={'changed' if done.applied else 'requested'}")


@router.post("/lines/{line_id}/limit-change-requests/{request_id}/approval")
def approve(
    request: Request, line_id: int, request_id: int, actor: Agent, form: Form, context: Context
) -> Response:
    """Approve another staff member's change: only now does the limit move."""
    try:
        limit_changes.approve_limit_change(
            context.engine, request_id, approver=actor, line_id=line_id
        )
    except (InvalidInputError, ConflictError, PermissionDeniedError) as error:
        return _refused(request, actor, context, line_id, error, form)
    return redirect(f"/console/lines/{line_id}?done=approved")


@router.get("/limit-policies")
def policies(request: Request, actor: Staff, context: Context) -> Response:
    versions = limit_policies.limit_policy_versions(context.engine)
    return render(request, "staff/limit_policies.html", {"versions": versions}, actor=actor)
