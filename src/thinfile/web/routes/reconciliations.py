"""The console's payment reconciliation (对账): the reconciled dates, and a date's report with
its breaks, each resolved by servicing staff with a reason. The rules are the service's
(``thinfile.services.reconciliation``), as for the API."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from starlette.responses import Response

from thinfile.errors import InvalidInputError
from thinfile.http import Context
from thinfile.security.roles import SERVICING_ROLES
from thinfile.services.reconciliation import (
    BREAKS,
    reconciled_days,
    reconciliation_of,
    resolve_break,
)
from thinfile.web.access import Form, Servicer, Staff
from thinfile.web.forms import field_messages
from thinfile.web.i18n import language, translations
from thinfile.web.pages import redirect, render
from thinfile.web.people import staff_namer

router = APIRouter(prefix="/console/reconciliations", include_in_schema=False)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError("not a date", field="day", value=text) from None


@router.get("")
def reconciliation_list(request: Request, actor: Staff, context: Context) -> Response:
    days = reconciled_days(context.engine)
    return render(request, "staff/reconciliations.html", {"days": days}, actor=actor)


def _report(
    request: Request,
    actor: Staff,
    context: Context,
    day: date,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    done = reconciliation_of(context.engine, day)
    values = {
        "run": done.run,
        "counts": sorted(done.counts.items()),
        "open_breaks": len(done.open_breaks),
        "breaks": BREAKS,
        "may_act": actor.role in SERVICING_ROLES,
        "errors": errors or {},
        "resolved": "resolved" in request.query_params,
        "who": staff_namer(context.engine, (i.resolved_by for i in done.run.items)),
    }
    return render(request, "staff/reconciliation.html", values, actor=actor, status=status)


@router.get("/{day}")
def reconciliation_page(request: Request, day: str, actor: Staff, context: Context) -> Response:
    return _report(request, actor, context, _day(day))


@router.post("/{day}/breaks/{n}/resolution")
def resolve(
    request: Request, day: str, n: int, actor: Servicer, form: Form, context: Context
) -> Response:
    on = _day(day)
    try:
        resolve_break(context.engine, on, n, form.get("reason", ""), actor=actor.label)
    except InvalidInputError as error:
        gettext = translations(language(request).code).gettext
        said = field_messages(error, gettext).get("reason", "")
        return _report(request, actor, context, on, errors={"reason": said}, status=422)
    return redirect(f"/console/reconciliations/{on.isoformat()}?resolved={n}")
