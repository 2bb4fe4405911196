"""``thinfile portfolio export`` (the live book's loan-month table) and ``thinfile portfolio
report`` (vintages, roll rates, drift, back-test, fairness and inclusion of a book, in English
or Chinese; on one machine, or on Spark with ``--engine spark``) and ``thinfile portfolio
alerts`` (the measures past their thresholds; exit code 4 when one is red)."""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer

from thinfile.cli.engines import (
    Engine,
    EngineOption,
    MasterOption,
    choose_engine,
    local_path,
    spark,
)
from thinfile.errors import InvalidInputError
from thinfile.portfolio import RED, build_report, load_thresholds
from thinfile.services.portfolio import loan_months as book_loan_months
from thinfile.services.portfolio_report import render_portfolio_report
from thinfile.sim import read_table, write_table
from thinfile.sim.tables import table_format
from thinfile.spark.session import DEFAULT_MASTER
from thinfile.store import make_engine, upgrade
from thinfile.store.portfolio_parquet import (
    parquet_forward_by_month,
    parquet_roll_rates,
    parquet_vintage_curves,
)
from thinfile.web.i18n import LANGUAGES, translations

RED_ALERT = 4
"""The exit code of ``thinfile portfolio alerts`` when an alert is red."""


def register(app: typer.Typer) -> None:
    portfolio = typer.Typer(help="Portfolio monitoring: vintages, roll rates, drift, fairness.")
    portfolio.command("export")(export)
    portfolio.command("report")(report)
    portfolio.command("alerts")(alerts)
    app.add_typer(portfolio, name="portfolio")


def export(
    out: Annotated[str, typer.Option(help="Loan-month table to write, .parquet or .csv.")],
) -> None:
    """Write the live book's loan-month table (THINFILE_DATABASE_URL, SQLite by default):
    one row per loan per month-end that close of business has passed, the input of
    thinfile portfolio report."""
    target = Path(out)
    table_format(target, field="--out")
    if not target.parent.is_dir():
        raise InvalidInputError("the folder of --out does not exist", field="--out", value=out)
    engine = make_engine()
    try:
        upgrade(engine)
        frame = book_loan_months(engine)
    finally:
        engine.dispose()
    write_table(frame, target)
    loans = frame["loan_id"].nunique()
    typer.echo(f"wrote {len(frame)} loan-months of {loans} loans to {target}")


_LoanMonths = Annotated[
    str, typer.Option("--loan-months", help="Loan-month table, .parquet or .csv.")
]
_Baseline = Annotated[
    str | None, typer.Option("--scores-baseline", help="Scores and inputs at training.")
]
_Current = Annotated[str | None, typer.Option("--scores-current", help="Scores and inputs now.")]
_Decisions = Annotated[
    str | None, typer.Option(help="Decisions with protected attributes and 'approved'.")
]
_Thresholds = Annotated[
    str | None, typer.Option(help="Alert thresholds (JSON); the shipped ones by default.")
]
_Cutoff = Annotated[
    str | None,
    typer.Option(
        "--bureau-cutoff",
        help="Bureau score the bureau-only baseline approves from; by default the one at "
        "the model's expected loss.",
    ),
]
_Json = Annotated[bool, typer.Option("--json", help="Print as JSON.")]


