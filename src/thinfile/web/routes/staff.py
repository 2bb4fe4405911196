"""The staff console: the application queue, one application, referral review and replay."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from thinfile.decisioning import PolicySettings
from thinfile.errors import InvalidInputError, NotFoundError
from thinfile.http import AppContext, Context
from thinfile.security.roles import UNDERWRITING_ROLES
from thinfile.services import application_reviews, applications, identity
from thinfile.services.policies import decision_runtime
from thinfile.services.portfolio_monitor import recent_alerts
from thinfile.web.access import Form, Staff, Underwriter
from thinfile.web.config import get_web
from thinfile.web.forms import FIELD_LABELS, field_messages
from thinfile.web.i18n import language, translations
from thinfile.web.pages import redirect, render
from thinfile.web.review_views import finding_words, has_repricing, repricings, review_of
from thinfile.web.routes.monitoring import training_distribution

router = APIRouter(prefix="/console", include_in_schema=False)

STATUSES = (
    applications.ApplicationStatus.REFERRED,
    applications.ApplicationStatus.APPROVED,
    applications.ApplicationStatus.DECLINED,
    applications.ApplicationStatus.ACCEPTED,
)


@router.get("")
def queue(request: Request, actor: Staff, context: Context, status: str = "referred") -> Response:
    chosen = status if status in STATUSES else ""
    rows = applications.list_applications(context.engine, status=chosen or None, limit=200)
    names = identity.staff_names(context.engine, (r.reviewed_by for r in rows if r.reviewed_by))
    return render(
        request,
        "staff/queue.html",
        {
            "rows": rows,
            "reviews": {r.id: review_of(r, names) for r in rows},
            "status": chosen,
            "statuses": STATUSES,
            "alerts": recent_alerts(
                context.engine, training_distribution=training_distribution(request, context)
            ),
        },
        actor=actor,
    )


def _policy_settings(request: Request, context: AppContext, version: str) -> PolicySettings | None:
    """The settings (cap, cap basis) of the policy version a decision used, if it is known."""
    try:
        runtime = decision_runtime(context.engine, get_web(request).load_model)
        return runtime.policy(version, context.engine).settings
    except NotFoundError:
        return None


def _detail(
    request: Request,
    actor: Staff,
    context: Context,
    application_id: str,
    replayed: dict[str, object] | None = None,
    *,
    errors: dict[str, str] | None = None,
    note: str = "",
    status: int = 200,
) -> Response:
    record = applications.get_application(
        context.engine, context.cipher, application_id, reveal=False
    )
    decision = record.decision
    settings = (
        _policy_settings(request, context, str(decision["policy_version"]))
        if has_repricing(decision)
        else None
    )
    code = language(request).code
    catalog = translations(code)
    return render(
        request,
        "staff/application.html",
        {
            "a": record,
            "d": decision,
            "replayed": replayed,
            "review": review_of(
                record, identity.staff_names(context.engine, [record.reviewed_by or ""])
            ),
            "repriced": repricings(decision, settings),
            "may_review": actor.role in UNDERWRITING_ROLES,
            "reasons": decision.get("reasons_zh" if code == "zh" else "reasons") or [],
            "finding_words": lambda c: finding_words(str(c), code, catalog.gettext),
            "input_label": lambda k: (
                catalog.gettext(FIELD_LABELS[k]) if k in FIELD_LABELS else None
            ),
            "errors": errors or {},
            "note": note,
        },
        actor=actor,
        status=status,
    )


@router.get("/applications/{application_id}")
def application(request: Request, application_id: str, actor: Staff, context: Context) -> Response:
    return _detail(request, actor, context, application_id)


@router.post("/applications/{application_id}/replay")
def replay(
    request: Request, application_id: str, actor: Underwriter, _form: Form, context: Context
) -> Response:
    runtime = decision_runtime(context.engine, get_web(request).load_model)
    result = application_reviews.replay_application(
        context.engine, context.cipher, runtime, application_id, actor=actor
    )
    return _detail(request, actor, context, application_id, replayed=result)


@router.post("/applications/{application_id}/review")
def review(
    request: Request, application_id: str, actor: Underwriter, form: Form, context: Context
) -> Response:
    """Approve or decline a referral; a refused note is said beside the note field, in the
    reader's language, with what was typed kept."""
    approve = form.get("decision") == "approve"
    note = form.get("note", "")
    try:
        application_reviews.review_referral(
            context.engine, application_id, actor=actor, approve=approve, note=note
        )
    except InvalidInputError as error:
        if error.field != "note":
            raise
        errors = field_messages(error, translations(language(request).code).gettext)
        return _detail(
            request, actor, context, application_id, errors=errors, note=note, status=422
        )
    return redirect(f"/console/applications/{application_id}?reviewed=1")
