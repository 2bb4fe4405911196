"""``thinfile portfolio report``: vintages, roll rates, drift, back-test and fairness of a book."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from thinfile.errors import InvalidInputError
from thinfile.portfolio import build_report
from thinfile.services.portfolio_report import render_portfolio_report
from thinfile.sim import read_table
from thinfile.store.portfolio_parquet import parquet_roll_rates, parquet_vintage_curves


def register(app: typer.Typer) -> None:
    portfolio = typer.Typer(help="Portfolio monitoring: vintages, roll rates, drift, fairness.")
    portfolio.command("report")(report)
    app.add_typer(portfolio, name="portfolio")


def report(
    loan_months: Annotated[
        str, typer.Option("--loan-months", help="Loan-month table, .parquet or .csv.")
    ],
    out: Annotated[str, typer.Option(help="HTML report to write.")] = "report.html",
    scores_baseline: Annotated[
        str | None, typer.Option("--scores-baseline", help="Scores and inputs at training.")
    ] = None,
    scores_current: Annotated[
        str | None, typer.Option("--scores-current", help="Scores and inputs now.")
    ] = None,
    decisions: Annotated[
        str | None, typer.Option(help="Decisions with protected attributes and 'approved'.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Write the HTML portfolio report (and print it as JSON with --json).

    A Parquet loan-month file is measured in DuckDB, column by column; a CSV one in pandas.
    """
    target = Path(out)
    if target.suffix.lower() not in {".html", ".htm"} or not target.parent.is_dir():
        raise InvalidInputError(
            "the report must be an .html file in a folder that exists", field="--out", value=out
        )
    if (scores_baseline is None) != (scores_current is None):
        raise InvalidInputError(
            "give both --scores-baseline and --scores-current, or neither",
            field="--scores-baseline" if scores_baseline is None else "--scores-current",
        )
    tables = {
        option: None if text is None else read_table(Path(text), field=option)
        for option, text in (
            ("--scores-baseline", scores_baseline),
            ("--scores-current", scores_current),
            ("--decisions", decisions),
        )
    }
    book = Path(loan_months)
    if book.suffix.lower() == ".parquet":  # columnar, without loading the table into pandas
        frame = None
        curves, rolls = parquet_vintage_curves(book), parquet_roll_rates(book)
    else:
        frame, curves, rolls = read_table(book, field="--loan-months"), None, None
    result = build_report(
        frame,
        curves=curves,
        rolls=rolls,
        scores_baseline=tables["--scores-baseline"],
        scores_current=tables["--scores-current"],
        decisions=tables["--decisions"],
    )
    target.write_text(render_portfolio_report(result), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        typer.echo(f"wrote the portfolio report to {target}")