def report(
    loan_months: _LoanMonths,
    out: Annotated[str, typer.Option(help="HTML report to write.")] = "report.html",
    scores_baseline: _Baseline = None,
    scores_current: _Current = None,
    decisions: _Decisions = None,
    thresholds: _Thresholds = None,
    bureau_cutoff: _Cutoff = None,
    lang: Annotated[str, typer.Option(help="Language of the page: en or zh.")] = "en",
    as_json: _Json = False,
    engine: EngineOption = "local",
    spark_master: MasterOption = DEFAULT_MASTER,
) -> None:
    """Write the HTML portfolio report (and print it as JSON with --json).

    A Parquet loan-month file is measured in DuckDB, column by column; a CSV one in pandas;
    with --engine spark, Parquet tables at any path or URI Spark reads are measured on Spark.
    """
    target = Path(out)
    if target.suffix.lower() not in {".html", ".htm"} or not target.parent.is_dir():
        raise InvalidInputError(
            "the report must be an .html file in a folder that exists", field="--out", value=out
        )
    if lang not in LANGUAGES:
        raise InvalidInputError("the language must be en or zh", field="--lang", value=lang)
    inputs = (loan_months, scores_baseline, scores_current, decisions, thresholds, bureau_cutoff)
    if choose_engine(engine) is Engine.SPARK:
        result = _spark_report(spark_master, *inputs)
    else:
        result = _report(*inputs)
    page = render_portfolio_report(result, gettext=translations(lang).gettext, lang=lang)
    target.write_text(page, encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        typer.echo(f"wrote the portfolio report to {target}")


def alerts(
    loan_months: _LoanMonths,
    scores_baseline: _Baseline = None,
    scores_current: _Current = None,
    decisions: _Decisions = None,
    thresholds: _Thresholds = None,
    as_json: _Json = False,
) -> None:
    """Print the measures past their thresholds, red first; exit with code 4 when any is red,
    so a scheduler can page someone (amber alone exits 0)."""
    result = _report(loan_months, scores_baseline, scores_current, decisions, thresholds, None)
    found = result["alerts"]
    assert isinstance(found, list)
    if as_json:
        typer.echo(json.dumps({"thresholds": result["alert_thresholds"], "alerts": found}))
    else:
        for a in found:
            typer.echo(f"{a['level'].upper():5} {a['measure']:9} {a['subject']}: {_said(a)}")
        typer.echo(f"{len(found)} alerts ({result['alert_thresholds']})")
    if any(a["level"] == RED for a in found):
        raise typer.Exit(RED_ALERT)


_SAID = {
    "psi": "PSI {value} (limit {limit})",
    "roll_rate": "up {value} percentage points on the month before (limit {limit})",
    "backtest": "observed / predicted bad rate {value} (limits {limit})",
    "fairness": "approval-rate impact ratio {value} (limit {limit})",
}


def _said(alert: dict[str, str]) -> str:
    """An alert's figure in words with its unit, rounded for reading (the JSON keeps it all)."""
    value = alert["value"]
    with contextlib.suppress(ArithmeticError):
        value = f"{Decimal(value):.2f}"
    words = _SAID.get(alert["measure"], "{value} (limit {limit})")
    return words.format(value=value, limit=alert["limit"])


def _inputs(
    scores_baseline: str | None,
    scores_current: str | None,
    thresholds: str | None,
    bureau_cutoff: str | None,
) -> tuple[Any, float | None]:
    if (scores_baseline is None) != (scores_current is None):
        raise InvalidInputError(
            "give both --scores-baseline and --scores-current, or neither",
            field="--scores-baseline" if scores_baseline is None else "--scores-current",
        )
    limits = load_thresholds(None if thresholds is None else Path(thresholds))
    return limits, None if bureau_cutoff is None else _cutoff(bureau_cutoff)


def _report(
    loan_months: str,
    scores_baseline: str | None,
    scores_current: str | None,
    decisions: str | None,
    thresholds: str | None,
    bureau_cutoff: str | None,
) -> dict[str, object]:
    limits, cutoff = _inputs(scores_baseline, scores_current, thresholds, bureau_cutoff)
    tables = {
        option: None if text is None else read_table(local_path(text, option), field=option)
        for option, text in (
            ("--scores-baseline", scores_baseline),
            ("--scores-current", scores_current),
            ("--decisions", decisions),
        )
    }
    book = local_path(loan_months, "--loan-months")
    if book.suffix.lower() == ".parquet":  # columnar, without loading the table into pandas
        frame = None
        curves, rolls = parquet_vintage_curves(book), parquet_roll_rates(book)
        forward = parquet_forward_by_month(book)
    else:
        frame, curves, rolls, forward = read_table(book, field="--loan-months"), None, None, None
    return build_report(
        frame,
        curves=curves,
        rolls=rolls,
        forward=forward,
        scores_baseline=tables["--scores-baseline"],
        scores_current=tables["--scores-current"],
        decisions=tables["--decisions"],
        thresholds=limits,
        bureau_cutoff=cutoff,
    )


def _spark_report(
    master: str,
    loan_months: str,
    scores_baseline: str | None,
    scores_current: str | None,
    decisions: str | None,
    thresholds: str | None,
    bureau_cutoff: str | None,
) -> dict[str, object]:
    from thinfile.spark.portfolio import (
        spark_forward_by_month,
        spark_roll_rates,
        spark_table,
        spark_vintage_curves,
    )

    limits, cutoff = _inputs(scores_baseline, scores_current, thresholds, bureau_cutoff)
    with spark(master) as session:
        tables = {
            option: None if text is None else spark_table(session, text, field=option)
            for option, text in (
                ("--scores-baseline", scores_baseline),
                ("--scores-current", scores_current),
                ("--decisions", decisions),
            )
        }
        return build_report(
            None,
            curves=spark_vintage_curves(session, loan_months),
            rolls=spark_roll_rates(session, loan_months),
            forward=spark_forward_by_month(session, loan_months),
            scores_baseline=tables["--scores-baseline"],
            scores_current=tables["--scores-current"],
            decisions=tables["--decisions"],
            thresholds=limits,
            bureau_cutoff=cutoff,
        )


def _cutoff(text: str) -> float:
    """A bureau score (a score, not money: compared with the scores of the decisions table)."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise InvalidInputError(
            f"{text!r} is not a bureau score", field="--bureau-cutoff", value=text
        )
    return float(value)  # float-ok: compared with a table's scores, never money
