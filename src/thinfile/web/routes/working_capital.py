"""The shop owner's working-capital line (微乐贷) and the staff view of it.

``/working-capital`` lists the borrower's lines; ``/working-capital/{line_id}`` shows one —
limit, drawn, available, today's interest, the period's repayment progress against its
minimum — with the draw and repay forms and the business's sales (a chart, a table, and a CSV
upload). ``/console/working-capital/{line_id}`` shows staff the line beside its business's
sales chart and decisions, and the line's monthly statement (``?month=YYYY-MM``).
``/working-capital/{line_id}/statement`` is the borrower's monthly statement; both download it
as CSV (``…/statement.csv``). Another borrower's line is "not found", as in the API."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from thinfile.errors import ThinfileError
from thinfile.http import AppContext, Context
from thinfile.http.ids import Serial
from thinfile.money import format_yuan
from thinfile.services import sales_feed
from thinfile.services import working_capital as wc
from thinfile.services import working_capital_statements as statements
from thinfile.services.identity_records import Actor
from thinfile.services.working_capital_views import LinePage, line_page
from thinfile.servicing.wc_terms import TERM_DAYS
from thinfile.text import whole_number
from thinfile.web.access import Borrower, Form, Staff
from thinfile.web.charts import BarChart, bar_chart
from thinfile.web.i18n import language, translations
from thinfile.web.loan_views import new_payment_key, parse_amount, payment_key
from thinfile.web.messages import page_message
from thinfile.web.pages import redirect, render

router = APIRouter(include_in_schema=False)

_KEY_BASE = 10**9
"""Form keys of lines are ``web-<line id + this>-…``, apart from loans' ``web-<loan id>-…``."""


def _sales_chart(page: LinePage) -> BarChart:
    return bar_chart(
        "Net sales by day",
        [(f"{d.day:%m-%d}", d.net_fen, format_yuan(d.net_fen)) for d in page.sales],
    )


def _show(
    request: Request,
    actor: Actor,
    context: AppContext,
    line_id: int,
    *,
    errors: dict[str, str] | None = None,
    fields: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    page = line_page(context.engine, line_id, actor=actor)
    view = page.view
    staff = {}
    if actor.is_staff:
        month = request.query_params.get("month")
        staff = _statement_context(
            statements.statement_of_month(context.engine, line_id, month),
            f"/console/working-capital/{line_id}",
            f"/console/working-capital/{line_id}/statement.csv",
        )
    return render(
        request,
        "borrower/working_capital.html" if not actor.is_staff else "staff/working_capital.html",
        {
            "page": page,
            "line": view.line,
            "view": view,
            "period": view.line.period_on(view.today),
            "chart": _sales_chart(page),
            "term_days": TERM_DAYS,
            "errors": errors or {},
            "fields": fields or {},
            "draw_key": new_payment_key(_KEY_BASE + line_id),
            "repay_key": new_payment_key(_KEY_BASE + line_id),
            "done": request.query_params.get("done", ""),
            **staff,
        },
        actor=actor,
        status=status,
    )


def _refused(
    request: Request,
    actor: Actor,
    context: AppContext,
    line_id: int,
    error: ThinfileError,
    form: dict[str, str],
    name: str,
) -> Response:
    gettext = translations(language(request).code).gettext
    return _show(
        request,
        actor,
        context,
        line_id,
        errors={name: page_message(error, gettext)},
        fields=form,
        status=error.status,
    )


def _statement_context(
    sp: statements.StatementPage, action: str, csv_path: str
) -> dict[str, object]:
    """What ``wc_statement.html`` needs: the statement, where the month form goes, the CSV."""
    return {"sp": sp, "statement_action": action, "csv_href": f"{csv_path}?month={sp.month_text}"}


def _csv(sp: statements.StatementPage) -> Response:
    name = f"wc-line-{sp.line.line_id}-statement-{sp.month_text}.csv"
    return Response(
        statements.statement_csv(sp.statement),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/working-capital")
def my_lines(request: Request, actor: Borrower, context: Context) -> Response:
    views = wc.lines_of_owner(context.engine, actor.user_id)
    return render(request, "borrower/working_capital_lines.html", {"lines": views}, actor=actor)


@router.get("/working-capital/{line_id}")
def my_line(request: Request, line_id: Serial, actor: Borrower, context: Context) -> Response:
    return _show(request, actor, context, line_id)


@router.get("/working-capital/{line_id}/statement")
def my_statement(
    request: Request, line_id: Serial, actor: Borrower, context: Context, month: str | None = None
) -> Response:
    sp = statements.statement_of_month(context.engine, line_id, month, owner=actor.user_id)
    base = f"/working-capital/{line_id}/statement"
    page = _statement_context(sp, base, f"{base}.csv")
    return render(request, "borrower/working_capital_statement.html", page, actor=actor)


@router.get("/working-capital/{line_id}/statement.csv")
def my_statement_csv(
    line_id: Serial, actor: Borrower, context: Context, month: str | None = None
) -> Response:
    return _csv(statements.statement_of_month(context.engine, line_id, month, owner=actor.user_id))


@router.post("/working-capital/{line_id}/draws")
def draw(
    request: Request, line_id: Serial, actor: Borrower, form: Form, context: Context
) -> Response:
    try:
        key = payment_key(form.get("idempotency_key", ""), _KEY_BASE + line_id)
        amount = parse_amount(form.get("amount", ""), "CNY")
        term = whole_number(form.get("term_days", ""), max_digits=3) or 0
        wc.draw_on_line(
            context.engine,
            actor.user_id,
            line_id,
            amount,
            term_days=term,
            key=key,
            actor=actor.label,
        )
    except ThinfileError as error:
        return _refused(request, actor, context, line_id, error, form, "draw")
    return redirect(f"/working-capital/{line_id}?done=draw")


@router.post("/working-capital/{line_id}/repayments")
def repay(
    request: Request, line_id: Serial, actor: Borrower, form: Form, context: Context
) -> Response:
    try:
        key = payment_key(form.get("idempotency_key", ""), _KEY_BASE + line_id)
        amount = parse_amount(form.get("amount", ""), "CNY")
        wc.repay_line(context.engine, actor.user_id, line_id, amount, key=key, actor=actor.label)
    except ThinfileError as error:
        return _refused(request, actor, context, line_id, error, form, "repay")
    return redirect(f"/working-capital/{line_id}?done=repay")


@router.post("/working-capital/{line_id}/sales")
def upload_sales(
    request: Request, line_id: Serial, actor: Borrower, form: Form, context: Context
) -> Response:
    """A CSV of daily sales (the feed's columns), stored all or nothing."""
    try:
        page = line_page(context.engine, line_id, actor=actor)
        sales_feed.ingest_sales_csv(
            context.engine,
            form.get("csv", ""),
            applicant_id=page.applicant_id or "",
            actor=actor,
            file_name="page",
        )
    except ThinfileError as error:
        return _refused(request, actor, context, line_id, error, form, "sales")
    return redirect(f"/working-capital/{line_id}?done=sales")


@router.get("/console/working-capital/{line_id}")
def staff_line(request: Request, line_id: Serial, actor: Staff, context: Context) -> Response:
    return _show(request, actor, context, line_id)


@router.get("/console/working-capital/{line_id}/statement.csv")
def staff_statement_csv(
    line_id: Serial, _actor: Staff, context: Context, month: str | None = None
) -> Response:
    return _csv(statements.statement_of_month(context.engine, line_id, month))
