"""``thinfile sales ingest FILE --applicant ID``: load a business's daily sales file (CSV);
``thinfile sales decide --applicant ID``: a working-capital decision from the stored sales;
``thinfile sales statement --line ID --month YYYY-MM [--csv]``: a working-capital line's
monthly statement (JSON, or its rows as CSV).

A bad file exits with status 2 and one line per bad row and field (what to do included);
nothing of it is stored. Loading the same file again changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from thinfile.cli.options import option_date, path_text
from thinfile.decisioning.working_capital_reasons import explain_working_capital
from thinfile.errors import InvalidInputError, ThinfileError
from thinfile.money import format_yuan
from thinfile.services.identity_records import SYSTEM
from thinfile.services.sales_feed import ingest_sales_csv
from thinfile.services.working_capital_decisions import decide_working_capital
from thinfile.services.working_capital_statements import statement_csv, statement_of_month
from thinfile.store import make_engine, upgrade

__all__ = ["decide", "ingest", "register", "statement"]

MAX_FILE_BYTES = 4_000_000


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Merchant sales (经营流水): load a feed, decide working capital.",
        no_args_is_help=True,
    )
    group.command("ingest")(ingest)
    group.command("decide")(decide)
    group.command("statement")(statement)
    app.add_typer(group, name="sales")


def _read(path: Path) -> str:
    if not path.is_file():
        raise InvalidInputError(f"{str(path)!r} is not a file", field="FILE", value=str(path))
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InvalidInputError(
            f"{path.name} is larger than {MAX_FILE_BYTES} bytes",
            field="FILE",
            remedy="split the file by months",
        )
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInputError(
            f"{path.name} is not UTF-8 text", field="FILE", remedy="save the file as CSV UTF-8"
        ) from None


def _print_problems(error: ThinfileError) -> None:
    for p in error.problems:
        row = getattr(p, "row", None)
        remedy = getattr(p, "remedy", "")
        where = f"row {row}, {p.field}" if row is not None else p.field
        typer.echo(f"  {where}: {p.message}" + (f" — {remedy}" if remedy else ""), err=True)


def ingest(
    path: Annotated[
        Path, typer.Argument(metavar="FILE", help="The CSV file of daily sales.", parser=path_text)
    ],
    applicant: Annotated[str, typer.Option("--applicant", help="The business's applicant id.")],
    today_text: Annotated[
        str | None, typer.Option("--today", help="Check dates against this day (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Load a daily sales file: date, gross_sales, refunds, transactions, channel."""
    today = option_date(today_text, "--today") if today_text else None
    text = _read(path)
    engine = make_engine()
    upgrade(engine)
    try:
        report = ingest_sales_csv(
            engine, text, applicant_id=applicant, actor=SYSTEM, file_name=path.name, today=today
        )
    except ThinfileError as error:
        _print_problems(error)
        raise
    finally:
        engine.dispose()
    typer.echo(
        f"{report.received} row(s) read from {report.first_day} to {report.last_day}: "
        f"{report.added} added, {report.unchanged} already stored"
    )


def decide(
    applicant: Annotated[str, typer.Option("--applicant", help="The business's applicant id.")],
    on_text: Annotated[str | None, typer.Option("--on", help="Decision day (YYYY-MM-DD).")] = None,
) -> None:
    """Decide a working-capital line from the stored sales; print it as JSON."""
    on = option_date(on_text, "--on") if on_text else None
    engine = make_engine()
    upgrade(engine)
    try:
        stored = decide_working_capital(engine, applicant, actor=SYSTEM, on=on)
    finally:
        engine.dispose()
    d = stored.decision
    typer.echo(
        json.dumps(
            {
                "decision_id": stored.id,
                "outcome": d.outcome.value,
                "grade": d.grade,
                "limit": str(d.limit),
                "daily_rate": None if d.daily_rate is None else str(d.daily_rate),
                "annual_rate": None if d.annual_rate is None else str(d.annual_rate),
                "monthly_turnover": str(d.monthly_turnover),
                "reasons": [
                    {"code": c, "text": explain_working_capital(c).en} for c in d.reason_codes
                ],
            },
            ensure_ascii=False,
            sort_keys=True,
        )
    )


def statement(
    line_id: Annotated[int, typer.Option("--line", help="The working-capital line's id.")],
    month: Annotated[str | None, typer.Option("--month", help="YYYY-MM (default: latest).")] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print the rows as CSV.")] = False,
) -> None:
    """A working-capital line's monthly statement: balances, interest, minimum still due."""
    engine = make_engine()
    upgrade(engine)
    try:
        s = statement_of_month(engine, line_id, month).statement
    finally:
        engine.dispose()
    if as_csv:
        typer.echo(statement_csv(s), nl=False)
        return
    period = s.period
    typer.echo(
        json.dumps(
            {
                "line_id": s.line_id,
                "month": f"{s.month:%Y-%m}",
                "through": s.through.isoformat(),
                "complete": s.complete,
                "opening_owed": format_yuan(s.opening_owed),
                "drawn": format_yuan(s.drawn_total),
                "repaid": format_yuan(s.repaid_total),
                "recovered": format_yuan(s.recovered_total),
                "interest": format_yuan(s.interest_total),
                "fees": format_yuan(s.fees),
                "closing_owed": format_yuan(s.closing_owed),
                "minimum_due": format_yuan(s.minimum_due),
                "period": None
                if period is None
                else {
                    "n": period.n,
                    "end": period.end.isoformat(),
                    "minimum": format_yuan(period.minimum),
                    "repaid": format_yuan(period.repaid),
                    "status": period.status.value,
                },
                "daily_rate": str(s.daily_rate),
                "day_count": "actual days; each night principal x daily rate, half up to the fen",
            },
            sort_keys=True,
        )
    )
