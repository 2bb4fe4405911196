"""The console's portfolio monitoring: vintage curves, roll rates, drift, back-test, fairness,
inclusion (against the active model's bureau-only baseline) and alerts of the live book as
server-drawn SVG (no script), with filters and the loan-month table to download as CSV or
Parquet."""

from __future__ import annotations

import io
import re

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import Response

from thinfile.errors import InvalidInputError, NotFoundError
from thinfile.http import AppContext, Context
from thinfile.scoring.bureau_baseline import EVALUATION_KEY as BUREAU_KEY
from thinfile.services.policies import decision_runtime
from thinfile.services.portfolio_monitor import MonitorFilters, filtered_loan_months, live_report
from thinfile.services.portfolio_sections import report_sections
from thinfile.web.access import Staff
from thinfile.web.config import get_web
from thinfile.web.i18n import language, translations
from thinfile.web.pages import render

router = APIRouter(prefix="/console/portfolio", include_in_schema=False)

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def filters_of(product: str, segment: str, start: str, end: str) -> MonitorFilters:
    """The page's filters; a vintage is ``YYYY-MM`` (an empty field means no bound)."""
    for field, text in (("from", start), ("to", end)):
        if text and not _MONTH.fullmatch(text):
            raise InvalidInputError("a vintage is a month written YYYY-MM", field=field, value=text)
    return MonitorFilters(product or None, segment or None, start or None, end or None)


def model_evaluation(request: Request, context: AppContext) -> dict[str, object]:
    """The active model's stored evaluation; empty when no model is active (or it has none)."""
    try:
        runtime = decision_runtime(context.engine, get_web(request).load_model)
    except NotFoundError:
        return {}
    evaluation = getattr(runtime.model, "evaluation", None)
    return evaluation if isinstance(evaluation, dict) else {}


def training_distribution(request: Request, context: AppContext) -> dict[str, object] | None:
    """The active model's training score bands (the drift baseline), if a model is active."""
    found = model_evaluation(request, context).get("training_distribution")
    return found if isinstance(found, dict) else None


@router.get("/monitoring")
def monitoring(
    request: Request,
    actor: Staff,
    context: Context,
    product: str = "",
    segment: str = "",
    start: str = "",
    end: str = "",
) -> Response:
    chosen = filters_of(product, segment, start, end)
    evaluation = model_evaluation(request, context)
    distribution, bureau = evaluation.get("training_distribution"), evaluation.get(BUREAU_KEY)
    report = live_report(
        context.engine,
        filters=chosen,
        training_distribution=distribution if isinstance(distribution, dict) else None,
        bureau_baseline=bureau,
    )
    gettext = translations(language(request).code).gettext
    sections = [(s.key, s.title, Markup(s.html)) for s in report_sections(report, gettext)]
    query = request.url.query
    return render(
        request,
        "staff/monitoring.html",
        {
            "sections": sections,
            "filters": chosen,
            "thresholds": report.get("alert_thresholds"),
            "alert_count": len(report["alerts"]) if isinstance(report["alerts"], list) else 0,
            "query": f"?{query}" if query else "",
        },
        actor=actor,
    )


@router.get("/loan-months.{kind}")
def loan_months_file(
    kind: str,
    actor: Staff,
    context: Context,
    product: str = "",
    segment: str = "",
    start: str = "",
    end: str = "",
) -> Response:
    """The filtered loan-month table as CSV or Parquet (the input of thinfile portfolio report)."""
    if kind not in {"csv", "parquet"}:
        raise InvalidInputError("download csv or parquet", field="kind", value=kind)
    table = filtered_loan_months(context.engine, filters_of(product, segment, start, end))
    headers = {"Content-Disposition": f'attachment; filename="loan-months.{kind}"'}
    if kind == "csv":
        return Response(table.to_csv(index=False), media_type="text/csv", headers=headers)
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False)
    return Response(buffer.getvalue(), media_type="application/vnd.apache.parquet", headers=headers)
