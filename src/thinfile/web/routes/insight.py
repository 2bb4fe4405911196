"""The console's policy page (versions, challenger split, simulation) and portfolio overview
(applications, approvals, and the loan book by status and delinquency bucket)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from thinfile.decisioning import Outcome, PolicyStatus, simulate
from thinfile.errors import InvalidInputError
from thinfile.http import AppContext, Context
from thinfile.security.roles import POLICY_ROLES, UNDERWRITING_ROLES
from thinfile.services import applications
from thinfile.services.applications import ApplicationStatus
from thinfile.services.identity_records import Actor
from thinfile.services.policies import decision_runtime, list_policies, set_challenger
from thinfile.services.portfolio import book_by_status_and_bucket
from thinfile.web.access import Form, PolicyAdmin, Staff, Underwriter
from thinfile.web.book import book_charts
from thinfile.web.charts import bar_chart
from thinfile.web.config import WebConfig, get_web
from thinfile.web.formatting import in_zone
from thinfile.web.forms import N_
from thinfile.web.i18n import language, translations
from thinfile.web.messages import page_message
from thinfile.web.pages import redirect, render
from thinfile.web.simulation import csv_records, synthetic_records

router = APIRouter(prefix="/console", include_in_schema=False)

APPLICATION_STATUS = {
    ApplicationStatus.APPROVED: N_("Approved"),
    ApplicationStatus.REFERRED: N_("Under review"),
    ApplicationStatus.DECLINED: N_("Declined"),
    ApplicationStatus.ACCEPTED: N_("Accepted"),
}


def _policies_page(
    request: Request,
    actor: Actor,
    context: AppContext,
    *,
    report: dict[str, object] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    versions = list_policies(context.engine)
    challenger_share = sum(
        (p.share for p in versions if p.status is PolicyStatus.CHALLENGER), Decimal(0)
    )
    return render(
        request,
        "staff/policies.html",
        {
            "policies": versions,
            "active_share": 1 - challenger_share,
            "report": report,
            "errors": errors or {},
            "may_split": actor.role in POLICY_ROLES,
            "may_simulate": actor.role in UNDERWRITING_ROLES,
        },
        actor=actor,
        status=status,
    )


@router.get("/policies")
def policies(request: Request, actor: Staff, context: Context) -> Response:
    return _policies_page(request, actor, context)


@router.post("/policies/challenger")
def challenger(actor: PolicyAdmin, form: Form, context: Context) -> Response:
    version = form.get("version") or None
    set_challenger(context.engine, version, form.get("share", "0") or "0", actor=actor)
    return redirect("/console/policies?saved=1")


def _run_simulation(
    web: WebConfig, context: AppContext, fields: dict[str, str], upload: bytes | None
) -> dict[str, object]:
    runtime = decision_runtime(context.engine, web.load_model)
    records = (
        csv_records(upload)
        if upload
        else synthetic_records(
            int(fields.get("rows") or "500"), seed=int(fields.get("seed") or "7")
        )
    )
    candidate = runtime.policy(
        fields.get("version") or runtime.book.champion.version, context.engine
    )
    baseline = runtime.book.champion if candidate.version != runtime.book.champion.version else None
    report = simulate(
        records, policy=candidate, model=runtime.model, on=date.today(), baseline=baseline
    )
    return report.as_dict()


@router.post("/policies/simulate")
async def run_simulation(
    request: Request, actor: Underwriter, fields: Form, context: Context
) -> Response:
    """Run a candidate policy over a small synthetic file or an uploaded CSV; show the report."""
    upload = (await request.form()).get("file")
    data = None
    if isinstance(upload, UploadFile):
        data = await upload.read() if upload.filename else None
        await upload.close()
    try:
        report = await run_in_threadpool(_run_simulation, get_web(request), context, fields, data)
    except (InvalidInputError, ValueError) as error:
        typed = error if isinstance(error, InvalidInputError) else InvalidInputError(str(error))
        message = page_message(typed, translations(language(request).code).gettext)
        return _policies_page(request, actor, context, errors={"simulation": message}, status=422)
    return _policies_page(request, actor, context, report=report)


@router.get("/portfolio")
def portfolio(request: Request, actor: Staff, context: Context) -> Response:
    """Applications by status, approvals by day, and the loan book by status and delinquency
    bucket, as charts with tables beside them."""
    gettext = translations(language(request).code).gettext
    rows = applications.list_applications(context.engine, limit=10_000)
    by_status = Counter(r.status for r in rows)
    approvals = Counter(
        in_zone(r.submitted_at, get_web(request).display_zone).date().isoformat()
        for r in rows
        if r.outcome is Outcome.APPROVE or r.status is ApplicationStatus.APPROVED
    )
    status_chart = bar_chart(
        N_("Applications by status"),
        [(gettext(APPLICATION_STATUS.get(s, s)), n, str(n)) for s, n in sorted(by_status.items())],
    )
    days = sorted(approvals)[-30:]
    approval_chart = bar_chart(
        N_("Approvals by day"), [(d, approvals[d], str(approvals[d])) for d in days]
    )
    book = book_charts(book_by_status_and_bucket(context.engine), gettext)
    return render(
        request,
        "staff/portfolio.html",
        {
            "status_chart": status_chart,
            "approval_chart": approval_chart,
            "total": len(rows),
            "book": book,
        },
        actor=actor,
    )
